"""Otter/Teams exports: a ``Speaker Name  0:01`` line, then that speaker's text."""

from __future__ import annotations

import re
from collections import Counter
from typing import Sequence

from ..errors import InputError
from ..roles import role_from_label
from .base import EXPORT_FOOTER, Piece, looks_like_name, note_overlap, parse_time, strip_non_speech
from .captions import _cue_time, _unpadded_ms
from .text import _TEXT_LINE, UNNAMED

_OTTER_HEAD = re.compile(r"^(?P<name>\S.{0,60}?)(?:\s+[-–])?\s{2,}(?P<ts>\d{1,2}:\d{2}(?::\d{2})?)\s*$|"
                         r"^(?P<name2>\S.{0,60}?)(?:\s+[-–])?\s+(?P<ts2>\d{1,2}:\d{2}(?::\d{2})?)\s*$")


# The line Otter appends to its exports; kept in the session's metadata, never coded as speech.
_FOOTER = EXPORT_FOOTER


# A cue timing above a name (the older Teams .docx layout: "0:0:0.0 --> 0:0:5.320", then the name, then the words).
_TIMING = re.compile(r"^\s*(?P<start>\d{1,3}:\d{1,2}(?::\d{1,2})?(?:[.,]\d{1,3})?)\s*-->\s*"
                     r"(?P<end>\d{1,3}:\d{1,2}(?::\d{1,2})?(?:[.,]\d{1,3})?)\s*$")


# A head with the time first ("00:00:03 Jane Doe", "0:03 - Jane Doe", "[00:00:03.12] - Jane Doe", as Grain, Fathom and
# Happy Scribe write them), the words on the lines below.
_TIME_FIRST_HEAD = re.compile(r"^\s*\[?(?P<ts>\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?)\]?\s*(?:[-–]\s*)?"
                              r"(?P<name>[A-Z][\w.'’-]*(?:\s[A-Z][\w.'’-]*){0,3})\s*$")


# Zoom's saved transcript: a name in brackets, then the clock time ("[Jane Doe] 14:00:03").
_ZOOM_HEAD = re.compile(r"^\s*\[[^\]\d][^\]]*\]\s+\d{1,2}:\d{2}:\d{2}\s*$")


_BARE_HEAD = re.compile(r"^\s*(?P<ts>\d{1,2}:\d{2}(?::\d{2})?)\s*$")


def _name_heads(lines: Sequence[str]) -> dict[int, tuple[str, str | None]]:
    """Heads that are a name alone on its line (Otter exported without timestamps; older Teams .docx exports, with
    the cue timing on the line above): at least two names, each heading two or more blocks, each followed by words."""
    filled = [i for i, line in enumerate(lines) if line.strip()]
    found: dict[int, str] = {}
    for k, i in enumerate(filled):
        name = lines[i].strip()
        if (len(name.split()) <= 4 and ":" not in name and name[-1] not in ".?!,;-" and looks_like_name(name)
                and k + 1 < len(filled) and not _TIMING.match(lines[filled[k + 1]])):
            found[i] = name
    counts = Counter(found.values())
    names = {name for name, n in counts.items() if n >= 2}
    if len(names) < 2:
        return {}
    heads: dict[int, tuple[str, str | None]] = {}
    for k, i in enumerate(filled):
        if found.get(i) in names and (k + 1 < len(filled) and filled[k + 1] not in found):
            above = _TIMING.match(lines[filled[k - 1]]) if k else None
            heads[i] = (found[i], above.group("start") if above else None)
    return heads


def _heads(lines: Sequence[str]) -> dict[int, tuple[str, str | None]]:
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
            continue
        first = _TIME_FIRST_HEAD.match(line)
        if first and looks_like_name(first.group("name")):
            found[i] = (first.group("name"), first.group("ts"), False)
    names = Counter(name for name, _, _ in found.values())
    heads = {i: (name, ts) for i, (name, ts, two) in found.items()
             if two or names[name] >= 2 or (len(name.split()) <= 3 and role_from_label(name))}
    if len(heads) < 2:
        return _name_heads(lines) or heads
    for i, line in enumerate(lines):  # a head that lost its name ("  0:40"): an unnamed speaker's, not the last one's
        bare = _BARE_HEAD.match(line)
        if bare and i not in heads:
            heads[i] = (UNNAMED, bare.group("ts"))
    return heads


def parse_otter(text: str, path: str) -> list[Piece]:
    """Otter/Teams exports: a ``Speaker Name  0:01`` line, then that speaker's text until the next head."""
    pieces: list[Piece] = []
    header: list[str] = []
    lines = text.split("\n")
    footer = [ln.strip() for ln in lines if _FOOTER.match(ln)]
    heads = _heads(lines)
    unpadded = _unpadded_ms(text.replace("-->", " -->"))
    end: str | None = None
    for i, line in enumerate(lines):
        if not line.strip() or _FOOTER.match(line):
            continue
        timing = _TIMING.match(line)
        if timing and next((j for j in range(i + 1, len(lines)) if lines[j].strip()), None) in heads:
            end = timing.group("end")  # the cue timing above a name: the head's start and end
            continue
        if i in heads:
            name, ts = heads[i]
            if end is not None:  # under a cue timing: Teams' unpadded "0:0:6.90" is 6.090 s, as in its .vtt files
                pieces.append(Piece(name, "", start=_cue_time(ts, unpadded), end=_cue_time(end, unpadded)))
            else:
                pieces.append(Piece(name, "", start=parse_time(ts)))
            end = None
        elif pieces:
            pieces[-1].text = f"{pieces[-1].text} {line.strip()}".strip()
        else:
            header.append(line.strip())
    last = next((ln.strip() for ln in reversed(lines) if ln.strip()), "")
    names = {name for name, _ in heads.values()}
    if pieces and last and last not in names and len(last) >= 2 and any(n.startswith(last) for n in names):
        import warnings  # "Marcus Re": a head cut off mid-name; the file ends inside it

        warnings.warn(f"{path}: the file ends with {last!r}, the start of a speaker's head: it looks cut off (left "
                      "out of the words); check that the whole transcript was exported", stacklevel=2)
        pieces[-1].text = pieces[-1].text[: len(pieces[-1].text) - len(last)].rstrip()
    for p in pieces:  # transcribers' notes ("[inaudible 00:01:31]", "[crosstalk]", "(laughs)"), as other layouts drop them
        note_overlap(p, p.text)
        p.text = strip_non_speech(p.text)
    pieces = [p for p in pieces if p.text]  # a head with no words under it (or only a note): nothing said
    clock = [i for i, line in enumerate(lines) if i in heads and _ZOOM_HEAD.match(line)]
    if pieces and clock and len(clock) == len(heads) and (pieces[0].start or 0) >= 3600:
        # Zoom's saved transcript times its heads by the clock ("[Jane Doe] 14:00:03"): seconds from the session's
        # start, as every other reader gives them, are counted from the first head (its clock time kept in meta)
        first = pieces[0].start
        pieces[0].meta["clock_start"] = lines[clock[0]].split("]", 1)[1].strip()
        for p in pieces:
            p.start = None if p.start is None else round(p.start - first, 3)
            p.end = None if p.end is None else round(p.end - first, 3)
    unnamed = [i + 1 for i, (name, _) in heads.items() if name == UNNAMED]
    if unnamed:
        import warnings

        warnings.warn(f"{path}: line(s) {', '.join(map(str, sorted(unnamed)[:5]))} head a block with a time and no "
                      f"speaker name: read as {UNNAMED!r} (kept, not coded); put the name back to code it",
                      stacklevel=2)
    if not pieces:
        raise InputError(path, "no 'Speaker  0:00' heads with text found")
    if header or footer:
        pieces[0].meta["header"] = header + footer
    return pieces


def _looks_like_otter(lines: Sequence[str]) -> bool:
    heads = list(_heads(lines).values())
    labelled = [ln for ln in lines if _TEXT_LINE.match(ln)]
    return len(heads) >= 2 and len(heads) >= len(labelled)
