"""SHA-256 of the meta.json of every model shipped with this version of mi-coder.

Written by ``scripts/train_default_model.py`` when the default model is retrained; a model whose
meta.json hash is listed here may be unpickled without --trust-model.
"""

PINNED_META_SHA256: frozenset[str] = frozenset({
    "96f0903e5dc3cea31f1fb02a07bd6a191c4f2e948a50d2fd59ae32cf857f0b2c",
})
