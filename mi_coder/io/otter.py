"""Otter/Teams exports: a ``Speaker Name  0:01`` line, then that speaker's text."""

from __future__ import annotations

import re
from typing import Sequence

from ..errors import InputError
from .base import Piece, parse_time
from .text import _TEXT_LINE

_OTTER_HEAD = re.compile(r"^(?P<name>\S.{0,60}?)\s{2,}(?P<ts>\d{1,2}:\d{2}(?::\d{2})?)\s*$|"
                         r"^(?P<name2>\S.{0,60}?)\s+(?P<ts2>\d{1,2}:\d{2}(?::\d{2})?)\s*$")


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


def _looks_like_otter(lines: Sequence[str]) -> bool:
    heads = [ln for ln in lines if _OTTER_HEAD.match(ln.rstrip()) and ":" not in ln.split()[0]]
    labelled = [ln for ln in lines if _TEXT_LINE.match(ln)]
    return len(heads) >= 2 and len(heads) >= len(labelled)
