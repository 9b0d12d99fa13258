"""SHA-256 of the meta.json of every model shipped with this version of mi-coder.

Written by ``scripts/train_default_model.py`` when the default model is retrained; a model whose
meta.json hash is listed here may be unpickled without --trust-model.
"""

PINNED_META_SHA256: frozenset[str] = frozenset({
    "5fb5d39227162634df47c846d00dbec2c940fefd70ddcf531c94ef0479e426d9",
})
