"""Caption formats: WebVTT (Zoom ``Name:``, Teams ``<v Name>``) and SRT (``Name:`` or ``[SPEAKER_00]:``)."""

from __future__ import annotations

import re
from typing import Sequence

from ..errors import InputError
from ..roles import role_from_label
from .base import _TIME, Piece, parse_time

_CUE_TIMING = re.compile(
    r"^\s*(\d{1,3}:\d{1,2}(?::\d{1,2})?[.,]\d{1,3})\s*-->\s*(\d{1,3}:\d{1,2}(?::\d{1,2})?[.,]\d{1,3})(?:\s+.*)?$"
)


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
