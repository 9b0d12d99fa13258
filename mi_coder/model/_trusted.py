"""SHA-256 of the meta.json of every model shipped with this version of mi-coder.

Written by ``scripts/train_default_model.py`` when the default model is retrained; a model whose
meta.json hash is listed here is loaded without --trust-model (its other files are checked against the hashes
that meta.json lists, and none of them is a pickle: NumPy arrays read with pickles refused, and JSON).
"""

PINNED_META_SHA256: frozenset[str] = frozenset({
    "5adc98a71f01dfddb62c217117c561d389df3136f443e9260fab5c6bc00bdb1f",
})
