"""Saving and loading coder models as folders: ``meta.json``, ``features.json``, ``weights.npz``, ``MODEL_CARD.md``.

A model holds no pickle: term lists are JSON and numbers are a NumPy ``.npz`` read with
``allow_pickle=False``, so loading a model cannot run code. Even so, a model is loaded only when

1. every artifact's SHA-256 matches the one recorded in ``meta.json`` (integrity), and
2. ``meta.json`` itself is trusted (provenance): its SHA-256 is pinned in this package (the shipped
   default model) or recorded in the local trust store when this machine trained the model
   (``$MI_CODER_HOME/trusted_models.json``, default ``~/.mi-coder``).

Anything else is refused unless the caller passes ``trust=True`` (``--trust-model``), which is the user
saying they know where the folder came from (a model from elsewhere may be mislabelled or mistrained even
if it cannot run code). Integrity is checked even then. ``trust="<64 hex digits>"`` (``--model-sha256``) trusts
only the meta.json of that SHA-256, as its sender gave it, and records it in the trust store once checked.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import warnings
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..errors import ModelError, UsageError

DEFAULT_MODEL = "mi-coder-default"
FEATURES = "features.json"
WEIGHTS = "weights.npz"
BOUNDARY = "boundary.npz"  # optional: the boundary model for unpunctuated speech (mi_coder.boundary)
RUN_FILE = "run.json"  # informational, never loaded: when and where the model was trained
LOADED_FILES = (FEATURES, WEIGHTS)
REQUIRED_META = ("name", "version", "format", "labels", "versions", "artifacts", "training", "models")
META_FORMAT = 1
# The decoding a model folder's meta.json "decoding" describes; other profiles live in "decoding_profiles".
DEFAULT_PROFILE = "utterances"


def json_default(value: Any) -> Any:
    """NumPy scalars and arrays in metrics, as plain JSON numbers and lists."""
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def model_folder(model_dir: str | Path) -> Path:
    """A model folder named on the command line: "default", or the shipped model's folder name, names the shipped
    model where no folder of that name is here (the README's ``models/mi-coder-default``, run outside a checkout); a
    folder of that name here is that folder (a model trained with ``--out default`` is not hidden by the name)."""
    path = Path(model_dir)
    if (str(model_dir) == "default" or path.name == DEFAULT_MODEL) and not path.exists():
        return default_model_dir()
    return path


def default_model_dir() -> Path:
    """The shipped default model: inside the installed package, or ``models/`` of a source checkout."""
    package = Path(__file__).resolve().parents[1]  # mi_coder/
    for candidate in (package / "models" / DEFAULT_MODEL, package.parent / "models" / DEFAULT_MODEL):
        if (candidate / "meta.json").exists():
            return candidate
    raise ModelError(f"the default model ({DEFAULT_MODEL}) is not installed; reinstall mi-coder or pass --model")


def _home() -> Path:
    return Path(os.environ.get("MI_CODER_HOME") or Path.home() / ".mi-coder")


def _trust_store() -> Path:
    return _home() / "trusted_models.json"


def is_trusted(digest: str) -> bool:
    """Whether this installation trusts a meta.json of this SHA-256: the pinned default, or a model trained here.
    The trust store is read only for a model that is not pinned, so the shipped model runs where the home folder
    cannot be read (a service account, a read-only container)."""
    from ._trusted import PINNED_META_SHA256

    return digest in PINNED_META_SHA256 or digest in trusted_hashes()


def trusted_hashes() -> set[str]:
    """meta.json hashes this installation trusts: the pinned default plus models trained here."""
    from ._trusted import PINNED_META_SHA256

    out = set(PINNED_META_SHA256)
    store = _trust_store()
    try:
        if store.exists():
            out.update(json.loads(store.read_text()).get("meta_sha256", []))
    except (OSError, ValueError, AttributeError):
        warnings.warn(f"{store}: trust store cannot be read, ignored (models trained on this machine need "
                      "--trust-model)", stacklevel=2)
    return out


def remember_trusted(meta_path: Path, digest: str | None = None) -> None:
    """Record a model trained on this machine as trusted: ``digest``, the SHA-256 of the meta.json bytes that were
    checked, where given (the file is not read again: one swapped in after the check must not be the one trusted),
    else the hash of ``meta_path``."""
    store = _trust_store()
    try:
        store.parent.mkdir(parents=True, exist_ok=True)
        data = json.loads(store.read_text()) if store.exists() else {}
        hashes = set(data.get("meta_sha256", []))
        hashes.add(digest or sha256(meta_path))
        _atomic_write(store, json.dumps({"meta_sha256": sorted(hashes)}, indent=1).encode("utf-8"))
    except OSError as exc:
        warnings.warn(f"could not record the new model in {store} ({exc}); load it with --trust-model",
                      stacklevel=2)


def versions() -> dict[str, str]:
    import numpy
    import sklearn
    import spacy

    from .._version import __version__

    return {"mi_coder": __version__, "spacy": spacy.__version__, "scikit_learn": sklearn.__version__,
            "numpy": numpy.__version__, "python": platform.python_version()}


def save_coder(coder: Any, out_dir: str | Path, meta: dict, run: dict | None = None) -> Path:
    """Write a model folder: artifacts, ``meta.json`` with their hashes, and the model card.

    Each file is written to a temporary name and renamed into place.
    """
    import numpy as np

    from ..io.writer import write_atomic
    from .card import render_model_card

    out = Path(out_dir)
    if out.exists() and any(out.iterdir()) and not (out / "meta.json").exists():
        raise ModelError(f"{out}: exists and is not a model folder; choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    terms, arrays = coder.features.to_parts()
    models = {}
    for key, model in coder.models.items():
        arrays[f"{key}__coef"] = model.coef
        arrays[f"{key}__intercept"] = model.intercept
        models[key] = {"classes": [str(c) for c in model.classes], "temperature": model.temperature}
    _atomic_write(out / FEATURES, json.dumps({"terms": terms}, ensure_ascii=False).encode("utf-8"))
    write_atomic(out / WEIGHTS, lambda f: np.savez_compressed(f, **arrays))
    files = [FEATURES, WEIGHTS]
    if getattr(coder, "boundary", None) is not None:
        boundary = coder.boundary.to_arrays()
        write_atomic(out / BOUNDARY, lambda f: np.savez_compressed(f, **boundary))
        files.append(BOUNDARY)
    full = {
        "format": META_FORMAT,
        "versions": versions(),
        **meta,
        "models": models,
        "decoding": {"turn_weight": coder.turn_weight, "output_temperature": coder.output_temperature,
                     **({"unsure": coder.unsure} if getattr(coder, "unsure", None) else {}),
                     **({"client_turn_weight": coder.client_turn_weight}
                        if getattr(coder, "client_turn_weight", None) is not None else {}),
                     **({"class_first": True} if getattr(coder, "class_first", False) else {}),
                     **({"code_turn_weights": coder.code_turn_weights}
                        if getattr(coder, "code_turn_weights", None) else {}),
                     **({"role_stage": coder.role_stage.to_dict()}
                        if getattr(coder, "role_stage", None) is not None else {}),
                     **({"prior_adaptation": coder.prior_adaptation}
                        if getattr(coder, "prior_adaptation", 0.0) else {}),
                     **({"question_second_codes": True} if getattr(coder, "question_second_codes", False) else {}),
                     **({"permission_advice": True} if getattr(coder, "permission_advice", False) else {}),
                     **({"caption_questions": True} if getattr(coder, "caption_questions", False) else {}),
                     **({"client_turn_mix": coder.client_turn_mix} if getattr(coder, "client_turn_mix", 0.0) else {}),
                     **({"client_turn_length_power": coder.client_turn_length_power}
                        if getattr(coder, "client_turn_length_power", 0.0) else {}),
                     **({"bare_turn_mix": coder.bare_turn_mix} if getattr(coder, "bare_turn_mix", 0.0) else {}),
                     **({"turn_mix": coder.turn_mix} if getattr(coder, "turn_mix", 0.0) else {}),
                     **({"subtype_turn_mix": coder.subtype_turn_mix}
                        if getattr(coder, "subtype_turn_mix", 0.0) else {})},
        # the class shares the code models were fitted to, which per-session prior adaptation needs
        **({"class_priors": coder.class_priors} if getattr(coder, "class_priors", None) else {}),
        "artifacts": {name: sha256(out / name) for name in files},
    }
    missing = [k for k in REQUIRED_META if k not in full]
    if missing:
        raise ModelError(f"model metadata lacks {', '.join(missing)}")
    old_files: list[str] = []
    if (out / "meta.json").exists():  # a model folder written over: its artifacts the new model has not are removed
        try:
            old_files = list(json.loads((out / "meta.json").read_text(encoding="utf-8")).get("artifacts", {}))
        except (OSError, ValueError, AttributeError):
            old_files = []
    _atomic_write(out / "meta.json", (json.dumps(full, indent=2, default=json_default) + "\n").encode("utf-8"))
    _atomic_write(out / "MODEL_CARD.md", render_model_card(full).encode("utf-8"))
    for name in old_files:
        if name not in files and "/" not in name and (out / name).is_file():
            (out / name).unlink()
    # When and where it was trained is kept out of the hashed meta.json: the same training, the same hash.
    run = {"created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "host": platform.node(), **(run or {})}
    _atomic_write(out / RUN_FILE, (json.dumps(run, indent=2) + "\n").encode("utf-8"))
    return out


def _atomic_write(path: Path, data: bytes) -> None:
    from ..io.writer import write_atomic

    write_atomic(path, data)


MAX_META_BYTES = 64 * 1024 * 1024  # a model's meta.json is a few hundred kB; the shipped one 0.2 MB
MAX_ARTIFACT_BYTES = 1024 * 1024 * 1024  # a loaded file (weights, features, boundary): the shipped ones 1-16 MB


def _meta_bytes(model_dir: str | Path) -> bytes:
    path = Path(model_dir) / "meta.json"
    if not Path(model_dir).exists():
        raise ModelError(f"{model_dir}: no such folder (the shipped model is named 'default')")
    if not path.exists():
        raise ModelError(f"{model_dir}: not a model folder (no meta.json)")
    if not path.is_file():
        raise ModelError(f"{path}: not a regular file")
    if path.stat().st_size > MAX_META_BYTES:
        raise ModelError(f"{path}: {path.stat().st_size / 1e6:,.0f} MB, too large to be a model's meta.json")
    return path.read_bytes()


def read_meta(model_dir: str | Path, data: bytes | None = None) -> dict:
    """A model folder's meta.json, checked for the fields a model needs (``data``: its bytes, already read)."""
    path = Path(model_dir) / "meta.json"
    data = _meta_bytes(model_dir) if data is None else data
    try:
        meta = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        raise ModelError(f"{path}: not valid JSON ({type(exc).__name__})") from exc
    if not isinstance(meta, dict):
        raise ModelError(f"{path}: not a model's meta.json (a JSON object is expected)")
    missing = [k for k in REQUIRED_META if k not in meta]
    if missing:
        raise ModelError(f"{path}: missing {', '.join(missing)}")
    artifacts = meta["artifacts"]
    if not isinstance(artifacts, dict) or not all(isinstance(v, str) for v in artifacts.values()):
        raise ModelError(f"{path}: 'artifacts' must map file names to SHA-256 hashes")
    # An artifact is a file of the model folder itself: no path elsewhere ("/dev/zero", "../x") is ever opened.
    strays = [name for name in artifacts if Path(name).name != name or name in ("", ".", "..")]
    if strays:
        raise ModelError(f"{path}: artifact {strays[0]!r} is not a file name inside the model folder")
    for key in ("versions", "decoding", "decoding_profiles", "models"):
        if key in meta and not isinstance(meta[key], dict):
            raise ModelError(f"{path}: {key!r} must be a JSON object, not {type(meta[key]).__name__}")
    return meta


def verify(model_dir: str | Path, trust: bool | str = False) -> dict:
    """Check a model folder's integrity and provenance; returns its meta. Raises ModelError."""
    return verified(model_dir, trust)[0]


def verified(model_dir: str | Path, trust: bool | str = False) -> tuple[dict, dict[str, bytes]]:
    """``verify``, and the bytes of the files a model loads (features, weights, boundary model), read once: the
    bytes hashed are the bytes loaded, so a file swapped in the folder between the check and the load (a shared
    folder) is never read. Raises ModelError."""
    pinned = None  # a meta.json SHA-256 the user was given with a copy of the model (``--model-sha256``)
    if isinstance(trust, str) and re.fullmatch(r"[0-9a-fA-F]{64}", trust.strip()):
        pinned, trust = trust.strip().lower(), False
    elif not isinstance(trust, bool):  # trust="no" or 0.0 would pass a truthiness test: say what was meant
        raise UsageError(f"trust must be True or False, or a meta.json SHA-256 (64 hex digits), not {trust!r}")
    model_dir = Path(model_dir)
    raw = _meta_bytes(model_dir)
    digest = hashlib.sha256(raw).hexdigest()
    if pinned is not None and digest != pinned:
        raise ModelError(f"{model_dir}: its meta.json's SHA-256 is {digest}, not the {pinned} given: this copy is not "
                         "the model that hash names (changed, or another model); ask its sender")
    trusted = is_trusted(digest) or pinned is not None
    if not trusted and _is_default(model_dir):  # --trust-model is for your own models, not this one
        raise ModelError(f"{model_dir}: the shipped default model was changed since mi-coder was installed (its "
                         "meta.json is not the one shipped); reinstall mi-coder (pip install --force-reinstall)")
    # Provenance first: a meta.json nobody vouched for is not even parsed, and its artifact list not followed.
    if not trust and not trusted:
        raise ModelError(f"{model_dir}: model was not shipped with mi-coder or trained on this machine, or its "
                         "meta.json was changed since; "
                         "pass --trust-model (in Python, trust=True) if you trust its source")
    meta = read_meta(model_dir, raw)
    # Trust may skip the provenance check above, never this one: every file the model loads has a hash.
    unlisted = [name for name in LOADED_FILES if name not in meta["artifacts"]]
    if unlisted:
        raise ModelError(f"{model_dir}: meta.json lists no SHA-256 for {', '.join(unlisted)}; "
                         "every file a model loads must be listed under 'artifacts'")
    contents: dict[str, bytes] = {}
    for name, expected in meta["artifacts"].items():
        path = model_dir / name
        if not path.exists():
            raise ModelError(f"{model_dir}: artifact {name} is missing")
        if not path.is_file():
            raise ModelError(f"{path}: artifact is not a regular file")
        if name in (*LOADED_FILES, BOUNDARY):
            if path.stat().st_size > MAX_ARTIFACT_BYTES:
                raise ModelError(f"{path}: {path.stat().st_size / 1e9:,.1f} GB, too large to be a model file")
            contents[name] = path.read_bytes()
            actual = hashlib.sha256(contents[name]).hexdigest()
        else:
            actual = sha256(path)
        if actual != expected:
            raise ModelError(f"{path}: SHA-256 does not match meta.json; the model is corrupt or was altered")
    if pinned is not None and not is_trusted(digest):  # checked whole: later runs need no hash (the trust store)
        remember_trusted(model_dir / "meta.json", digest)  # the bytes checked, not the file as it is now
    from .._version import __version__

    versions = meta.get("versions") if isinstance(meta.get("versions"), dict) else {}
    trained = str(versions.get("mi_coder", ""))
    if trained.split(".")[:2] != __version__.split(".")[:2]:
        warnings.warn(f"{model_dir}: trained with mi-coder {trained}, running {__version__}; "
                      "features may differ, retrain if codes look wrong", stacklevel=3)
    return meta, contents


def _is_default(model_dir: Path) -> bool:
    try:
        return model_dir.resolve() == default_model_dir().resolve()
    except (ModelError, OSError):
        return False


def _arrays(data: bytes, path: Path) -> dict:
    """The arrays of an .npz file's bytes, pickles refused; its members' unpacked sizes are checked before any is
    read (a small file can declare arrays of many GB)."""
    import io
    import zipfile

    import numpy as np

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        if data[:1] == b"\x80":  # a pickle's first byte (protocol 2 and later): said as one, never unpickled
            raise ValueError("a pickle, not an .npz archive") from None
        raise ValueError(f"not an .npz archive ({exc})") from exc
    if unpacked > MAX_ARTIFACT_BYTES:
        raise ModelError(f"{path}: unpacks to {unpacked / 1e9:,.1f} GB, too large to be a model file")
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        return {k: npz[k] for k in npz.files}


def check_shapes(features: Any, models: dict) -> None:
    """Raise ValueError unless every IDF vector matches its term list and every model matches the feature space."""
    for block in (features.words, features.chars, features.context, features.head, features.following):
        if block is not None and block.idf.shape != (len(block.terms),):
            raise ValueError(f"{block.analyzer} IDF has shape {block.idf.shape}, expected ({len(block.terms)},)")
    n = features.n_features
    for key, model in models.items():
        k = len(model.classes)
        if model.coef.shape != (k, n) or model.intercept.shape != (k,):
            raise ValueError(f"{key} weights have shape {model.coef.shape} + {model.intercept.shape}, "
                             f"expected ({k}, {n}) + ({k},) from features.json")


def load_coder(model_dir: str | Path | None = None, *, trust: bool | str = False, profile: str | None = None) -> Any:
    """Load a Coder from a model folder (default: the shipped model) after ``verify``.

    ``profile`` names one of the model's decoding profiles (``meta["decoding_profiles"]``; None or
    ``"utterances"``: the model's own decoding): the same weights, decoded for another purpose."""
    import numpy as np

    from .coder import Coder
    from .features import FeatureSpace
    from .linear import LinearModel

    if model_dir is not None and not isinstance(model_dir, (str, os.PathLike)):
        raise UsageError(f"load_coder expects a model folder's path (str or pathlib.Path), not {type(model_dir).__name__}")
    model_dir = model_folder(model_dir) if model_dir is not None else default_model_dir()
    meta, contents = verified(model_dir, trust=trust)
    try:
        terms = json.loads(contents[FEATURES].decode("utf-8"))["terms"]
        arrays = _arrays(contents[WEIGHTS], model_dir / WEIGHTS)
        models = {key: LinearModel(np.array(spec["classes"]), arrays[f"{key}__coef"], arrays[f"{key}__intercept"],
                                   float(spec["temperature"])) for key, spec in meta["models"].items()}
        for key in ("practitioner", "client"):
            if key not in models:
                raise KeyError(f"no {key} model")
        for key, model in models.items():
            if not (np.issubdtype(model.coef.dtype, np.floating) and np.isfinite(model.coef).all()
                    and np.isfinite(model.intercept).all() and np.isfinite(model.temperature)):
                raise ValueError(f"{key} weights are not finite numbers")
        features = FeatureSpace.from_parts(terms, arrays)
        check_shapes(features, models)
        boundary = _read_boundary(contents[BOUNDARY], model_dir) if BOUNDARY in meta["artifacts"] else None
    except MemoryError:
        raise ModelError(f"{model_dir}: model files declare arrays too large for memory; the model is malformed") \
            from None
    except (KeyError, ValueError, OSError, TypeError, IndexError, AttributeError) as exc:
        if "pickle" in str(exc):  # numpy's own message would advise allow_pickle=True, which runs the file's code
            raise ModelError(f"{model_dir}: a weights file holds pickled Python objects, which mi-coder never loads "
                             "(a model's weights are plain arrays); do not load this model") from None
        raise ModelError(f"{model_dir}: model files are incomplete or malformed ({type(exc).__name__}: {exc})") from exc
    decoding = meta.get("decoding", {})
    try:
        coder = Coder(features, models, meta=meta, turn_weight=float(decoding.get("turn_weight", 1.0)),
                      output_temperature=float(decoding.get("output_temperature", 1.0)),
                      unsure={str(k): float(v) for k, v in decoding.get("unsure", {}).items()},
                      client_turn_weight=(float(decoding["client_turn_weight"]) if "client_turn_weight" in decoding
                                          else None),
                      class_first=bool(decoding.get("class_first", False)),
                      code_turn_weights={str(k): float(v) for k, v in decoding.get("code_turn_weights", {}).items()})
        coder.prior_adaptation = float(decoding.get("prior_adaptation", 0.0))
        coder.question_second_codes = bool(decoding.get("question_second_codes", False))
        coder.permission_advice = bool(decoding.get("permission_advice", False))
        coder.caption_questions = bool(decoding.get("caption_questions", False))
        coder.client_turn_mix = float(decoding.get("client_turn_mix", 0.0))
        coder.client_turn_length_power = float(decoding.get("client_turn_length_power", 0.0))
        coder.bare_turn_mix = float(decoding.get("bare_turn_mix", 0.0))
        coder.turn_mix = float(decoding.get("turn_mix", 0.0))
        coder.subtype_turn_mix = float(decoding.get("subtype_turn_mix", 0.0))
    except (AttributeError, KeyError, ValueError, TypeError) as exc:
        raise ModelError(f"{model_dir}: meta.json's decoding settings are malformed ({type(exc).__name__}: {exc})") \
            from exc
    coder.boundary = boundary
    if "role_stage" in decoding:
        from .role_turns import TurnStage

        try:
            stage = TurnStage.from_dict(decoding["role_stage"])
            n_roles = sum(k.startswith("role_") for k in models)
            if stage.coef.shape != (n_roles, TurnStage.n_features(n_roles)) or stage.intercept.shape != (n_roles,):
                raise ValueError(f"role stage of shape {stage.coef.shape} for {n_roles} role detectors")
        except (KeyError, ValueError, TypeError) as exc:
            raise ModelError(f"{model_dir}: the role-clarification stage is malformed ({exc})") from exc
        coder.role_stage = stage
    if profile not in (None, DEFAULT_PROFILE):
        profiles = meta.get("decoding_profiles", {})
        if profile not in profiles:
            known = ", ".join([DEFAULT_PROFILE, *sorted(profiles)])
            raise UsageError(f"{model_dir}: model has no decoding profile {profile!r} (it has: {known})")
        try:
            coder.use_profile(profile, profiles[profile])
        except (ValueError, TypeError, AttributeError) as exc:
            raise ModelError(f"{model_dir}: decoding profile {profile!r} is malformed ({exc})") from exc
    return coder


def _read_boundary(data: bytes, model_dir: Path):  # type: ignore[no-untyped-def]
    from ..boundary import BoundaryModel

    return BoundaryModel.from_arrays(_arrays(data, model_dir / BOUNDARY))


def load_boundary(model_dir: str | Path | None = None, *, trust: bool | str = False):  # type: ignore[no-untyped-def]
    """The boundary model of a model folder (default: the shipped model), hashes verified first; None when
    the folder has none (models before 2.0)."""
    if model_dir is not None and not isinstance(model_dir, (str, os.PathLike)):
        raise ModelError(f"load_boundary expects a model folder's path (str or pathlib.Path), not "
                         f"{type(model_dir).__name__}")
    model_dir = model_folder(model_dir) if model_dir is not None else default_model_dir()
    meta, contents = verified(model_dir, trust=trust)
    if BOUNDARY not in meta["artifacts"]:
        return None
    try:
        return _read_boundary(contents[BOUNDARY], model_dir)
    except MemoryError:
        raise ModelError(f"{model_dir / BOUNDARY}: declares arrays too large for memory; malformed") from None
    except (KeyError, ValueError, OSError, TypeError, IndexError, AttributeError) as exc:
        if "pickle" in str(exc):  # numpy's own message would advise allow_pickle=True, which runs the file's code
            raise ModelError(f"{model_dir / BOUNDARY}: holds pickled Python objects, which mi-coder never loads (a "
                             "boundary model is plain arrays); do not load this model") from None
        raise ModelError(f"{model_dir / BOUNDARY}: malformed boundary model ({exc})") from exc
