"""SHA-256 of the meta.json of every model shipped with this version of mi-coder.

Written by ``scripts/train_default_model.py`` when the default model is retrained; a model whose
meta.json hash is listed here is loaded without --trust-model (its other files are checked against the hashes
that meta.json lists, and none of them is a pickle: NumPy arrays read with pickles refused, and JSON).
"""

PINNED_META_SHA256: frozenset[str] = frozenset({
    "82e9559ae93dbadf67a22f6826cfcf58223825ae9e360fee4b9dc535d767e522",
})
