"""Speaker-labelled plain text: ``T: ...``, ``[00:01:23] PO: ...``, ``Jane Smith: ...``."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from ..errors import InputError
from ..roles import role_from_label
from .base import Piece, looks_like_name, parse_time

_TS = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?"


_TEXT_LINE = re.compile(
    rf"^\s*(?:[\[(]?(?P<ts>{_TS})[\])]?\s*[-–]?\s*)?"
    r"(?:\*\*)?(?P<label>[^\W\d][\w.'’() -]{0,40}?)(?:\*\*)?"
    rf"\s*(?:[\[(](?P<ts2>{_TS})[\])])?\s*(?:\*\*)?:(?:\*\*)?(?:\s+|$)(?P<text>.*)$"
)


_BARE_TS = re.compile(rf"^\s*[\[(]?(?P<ts>{_TS})[\])]?\s*(?P<text>.*)$")


NO_SPEAKERS = "no speaker-labelled lines found (expected lines like 'T: ...' or 'Client: ...')"


def parse_text(text: str, path: str) -> list[Piece]:
    """Speaker-labelled text: ``T: ...``, ``[00:01:23] PO: ...``, ``Jane Smith: ...``.

    A label counts as a speaker when its vocabulary names a role or it labels two or more lines; other
    lines (no label, or a one-off ``Note:``) continue the previous turn. Lines before the first
    speaker line are kept in the session's ``meta['header']``.
    """
    lines = text.split("\n")
    pieces = list(iter_text_pieces(lines, speaker_labels(lines)))
    if not pieces:
        raise InputError(path, NO_SPEAKERS)
    return pieces


def speaker_labels(lines: Iterable[str]) -> set[str]:
    """The labels that count as speakers: named by the role vocabulary, or labelling two or more lines, or a
    capitalised name labelling one line after the first speaker's (a third person who speaks once: an interpreter,
    a relative), which a header line ("Date: ...", above the talk) or a note ("Note: ...") is not."""
    counts: dict[str, int] = {}
    first_at: dict[str, int] = {}
    for k, line in enumerate(lines):
        m = _TEXT_LINE.match(line)
        if m and len(m.group("label").split()) <= 4:
            label = m.group("label").strip()
            counts[label] = counts.get(label, 0) + 1
            first_at.setdefault(label, k)
    speakers = {lab for lab, n in counts.items() if n >= 2 or role_from_label(lab)}
    if speakers:
        talk_starts = min(first_at[lab] for lab in speakers)
        speakers |= {lab for lab in counts if first_at[lab] > talk_starts and looks_like_name(lab)}
    return speakers


def iter_text_pieces(lines: Iterable[str], speakers: set[str]) -> Iterator[Piece]:
    """The pieces of ``parse_text``, one at a time, each once its continuation lines are read (lines
    without their ``\\n``); the first carries the header lines in ``meta['header']``."""
    piece: Piece | None = None
    header: list[str] = []
    for line in lines:
        if not line.strip():
            continue
        m = _TEXT_LINE.match(line)
        if m and m.group("label").strip() in speakers:
            if piece is not None:
                yield piece
            ts = m.group("ts") or m.group("ts2")
            first = piece is None
            piece = Piece(m.group("label").strip(), m.group("text").strip(), start=parse_time(ts))
            if first and header:
                piece.meta["header"] = header
        elif piece is not None:
            bare = _BARE_TS.match(line)
            body = bare.group("text") if bare and bare.group("text") else line
            piece.text = f"{piece.text} {body.strip()}".strip()
        else:
            header.append(line.strip())
    if piece is not None:
        yield piece
