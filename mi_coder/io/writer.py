"""Sessions to tables, and tables to files.

The output contract of every coding command: ``utterances``, ``turns`` and ``sessions`` tables, written
as CSV (default), JSON Lines or Parquet. Files are written to temporary names and renamed into place only
when every table is ready, so a failed run never leaves half-written results.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Sequence

from ..errors import UsageError

if TYPE_CHECKING:  # pandas is imported lazily to keep `mi-coder --help` fast
    import pandas as pd

from ..model.coder import main_code
from ..records import Session

UTTERANCE_COLUMNS = ["session_id", "turn_id", "utterance_id", "speaker", "role", "start", "end", "text",
                     "code", "confidence"]


TURN_COLUMNS = ["session_id", "turn_id", "speaker", "role", "start", "end", "text", "codes", "main_code"]


SESSION_COLUMNS = ["session_id", "source", "n_turns", "n_utterances"]


OUTPUT_FORMATS = ("csv", "jsonl", "parquet")


def utterance_rows(sessions: Iterable[Session]) -> list[dict]:
    """One dict per utterance, in transcript order."""
    rows = []
    for s in sessions:
        for turn, u in s.utterances():
            rows.append({
                "session_id": s.id, "turn_id": turn.id, "utterance_id": u.id, "speaker": turn.speaker,
                "role": turn.role, "start": turn.start, "end": turn.end, "text": u.text,
                "code": u.code or "", "confidence": None if u.confidence is None else round(u.confidence, 4),
            })
    return rows


def turn_rows(sessions: Iterable[Session]) -> list[dict]:
    """One dict per turn, with its utterances' codes and its main code."""
    rows = []
    for s in sessions:
        for t in s.turns:
            rows.append({
                "session_id": s.id, "turn_id": t.id, "speaker": t.speaker, "role": t.role,
                "start": t.start, "end": t.end, "text": t.text, "codes": " ".join(t.codes),
                "main_code": main_code(t),
            })
    return rows


def session_rows(sessions: Iterable[Session], scores: Callable[[Session], dict] | None = None) -> list[dict]:
    """One dict per session: id, source, counts, then whatever ``scores(session)`` returns."""
    rows = []
    for s in sessions:
        row = {"session_id": s.id, "source": s.source, "n_turns": len(s.turns),
               "n_utterances": sum(len(t.utterances) for t in s.turns)}
        if scores is not None:
            row.update(scores(s))
        rows.append(row)
    return rows


def to_frames(sessions: Sequence[Session], scores: Callable[[Session], dict] | None = None) -> dict[str, "pd.DataFrame"]:
    """The three output tables as pandas DataFrames: ``{"utterances": ..., "turns": ..., "sessions": ...}``."""
    import pandas as pd

    return {
        "utterances": pd.DataFrame(utterance_rows(sessions), columns=UTTERANCE_COLUMNS),
        "turns": pd.DataFrame(turn_rows(sessions), columns=TURN_COLUMNS),
        "sessions": _frame(session_rows(sessions, scores), SESSION_COLUMNS),
    }


def _frame(rows: list[dict], first: list[str]) -> "pd.DataFrame":
    import pandas as pd

    columns = list(first)
    for row in rows:
        for key in row:
            if key not in columns:
                columns.append(key)
    return pd.DataFrame(rows, columns=columns)


def write_tables(frames: dict[str, "pd.DataFrame"], out_dir: str | Path, fmt: str = "csv") -> list[Path]:
    """Write each frame to ``out_dir/<name>.<ext>`` atomically; returns the paths written."""
    if fmt not in OUTPUT_FORMATS:
        raise UsageError(f"--output-format must be one of {', '.join(OUTPUT_FORMATS)}, not {fmt!r}")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out}: --out must be a directory, and this is a file")
    out.mkdir(parents=True, exist_ok=True)
    ext = {"csv": "csv", "jsonl": "jsonl", "parquet": "parquet"}[fmt]
    staged: list[tuple[Path, Path]] = []
    try:
        for name, frame in frames.items():
            final = out / f"{name}.{ext}"
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=out)
            os.close(fd)
            tmp_path = Path(tmp)
            staged.append((tmp_path, final))
            if fmt == "csv":
                frame.to_csv(tmp_path, index=False)
            elif fmt == "jsonl":
                frame.to_json(tmp_path, orient="records", lines=True, force_ascii=False)
            else:
                frame.to_parquet(tmp_path, index=False)
        for tmp_path, final in staged:
            os.replace(tmp_path, final)
    finally:
        for tmp_path, _ in staged:
            if tmp_path.exists():
                tmp_path.unlink()
    return [final for _, final in staged]
