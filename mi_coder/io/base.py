"""What every transcript reader shares: the ``Piece`` record, reading options, decoding and times."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from ..errors import InputError

FORMATS = ("text", "vtt", "srt", "sbv", "otter", "csv", "tsv", "json", "docx")


def require_file(path: str | Path, what: str = "a file") -> Path:
    """``path`` as a Path, or InputError when there is no such file or it is a directory (``what``: what was
    expected there, for the message)."""
    path = Path(path)
    if not path.exists():
        raise InputError(path, "no such file")
    if path.is_dir():
        raise InputError(path, f"is a directory, not {what}")
    return path


_EXTENSIONS = {
    ".txt": "text",
    ".text": "text",
    ".md": "text",
    ".vtt": "vtt",
    ".srt": "srt",
    ".sbv": "sbv",
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".json": "json",
    ".jsonl": "json",
    ".docx": "docx",
}


# Column aliases for tables (normalised: lower case, spaces and dashes as underscores).
def normalize_column(name: object) -> str:
    """A column name as the aliases spell them: lower case, words joined by "_" ("Session ID", "session-id",
    "SessionID" and "sessionId" are all "session_id"; "MITI Code" is "miti_code"), "#" as "number" ("Turn #")."""
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", str(name).strip())
    text = re.sub(r"[\s\-.]+", "_", text.lower().replace("#", " number"))
    return re.sub(r"_+", "_", text).strip("_")


def shared_span(start: float, end: float, n: int) -> list[tuple[float, float]]:
    """``n`` words' (start, end) when a span of speech is shared among them by count (no word times given)."""
    step = (end - start) / max(n, 1)
    return [(round(start + step * i, 3), round(start + step * (i + 1), 3)) for i in range(n)]


COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "session": ("session_id", "transcript_id", "conv_id", "conversation_id", "session", "dialog_id",
                "dialogue_id", "interview_id", "file_id", "file_name", "filename", "session_number", "session_no",
                "transcript_number", "recording_id", "call_id", "video_id"),
    # who the session is with, where sessions are numbered per person (participant 7's session 1): with a session
    # column, the two together name the session; without one, the person's rows are the session (MIBot)
    "participant": ("participant_id", "subject_id", "client_id", "patient_id", "person_id", "user_id", "pid"),
    "speaker": ("speaker", "interlocutor", "speaker_name", "speaker_label", "participant", "author", "name",
                "role", "speaker_role", "tier"),
    "role": ("role", "speaker_role", "interlocutor"),
    "text": ("text", "utterance_text", "utt_text", "utterance", "content", "transcript", "sentence", "line",
             "annotation", "dialogue", "statement", "words", "verbatim"),
    "turn": ("turn_id", "utterance_id", "turn", "turn_index", "turn_number", "turn_no"),
    "utterance": ("utt_id", "utterance_id", "segment_id"),
    # ELAN's tab-delimited export names its time columns "Begin Time - hh:mm:ss.ms" and "Begin Time - ss.msec"
    "start": ("start", "start_time", "begin", "timestamp", "time", "start_s", "start_sec", "start_seconds",
              "begin_time", "begin_time_hh:mm:ss_ms", "begin_time_ss_msec"),
    "end": ("end", "end_time", "stop", "end_s", "end_sec", "end_seconds", "end_time_hh:mm:ss_ms",
            "end_time_ss_msec"),
}


# A piece's meta key for the times of its words as the source gives them (ASR word lists): one (start, end) or None
# per whitespace-separated word of its text. ``reader._word_times`` uses them instead of sharing the piece's span.
WORD_TIMES = "_word_times"


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
    practitioner: str | tuple[str, ...] | None = None  # the practitioner's speaker label, or several (co-facilitators)
    client: str | tuple[str, ...] | None = None  # the client's, or several (a family or couple session)
    utterances: str = "auto"  # "auto": segment turns; "given": one input row/piece = one utterance
    captions: str = "auto"  # boundary model for unpunctuated turns: "auto" (when no sentence marks), "on", "off"
    practitioner_id: str | None = None  # who the practitioner is (for trends), when the transcript does not name them
    columns: dict[str, str] = field(default_factory=dict)  # role -> column name overrides
    role_check: bool = True  # False: the role-clarification checklist does not apply (session.meta["role_check"])


def decode_bytes(raw: bytes, path: str) -> str:
    """Decode a transcript file: UTF-8 (with or without BOM), UTF-16 (BOM or not), cp1252, or a mix; Mac Roman
    where lines end with CR alone (classic Mac and Excel for Mac's "CSV (Macintosh)") and the bytes are not UTF-8.

    Mixed files (mostly UTF-8 with some cp1252 text, as happens when transcripts are pasted together)
    keep every UTF-8 character and read the other bytes as cp1252. Binary data raises InputError.
    """
    if not raw.strip():
        raise InputError(path, "file is empty")
    encoding = _encoding(raw, path)
    if encoding == "utf-8-sig":  # a UTF-8 mark does not make every line UTF-8: cp1252 lines decode as such
        return _check_text(_decode_mixed(raw[3:]), path)
    if encoding != "mixed":
        text = raw.decode(encoding, errors="replace")
        _warn_replaced(text, encoding, path)
        return _check_text(text, path)
    return _check_text(_decode_mixed(raw), path)


def _warn_replaced(text: str, encoding: str, path: str) -> None:
    """A UTF-16 file cut short or damaged: its bad bytes are shown as U+FFFD and said so, not a crash."""
    import warnings

    if encoding.startswith("utf-16") and "\ufffd" in text:
        warnings.warn(f"{path}: {text.count(chr(0xFFFD))} place(s) are not valid UTF-16 (the file may be cut short "
                      "or damaged); shown as \ufffd", stacklevel=3)


def _encoding(raw: bytes, path: str) -> str:
    """How ``decode_bytes`` decodes a file, from its first 4,000 bytes: ``utf-8-sig``, ``utf-16`` (BOM),
    ``utf-16-le``, ``utf-16-be``, ``mac_roman`` (lines ended by CR alone, not UTF-8) or ``mixed`` (UTF-8, the
    bytes that are not UTF-8 as cp1252)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    head = raw[:4000]
    if b"\x00" in head:
        even, odd = head[0::2], head[1::2]
        if odd.count(0) > 0.3 * len(odd) and even.count(0) < 0.05 * len(even):
            return "utf-16-le"
        if even.count(0) > 0.3 * len(even) and odd.count(0) < 0.05 * len(odd):
            return "utf-16-be"
        if raw.startswith(b"PK\x03\x04"):  # a zip: a workbook or a .docx read as text (train reads tables so)
            from .docx import _not_docx

            raise InputError(path, _not_docx(Path(path), ValueError("zip")))
        raise InputError(path, "looks like a binary file, not a transcript")
    if b"\r" in head and b"\n" not in head and not _is_utf8(head):
        # Lines ended by CR alone are the classic Mac's, which Excel for Mac still writes ("CSV (Macintosh)"), in
        # Mac Roman: read as cp1252 its accents turn into other letters and quotes ("María" as "Mar'a").
        return "mac_roman"
    return "mixed"


def _is_utf8(head: bytes) -> bool:
    """Whether the first bytes of a file are UTF-8 (a character cut by the end of the sample allowed)."""
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as e:
        return e.start >= len(head) - 3 and e.reason == "unexpected end of data"
    return True


def _cp1252_fallback(error: UnicodeError) -> tuple[str, int]:
    """The codec error handler of ``_decode_mixed``: bytes that are not UTF-8 read as cp1252."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return error.object[error.start:error.end].decode("cp1252", errors="replace"), error.end


codecs.register_error("mi_coder.cp1252", _cp1252_fallback)


def _decode_mixed(raw: bytes) -> str:
    """UTF-8, with the bytes that are not UTF-8 read as cp1252 (a valid UTF-8 file decodes as such).

    Pasted-together transcripts mix the two even within a line ("café" from one source beside a cp1252
    curly quote from another): each UTF-8 sequence keeps its character, and only the bytes that cannot be
    UTF-8 are read as cp1252, so neither half turns into mojibake ("cafÃ©")."""
    return raw.decode("utf-8", errors="mi_coder.cp1252")


READ_BLOCK = 1 << 20  # bytes read at a time by ``iter_lines``


def iter_lines(path: str | Path, where: str, block: int | None = None) -> Iterator[str]:
    """The lines of ``decode_bytes(file)``, each with its ``"\\n"`` (the last may have none), read and decoded
    a block at a time: the lines of ``io.StringIO(decode_bytes(raw))``, without holding the file.

    Raises InputError as ``decode_bytes`` does (binary data, no text); the caller checks first that the
    file is not empty.
    """
    block = block or READ_BLOCK
    with open(path, "rb") as f:
        head = f.read(max(block, 4096))  # _encoding looks at the first 4,000 bytes
        encoding = _encoding(head, where)
        sample = ""  # the first 4,000 characters, which _check_text looks at
        has_text = False
        carry = ""
        for chunk in _decoded_blocks(f, head, encoding, block):
            if len(sample) < 4000:
                sample += chunk[:4000 - len(sample)]
                if len(sample) == 4000 and sample.strip():  # else "no text" may be the error
                    _check_controls(sample, where)
            has_text = has_text or bool(chunk.strip())
            text = carry + chunk
            held = ""
            if text.endswith("\r"):  # it may begin a \r\n that the next block ends
                text, held = text[:-1], "\r"
            lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
            carry = lines.pop() + held
            for line in lines:
                yield line + "\n"
        if not has_text:
            raise InputError(where, "file holds no text")
        _check_controls(sample, where)
        lines = carry.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        last = lines.pop()
        for line in lines:
            yield line + "\n"
        if last:
            yield last


def _decoded_blocks(f: BinaryIO, head: bytes, encoding: str, block: int) -> Iterator[str]:
    """The text of an open file (``head`` already read from it) a block at a time, as ``decode_bytes``
    decodes it."""
    if encoding == "utf-8-sig":
        head, encoding = head[3:], "mixed"
    if encoding != "mixed":
        decoder = codecs.getincrementaldecoder(encoding)("replace")
        data, bad = head, 0
        while data:
            text = decoder.decode(data)
            bad += text.count("\ufffd")
            yield text
            data = f.read(block)
        text = decoder.decode(b"", final=True)
        _warn_replaced(text + "\ufffd" * bad, encoding, getattr(f, "name", "file"))
        yield text
        return
    pending = b""
    data = head
    while data:
        pending += data
        cut = pending.rfind(b"\n") + 1  # whole lines only: no UTF-8 sequence is cut between two blocks
        if cut:
            yield _decode_mixed(pending[:cut])
            pending = pending[cut:]
        data = f.read(block)
    if pending:
        yield _decode_mixed(pending)


def _check_text(text: str, path: str) -> str:
    if not text.strip():
        raise InputError(path, "file holds no text")
    if text.lstrip("\ufeff \t\r\n").startswith("{\\rtf"):  # markup would be coded as speech ("...today?\\par")
        raise InputError(path, "a Rich Text (RTF) file: save it as plain text (.txt) or .docx and read that")
    if text.startswith("%PDF-"):
        raise InputError(path, "a PDF file: export its text (plain .txt) and read that")
    _check_controls(text[:4000], path)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _check_controls(sample: str, path: str) -> None:
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\n\r\f")
    if controls > 0.01 * len(sample) + 2:
        raise InputError(path, "looks like a binary file, not a transcript")


_DECIMAL_COMMA = re.compile(r"^\d+,(?:\d{1,2}|\d{4,})$")
# A person's name as a speaker label: one to four capitalised words ("Interpreter Ana", "Dr. Lee", "Mary-Jo O'Neil").
_NAME = re.compile(r"^(?:[A-Z][\w.'’-]*)(?:\s+[A-Z][\w.'’-]*){0,3}$")


# Capitalised words that open a line of a transcript without naming anyone ("Note: ...", "Music: ...", "Okay: ...").
_NOT_NAMES = {"note", "notes", "music", "applause", "laughter", "laughs", "inaudible", "crosstalk", "silence", "pause",
              "summary", "question", "answer", "okay", "ok", "so", "well", "yes", "no", "yeah", "also", "example",
              "reminder", "warning", "update", "translation", "transcript", "caption", "captions", "subtitle"}


# Transcribers' and captioners' notes that are not speech: "[Music]", "[Laughter]", "(laughs)", "[inaudible 00:01:31]",
# "[crosstalk 00:01:40]", "[BLANK_AUDIO]", and the music notes of captions. Read as words they would be coded; as
# labels, "[Music]" twice would be a speaker.
NON_SPEECH = re.compile(
    r"\s*(?:[\[(]\s*(?:music|applause|laugh(?:s|ing|ter)?|chuckl\w*|inaudible|unintelligible|indiscernible|crosstalk|"
    r"cross-talk|overlapping(?: speech)?|over ?talk|talking over(?: each other)?|simultaneous speech|"
    r"interrupt(?:s|ed|ing|ion)?|silence|pause|long pause|noise|background noise|static|foreign|"
    r"cough(?:s|ing)?|sigh(?:s|ing)?|sniff(?:s|ing|les)?|cr(?:ies|ying)|clears throat|blank_audio|no audio|beep|"
    r"phone rings?|door \w+|sound|video|audio|sil|speak(?:s|ing) (?:in )?[A-Z]\w+|in (?:spanish|arabic|french|"
    r"portuguese|mandarin|cantonese|russian|vietnamese|somali|haitian creole|creole|polish|tagalog|korean|farsi|"
    r"hindi|urdu|punjabi)|foreign language|non-english)\b[^\[\]()\n]{0,40}[\])]|[♪♫]+|"
    r"\[\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?\])\s*",  # a timecode inside the words (Descript's every few seconds)
    re.I,
)
# The notes among them that say two people spoke at once ("[crosstalk 00:01:40]", "[overlapping speech]", "(talking
# over each other)", "(interrupts)"): dropped from the words like the others, but the turn they were in is marked
# (``OVERLAP`` in its meta) and counted as cut off (``scoring``'s interruptions), as a turn ending in a dash is.
OVERLAP_NOTE = re.compile(r"[\[(]\s*(?:(?:crosstalk|cross-talk|overlapping(?: speech)?|over ?talk|talking over|"
                          r"simultaneous speech)\b|interrupt(?:s|ed|ing|ion)?\s*[\d:.]*\s*[\])])", re.I)
# ("(interrupts)" alone is the other speaker cutting in; "(interrupted by a phone call)" is not, and is only dropped)
OVERLAP = "_overlap"

# Lines export tools add before or after the talk, never said by anyone: Google Meet's closing ("Meeting ended
# after 01:02:03", "Transcription ended after ..."), Otter's "Transcribed by https://otter.ai", Rev's "This
# transcript was exported on ...", Teams' "Jane Doe stopped transcription", Sonix's promotional lines.
EXPORT_FOOTER = re.compile(
    r"(?i)^\s*(?:(?:meeting|transcription) ended after \d|transcribed by https?://(?:www\.)?otter\.ai"
    r"|this transcript was exported on\b"
    r"|[A-Z][\w.'’-]+(?:\s[A-Z][\w.'’-]+){1,3}\s(?:stopped|started) transcription\s*$"
    r"|sonix has many features\b|try sonix\b|.{0,200}\bwas automatically transcribed by sonix\b"
    r"|.{0,120}\btranscript powered by sonix\b)")


def note_overlap(piece: Piece, raw: str) -> Piece:
    """``piece`` marked (``OVERLAP``) where its source text ``raw`` held a transcriber's note of overlapping talk."""
    if ("[" in raw or "(" in raw) and OVERLAP_NOTE.search(raw):
        piece.meta[OVERLAP] = True
    return piece


def strip_non_speech(text: str) -> str:
    """``text`` without transcribers' non-speech notes (``NON_SPEECH``), spaces collapsed where one was cut out."""
    if "[" not in text and "(" not in text and "♪" not in text and "♫" not in text:
        return text
    return " ".join(NON_SPEECH.sub(" ", text).split())


def looks_like_name(label: str) -> bool:
    """Whether a ``Label:`` that occurs once reads as a person who speaks once (an interpreter, a relative) rather
    than a note: one to four capitalised words, not an annotation or discourse word. Captions and labelled text use
    it once the talk has begun."""
    label = re.sub(r"\s*[\[(][^\[\]()]*[\])]", "", label).strip()  # "Interpreter (Spanish)", "Mother [family]"
    return bool(label) and bool(_NAME.match(label)) and label.split()[0].lower().rstrip(".") not in _NOT_NAMES


_TIME = re.compile(r"^\s*(?:(\d{1,3}):)?(\d{1,2}):(\d{1,2}(?:[.,]\d+)?)\s*$")


def parse_time(value: Any) -> float | None:
    """Seconds from '01:02:03', '1:02:03.5', '02:03', '0:0:5.230', '00:00:01,000', a number or a decimal-comma
    number ('4,25'); None for anything else."""
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
        # rounded to the microsecond: 1 * 60 + 33.24 is 93.24000000000001 in binary floating point
        return round(h * 3600 + int(m.group(2)) * 60 + float(m.group(3).replace(",", ".")), 6)
    if _DECIMAL_COMMA.match(text):  # "4,2" from a European spreadsheet ("1,234" stays unread: a thousands mark?)
        text = text.replace(",", ".")
    try:
        return float(text)
    except ValueError:
        return None
