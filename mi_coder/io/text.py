"""Speaker-labelled plain text: ``T: ...``, ``[00:01:23] PO: ...``, ``Jane Smith: ...``."""

from __future__ import annotations

import re

from ..errors import InputError
from ..roles import role_from_label
from .base import Piece, parse_time

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
