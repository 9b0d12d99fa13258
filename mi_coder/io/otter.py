"""Otter/Teams exports: a ``Speaker Name  0:01`` line, then that speaker's text."""

from __future__ import annotations

import re
from collections import Counter
from typing import Sequence

from ..errors import InputError
from ..roles import role_from_label
from .base import Piece, parse_time
from .text import _TEXT_LINE

_OTTER_HEAD = re.compile(r"^(?P<name>\S.{0,60}?)\s{2,}(?P<ts>\d{1,2}:\d{2}(?::\d{2})?)\s*$|"
                         r"^(?P<name2>\S.{0,60}?)\s+(?P<ts2>\d{1,2}:\d{2}(?::\d{2})?)\s*$")


# The line Otter appends to its exports; kept in the session's metadata, never coded as speech.
_FOOTER = re.compile(r"(?i)^\s*transcribed by https?://(?:www\.)?otter\.ai\S*\s*$")


def _heads(lines: Sequence[str]) -> dict[int, tuple[str, str]]:
    """The head lines (index -> (name, time)). ``Name  0:01`` (two spaces, as Otter writes it) is always a head;
    ``Name 0:01`` (one space) only for a name that heads another line too or is a role ("Doctor"), so that a line of
    speech ending in a time ("It's tomorrow at 3:30") stays speech."""
    found = {}
    for i, line in enumerate(lines):
        m = _OTTER_HEAD.match(line.rstrip())
        if m and line.strip() and ":" not in line.split()[0]:
            two = m.group("name") is not None
            name = (m.group("name") or m.group("name2")).strip()
            if name.startswith("[") and name.endswith("]"):  # Zoom's saved transcript: "[Jane Doe] 10:00:01"
                name = name[1:-1].strip()
            found[i] = (name, m.group("ts") or m.group("ts2"), two)
    names = Counter(name for name, _, _ in found.values())
    return {i: (name, ts) for i, (name, ts, two) in found.items()
            if two or names[name] >= 2 or (len(name.split()) <= 3 and role_from_label(name))}


def parse_otter(text: str, path: str) -> list[Piece]:
    """Otter/Teams exports: a ``Speaker Name  0:01`` line, then that speaker's text until the next head."""
    pieces: list[Piece] = []
    header: list[str] = []
    lines = text.split("\n")
    footer = [ln.strip() for ln in lines if _FOOTER.match(ln)]
    heads = _heads(lines)
    for i, line in enumerate(lines):
        if not line.strip() or _FOOTER.match(line):
            continue
        if i in heads:
            name, ts = heads[i]
            pieces.append(Piece(name, "", start=parse_time(ts)))
        elif pieces:
            pieces[-1].text = f"{pieces[-1].text} {line.strip()}".strip()
        else:
            header.append(line.strip())
    pieces = [p for p in pieces if p.text]  # a head with no words under it: nothing said
    if not pieces:
        raise InputError(path, "no 'Speaker  0:00' heads with text found")
    if header or footer:
        pieces[0].meta["header"] = header + footer
    return pieces


def _looks_like_otter(lines: Sequence[str]) -> bool:
    heads = list(_heads(lines).values())
    labelled = [ln for ln in lines if _TEXT_LINE.match(ln)]
    return len(heads) >= 2 and len(heads) >= len(labelled)
