"""Saving and loading coder models as folders: ``meta.json`` + ``coder.joblib`` + ``MODEL_CARD.md``.

joblib files are pickles, and unpickling runs code. So a model is loaded only when

1. every artifact's SHA-256 matches the one recorded in ``meta.json`` (integrity), and
2. ``meta.json`` itself is trusted (provenance): its SHA-256 is pinned in this package (the shipped
   default model) or recorded in the local trust store when this machine trained the model
   (``$MI_CODER_HOME/trusted_models.json``, default ``~/.mi-coder``).

Anything else is refused unless the caller passes ``trust=True`` (``--trust-model``), which is the user
saying they know where the folder came from. Integrity is checked even then.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import warnings
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .errors import ModelError

DEFAULT_MODEL = "mi-coder-default"
ARTIFACT = "coder.joblib"
REQUIRED_META = ("name", "version", "format", "labels", "versions", "artifacts", "training")
META_FORMAT = 1


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def default_model_dir() -> Path:
    """The shipped default model: inside the installed package, or ``models/`` of a source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "models" / DEFAULT_MODEL, here.parent / "models" / DEFAULT_MODEL):
        if (candidate / "meta.json").exists():
            return candidate
    raise ModelError(f"the default model ({DEFAULT_MODEL}) is not installed; reinstall mi-coder or pass --model")


def _home() -> Path:
    return Path(os.environ.get("MI_CODER_HOME") or Path.home() / ".mi-coder")


def _trust_store() -> Path:
    return _home() / "trusted_models.json"


def trusted_hashes() -> set[str]:
    """meta.json hashes this installation trusts: the pinned default plus models trained here."""
    from ._trusted import PINNED_META_SHA256

    out = set(PINNED_META_SHA256)
    store = _trust_store()
    if store.exists():
        try:
            out.update(json.loads(store.read_text()).get("meta_sha256", []))
        except (OSError, ValueError):
            warnings.warn(f"{store}: unreadable trust store ignored", stacklevel=2)
    return out


def remember_trusted(meta_path: Path) -> None:
    """Record a model trained on this machine as trusted."""
    store = _trust_store()
    try:
        store.parent.mkdir(parents=True, exist_ok=True)
        data = json.loads(store.read_text()) if store.exists() else {}
        hashes = set(data.get("meta_sha256", []))
        hashes.add(sha256(meta_path))
        tmp = store.with_suffix(".tmp")
        tmp.write_text(json.dumps({"meta_sha256": sorted(hashes)}, indent=1))
        os.replace(tmp, store)
    except OSError as exc:
        warnings.warn(f"could not record the new model in {store} ({exc}); load it with --trust-model",
                      stacklevel=2)


def versions() -> dict[str, str]:
    import joblib
    import sklearn
    import spacy

    from . import __version__

    return {"mi_coder": __version__, "spacy": spacy.__version__, "scikit_learn": sklearn.__version__,
            "joblib": joblib.__version__, "python": platform.python_version()}


def save_coder(coder: Any, out_dir: str | Path, meta: dict) -> Path:
    """Write a model folder atomically: artifacts, ``meta.json`` with their hashes, and the model card."""
    import joblib

    from .model_card import render_model_card

    out = Path(out_dir)
    if out.exists() and any(out.iterdir()) and not (out / "meta.json").exists():
        raise ModelError(f"{out}: exists and is not a model folder; choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / f".{ARTIFACT}.part"
    joblib.dump(coder, tmp, compress=3)
    os.replace(tmp, out / ARTIFACT)
    full = {
        "format": META_FORMAT,
        "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "versions": versions(),
        **meta,
        "artifacts": {ARTIFACT: sha256(out / ARTIFACT)},
    }
    missing = [k for k in REQUIRED_META if k not in full]
    if missing:
        raise ModelError(f"model metadata lacks {', '.join(missing)}")
    meta_tmp = out / ".meta.json.part"
    meta_tmp.write_text(json.dumps(full, indent=2, sort_keys=False) + "\n")
    os.replace(meta_tmp, out / "meta.json")
    (out / "MODEL_CARD.md").write_text(render_model_card(full))
    return out


def read_meta(model_dir: str | Path) -> dict:
    path = Path(model_dir) / "meta.json"
    if not path.exists():
        raise ModelError(f"{model_dir}: not a model folder (no meta.json)")
    try:
        meta = json.loads(path.read_text())
    except ValueError as exc:
        raise ModelError(f"{path}: not valid JSON ({exc})") from exc
    missing = [k for k in REQUIRED_META if k not in meta]
    if missing:
        raise ModelError(f"{path}: missing {', '.join(missing)}")
    return meta


def verify(model_dir: str | Path, trust: bool = False) -> dict:
    """Check a model folder's integrity and provenance; returns its meta. Raises ModelError."""
    model_dir = Path(model_dir)
    meta = read_meta(model_dir)
    for name, expected in meta["artifacts"].items():
        path = model_dir / name
        if not path.exists():
            raise ModelError(f"{model_dir}: artifact {name} is missing")
        if sha256(path) != expected:
            raise ModelError(f"{path}: SHA-256 does not match meta.json; the model is corrupt or was altered "
                             "(refusing to unpickle it)")
    if not trust and sha256(model_dir / "meta.json") not in trusted_hashes():
        raise ModelError(f"{model_dir}: model was not shipped with mi-coder or trained on this machine; "
                         "pass --trust-model if you trust its source")
    mine = versions()
    if meta["versions"].get("scikit_learn") != mine["scikit_learn"]:
        warnings.warn(f"{model_dir}: trained with scikit-learn {meta['versions'].get('scikit_learn')}, running "
                      f"{mine['scikit_learn']}; codes may differ slightly", stacklevel=2)
    return meta


def load_coder(model_dir: str | Path | None = None, *, trust: bool = False) -> Any:
    """Load a Coder from a model folder (default: the shipped model) after ``verify``."""
    import joblib

    from .coder import Coder

    model_dir = Path(model_dir) if model_dir is not None else default_model_dir()
    meta = verify(model_dir, trust=trust)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*Trying to unpickle estimator.*")
        coder = joblib.load(model_dir / ARTIFACT)
    if not isinstance(coder, Coder):
        raise ModelError(f"{model_dir}: {ARTIFACT} does not hold an mi-coder Coder")
    coder.meta = meta
    return coder
