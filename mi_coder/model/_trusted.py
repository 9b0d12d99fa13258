"""SHA-256 of the meta.json of every model shipped with this version of mi-coder.

Written by ``scripts/train_default_model.py`` when the default model is retrained; a model whose
meta.json hash is listed here may be unpickled without --trust-model.
"""

PINNED_META_SHA256: frozenset[str] = frozenset({
    "00e9e1f0995d06788f299c621805f50f8cc76134c9c76ebba038991d42e083d0",
})
