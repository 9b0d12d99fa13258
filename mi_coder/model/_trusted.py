"""SHA-256 of the meta.json of every model shipped with this version of mi-coder.

Written by ``scripts/train_default_model.py`` when the default model is retrained; a model whose
meta.json hash is listed here may be unpickled without --trust-model.
"""

PINNED_META_SHA256: frozenset[str] = frozenset({
    "eb127a5dfbed716d22ad6bbdebea93b76c0c7ffde3b8f2fe651dd3d19de7d6bf",
})
