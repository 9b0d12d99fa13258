"""SHA-256 of the meta.json of every model shipped with this version of mi-coder.

Written by ``scripts/train_default_model.py`` when the default model is retrained; a model whose
meta.json hash is listed here is loaded without --trust-model (its other files are checked against the hashes
that meta.json lists, and none of them is a pickle: NumPy arrays read with pickles refused, and JSON).
"""

PINNED_META_SHA256: frozenset[str] = frozenset({
    "87e4bb039a892781f3516a4ca68edcd46085323afb6bb56d7ff4207e7fe78f12",
})
