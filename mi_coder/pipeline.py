"""The library's top-level jobs, which the CLI only wraps: read many files, segment, code, score, write."""

from __future__ import annotations

import warnings
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path
from typing import Any

from .errors import InputError, MiCoderError, SessionSkipped, raise_if_stopped
from .io.base import _EXTENSIONS, ReadOptions
from .io.reader import STREAM_BYTES, read_transcript, stream_transcript
from .records import CLIENT, PRACTITIONER, Session, Turn


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
    file is dropped silently; the tables and pages mi-coder wrote itself (named in their folder's manifest, as
    when --out is inside an input folder) and its own working folders are not scanned, nor hidden files and folders (a
    name starting with a dot: .DS_Store, macOS's ._name.txt copies, .git), which no one means as a transcript.
    """
    from .io.writer import TABLE_NAMES, written_before

    out: list[Path] = []
    own: dict[Path, set[str]] = {}  # folder -> the files mi-coder wrote there (its manifest)
    for p in paths:
        p = Path(p)
        if p.is_dir():
            before = len(out)
            found, unreadable = _walk(p)
            unreadable = [(folder, reason) for folder, reason in unreadable  # hidden ones are not scanned anyway
                          if not any(part in OWN_FOLDERS or part.startswith(".")
                                     for part in folder.relative_to(p).parts)]
            for folder, reason in unreadable:  # a folder os.walk cannot list: its files are said to be unread
                if skipped is None:
                    raise InputError(str(folder), f"cannot be read ({reason}): its files were not scanned")
                skipped.append((str(folder), f"a folder that cannot be read ({reason}): its files were not scanned"))
            for f in found:
                if any(part in OWN_FOLDERS or part.startswith(".") for part in f.relative_to(p).parts):
                    continue
                if f.name in own.setdefault(f.parent, written_before(f.parent)) and (
                        f.suffix.lower() == ".html" or f.stem in TABLE_NAMES):
                    # a table or page mi-coder wrote (an --out inside the input folder) is output, not a transcript;
                    # a record that names any other file, a transcript, is not believed
                    continue
                if not f.is_file():  # a link to nothing, a pipe, a socket: said, never silently passed over
                    if skipped is not None:
                        what = "a link to a missing file" if f.is_symlink() and not f.exists() else "not a regular file"
                        skipped.append((str(f), f"skipped: {what}"))
                    continue
                if f.suffix.lower() in _EXTENSIONS:
                    out.append(f)
                elif skipped is not None:
                    kind = f.suffix.lower() or "no extension"
                    skipped.append((str(f), (f"skipped: not a transcript ({kind}); a folder scan reads "
                                             f"{' '.join(READ_EXTENSIONS)}")))
            if len(out) == before and skipped is not None and not unreadable:
                skipped.append((str(p), f"a folder with no transcript files (a folder scan reads "
                                        f"{' '.join(READ_EXTENSIONS)})"))
        else:
            out.append(p)
    return _utf8_names(out, skipped)


def _utf8_names(paths: list[Path], skipped: list[tuple[str, str]] | None) -> list[Path]:
    """The paths whose names are text; one whose bytes are not UTF-8 (Python reads them as surrogates, which no
    table can hold) is skipped with a reason (its name shown with escapes), or refused where nothing is skipped."""
    out = []
    for p in paths:
        name = str(p)
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            shown = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            reason = "its name is not valid UTF-8 (an older system's encoding): rename the file to code it"
            if skipped is None:
                raise InputError(shown, reason) from None
            skipped.append((shown, reason))
            continue
        out.append(p)
    return out


def _walk(folder: Path) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Every entry below ``folder`` but folders, sorted, following linked folders (each real folder once, so a
    link back up does not loop); and the folders that could not be listed, with why (no permission...)."""
    import os

    seen: set[str] = set()
    found: list[Path] = []
    unreadable: list[tuple[Path, str]] = []

    def failed(exc: OSError) -> None:
        unreadable.append((Path(exc.filename or folder), exc.strerror or type(exc).__name__))

    for root, dirs, files in os.walk(folder, followlinks=True, onerror=failed):
        real = os.path.realpath(root)
        if real in seen:
            dirs[:] = []
            continue
        seen.add(real)
        found.extend(Path(root) / name for name in files)
        found.extend(Path(root) / name for name in dirs if not os.path.isdir(os.path.join(root, name)))
    return sorted(found), sorted(unreadable)


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
    result = ReadResult()
    result.sessions.extend(iter_sessions(paths, options, result.errors))
    return result


def iter_sessions(paths: Sequence[str | Path], options: ReadOptions | None = None,
                  errors: list[tuple[str, str]] | None = None, *,
                  stream_bytes: int | None = None) -> Iterator[Session]:
    """``read_many`` one file at a time: yields each file's sessions as it is read, so that only one file's
    sessions are held at once; files that fail go to ``errors`` as (path, one-line problem).

    With ``stream_bytes``, text and table files of that many bytes or more are read lazily
    (``io.reader.stream_transcript``): a table's sessions one at a time, and a text file's session with
    turns that are read as they are iterated, once (for ``coded_chunks``, not for ``code_rows``).
    """
    options = options or ReadOptions()
    errors = errors if errors is not None else []
    seen: set[str] = set()
    for path in expand_paths(paths, errors):
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                if stream_bytes is None:
                    sessions = _handed_over(read_transcript(path, read_options=options))
                else:
                    sessions = stream_transcript(path, options, min_bytes=stream_bytes)
                first = next(sessions, None)  # every reading error is raised before the first session
        except MiCoderError as exc:
            errors.append((str(path), problem_in(exc, str(path))))
            continue
        finally:
            _pass_on(caught, path, errors)
        if first is None:
            continue
        sessions, first = chain((first,), sessions), None
        for s in sessions:
            make_id_unique(s, seen, path)
            yield s
            del s  # hand the session over, so that a coded one is not kept alive here


def make_id_unique(session: Session, seen: set[str], path: str | Path) -> None:
    """Give ``session`` an id no earlier session of the run has (``id-2``, ``id-3``...), with a warning, and add it
    to ``seen``: two files that both call their session "s1" must not share rows in the tables."""
    if session.id in seen:
        k = 2
        while f"{session.id}-{k}" in seen:
            k += 1
        warnings.warn(f"{path}: session id {session.id!r} already used; this one is {session.id}-{k}", stacklevel=4)
        session.meta.setdefault("given_id", session.id)  # sessions.csv's given_session_id
        session.id = f"{session.id}-{k}"
    seen.add(session.id)


def _pass_on(caught: list, path: Path, errors: list[tuple[str, str]]) -> None:
    """Warnings raised while a file was read: a session left out of a file that holds several
    (``SessionSkipped``) joins the file errors, as ``[session X] problem``; the others are warned again."""
    for w in caught:
        if issubclass(w.category, SessionSkipped):
            errors.append((str(path), skipped_session(w.message, str(path))))
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def skipped_session(warning: SessionSkipped, path: str) -> str:
    """A left-out session's line for errors.csv, as ``problem_in`` gives a file's: ``[session X] problem``."""
    where = warning.path or path
    return f"{where[len(path):].strip()} {warning.problem}".strip() if where.startswith(path) else warning.problem


def _handed_over(sessions: list[Session]) -> Iterator[Session]:
    while sessions:
        yield sessions.pop(0)


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


STREAM_TURNS = 2000  # turns segmented, coded and written at once on the streaming path
REPORT_MAX_TURNS = 20_000  # longer sessions get tables but no HTML report (a page nobody could read)


def coded_chunks(session: Session, coder: Any, chunk_turns: int = STREAM_TURNS) -> Iterator[list[Turn]]:
    """Segment and code one session ``chunk_turns`` turns at a time; yields each coded chunk, in order.

    Codes are those of ``coder.code(session)``: the context a turn's utterances are coded with (the other
    role's turn before and after, ``records.other_role_context``) is carried across chunk edges by handing
    the coder, around each chunk, the last practitioner and client turns before it and the first after it
    (without utterances, so they are context only). The session's turns (a list, or an ``io.reader.TurnStream``
    that reads them from the file) are consumed once, in order: ``session.turns`` is emptied at the start,
    turns are read one chunk ahead (further only to find the next turn of a role that speaks again), and
    a chunk's turns are let go once the caller has moved on, so memory holds about two chunks, however long
    the session.
    """
    from .segment import segment

    size = max(1, chunk_turns)
    source = session.turns
    session.turns = []
    last = getattr(source, "last_index", None)  # role -> index of its last turn
    if last is None:
        last = {t.role: i for i, t in enumerate(source) if t.role in (PRACTITIONER, CLIENT)}
    if getattr(coder, "caption_questions", False) and "_unpunctuated" not in session.meta:
        from .model.coder import unpunctuated_turns

        # whether the session reads as unpunctuated speech is the whole session's call, as in ``coder.code``: a
        # chunk alone (its turns and their context) may read otherwise (a file read lazily: one pass more over it)
        decided = getattr(source, "unpunctuated", None)
        session.meta["_unpunctuated"] = decided if decided is not None else unpunctuated_turns(source)
    if isinstance(source, list):
        source = _drained(source)
    upcoming = enumerate(source)
    ahead: deque[tuple[int, Turn]] = deque()  # read, not yet coded
    latest: dict[str, tuple[int, Turn]] = {}  # the last practitioner and client turns coded
    a = 0
    while True:
        ahead.extend(islice(upcoming, max(0, size - len(ahead))))
        if not ahead:
            return
        chunk = [ahead.popleft()[1] for _ in range(min(size, len(ahead)))]
        b = a + len(chunk)
        following = []  # the first practitioner and client turns after the chunk
        for role in (PRACTITIONER, CLIENT):
            if last.get(role, -1) < b:
                continue
            found = next((it for it in ahead if it[1].role == role), None)
            while found is None:
                nxt = next(upcoming, None)
                if nxt is None:  # a lazily read file lost turns between its passes
                    raise InputError(session.source, "the file changed while it was being read")
                ahead.append(nxt)
                found = nxt if nxt[1].role == role else None
            following.append(found)
        before = [_context_turn(t) for _, t in sorted(latest.values(), key=lambda it: it[0])]
        after = [_context_turn(t) for _, t in sorted(following, key=lambda it: it[0])]
        part = Session(id=session.id, source=session.source, turns=chunk, meta=session.meta)
        if any(not t.utterances and t.text for t in chunk):
            segment([part], boundary=getattr(coder, "boundary", None))
        coder.code_segmented([Session(id=session.id, source=session.source, turns=before + chunk + after,
                                      meta=session.meta)])
        for k, t in enumerate(chunk, start=a):
            if t.role in (PRACTITIONER, CLIENT):
                latest[t.role] = (k, t)
        a = b
        yield chunk
        del chunk, part


def _drained(turns: list[Turn]) -> Iterator[Turn]:
    """A list's turns, in order, each let go of once it is handed on (the caller's list is left as it is)."""
    rest = turns[::-1]
    del turns
    while rest:
        yield rest.pop()


def _context_turn(turn: Turn) -> Turn:
    """A stand-in for a turn outside the chunk: its role and text, no utterances (context, never coded)."""
    return Turn(id=turn.id, speaker=turn.speaker, role=turn.role, text=turn.text)


def stream_code(paths: Sequence[str | Path], coder: Any, out_dir: str | Path, *, options: ReadOptions | None = None,
                thresholds: dict | None = None, fmt: str = "csv", chunk_turns: int = STREAM_TURNS,
                progress: Callable[[int], None] | None = None,
                stream_bytes: int = STREAM_BYTES, on_session: Callable[[Session], None] | None = None,
                report_max_turns: int = REPORT_MAX_TURNS) -> StreamResult:
    """``run`` for inputs of any size, written as it goes: read one file, segment, code and score one session
    ``chunk_turns`` turns at a time, and append each chunk's utterance and turn rows to the output tables.

    Text and table files of ``stream_bytes`` or more are read lazily (``io.reader.stream_transcript``), so
    memory holds about two chunks of turns (a table: one session) and one chunk of utterances, never a whole
    file or table; smaller files are read whole. The tables (and
    ``errors`` when a file could not be read) are identical to ``run`` + ``io.writer.write_tables``, and
    written with its guarantees: temporary files renamed into place only when all are complete, the
    folder's manifest, the user's umask. ``progress(n)`` is called with each chunk's number of utterances.

    ``on_session(session)`` (the HTML reports) is called with each whole coded session of at most
    ``report_max_turns`` turns, one at a time; longer sessions are listed in ``StreamResult.unreported``.
    """
    from .io.writer import TableWriter, session_rows, turn_rows, utterance_rows
    from .scoring import SessionScorer

    result = StreamResult()
    with TableWriter(out_dir, fmt) as writer:
        sessions = iter_sessions(paths, options, result.errors, stream_bytes=stream_bytes)
        for session, coded in sessions_coded_together(sessions, coder, chunk_turns):
            scorer = SessionScorer(thresholds, role_check=session.meta.get("role_check") != "off")
            n_turns = n_utts = 0
            source, sid = session.source, session.id
            meta = session.meta
            kept: list[Turn] | None = [] if on_session is not None else None  # the whole session, for its report
            practitioners: dict[str, None] = {}  # the practitioner's speakers, in order (sessions.csv)
            chunks = [session.turns] if coded else coded_chunks(session, coder, chunk_turns)
            for chunk in chunks:
                raise_if_stopped()
                part = Session(id=sid, source=source, turns=chunk, meta=meta)
                rows = utterance_rows([part])
                writer.append("utterances", rows)
                writer.append("turns", turn_rows([part]))
                for t in chunk:
                    scorer.add(t)
                    if t.role == PRACTITIONER:
                        practitioners.setdefault(t.speaker, None)
                n_turns += len(chunk)
                n_utts += len(rows)
                if kept is not None:
                    kept.extend(chunk)
                    if n_turns > report_max_turns:
                        kept = None
                if progress is not None:
                    progress(len(rows))
            if on_session is not None:
                if kept is None:
                    result.unreported.append((sid, n_turns))
                else:
                    on_session(Session(id=sid, source=source, turns=kept, meta=meta))
                    kept = None
            row = session_rows([Session(id=sid, source=source, meta=meta)])[0]
            row.update({"n_turns": n_turns, "n_utterances": n_utts, "practitioner": "; ".join(practitioners),
                        **scorer.scores()})
            if not row.get("scores_reliable", True):
                result.unreliable.append((sid, row))
            writer.append_session(row)
            result.sessions += 1
            result.utterances += n_utts
        if result.sessions:  # nothing is written when no file could be read
            if result.errors:
                writer.extra("errors", result.errors, ["file", "error"])
            raise_if_stopped()
            # a warnings table is batch's: one an earlier batch wrote here would sit beside these tables, out of date
            result.written = writer.commit(remove_if_absent=["errors", "warnings"])
    return result


def sessions_coded_together(sessions: Iterable[Session], coder: Any, chunk_turns: int,
                            ) -> Iterator[tuple[Session, bool]]:
    """``(session, coded)`` in input order. Sessions shorter than ``chunk_turns`` turns (held as lists) are
    segmented and coded together, about ``chunk_turns`` turns at a time: coding them one by one costs a
    featurization and model call per session, which on a table of many short sessions took a quarter of the
    time. Their codes are the same (each utterance's context is its own session's). Longer or lazily read
    sessions come through uncoded (``coded`` False) for ``coded_chunks``."""
    buffer: list[Session] = []
    size = 0

    def flush() -> Iterator[tuple[Session, bool]]:
        nonlocal size
        if buffer:
            coder.code(buffer)  # segments the sessions that need it, then codes them together
            yield from ((s, True) for s in buffer)
            buffer.clear()
            size = 0

    for session in sessions:
        if isinstance(session.turns, list) and len(session.turns) < chunk_turns:
            buffer.append(session)
            size += len(session.turns)
            if size >= chunk_turns:
                yield from flush()
        else:
            yield from flush()
            yield session, False
    yield from flush()


@dataclass
class StreamResult:
    """What ``stream_code`` wrote: counts, the files that could not be read, and the paths written."""

    sessions: int = 0
    utterances: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    unreported: list[tuple[str, int]] = field(default_factory=list)  # (session id, turns): too long for a report
    unreliable: list[tuple[str, dict]] = field(default_factory=list)  # (session id, scores): scores_reliable false
