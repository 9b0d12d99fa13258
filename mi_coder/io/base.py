"""What every transcript reader shares: the ``Piece`` record, reading options, decoding and times."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import InputError

FORMATS = ("text", "vtt", "srt", "otter", "csv", "tsv", "json", "docx")


_EXTENSIONS = {
    ".txt": "text",
    ".text": "text",
    ".md": "text",
    ".vtt": "vtt",
    ".srt": "srt",
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".json": "json",
    ".jsonl": "json",
    ".docx": "docx",
}


# Column aliases for tables (normalised: lower case, spaces and dashes as underscores).
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "session": ("session_id", "transcript_id", "conv_id", "conversation_id", "session", "dialog_id",
                "dialogue_id", "interview_id", "file_id"),
    "speaker": ("speaker", "interlocutor", "speaker_name", "speaker_label", "participant", "author", "name",
                "role", "speaker_role"),
    "role": ("role", "speaker_role", "interlocutor"),
    "text": ("text", "utterance_text", "utt_text", "utterance", "content", "transcript", "sentence", "line"),
    "turn": ("turn_id", "utterance_id", "turn", "turn_index", "turn_number", "turn_no"),
    "utterance": ("utt_id", "utterance_id", "segment_id"),
    "start": ("start", "start_time", "begin", "timestamp", "time", "start_s", "start_sec", "start_seconds"),
    "end": ("end", "end_time", "stop", "end_s", "end_sec", "end_seconds"),
}


@dataclass
class Piece:
    """A stretch of one speaker's text as the source gives it (a line, a cue, a row, a segment)."""

    speaker: str
    text: str
    start: float | None = None
    end: float | None = None
    turn_key: str | None = None  # pieces sharing a key form one turn
    utt_id: str | None = None
    session: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class ReadOptions:
    """How to read: format, role overrides, table column overrides and segmentation mode."""

    fmt: str | None = None
    practitioner: str | None = None
    client: str | None = None
    utterances: str = "auto"  # "auto": segment turns; "given": one input row/piece = one utterance
    captions: str = "auto"  # boundary model for unpunctuated turns: "auto" (when no sentence marks), "on", "off"
    practitioner_id: str | None = None  # who the practitioner is (for trends), when the transcript does not name them
    columns: dict[str, str] = field(default_factory=dict)  # role -> column name overrides


def decode_bytes(raw: bytes, path: str) -> str:
    """Decode a transcript file: UTF-8 (with or without BOM), UTF-16 (BOM or not), cp1252, or a mix.

    Mixed files (mostly UTF-8 with some cp1252 lines, as happens when transcripts are pasted together)
    are decoded line by line. Binary data raises InputError.
    """
    if not raw.strip():
        raise InputError(path, "file is empty")
    if raw.startswith(b"\xef\xbb\xbf"):
        return _check_text(raw[3:].decode("utf-8", errors="replace"), path)
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _check_text(raw.decode("utf-16"), path)
    head = raw[:4000]
    if b"\x00" in head:
        even, odd = head[0::2], head[1::2]
        if odd.count(0) > 0.3 * len(odd) and even.count(0) < 0.05 * len(even):
            return _check_text(raw.decode("utf-16-le", errors="replace"), path)
        if even.count(0) > 0.3 * len(even) and odd.count(0) < 0.05 * len(odd):
            return _check_text(raw.decode("utf-16-be", errors="replace"), path)
        raise InputError(path, "looks like a binary file, not a transcript")
    try:
        return _check_text(raw.decode("utf-8"), path)
    except UnicodeDecodeError:
        pass
    lines = []
    for line in raw.splitlines(keepends=True):
        try:
            lines.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            lines.append(line.decode("cp1252", errors="replace"))
    return _check_text("".join(lines), path)


def _check_text(text: str, path: str) -> str:
    if not text.strip():
        raise InputError(path, "file holds no text")
    sample = text[:4000]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r\f")
    if controls > 0.01 * len(sample) + 2:
        raise InputError(path, "looks like a binary file, not a transcript")
    return text.replace("\r\n", "\n").replace("\r", "\n")


_TIME = re.compile(r"^\s*(?:(\d{1,3}):)?(\d{1,2}):(\d{1,2}(?:[.,]\d+)?)\s*$")


def parse_time(value: Any) -> float | None:
    """Seconds from '01:02:03', '1:02:03.5', '02:03', '0:0:5.230', '00:00:01,000' or a number."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip()
    if not text or text.lower() in ("n/a", "na", "nan", "none"):
        return None
    m = _TIME.match(text)
    if m:
        h = int(m.group(1) or 0)
        return h * 3600 + int(m.group(2)) * 60 + float(m.group(3).replace(",", "."))
    try:
        return float(text)
    except ValueError:
        return None
