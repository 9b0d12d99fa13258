"""SHA-256 of the meta.json of every model shipped with this version of mi-coder.

Written by ``scripts/train_default_model.py`` when the default model is retrained; a model whose
meta.json hash is listed here may be unpickled without --trust-model.
"""

PINNED_META_SHA256: frozenset[str] = frozenset({
    "0f07619b5a7ca7cfdd60977b546dc8fb3d56a1cfb71dfde26e418dbd49da7bbf",
})
