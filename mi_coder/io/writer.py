"""Sessions to tables, and tables to files.

The output contract of every coding command: ``utterances``, ``turns`` and ``sessions`` tables, written
as CSV (default), JSON Lines or Parquet. Files are written to temporary names and renamed into place only
when every table is ready, so a failed run never leaves half-written results.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Callable, Iterable, Sequence

from ..errors import UsageError

if TYPE_CHECKING:  # pandas is imported lazily to keep `mi-coder --help` fast
    import pandas as pd

from ..model.coder import shown_code
from ..records import PRACTITIONER, Session, as_sessions
from ..scoring import second_code

UTTERANCE_COLUMNS = ["session_id", "turn_id", "utterance_id", "speaker", "role", "start", "end", "text",
                     "code", "confidence", "role_elements", "code2"]


TURN_COLUMNS = ["session_id", "turn_id", "speaker", "role", "start", "end", "text", "codes", "main_code"]


# practitioner_id: who the practitioner is (--practitioner-id), empty when not given; for per-practitioner analysis
SESSION_COLUMNS = ["session_id", "source", "n_turns", "n_utterances", "given_session_id", "practitioner_id",
                   "practitioner", "date", "roles_inferred"]


OUTPUT_FORMATS = ("csv", "jsonl", "parquet")


def utterance_rows(sessions: Iterable[Session]) -> list[dict]:
    """One dict per utterance, in transcript order."""
    rows = []
    for s in sessions:
        spans: dict[int, list[tuple[int, int]]] = {}  # turn -> its words' character spans
        checked = s.meta.get("role_check") != "off"  # --no-role-check: not assessed, null (an empty string: none found)
        for turn, u in s.utterances():
            start, end = utterance_times(turn, u, spans)
            rows.append({
                "session_id": s.id, "turn_id": turn.id, "utterance_id": u.id, "speaker": turn.speaker,
                "role": turn.role, "start": _ms(start), "end": _ms(end), "text": u.text,
                "code": u.code or "", "confidence": None if u.confidence is None else round(u.confidence, 4),
                "role_elements": ";".join(u.meta.get("role_elements", [])) if checked else None,
                "code2": second_code(turn, u),
            })
    return rows


def _ms(seconds: float | None) -> float | None:
    """A time in the tables: seconds to the millisecond, as recordings and captions give them (a time shared among a
    cue's words read 11.300000000000001, and JSON Lines and CSV wrote it so)."""
    return None if seconds is None else round(float(seconds), 3)


def utterance_times(turn, u, spans: dict | None = None) -> tuple[float | None, float | None]:  # type: ignore[no-untyped-def]
    """An utterance's start and end: from its words' times where the reader estimated them within the turn's timed
    pieces (``turn.meta["_word_times"]``: cues, segments, rows), else the turn's own. ``spans`` caches each turn's
    word character spans."""
    import re

    times = turn.meta.get("_word_times")
    if not times:
        return turn.start, turn.end
    key = id(turn)
    if spans is None or key not in spans:
        found = [(m.start(), m.end()) for m in re.finditer(r"\S+", turn.text)]
        if spans is not None:
            spans[key] = found
    else:
        found = spans[key]
    if len(found) != len(times):  # the words were not read as the times were given: the turn's times
        return turn.start, turn.end
    inside = [k for k, (a, b) in enumerate(found) if a < u.end_char and b > u.start_char]
    if not inside or times[inside[0]] is None or times[inside[-1]] is None:
        return turn.start, turn.end
    return times[inside[0]][0], times[inside[-1]][1]


def turn_rows(sessions: Iterable[Session]) -> list[dict]:
    """One dict per turn, with its utterances' codes and its main code."""
    rows = []
    for s in sessions:
        for t in s.turns:
            rows.append({
                "session_id": s.id, "turn_id": t.id, "speaker": t.speaker, "role": t.role,
                "start": _ms(t.start), "end": _ms(t.end), "text": t.text, "codes": " ".join(t.codes),
                "main_code": shown_code(t),
            })
    return rows


def session_rows(sessions: Iterable[Session], scores: Callable[[Session], dict] | None = None) -> list[dict]:
    """One dict per session: id, source, counts, then whatever ``scores(session)`` returns."""
    rows = []
    for s in sessions:
        # the id as its file gave it, before a run made it unique ("s1" of a second file is "s1-2"; which file keeps
        # "s1" follows the input order, so source and given_session_id are the key that stays across runs)
        row = {"session_id": s.id, "source": s.source, "n_turns": len(s.turns),
               "n_utterances": sum(len(t.utterances) for t in s.turns),
               "given_session_id": s.meta.get("given_id") or s.id,
               "practitioner_id": s.meta.get("practitioner_id") or "",
               # who the transcript names as the practitioner (one or more speakers), so that a batch's rows say
               # whose session each is without --practitioner-id; the date where the transcript gives one
               "practitioner": "; ".join(n for n, r in s.speakers.items() if r == PRACTITIONER),
               "date": s.meta.get("date") or "",
               "roles_inferred": s.meta.get("roles_inferred") or ""}
        if scores is not None:
            row.update(scores(s))
        rows.append(row)
    return rows


def to_frames(sessions: Sequence[Session], scores: Callable[[Session], dict] | None = None) -> dict[str, "pd.DataFrame"]:
    """The three output tables as pandas DataFrames: ``{"utterances": ..., "turns": ..., "sessions": ...}``.
    ``scores``: a function of a Session (``mi_coder.session_scores``) that fills the sessions table's scores."""
    if scores is not None and not callable(scores):
        raise UsageError(f"to_frames(scores=...) takes a function such as mi_coder.session_scores, not {scores!r}")
    sessions = as_sessions(sessions, "to_frames")
    seen: dict[str, Session] = {}
    for s in sessions:  # the tables would pool two sessions' rows under one id (the CLI renames the second: id-2)
        if s.id in seen:
            raise UsageError(f"to_frames: two sessions share the id {s.id!r} ({seen[s.id].source or '?'} and "
                             f"{s.source or '?'}); give one another id (session.id = ...) before making tables")
        seen[s.id] = s
    return frames_from_rows({"utterances": utterance_rows(sessions), "turns": turn_rows(sessions),
                             "sessions": session_rows(sessions, scores)})


def frames_from_rows(rows: dict[str, list[dict]]) -> dict[str, "pd.DataFrame"]:
    """DataFrames of the utterances / turns / sessions rows (``pipeline.score_rows``), columns in contract order."""
    import pandas as pd

    return {
        "utterances": pd.DataFrame(rows["utterances"], columns=UTTERANCE_COLUMNS),
        "turns": pd.DataFrame(rows["turns"], columns=TURN_COLUMNS),
        "sessions": _frame(rows["sessions"], SESSION_COLUMNS),
    }


def _frame(rows: list[dict], first: list[str]) -> "pd.DataFrame":
    import pandas as pd

    columns = list(first)
    for row in rows:
        for key in row:
            if key not in columns:
                columns.append(key)
    return pd.DataFrame(rows, columns=columns)


MANIFEST = ".mi-coder-written.json"  # the files mi-coder wrote into an output folder (only those are ever removed)


TABLE_NAMES = ("utterances", "turns", "sessions", "errors", "warnings")  # the tables mi-coder writes
_PART_NAMES = TABLE_NAMES


def remove_stale_parts(out_dir: str | Path) -> list[Path]:
    """Remove the temporary tables a run killed while writing left in ``out_dir`` (``.turns.<random>.part``: a run
    that ends normally, or on Ctrl-C, removes its own); returns them. Only mi-coder's own temporary names."""
    import re

    pattern = re.compile(r"^\.(?:%s)\.[\w-]{6,}\.part$" % "|".join(_PART_NAMES))
    removed = []
    try:
        entries = list(Path(out_dir).iterdir())
    except OSError:
        return removed
    for f in entries:
        if pattern.match(f.name) and f.is_file():
            try:
                f.unlink()
                removed.append(f)
            except OSError:
                pass
    return removed


def file_mode() -> int:
    """The permission bits a new file gets under the user's umask (temporary files are created 0600)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def written_before(out_dir: str | Path) -> set[str]:
    """Names of files an earlier mi-coder run wrote into ``out_dir`` (its manifest)."""
    import json

    path = Path(out_dir) / MANIFEST
    try:
        files = json.loads(path.read_text()).get("files", [])
    except (OSError, ValueError, AttributeError):
        return set()
    # names of files in the folder itself, nothing else: a manifest planted in a folder ("../x", "/abs/x") must not
    # send a clean-up outside it
    return {n for n in files if isinstance(n, str) and n not in ("", ".", "..") and "/" not in n and "\\" not in n
            and "\x00" not in n} if isinstance(files, list) else set()


def record_written(out_dir: str | Path, names: Iterable[str], replace: Iterable[str] = ()) -> None:
    """Add ``names`` to the folder's manifest (dropping ``replace``)."""
    import json

    out = Path(out_dir)
    files = (written_before(out) - set(replace)) | set(names)
    write_atomic(out / MANIFEST, json.dumps({"files": sorted(files)}, indent=1) + "\n")


def write_atomic(path: str | Path, data: str | bytes | Callable[[BinaryIO], None]) -> None:
    """Write ``path`` whole or not at all: into a new temporary file of a random name beside it (created
    exclusively, so a link planted under a fixed temporary name is never written through), then renamed over
    it. ``data``: text (UTF-8), bytes, or a function that writes to the open binary file (``np.savez_compressed``).
    The file gets the permissions the user's umask gives, not the temporary file's 0600."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            if callable(data):
                data(f)
            else:
                # a file name that is not UTF-8 (read by Python as surrogates) is written as its escapes
                f.write(data.encode("utf-8", "backslashreplace") if isinstance(data, str) else data)
        os.chmod(tmp, file_mode())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def remove_stale(out_dir: str | Path, names: Iterable[str]) -> list[str]:
    """Remove the named files from ``out_dir`` only where mi-coder's manifest says mi-coder wrote them.

    A file of the same name that the user put there is never touched.
    """
    out = Path(out_dir)
    ours = written_before(out)
    removed = [n for n in names if n in ours and (out / n).is_file() and not (out / n).is_symlink()]
    for name in removed:
        (out / name).unlink()
    if removed:
        record_written(out, [], replace=removed)
    return removed


def check_out(out_dir: str | Path, fmt: str, names: Iterable[str] = ("utterances", "turns", "sessions")) -> None:
    """``_prepare_out``'s checks without creating anything: for a run to fail on its --out before it codes."""
    out = Path(out_dir)
    if out.exists():
        _prepare_out(out, fmt, names)
    else:
        _check_format(fmt)


def _check_format(fmt: str) -> None:
    """A known output format whose writer is installed (parquet needs pyarrow): said before anything is coded."""
    if fmt not in OUTPUT_FORMATS:
        raise UsageError(f"--output-format must be one of {', '.join(OUTPUT_FORMATS)}, not {fmt!r}")
    if fmt == "parquet":
        import importlib.util

        if importlib.util.find_spec("pyarrow") is None:
            raise UsageError("--output-format parquet needs pyarrow, which is not installed: "
                             "pip install 'mi-coder[parquet]', or pip install '.[parquet]' in a source checkout (or choose csv "
                             "or jsonl)")


def _prepare_out(out_dir: str | Path, fmt: str, names: Iterable[str]) -> tuple[Path, str]:
    """Check the format and the folder (creating it) before anything is written; returns (folder, extension).

    A file of one of ``names`` that mi-coder did not write (it is not in the manifest) stops the run."""
    _check_format(fmt)  # before the folder is made: a run that cannot write leaves no empty --out behind
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out}: --out must be a directory, and this is a file")
    out.mkdir(parents=True, exist_ok=True)
    ext = {"csv": "csv", "jsonl": "jsonl", "parquet": "parquet"}[fmt]
    ours = written_before(out)
    theirs = [f"{name}.{ext}" for name in names if (out / f"{name}.{ext}").exists() and f"{name}.{ext}" not in ours]
    if theirs:
        raise UsageError(f"{out}: {', '.join(theirs)} already exist and were not written by mi-coder; "
                         "move them or choose another --out (mi-coder never overwrites a file it did not write)")
    return out, ext


def _publish(out: Path, staged: list[tuple[Path, Path]]) -> None:
    """Move complete temporary files into place with the user's umask, and add them to the manifest. A table this
    run writes removes the same table in another format that an earlier run wrote here (utterances.csv beside a new
    utterances.parquet would describe other inputs); a user's own files are never touched (``remove_stale``)."""
    mode = file_mode()
    for tmp_path, final in staged:
        os.chmod(tmp_path, mode)
        os.replace(tmp_path, final)
    record_written(out, [final.name for _, final in staged])
    other = [f"{final.stem}.{ext}" for _, final in staged if final.stem in _PART_NAMES
             for ext in ("csv", "jsonl", "parquet") if f".{ext}" != final.suffix]
    remove_stale(out, other)


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def formula_guarded(frame: "pd.DataFrame") -> "pd.DataFrame":
    """``frame`` with an apostrophe before every text cell a spreadsheet would run as a formula ("=HYPERLINK(...)",
    "+1 (555) 201-3344", "@SUM(...)"), as spreadsheets themselves write such text, for the CSV tables a supervisor
    opens in Excel; mi-coder's table readers drop the apostrophe again. Numbers and the JSONL and parquet tables
    are left as they are."""
    import pandas as pd
    from pandas.api.types import is_object_dtype, is_string_dtype

    guarded = None
    for c in frame.columns:
        if not (is_object_dtype(frame[c]) or is_string_dtype(frame[c])):
            continue
        values = frame[c].to_numpy(dtype=object)
        at = [i for i, v in enumerate(values) if isinstance(v, str) and v.startswith(FORMULA_START)]
        if at:  # one pass over each text column; a copy only where a cell needs the apostrophe
            risky = pd.Series(False, index=frame.index)
            risky.iloc[at] = True
            guarded = frame.copy() if guarded is None else guarded
            guarded.loc[risky, c] = "'" + frame.loc[risky, c].astype(str)
    return frame if guarded is None else guarded


def write_tables(frames: dict[str, "pd.DataFrame"], out_dir: str | Path, fmt: str = "csv") -> list[Path]:
    """Write each frame to ``out_dir/<name>.<ext>`` atomically, with the user's umask; returns the paths written.

    The names written join the folder's manifest (``MANIFEST``), so a later run removes only its own files.
    """
    out, ext = _prepare_out(out_dir, fmt, frames)
    staged: list[tuple[Path, Path]] = []
    try:
        for name, frame in frames.items():
            final = out / f"{name}.{ext}"
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=out)
            os.close(fd)
            tmp_path = Path(tmp)
            staged.append((tmp_path, final))
            if fmt == "csv":
                formula_guarded(frame).to_csv(tmp_path, index=False)
            elif fmt == "jsonl":
                frame.to_json(tmp_path, orient="records", lines=True, force_ascii=False, double_precision=15)
            elif name in TableWriter.COLUMNS:  # the same column types as the streamed tables
                import pyarrow as pa
                import pyarrow.parquet as pq

                pq.write_table(pa.Table.from_pandas(_as_schema(frame), schema=_arrow_schema(frame.columns),
                                                    preserve_index=False), tmp_path)
            else:
                _whole_parquet(frame, tmp_path)
        _publish(out, staged)
    finally:
        for tmp_path, _ in staged:
            if tmp_path.exists():
                tmp_path.unlink()
    return [final for _, final in staged]


STREAMED_FORMATS = ("csv", "jsonl", "parquet")  # formats a TableWriter appends to chunk by chunk
# Parquet column types of the tables written chunk by chunk (every other column is a string): fixed, so
# that every chunk (and every run) gives the same schema, whatever values the first chunk happens to hold.
FLOAT_COLUMNS = frozenset({"start", "end", "confidence"})


def _arrow_schema(columns: Sequence[str]):  # type: ignore[no-untyped-def]
    import pyarrow as pa

    return pa.schema([(c, pa.float64() if c in FLOAT_COLUMNS else pa.string()) for c in columns])


class TableWriter:
    """The three output tables written a chunk of rows at a time (``pipeline.stream_code``), with the
    guarantees of ``write_tables``: rows go to temporary files, which are renamed into place only by
    ``commit`` (so a failed run leaves nothing half-written), with the user's umask, into the manifest.

    ``append`` writes utterance or turn rows as they come; session rows (one per session) are kept and
    written at ``commit``. CSV and JSONL files are byte for byte those ``write_tables`` writes from the
    whole frames; Parquet files hold the same rows, one row group per chunk, with fixed column types
    (``FLOAT_COLUMNS``; strings otherwise). Use as a context manager: leaving it without ``commit`` removes
    the temporary files.
    """

    COLUMNS = {"utterances": UTTERANCE_COLUMNS, "turns": TURN_COLUMNS}

    def __init__(self, out_dir: str | Path, fmt: str = "csv") -> None:
        if fmt not in STREAMED_FORMATS:
            raise UsageError(f"tables are written chunk by chunk only as {' or '.join(STREAMED_FORMATS)}, not {fmt!r}")
        self.fmt = fmt
        # folders this run creates: removed again if it ends without writing anything (no empty --out left behind)
        self._created = [d for d in (Path(out_dir), *Path(out_dir).parents) if not d.exists()]
        self.out, self.ext = _prepare_out(out_dir, fmt, ["utterances", "turns", "sessions"])
        self.staged: dict[str, tuple[Path, Path]] = {}
        self.files: dict[str, object] = {}
        self.sessions: list[dict] = []
        self.extras: dict[str, "pd.DataFrame"] = {}

    def __enter__(self) -> "TableWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _file(self, name: str):  # type: ignore[no-untyped-def]
        if name not in self.files:
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=self.out)
            self.staged[name] = (Path(tmp), self.out / f"{name}.{self.ext}")
            if self.fmt == "parquet":
                import pyarrow.parquet as pq

                os.close(fd)
                columns = self.COLUMNS.get(name)
                self.files[name] = pq.ParquetWriter(tmp, _arrow_schema(columns)) if columns else _WholeParquet(tmp)
            else:
                self.files[name] = os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace", newline="")
        return self.files[name]

    def append(self, name: str, rows: list[dict]) -> None:
        """Append rows to the ``utterances`` or ``turns`` table."""
        import pandas as pd

        if not rows:
            return
        first = name not in self.files
        self._write(self._file(name), pd.DataFrame(rows, columns=self.COLUMNS[name]), header=first)

    def _write(self, f, frame: "pd.DataFrame", header: bool = True) -> None:  # type: ignore[no-untyped-def]
        if self.fmt == "csv":
            formula_guarded(frame).to_csv(f, index=False, header=header)
        elif self.fmt == "jsonl":
            f.write(frame.to_json(None, orient="records", lines=True, force_ascii=False, double_precision=15))
        elif isinstance(f, _WholeParquet):
            f.frame = frame
        else:
            import pyarrow as pa

            f.write_table(pa.Table.from_pandas(_as_schema(frame), schema=f.schema, preserve_index=False))

    def append_session(self, row: dict) -> None:
        """Add one session's row (written at ``commit``)."""
        self.sessions.append(row)

    def extra(self, name: str, rows: Sequence, columns: list[str]) -> None:
        """A small table written whole at ``commit`` (``errors``)."""
        import pandas as pd

        self.extras[name] = pd.DataFrame(rows, columns=columns)

    def commit(self, remove_if_absent: Sequence[str] = ()) -> list[Path]:
        """Finish every table and move them all into place; returns the paths written, in table order.

        A table of ``remove_if_absent`` that this run did not write, but an earlier run did, is removed
        (``remove_stale``): it would describe other inputs."""
        import pandas as pd

        for name in ("utterances", "turns"):
            if name not in self.files:  # no rows at all: the header only, as write_tables writes it
                self._write(self._file(name), pd.DataFrame([], columns=self.COLUMNS[name]))
        self._write(self._file("sessions"), _frame(self.sessions, SESSION_COLUMNS))
        if self.extras:
            _prepare_out(self.out, self.fmt, self.extras)
        for name, frame in self.extras.items():
            self._write(self._file(name), frame)
        remove_stale(self.out, [f"{name}.{self.ext}" for name in remove_if_absent if name not in self.extras])
        for f in self.files.values():
            f.close()  # type: ignore[attr-defined]
        self.files = {}
        order = [n for n in ("utterances", "turns", "sessions", *self.extras) if n in self.staged]
        staged = [self.staged[n] for n in order]
        _publish(self.out, staged)
        self.staged = {}
        return [final for _, final in staged]

    def close(self) -> None:
        """Close and remove whatever was not committed."""
        for f in self.files.values():
            if isinstance(f, _WholeParquet):
                f.frame = None  # nothing to write: the run did not finish
            if not getattr(f, "closed", False):
                try:
                    f.close()  # type: ignore[attr-defined]
                except OSError:  # a full disk fails the last flush too: the file is discarded below all the same
                    pass
        self.files = {}
        for tmp_path, _ in self.staged.values():
            if tmp_path.exists():
                tmp_path.unlink()
        self.staged = {}
        for folder in self._created:  # deepest first
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()


class _WholeParquet:
    """A Parquet table written whole when closed (the sessions table and the small extra tables)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.frame: "pd.DataFrame | None" = None
        self.closed = False

    def close(self) -> None:
        if not self.closed and self.frame is not None:
            _whole_parquet(self.frame, self.path)
        self.closed = True


def _whole_parquet(frame: "pd.DataFrame", path: str | Path) -> None:
    """A table written whole (sessions, errors, warnings) with column types that do not depend on the values: a
    column with no defined value in this run takes its documented kind (``scoring.column_kinds``: true/false, text,
    else a number) instead of Arrow's ``null`` type, and text is ``string``, as in the streamed tables, not
    ``large_string``; two runs' tables then stack and join (a data engineer's audit: a one-file run's
    ``role_clarification_at`` came out ``null``, another's ``double``, and the sessions' ``session_id`` would not
    join the utterances' one)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from ..scoring import column_kinds

    table = pa.Table.from_pandas(frame, preserve_index=False)
    kinds = column_kinds()
    fields = []
    for field in table.schema:
        kind = field.type
        if pa.types.is_null(kind):
            kind = {"bool": pa.bool_(), "text": pa.string()}.get(kinds.get(field.name, "text"), pa.float64())
        elif pa.types.is_large_string(kind):
            kind = pa.string()
        fields.append(pa.field(field.name, kind))
    pq.write_table(table.cast(pa.schema(fields)), path)


def _as_schema(frame: "pd.DataFrame") -> "pd.DataFrame":
    """Values as the fixed Parquet types: numbers in ``FLOAT_COLUMNS`` (None -> null), strings elsewhere."""
    import pandas as pd

    out = {}
    for column in frame.columns:
        values = frame[column]
        if column in FLOAT_COLUMNS:
            out[column] = pd.to_numeric(values, errors="coerce").astype("float64")
        else:
            out[column] = values.map(lambda v: None if v is None or (isinstance(v, float) and v != v) else str(v),
                                     na_action=None).astype(object)
    return pd.DataFrame(out, columns=frame.columns)
