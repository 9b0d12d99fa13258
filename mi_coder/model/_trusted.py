"""SHA-256 of the meta.json of every model shipped with this version of mi-coder.

Written by ``scripts/train_default_model.py`` when the default model is retrained; a model whose
meta.json hash is listed here is loaded without --trust-model (its other files are checked against the hashes
that meta.json lists, and none of them is a pickle: NumPy arrays read with pickles refused, and JSON).
"""

PINNED_META_SHA256: frozenset[str] = frozenset({
    "4dad9db0aeecf346ef4ed867683d3e0360205b89128cd24fab01f0b08bb3e650",
})
