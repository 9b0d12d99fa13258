"""SHA-256 of the meta.json of every model shipped with this version of mi-coder.

Written by ``scripts/train_default_model.py`` when the default model is retrained; a model whose
meta.json hash is listed here may be unpickled without --trust-model.
"""

PINNED_META_SHA256: frozenset[str] = frozenset({
    "b0ef717163b2406e1781ca64dc38a3f82861056e09a6a88c89b32879f3e7aa97",
})
