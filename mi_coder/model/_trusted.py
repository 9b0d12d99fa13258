"""SHA-256 of the meta.json of every model shipped with this version of mi-coder.

Written by ``scripts/train_default_model.py`` when the default model is retrained; a model whose
meta.json hash is listed here is loaded without --trust-model (its other files are checked against the hashes
that meta.json lists, and none of them is a pickle: NumPy arrays read with pickles refused, and JSON).
"""

PINNED_META_SHA256: frozenset[str] = frozenset({
    "f6cddea0d06d8b046533440e5a6b65921eba19bacb44a9b0221ec007992fe872",
})
