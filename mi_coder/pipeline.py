"""The library's top-level jobs, which the CLI only wraps: read many files, segment, code, score, write."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from .errors import InputError, MiCoderError
from .io.base import _EXTENSIONS, ReadOptions
from .io.reader import read_transcript
from .records import Session


@dataclass
class ReadResult:
    """Sessions read from many files, and the files that could not be read (path, one-line problem)."""

    sessions: list[Session] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files named directly, plus transcript files (by extension) inside named directories, sorted."""
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in _EXTENSIONS))
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
    for path in expand_paths(paths):
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
