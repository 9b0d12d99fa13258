"""SHA-256 of the meta.json of every model shipped with this version of mi-coder.

Written by ``scripts/train_default_model.py`` when the default model is retrained; a model whose
meta.json hash is listed here may be unpickled without --trust-model.
"""

PINNED_META_SHA256: frozenset[str] = frozenset({
    "2a778e84a19e83ad8d67eb2c74b697acbd3589e6ef0f4032ab97ac7bc5b9e72c",
})
