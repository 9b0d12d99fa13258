"""SHA-256 of the meta.json of every model shipped with this version of mi-coder.

Written by ``scripts/train_default_model.py`` when the default model is retrained; a model whose
meta.json hash is listed here may be unpickled without --trust-model.
"""

PINNED_META_SHA256: frozenset[str] = frozenset({
    "a29c9c4bd78ed96e0fb561e7cb5b6ce36ea6a367dca0ec80e4826ddfd5ca25e8",
})
