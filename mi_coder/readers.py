"""Reading transcripts into Sessions.

Every format is read in two steps: a format-specific parser turns the file into ``Piece`` records (one
speaker's stretch of text, with times and ids where the source gives them), and ``build_sessions`` merges
pieces into turns, assigns roles and fills in ids. Formats are detected from content first and extension
second; ``fmt=`` overrides both.

Supported: speaker-labelled plain text, WebVTT (Zoom ``Name:`` and Teams ``<v Name>``), SRT (``Name:`` or
``[SPEAKER_00]:``), Otter-style exports, CSV/TSV (one row per turn or per utterance, one or many
sessions), JSON (a list of turns, Whisper/WhisperX segments) and ``.docx``.
"""

from __future__ import annotations

import csv
import io
import json
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

from .errors import InputError
from .records import Session, Turn, Utterance
from .roles import assign_roles, role_from_label

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
    columns: dict[str, str] = field(default_factory=dict)  # role -> column name overrides


# ---------------------------------------------------------------------------------------------------
# Bytes to text


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


# ---------------------------------------------------------------------------------------------------
# Times


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


# ---------------------------------------------------------------------------------------------------
# Format detection

_CUE_TIMING = re.compile(
    r"^\s*(\d{1,3}:\d{1,2}(?::\d{1,2})?[.,]\d{1,3})\s*-->\s*(\d{1,3}:\d{1,2}(?::\d{1,2})?[.,]\d{1,3})(?:\s+.*)?$"
)
_OTTER_HEAD = re.compile(r"^(?P<name>\S.{0,60}?)\s{2,}(?P<ts>\d{1,2}:\d{2}(?::\d{2})?)\s*$|"
                         r"^(?P<name2>\S.{0,60}?)\s+(?P<ts2>\d{1,2}:\d{2}(?::\d{2})?)\s*$")


def detect_format(path: Path, text: str | None) -> str:
    """The format of a file: content first (WEBVTT header, SRT numbering, JSON, Otter heads), then extension."""
    ext = _EXTENSIONS.get(path.suffix.lower())
    if ext == "docx":
        return "docx"
    if text is None:
        return ext or "text"
    stripped = text.lstrip("\ufeff \n\t")
    first_lines = [ln for ln in stripped.split("\n")[:40] if ln.strip()]
    if stripped.startswith("WEBVTT"):
        return "vtt"
    if stripped[:1] in "[{" and ext in (None, "json", "text"):
        try:
            json.loads(stripped)
            return "json"
        except ValueError:
            if ext == "json" or _is_jsonl(stripped):
                return "json"
    if len(first_lines) >= 2 and first_lines[0].strip().isdigit() and "-->" in first_lines[1]:
        return "srt"
    if ext in ("csv", "tsv", "json", "vtt", "srt"):
        return ext
    if _looks_like_otter(first_lines):
        return "otter"
    return "text"


def _is_jsonl(text: str) -> bool:
    lines = [ln for ln in text.split("\n") if ln.strip()][:5]
    try:
        return all(isinstance(json.loads(ln), dict) for ln in lines)
    except ValueError:
        return False


def _looks_like_otter(lines: Sequence[str]) -> bool:
    heads = [ln for ln in lines if _OTTER_HEAD.match(ln.rstrip()) and ":" not in ln.split()[0]]
    labelled = [ln for ln in lines if _TEXT_LINE.match(ln)]
    return len(heads) >= 2 and len(heads) >= len(labelled)


# ---------------------------------------------------------------------------------------------------
# Speaker-labelled plain text

_TS = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?"
_TEXT_LINE = re.compile(
    rf"^\s*(?:[\[(]?(?P<ts>{_TS})[\])]?\s*[-–]?\s*)?"
    r"(?:\*\*)?(?P<label>[^\W\d][\w.'’() -]{0,40}?)(?:\*\*)?"
    rf"\s*(?:[\[(](?P<ts2>{_TS})[\])])?\s*(?:\*\*)?:(?:\*\*)?(?:\s+|$)(?P<text>.*)$"
)
_BARE_TS = re.compile(rf"^\s*[\[(]?(?P<ts>{_TS})[\])]?\s*(?P<text>.*)$")


def parse_text(text: str, path: str) -> list[Piece]:
    """Speaker-labelled text: ``T: ...``, ``[00:01:23] PO: ...``, ``Jane Smith: ...``.

    A label counts as a speaker when its vocabulary names a role or it labels two or more lines; other
    lines (no label, or a one-off ``Note:``) continue the previous turn. Lines before the first
    speaker line are kept in the session's ``meta['header']``.
    """
    lines = text.split("\n")
    matches = [_TEXT_LINE.match(ln) for ln in lines]
    counts: dict[str, int] = {}
    for m in matches:
        if m and len(m.group("label").split()) <= 4:
            counts[m.group("label").strip()] = counts.get(m.group("label").strip(), 0) + 1
    speakers = {lab for lab, n in counts.items() if n >= 2 or role_from_label(lab)}
    pieces: list[Piece] = []
    header: list[str] = []
    for line, m in zip(lines, matches):
        if not line.strip():
            continue
        if m and m.group("label").strip() in speakers:
            ts = m.group("ts") or m.group("ts2")
            pieces.append(Piece(m.group("label").strip(), m.group("text").strip(), start=parse_time(ts)))
        elif pieces:
            bare = _BARE_TS.match(line)
            body = bare.group("text") if bare and bare.group("text") else line
            pieces[-1].text = f"{pieces[-1].text} {body.strip()}".strip()
        else:
            header.append(line.strip())
    if not pieces:
        raise InputError(path, "no speaker-labelled lines found (expected lines like 'T: ...' or 'Client: ...')")
    if header:
        pieces[0].meta["header"] = header
    return pieces


# ---------------------------------------------------------------------------------------------------
# Cue formats: WebVTT and SRT

_VOICE = re.compile(r"<v(?:\.[\w.]+)?\s+([^>]+)>(.*?)(?:</v>|$)", re.S)
_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
_PREFIX = re.compile(
    r"^\s*(?:-\s*)?(?:\[(?P<b>[^\]\n]{1,40})\]\s*:?|\((?P<p>[^)\n]{1,40})\)\s*:|(?P<n>[^\W\d][^:\n]{0,40}?)\s*:)\s*(?P<t>.*)$",
    re.S,
)


def _split_speaker(text: str) -> tuple[str | None, str]:
    """``'Jane: hi'`` -> ('Jane', 'hi'); ``'[SPEAKER_00]: hi'`` -> ('SPEAKER_00', 'hi'); else (None, text)."""
    m = _PREFIX.match(text)
    if not m:
        return None, text
    name = (m.group("b") or m.group("p") or m.group("n") or "").strip()
    if not name or len(name.split()) > 5 or _TIME.match(name):
        return None, text
    return name, m.group("t").strip()


def _cue_speakers(lines: Sequence[str]) -> set[str]:
    """Names in ``Name:`` cue prefixes that are speakers: used twice or more, or a role word."""
    counts: dict[str, int] = {}
    for line in lines:
        name, _ = _split_speaker(_TAG.sub("", line))
        if name:
            counts[name] = counts.get(name, 0) + 1
    return {n for n, c in counts.items() if c >= 2 or role_from_label(n) or re.match(r"(?i)speaker[ _]?\d+$", n)}


def parse_cues(text: str, path: str, fmt: str) -> list[Piece]:
    """WebVTT or SRT cues; the speaker comes from ``<v Name>``, ``Name:`` or ``[SPEAKER_00]:``.

    A cue without a speaker continues the previous speaker (captions split long speech into cues).
    """
    pieces: list[Piece] = []
    lines = text.split("\n")
    speakers = _cue_speakers(lines)
    i = 0
    n = len(lines)
    if fmt == "vtt":
        if not lines[0].lstrip("\ufeff").startswith("WEBVTT"):
            raise InputError(path, "not a WebVTT file (first line must be 'WEBVTT')")
        while i < n and lines[i].strip():
            i += 1  # header block
    while i < n:
        while i < n and not lines[i].strip():
            i += 1
        if i >= n:
            break
        block_start = i
        block = []
        while i < n and lines[i].strip():
            block.append(lines[i])
            i += 1
        first = block[0].strip()
        if fmt == "vtt" and (first.startswith("NOTE") or first in ("STYLE", "REGION")):
            continue
        timing_at = next((k for k, ln in enumerate(block) if "-->" in ln), None)
        if timing_at is None or timing_at > 1:
            near = next((k for k, ln in enumerate(block[:2]) if re.search(r"\d:\d\d.*-+>?", ln)), None)
            if near is not None:
                raise InputError(
                    path, f"line {block_start + near + 1}: broken cue timing '{block[near].strip()[:60]}'"
                )
            raise InputError(path, f"line {block_start + 1}: cue without a timing line ('{first[:40]}')")
        m = _CUE_TIMING.match(block[timing_at])
        if not m:
            raise InputError(
                path, f"line {block_start + timing_at + 1}: broken cue timing '{block[timing_at].strip()[:60]}'"
            )
        start, end = parse_time(m.group(1)), parse_time(m.group(2))
        body = "\n".join(block[timing_at + 1:]).strip()
        if not body:
            continue
        voices = _VOICE.findall(body)
        if voices:
            for name, said in voices:
                said = " ".join(_TAG.sub("", said).split())
                if said:
                    pieces.append(Piece(name.strip(), said, start, end))
            continue
        body = " ".join(_TAG.sub("", body).split())
        speaker, said = _split_speaker(body)
        if speaker is not None and speaker not in speakers:
            speaker, said = None, body
        if speaker is None:
            if not pieces:
                pieces.append(Piece("", body, start, end))
            else:
                pieces[-1].text = f"{pieces[-1].text} {body}".strip()
                pieces[-1].end = end
            continue
        if said:
            pieces.append(Piece(speaker, said, start, end))
    if not pieces:
        raise InputError(path, "no cues with text found")
    if all(not p.speaker for p in pieces):
        raise InputError(path, "cues carry no speaker names ('Name: ...' or '<v Name>'); diarize the transcript first")
    if not pieces[0].speaker:
        raise InputError(path, "the first cue has no speaker name, so its speaker is unknown")
    return pieces


# ---------------------------------------------------------------------------------------------------
# Otter-style exports ("Name  0:01" then the text), also Teams/Otter .docx


def parse_otter(text: str, path: str) -> list[Piece]:
    """Otter/Teams exports: a ``Speaker Name  0:01`` line, then that speaker's text until the next head."""
    pieces: list[Piece] = []
    header: list[str] = []
    for line in text.split("\n"):
        if not line.strip():
            continue
        m = _OTTER_HEAD.match(line.rstrip())
        if m and ":" not in line.split()[0]:
            name = (m.group("name") or m.group("name2")).strip()
            ts = m.group("ts") or m.group("ts2")
            pieces.append(Piece(name, "", start=parse_time(ts)))
        elif pieces:
            pieces[-1].text = f"{pieces[-1].text} {line.strip()}".strip()
        else:
            header.append(line.strip())
    pieces = [p for p in pieces if p.text]
    if not pieces:
        raise InputError(path, "no 'Speaker  0:00' heads with text found")
    if header:
        pieces[0].meta["header"] = header
    return pieces


def read_docx_text(path: Path) -> str:
    """The paragraphs of a .docx file as lines of text."""
    try:
        import docx  # python-docx
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise InputError(path, "reading .docx needs python-docx (pip install python-docx)") from exc
    try:
        document = docx.Document(str(path))
    except Exception as exc:  # python-docx raises zipfile/KeyError/ValueError subclasses
        raise InputError(path, f"not a readable .docx file ({type(exc).__name__})") from exc
    lines: list[str] = []
    for para in document.paragraphs:
        lines.extend(para.text.split("\n"))
    for table in document.tables:  # some exports put speaker/time/text in a table
        for row in table.rows:
            cells = [c.text.strip() for c in row.cells]
            if len(cells) >= 2 and cells[-1]:
                lines.append(f"{cells[0]}: {cells[-1]}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------
# Tables: CSV/TSV and JSON records


def _norm(name: str) -> str:
    return re.sub(r"[\s\-.]+", "_", str(name).strip().lower())


def resolve_columns(columns: Sequence[str], overrides: dict[str, str], path: str) -> dict[str, str]:
    """Map roles (session, speaker, role, text, turn, utterance, start, end) to the table's column names."""
    by_norm = {_norm(c): c for c in columns}
    out: dict[str, str] = {}
    for role, name in overrides.items():
        if name not in columns:
            raise InputError(path, f"no column {name!r} (columns: {', '.join(map(str, columns))})")
        out[role] = name
    for role, aliases in COLUMN_ALIASES.items():
        if role in out:
            continue
        taken = set(out.values())
        for alias in aliases:
            if alias in by_norm and by_norm[alias] not in taken:
                out[role] = by_norm[alias]
                break
    # utterance_id is a turn id alias (AnnoMI numbers its turns so); it is an utterance id only
    # when a separate turn id column exists.
    if out.get("utterance") and out.get("turn") == out.get("utterance"):
        del out["utterance"]
    if "role" in out and out["role"] == out.get("speaker"):
        del out["role"]
    if "text" not in out:
        raise InputError(
            path,
            f"no text column (looked for {', '.join(COLUMN_ALIASES['text'])}); name it with --text-col",
        )
    if "speaker" not in out:
        raise InputError(
            path,
            f"no speaker column (looked for {', '.join(COLUMN_ALIASES['speaker'][:4])}, ...); "
            "name it with --speaker-col",
        )
    return out


def pieces_from_records(records: Iterable[dict[str, Any]], cols: dict[str, str], path: str) -> list[Piece]:
    """Rows of a table (dicts) to pieces, keeping every other column in ``meta``."""
    pieces: list[Piece] = []
    used = set(cols.values())
    n_empty = 0
    for row in records:
        text = _cell(row.get(cols["text"]))
        if not text:
            n_empty += 1
            continue
        speaker = _cell(row.get(cols["speaker"])) or "unknown"
        meta = {c: v for c, v in row.items() if c not in used}
        if "role" in cols:
            meta["_role"] = _cell(row.get(cols["role"]))
        pieces.append(
            Piece(
                speaker=speaker,
                text=text,
                start=parse_time(row.get(cols["start"])) if "start" in cols else None,
                end=parse_time(row.get(cols["end"])) if "end" in cols else None,
                turn_key=_cell(row.get(cols["turn"])) if "turn" in cols else None,
                utt_id=_cell(row.get(cols["utterance"])) if "utterance" in cols else None,
                session=_cell(row.get(cols["session"])) if "session" in cols else None,
                meta=meta,
            )
        )
    if n_empty:
        warnings.warn(f"{path}: skipped {n_empty} row(s) with empty text", stacklevel=3)
    if not pieces:
        raise InputError(path, "the table has no rows with text")
    return pieces


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value != value:  # NaN
        return ""
    text = str(value).strip()
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    return text


def parse_table(text: str, path: str, fmt: str, options: ReadOptions) -> list[Piece]:
    """CSV or TSV with one row per turn or per utterance; delimiter sniffed for .csv."""
    if fmt == "tsv":
        delimiter = "\t"
    else:
        try:
            delimiter = csv.Sniffer().sniff(text[:20000], delimiters=",;\t|").delimiter
        except csv.Error:
            delimiter = ","
    try:
        reader = csv.DictReader(io.StringIO(text), delimiter=delimiter, strict=True)
        rows = list(reader)
        columns = reader.fieldnames or []
    except csv.Error as exc:
        raise InputError(path, f"malformed {fmt.upper()} ({exc})") from exc
    if not columns:
        raise InputError(path, "the table has no header row")
    bad = next((k for k, r in enumerate(rows) if None in r), None)
    if bad is not None:
        raise InputError(path, f"row {bad + 2} has more fields than the header")
    cols = resolve_columns(columns, options.columns, path)
    return pieces_from_records(rows, cols, path)


def parse_json(text: str, path: str, options: ReadOptions) -> list[Piece]:
    """A JSON list of turns, ``{"turns"|"utterances": [...]}``, Whisper/WhisperX ``{"segments": [...]}``, or JSON Lines."""
    try:
        data = json.loads(text)
    except ValueError:
        try:
            data = [json.loads(ln) for ln in text.split("\n") if ln.strip()]
        except ValueError as exc:
            raise InputError(path, f"invalid JSON ({exc})") from exc
    if isinstance(data, dict):
        for key in ("segments", "turns", "utterances", "transcript", "results"):
            if isinstance(data.get(key), list):
                data = data[key]
                break
        else:
            raise InputError(path, "JSON object has no 'segments', 'turns' or 'utterances' list")
    if not isinstance(data, list) or not data or not all(isinstance(d, dict) for d in data):
        raise InputError(path, "JSON must be a non-empty list of objects (turns or segments)")
    columns = sorted({k for d in data for k in d})
    if not any(_norm(c) in COLUMN_ALIASES["speaker"] for c in columns) and "speaker" not in options.columns:
        raise InputError(path, "JSON segments carry no speaker (diarize first, e.g. with WhisperX)")
    cols = resolve_columns(columns, options.columns, path)
    # WhisperX leaves out "speaker" on segments it could not attribute: they continue the previous one.
    last = None
    records = []
    for d in data:
        d = dict(d)
        d.pop("words", None)
        if d.get(cols["speaker"]) in (None, ""):
            d[cols["speaker"]] = last
        last = d.get(cols["speaker"])
        records.append(d)
    if records and records[0].get(cols["speaker"]) in (None, ""):
        raise InputError(path, "the first segment has no speaker, so its speaker is unknown")
    return pieces_from_records(records, cols, path)


# ---------------------------------------------------------------------------------------------------
# Pieces to sessions


def build_sessions(pieces: list[Piece], path: str, options: ReadOptions, default_id: str) -> list[Session]:
    """Group pieces by session, merge them into turns, assign roles, and number turns and utterances."""
    by_session: dict[str, list[Piece]] = {}
    for p in pieces:
        by_session.setdefault(p.session or default_id, []).append(p)
    sessions = []
    for sid, group in by_session.items():
        where = path if len(by_session) == 1 else f"{path} [session {sid}]"
        turns = _merge_turns(group, options)
        speaker_texts: dict[str, list[str]] = {}
        for t in turns:
            speaker_texts.setdefault(t.speaker, []).append(t.text)
        labelled = _roles_from_column(group)
        if labelled and options.practitioner is None and options.client is None:
            roles = _complete_roles(labelled, speaker_texts, where)
        else:
            roles = assign_roles(
                speaker_texts, source=where, practitioner=options.practitioner, client=options.client
            )
        for t in turns:
            t.role = roles[t.speaker]
        meta: dict[str, Any] = {"format": options.fmt}
        if group[0].meta.get("header"):
            meta["header"] = group[0].meta.pop("header")
        sessions.append(Session(id=sid, source=path, turns=turns, meta=meta))
    return sessions


def _roles_from_column(group: list[Piece]) -> dict[str, str]:
    out: dict[str, str] = {}
    for p in group:
        role = p.meta.get("_role")
        if role:
            out.setdefault(p.speaker, role)
    return out


def _complete_roles(labelled: dict[str, str], speaker_texts: dict[str, list[str]], where: str) -> dict[str, str]:
    """Roles given by a role column; values are read with the label vocabulary."""
    roles = {}
    for speaker in speaker_texts:
        value = labelled.get(speaker, "")
        roles[speaker] = role_from_label(value) or ("other" if value else "")
    if "practitioner" not in roles.values() or "client" not in roles.values():
        return assign_roles(speaker_texts, source=where)
    return {s: r or "other" for s, r in roles.items()}


def _merge_turns(pieces: list[Piece], options: ReadOptions) -> list[Turn]:
    """Consecutive pieces of one speaker (or, where ids are given, pieces sharing a turn id) form a turn."""
    groups: list[list[Piece]] = []
    index: dict[str, int] = {}
    for p in pieces:
        if p.turn_key is not None and p.turn_key != "":
            if p.turn_key in index and groups[index[p.turn_key]][0].speaker == p.speaker:
                groups[index[p.turn_key]].append(p)
            else:
                index[p.turn_key] = len(groups)
                groups.append([p])
        elif groups and groups[-1][-1].speaker == p.speaker and not groups[-1][-1].turn_key:
            groups[-1].append(p)
        else:
            groups.append([p])
    turns = []
    seen_ids: set[str] = set()
    for k, group in enumerate(groups, start=1):
        tid = group[0].turn_key or str(k)
        if tid in seen_ids:
            tid = f"{tid}_{k}"
        seen_ids.add(tid)
        text = ""
        utterances = []
        for j, p in enumerate(group, start=1):
            if text:
                text += " "
            begin = len(text)
            text += p.text
            if options.utterances == "given":
                meta = {c: v for c, v in p.meta.items() if c != "_role"}
                utterances.append(Utterance(p.utt_id or f"{tid}.{j}", p.text, begin, len(text), meta=meta))
        starts = [p.start for p in group if p.start is not None]
        ends = [p.end for p in group if p.end is not None]
        meta = {c: v for c, v in group[0].meta.items() if c not in ("_role", "header")}
        turn = Turn(
            id=tid,
            speaker=group[0].speaker,
            role="",
            text=text,
            start=min(starts) if starts else None,
            end=max(ends) if ends else None,
            utterances=utterances,
            meta=meta,
        )
        if options.utterances == "given":
            turn.meta["utterances_given"] = True
        turns.append(turn)
    return turns


# ---------------------------------------------------------------------------------------------------
# Public entry points


def read_transcript(path: str | Path, **options: Any) -> list[Session]:
    """Read one transcript file into Sessions (one for most files; one per session id for tables).

    Keyword options are those of ReadOptions: ``fmt``, ``practitioner``, ``client``, ``utterances``
    (``"auto"`` or ``"given"``) and ``columns`` (e.g. ``{"text": "utt"}``). Raises InputError with the
    file and the problem when it cannot be read.
    """
    opts = options.pop("read_options", None) or ReadOptions(**options)
    path = Path(path)
    where = str(path)
    if opts.fmt is not None and opts.fmt not in FORMATS:
        raise InputError(where, f"unknown format {opts.fmt!r} (choose from {', '.join(FORMATS)})")
    if opts.utterances not in ("auto", "given"):
        raise InputError(where, f"--utterances must be 'auto' or 'given', not {opts.utterances!r}")
    if not path.exists():
        raise InputError(where, "no such file")
    if path.is_dir():
        raise InputError(where, "is a directory, not a transcript file")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(where, f"cannot be read ({exc.strerror or exc})") from exc
    if not raw.strip():
        raise InputError(where, "file is empty")
    fmt = opts.fmt
    if fmt is None and path.suffix.lower() == ".docx":
        fmt = "docx"
    if fmt == "docx" or (fmt is None and raw[:4] == b"PK\x03\x04"):
        text = read_docx_text(path)
        if not text.strip():
            raise InputError(where, "the .docx file holds no text")
        inner = detect_format(Path("x.txt"), text)
        fmt_used = "docx"
    else:
        text = decode_bytes(raw, where)
        inner = fmt or detect_format(path, text)
        fmt_used = inner
    opts = ReadOptions(**{**opts.__dict__, "fmt": fmt_used})
    if inner == "text":
        pieces = parse_text(text, where)
    elif inner in ("vtt", "srt"):
        pieces = parse_cues(text, where, inner)
    elif inner == "otter":
        pieces = parse_otter(text, where)
    elif inner in ("csv", "tsv"):
        pieces = parse_table(text, where, inner, opts)
    elif inner == "json":
        pieces = parse_json(text, where, opts)
    else:  # pragma: no cover - FORMATS is checked above
        raise InputError(where, f"unsupported format {inner!r}")
    return build_sessions(pieces, where, opts, default_id=path.stem)
