"""mi-coder: code counselling and supervision sessions with Motivational Interviewing behaviour codes.

The pipeline, one room a stage::

    io.reader      files -> Session / Turn records (roles assigned; one io module per format)
    segment        turns -> utterances (spaCy blank English + our splitter; boundary model for captions)
    model.coder    utterances -> MITI 4.2.1 / MISC codes with confidences, role-clarification elements
    scoring        codes -> MITI summary scores, engagement and empathy indicators
    io.writer      sessions -> utterances / turns / sessions tables (pandas, CSV, JSONL, Parquet)
    report         HTML coaching reports with a review mode
    pipeline       code_rows / run: read -> segment -> code -> score, as every command does

Quick start::

    import mi_coder
    session = mi_coder.read_transcript("data/examples/probation_session.txt")
    coder = mi_coder.load_coder()            # the shipped default model, hashes verified
    coder.code(session)                      # splits turns into utterances (with its own boundary model), codes
    frames = mi_coder.to_frames(session, scores=mi_coder.session_scores)
    frames["utterances"], frames["turns"], frames["sessions"]   # pandas DataFrames
"""

from __future__ import annotations

import sys
import types
from typing import Any

from ._version import __version__
from .errors import InputError, MiCoderError, ModelError, RoleError, SessionSkipped, UsageError, WorkerError
from .records import CLIENT, OTHER, PRACTITIONER, Session, Turn, Utterance

__all__ = [
    "CLIENT", "OTHER", "PRACTITIONER", "InputError", "MiCoderError", "ModelError", "RoleError", "Session",
    "Turn", "UsageError", "Utterance", "WorkerError", "__version__", "read_transcript", "read_sessions", "read_text",
    "segment", "to_frames", "load_coder", "session_scores",
]


def read_transcript(path: Any, **options: Any) -> Session:
    """Read a single-session transcript file into a Session (see ``read_sessions`` for multi-session tables)."""
    sessions, caught = _read_caught(path, options)
    left_out = [w for w in caught if isinstance(w.message, SessionSkipped)]
    if len(sessions) + len(left_out) != 1:  # a table of three sessions, one of them unreadable, holds three
        ids = ", ".join(repr(s.id) for s in sessions)
        raise InputError(str(path), f"holds {len(sessions) + len(left_out)} sessions ({ids}"
                                    f"{f' and {len(left_out)} that cannot be coded' if left_out else ''}); "
                                    "use mi_coder.read_sessions() for it")
    _say_here(caught)
    if not sessions:
        raise InputError(str(path), left_out[0].message.problem)
    return sessions[0]


def read_text(text: str, name: str = "transcript.txt", **options: Any) -> list[Session]:
    """Read a transcript held in memory (a database field, a web form) as if it were the file ``name``: its
    extension picks the format where the content does not (``.vtt``, ``.srt``, ``.csv``, ``.json``...), its stem is
    the session id, and the sessions' ``source`` is ``name``. Options as ``read_transcript``'s."""
    import tempfile
    import warnings
    from pathlib import Path

    from .io.reader import read_transcript as _read

    if not isinstance(text, str):
        raise UsageError(f"read_text expects the transcript as a str, not {type(text).__name__}")
    if not isinstance(name, str):
        raise UsageError(f"read_text: name must be a file name as a str ('session.txt'), not {type(name).__name__}")
    if not name or Path(name).name != name:
        raise UsageError(f"read_text: name must be a file name without folders ('session.txt'), not {name!r}")
    with tempfile.TemporaryDirectory(prefix="mi-coder-") as folder:
        path = Path(folder) / name
        path.write_text(text, encoding="utf-8")
        # messages name the transcript as the caller knows it, not the temporary file
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                sessions = _read(path, **options)
            except InputError as exc:
                raise type(exc)(name, exc.problem.replace(str(path), name)) from None
        for w in caught:
            if isinstance(w.message, SessionSkipped):
                where = (w.message.path or "").replace(str(path), name) or None
                warnings.warn(SessionSkipped(where, w.message.problem), stacklevel=2)
            else:
                warnings.warn(str(w.message).replace(str(path), name), w.category, stacklevel=2)
    for s in sessions:
        s.source = name
    return sessions


def read_sessions(path: Any, **options: Any) -> list[Session]:
    """Read a transcript file into one Session per session it holds."""
    sessions, caught = _read_caught(path, options)
    _say_here(caught)
    return sessions


def _read_caught(path: Any, options: dict) -> tuple[list[Session], list]:
    """``io.reader.read_transcript``'s sessions and the warnings it gave, held back to be said again."""
    import warnings

    from .io.reader import read_transcript as _read

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sessions = _read(path, **options)
    return sessions, caught


def _say_here(caught: list) -> None:
    """Warnings said again at the line that called the public function (a notebook cell), not inside the library."""
    import warnings

    for w in caught:
        warnings.warn(w.message, stacklevel=3)


def segment(sessions: Any, **kwargs: Any) -> list[Session]:
    """Split every turn into utterances (in place); accepts one Session or many. Unpunctuated turns are split
    by the shipped boundary model: with a model of your own, let ``coder.code`` split them (it uses the model's
    boundary model), or pass ``boundary=coder.boundary``."""
    from .segment import segment as _segment

    if isinstance(sessions, Session):
        sessions = [sessions]
    return _segment(sessions, **kwargs)


def to_frames(sessions: Any, **kwargs: Any) -> dict:
    """The utterances / turns / sessions tables as pandas DataFrames; accepts one Session or many. Times, and
    the sessions table's figures that are missing for some session, are float columns (NaN where missing), as
    pandas reads the tables ``mi-coder code`` writes."""
    from .io.writer import to_frames as _to_frames

    if isinstance(sessions, Session):
        sessions = [sessions]
    frames = _to_frames(sessions, **kwargs)
    for name, frame in frames.items():
        for column in frame.columns:
            values = frame[column].dropna()
            if frame[column].dtype == object and (
                    column in ("start", "end")
                    or (len(values) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values))):
                frame[column] = frame[column].astype(float)  # None in an object column: end - start was an object
    return frames


def load_coder(path: Any = None, *, trust: bool = False, profile: str | None = None) -> Any:
    """Load a coder model folder (the shipped default when ``path`` is None), hashes verified first;
    ``profile`` names one of its decoding profiles ("sessions": reflections only where the turn reflects)."""
    from .model.store import load_coder as _load

    return _load(path, trust=trust, profile=profile)


def session_scores(session: Session, thresholds: Any = None) -> dict:
    """MITI summary scores, engagement and empathy indicators of one coded Session (see docs/SCORES.md)."""
    from .scoring import session_scores as _scores

    return _scores(session, thresholds)


class _Package(types.ModuleType):
    """The package module, which keeps its public ``segment`` function when the ``mi_coder.segment`` submodule is
    imported: Python's import system sets a package's attribute to each submodule it loads, so the first
    ``coder.code(...)`` or ``mi_coder.segment(...)`` replaced the function with the module ("'module' object is not
    callable" on the next call)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "segment" and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
