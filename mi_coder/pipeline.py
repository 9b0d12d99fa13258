"""The library's top-level jobs, which the CLI only wraps: read many files, segment, code, score, write."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

from .errors import InputError, MiCoderError
from .io.base import _EXTENSIONS, ReadOptions
from .io.reader import read_transcript
from .records import Session


@dataclass
class ReadResult:
    """Sessions read from many files, and the files that could not be read (path, one-line problem)."""

    sessions: list[Session] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)


READ_EXTENSIONS = tuple(sorted(_EXTENSIONS))  # what a folder scan reads (named files are read whatever they are)
OWN_FOLDERS = (".mi-coder-parts",)  # mi-coder's own working folders inside an output folder


def expand_paths(paths: Iterable[str | Path], skipped: list[tuple[str, str]] | None = None) -> list[Path]:
    """Files named directly, plus transcript files (by extension) inside named directories, sorted.

    Every other file found in a named directory is appended to ``skipped`` as (path, reason), so that no
    file is dropped silently; mi-coder's own working folders are not scanned.
    """
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if not f.is_file() or any(part in OWN_FOLDERS for part in f.relative_to(p).parts):
                    continue
                if f.suffix.lower() in _EXTENSIONS:
                    out.append(f)
                elif skipped is not None:
                    kind = f.suffix.lower() or "no extension"
                    skipped.append((str(f), f"skipped: not a transcript ({kind}); a folder scan reads "
                                            f"{' '.join(READ_EXTENSIONS)}"))
        else:
            out.append(p)
    return out


def problem_in(exc: MiCoderError, path: str) -> str:
    """The error's text without the file name (which the caller prints); keeps a ``[session X]`` locator."""
    where = getattr(exc, "path", None)
    if isinstance(exc, InputError) and where and where.startswith(path):
        return f"{where[len(path):].strip()} {exc.problem}".strip()
    return str(exc)


def read_many(paths: Sequence[str | Path], options: ReadOptions | None = None) -> ReadResult:
    """Read every file; a file that fails is recorded in ``errors`` and the rest are still read.

    Session ids are made unique across files (a repeated file stem gets ``-2``, ``-3``...).
    """
    options = options or ReadOptions()
    result = ReadResult()
    seen: set[str] = set()
    for path in expand_paths(paths, result.errors):
        try:
            sessions = read_transcript(path, read_options=options)
        except MiCoderError as exc:
            result.errors.append((str(path), problem_in(exc, str(path))))
            continue
        for s in sessions:
            if s.id in seen:
                k = 2
                while f"{s.id}-{k}" in seen:
                    k += 1
                warnings.warn(f"{path}: session id {s.id!r} already used; this one is {s.id}-{k}", stacklevel=2)
                s.id = f"{s.id}-{k}"
            seen.add(s.id)
            result.sessions.append(s)
    return result


def score_rows(sessions: Sequence[Session], thresholds: dict | None = None) -> dict[str, list[dict]]:
    """The rows of the utterances, turns and sessions tables of coded sessions, with every session score."""
    from .io.writer import session_rows, turn_rows, utterance_rows
    from .scoring import session_scores

    return {"utterances": utterance_rows(sessions), "turns": turn_rows(sessions),
            "sessions": session_rows(sessions, lambda s: session_scores(s, thresholds))}


def code_rows(sessions: Sequence[Session], coder: Any, thresholds: dict | None = None) -> dict[str, list[dict]]:
    """Segment, code and score sessions (in place): the pipeline after reading, used by every command,
    batch workers and the benchmark."""
    coder.code(sessions)
    return score_rows(sessions, thresholds)


@dataclass
class CodedResult:
    """Coded sessions, their tables (pandas DataFrames) and the files that could not be read."""

    sessions: list[Session]
    frames: dict[str, Any]
    errors: list[tuple[str, str]]


def run(paths: Sequence[str | Path], coder: Any, options: ReadOptions | None = None,
        thresholds: dict | None = None) -> CodedResult:
    """Read many files, then segment, code and score every session: the main job, in one call."""
    from .io.writer import frames_from_rows

    result = read_many(paths, options)
    rows = code_rows(result.sessions, coder, thresholds)
    return CodedResult(result.sessions, frames_from_rows(rows), result.errors)
