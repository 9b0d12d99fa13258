"""SHA-256 of the meta.json of every model shipped with this version of mi-coder.

Written by ``scripts/train_default_model.py`` when the default model is retrained; a model whose
meta.json hash is listed here may be unpickled without --trust-model.
"""

PINNED_META_SHA256: frozenset[str] = frozenset({
    "e098bef22466d15c241f72bf526af6449af7c0e9cf5e07cac11365b5d31a0459",
})
