"""Caption formats: WebVTT (Zoom ``Name:``, Teams ``<v Name>``, YouTube auto-captions) and SRT (``Name:`` or
``[SPEAKER_00]:``)."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from ..errors import InputError
from ..roles import role_from_label
from .base import _TIME, WORD_TIMES, Piece, looks_like_name, note_overlap, parse_time, shared_span, strip_non_speech

_CUE_TIMING = re.compile(
    r"^\s*(\d{1,3}:\d{1,2}(?::\d{1,2})?[.,]\d{1,3})\s*-->\s*(\d{1,3}:\d{1,2}(?::\d{1,2})?[.,]\d{1,3})(?:\s+.*)?$"
)


_VOICE = re.compile(r"<v(?:\.[\w.]+)?\s+([^>]+)>(.*?)(?:</v>|$)", re.DOTALL)


_TAG = re.compile(r"</?[a-zA-Z][^>]*>|\{\\[^{}]*\}")  # <i>, <v Name>...; SRT positioning such as {\an8}


# Word timings inside a cue (``so<00:00:01.140><c> what</c>``): YouTube auto-captions carry one per word.
_INLINE_TIME = re.compile(r"<\d{1,3}:\d{2}(?::\d{2})?\.\d{3}>")
# A damaged word timing ("<00:00:1.59>") or a tag cut off at the end of a line ("after a<00:0", "<v Ali"): markup, not
# words, even when it cannot be read.
_BROKEN_MARKUP = re.compile(r"<\d[\d:.,]*>|<[\d/a-zA-Z][^<>]*$")


# ">>" opens a new speaker's talk in broadcast and YouTube captions ("&gt;&gt;" in WebVTT; ">>>" a new topic).
_CHANGE = re.compile(r"\s*(?<!\d)>>>?\s*")  # not the end of a word timing followed by ">>"


_PREFIX = re.compile(
    r"^\s*(?:-\s*)?(?:\[(?P<b>[^\]\n]{1,40})\]\s*:?|\((?P<p>[^)\n]{1,40})\)\s*:|(?P<n>[^\W\d][^:\n]{0,40}?)\s*:"
    # a phone number, as Zoom names a participant who dialled in ("+1 (555) 201-3344: ...")
    r"|(?P<ph>\+\d[\d ()\-.]{5,20}\d|\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4})\s*:)\s*(?P<t>.*)$",
    re.DOTALL,
)


# YouTube's SubViewer captions (.sbv): "0:00:03.120,0:00:06.958" above each cue's lines, a blank line between cues.
_SBV_TIMING = re.compile(r"^\s*(\d{1,2}:\d{2}:\d{2}\.\d{1,3}),(\d{1,2}:\d{2}:\d{2}\.\d{1,3})\s*$")


def is_sbv(text: str) -> bool:
    """Whether ``text`` is SubViewer captions: its first non-empty line is an SBV cue timing."""
    first = next((line for line in text.lstrip("\ufeff").split("\n") if line.strip()), "")
    return bool(_SBV_TIMING.match(first))


def sbv_to_srt(text: str) -> str:
    """SubViewer captions as SRT (numbered cues, ``-->`` timings), which ``parse_cues`` reads. A line number in an
    error counts the cue numbers added, one line per cue above it."""
    out, k = [], 0
    for line in text.lstrip("\ufeff").split("\n"):
        m = _SBV_TIMING.match(line)
        if m:
            k += 1
            out += [str(k), f"{m.group(1)} --> {m.group(2)}"]
        else:
            out.append(line)
    return "\n".join(out)


def _split_speaker(text: str) -> tuple[str | None, str]:
    """``'Jane: hi'`` -> ('Jane', 'hi'); ``'[SPEAKER_00]: hi'`` -> ('SPEAKER_00', 'hi'); else (None, text)."""
    m = _PREFIX.match(text)
    if not m:
        return None, text
    name = (m.group("b") or m.group("p") or m.group("n") or m.group("ph") or "").strip()
    if not name or len(name.split()) > 5 or _TIME.match(name):
        return None, text
    return name, m.group("t").strip()


def _untag(line: str, fmt: str) -> str:
    """A cue line without style tags (word timings are kept) and, in WebVTT, with ``&gt;`` etc. decoded."""
    line = _TAG.sub("", line)
    return html.unescape(line) if fmt == "vtt" else line


def _words(text: str) -> str:
    """Cue text without word timings (or damaged markup) and non-speech notes ("[Music]"), spaces collapsed."""
    return strip_non_speech(" ".join(_BROKEN_MARKUP.sub("", _INLINE_TIME.sub("", text)).split()))


def _last_time(text: str, default: float | None) -> float | None:
    """The last word timing in ``text`` (seconds), else ``default``."""
    times = _INLINE_TIME.findall(text)
    return parse_time(times[-1][1:-1]) if times else default


def _timed_words(raw: str, start: float | None, end: float | None) -> list[tuple[float, float] | None] | None:
    """A start and end for each word of ``_words(raw)``: a word timing (YouTube's ``<00:00:01.140>``) starts the
    words after it and ends those before it; words between two times (or the cue's start and end) share that span
    by count. So each cue's words keep the cue's own times when cues without a speaker name join one turn, and
    YouTube's words their own. None when the words cannot be matched one for one (the reader then shares the
    piece's span), or when nothing is timed."""
    stamps = [parse_time(t[1:-1]) for t in _INLINE_TIME.findall(raw)]
    bounds = [start, *stamps, end]
    out: list[tuple[float, float] | None] = []
    for j, segment in enumerate(_INLINE_TIME.split(raw)):
        words = _words(segment).split()
        a, b = bounds[j], bounds[j + 1]
        if a is None or b is None or b < a:
            out.extend([None] * len(words))
            continue
        out.extend(shared_span(a, b, len(words)))
    if len(out) != len(_words(raw).split()) or all(t is None for t in out):
        return None
    return out


def _add_words(piece: Piece, text: str, times: list[tuple[float, float] | None] | None) -> None:
    """``text`` said after ``piece``'s text by the same speaker, with its words' times (``_timed_words``)."""
    before = len(piece.text.split())
    kept = piece.meta.get(WORD_TIMES)
    piece.text = f"{piece.text} {text}".strip()
    if times is None and kept is None:
        return
    kept = kept if kept is not None and len(kept) == before else [None] * before
    times = times if times is not None and len(times) == len(text.split()) else [None] * len(text.split())
    piece.meta[WORD_TIMES] = kept + times


def _repeated(previous: Sequence[str], lines: Sequence[str]) -> int:
    """How many leading lines of a rolling-caption cue repeat the last lines of the previous cue.

    YouTube auto-captions show two lines that roll up: each cue repeats the line before its new words, and
    a 10 ms cue between two re-shows the finished line alone.
    """
    for k in range(min(len(previous), len(lines)), 0, -1):
        if list(previous[-k:]) == list(lines[:k]):
            return k
    return 0


def _rolls(lines: Sequence[str], fmt: str) -> bool:
    """Whether the captions roll up: most cues open with the last line of the cue before (YouTube auto-captions
    converted without their word timings, as ``yt-dlp --convert-subs srt`` writes them, and the 10 ms cues that
    re-show a finished line). Then repeated lines are read once, as with word timings."""
    cues: list[list[str]] = []
    for line in lines:
        if "-->" in line:
            cues.append([])
        elif cues and line.strip() and not line.strip().isdigit():
            words = " >> ".join(_CHANGE.split(_words(_untag(line, fmt))))
            if words:
                cues[-1].append(words)
    cues = [c for c in cues if c]
    if len(cues) < 4:
        return False
    repeats = sum(1 for a, b in zip(cues, cues[1:]) if _repeated(a, b))
    return repeats >= 0.5 * (len(cues) - 1)


# Microsoft Teams (older downloads and the Graph transcript API) writes cue times unpadded, "0:0:6.90 --> 0:0:13.320",
# where the digits after the dot are whole milliseconds: 6.90 is 6.090 s. A file whose cue times leave minutes or
# seconds unpadded is read that way; padded WebVTT times ("00:00:06.900") are always three digits.


def _unpadded_ms(text: str) -> bool:
    """Whether the cue times are Teams' unpadded ones (some timing with a one-digit minute or second field)."""
    return bool(re.search(r"^\s*\d{1,3}:(?:\d:\d{1,2}|\d{1,2}:\d)[.,]\d{1,3}\s*-->", text, re.M))


def _cue_time(value: str, unpadded: bool) -> float | None:
    if not unpadded:
        return parse_time(value)
    whole, _, ms = value.replace(",", ".").partition(".")
    seconds = parse_time(whole)
    return None if seconds is None else round(seconds + int(ms or 0) / 1000, 6)


def _check_timing(start_text: str, end_text: str, path: str, line_no: int) -> None:
    """A cue time whose minutes or seconds reach 60 is not a time ("00:00:75.240"): the file is damaged."""
    for value in (start_text, end_text):
        fields = re.split(r"[:]", value.replace(",", "."))
        if any(float(f) >= 60 for f in fields[1:]):
            raise InputError(path, f"line {line_no}: impossible cue time '{value}' (minutes and seconds run to 59)")


def _opens_with_space_line(lines: Sequence[str], i: int) -> bool:
    """Whether ``lines[i]``, right after a cue timing, is the one-space line YouTube auto-captions open a cue
    with (the cue text follows), rather than a blank line ending an empty cue (the next cue follows)."""
    if i >= len(lines) or not lines[i] or lines[i].strip():
        return False
    after = lines[i + 1:i + 3]
    return bool(after) and bool(after[0].strip()) and not any("-->" in ln for ln in after)


def _cue_speakers(lines: Sequence[str], fmt: str) -> set[str]:
    """Names in ``Name:`` cue prefixes that are speakers: used twice or more, a role word, ``Speaker N``, or, once
    other cues name speakers, a capitalised name opening a cue line (a third person who speaks once: an
    interpreter, a relative), which ordinary caption text does not look like."""
    counts: dict[str, int] = {}
    for line in lines:
        for part in _CHANGE.split(_words(_untag(line, fmt))):
            name, _ = _split_speaker(part)
            if name:
                counts[name] = counts.get(name, 0) + 1
    speakers = {n for n, c in counts.items() if c >= 2 or role_from_label(n) or re.match(r"(?i)speaker[ _]?\d+$", n)}
    if speakers:
        speakers |= {n for n in counts if looks_like_name(n)}
    return speakers


def _once_named(lines: Sequence[str], fmt: str, speakers: set[str]) -> list[str]:
    """Speakers named in a single cue line only (a third person, or a wrapped line of speech that begins "Name:")."""
    counts: dict[str, int] = {}
    for line in lines:
        for part in _CHANGE.split(_words(_untag(line, fmt))):
            name, _ = _split_speaker(part)
            if name in speakers:
                counts[name] = counts.get(name, 0) + 1
    return sorted(n for n, c in counts.items() if c == 1 and not role_from_label(n))


def _joined(cue: Sequence[str], speakers: set[str]) -> str:
    """A cue's lines as one text; a line that opens with a speaker's name starts a new part (``>>``), so two
    speakers in one cue ("Therapist: ..." / "Client: ...", or SRT's "- Nurse: ..." / "- Patient: ...") stay apart."""
    out = ""
    for line in cue:
        name, _ = _split_speaker(_words(line))
        out = f"{out} >> {line}" if out and name in speakers else f"{out} {line}" if out else line
    return out


def parse_cues(text: str, path: str, fmt: str) -> list[Piece]:
    """WebVTT or SRT cues; the speaker comes from ``<v Name>``, ``Name:`` or ``[SPEAKER_00]:``.

    A cue without a speaker continues the previous speaker (captions split long speech into cues). In
    captions that name no one, ``>>`` marks a speaker change and the speakers alternate as "Speaker 1" and
    "Speaker 2" (two-person talk, as in YouTube auto-captions); where cues do name speakers, ``>>`` is
    dropped. Rolling captions with word timings (YouTube) are read once: repeated lines are left out.
    """
    pieces: list[Piece] = []
    lines = text.split("\n")
    speakers = _cue_speakers(lines, fmt)
    once = _once_named(lines, fmt, speakers)
    if once:
        import warnings

        warnings.warn(f"{path}: {', '.join(repr(n) for n in once)} label(s) one caption line each and are read as "
                      "other speakers (kept, not coded); if a line is speech that wrapped after a name ('Marcus: one "
                      "more late...'), the words belong to the speaker before it: remove the colon", stacklevel=2)
    alternate = not speakers and _CHANGE.search(html.unescape(text) if fmt == "vtt" else text) is not None
    rolling = (fmt == "vtt" and _INLINE_TIME.search(text) is not None) or _rolls(lines, fmt)
    unpadded = fmt == "vtt" and _unpadded_ms(text)  # Teams' "0:0:6.90": milliseconds after the dot
    backwards: list[int] = []  # lines of cues that end before they start
    shown: list[str] = []  # the lines of the previous cue, for rolling captions
    change = False  # a ">>" was read and no piece has started since
    i = 0
    n = len(lines)
    if fmt == "vtt":
        if not lines[0].lstrip("\ufeff").startswith("WEBVTT"):
            if not any("-->" in line for line in lines[:200]):
                raise InputError(path, "not a WebVTT file (first line must be 'WEBVTT', and no cue timing "
                                       "'00:00:01.000 --> 00:00:04.000' was found)")
            import warnings

            warnings.warn(f"{path}: no 'WEBVTT' first line (a header lost in copying?); read as captions from its "
                          "cue timings", stacklevel=2)
        while i < n and lines[i].strip() and "-->" not in lines[i]:
            i += 1  # header block (ended by a blank line, or by a first cue's timing written without one)
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
            if fmt == "vtt" and "-->" in block[-1] and _opens_with_space_line(lines, i):
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
        _check_timing(m.group(1), m.group(2), path, block_start + timing_at + 1)
        start, end = _cue_time(m.group(1), unpadded), _cue_time(m.group(2), unpadded)
        if start is not None and end is not None and end < start:
            backwards.append(block_start + timing_at + 1)
            end = start
        body = "\n".join(block[timing_at + 1:]).strip()
        if not body:
            continue
        voices = _VOICE.findall(body)
        if voices:
            for name, said in voices:
                raw = _untag(said, fmt)
                said = _words(raw)
                if said:
                    timed = _timed_words(raw, start, end)
                    pieces.append(note_overlap(Piece(name.strip(), said, start, end,
                                                     meta={WORD_TIMES: timed} if timed else {}), raw))
            continue
        cue = [ln for ln in (_untag(b, fmt) for b in block[timing_at + 1:]) if _words(ln)]
        if rolling:
            seen, shown = shown, [" >> ".join(_CHANGE.split(_words(ln))) for ln in cue]  # spacing at ">>" varies
            cue = cue[_repeated(seen, shown):]
        parts = _CHANGE.split(_joined(cue, speakers) if speakers else " ".join(cue))
        # A speaker change inside a cue happens at the word timing before its ">>"; without word timings, the cue's
        # time is shared by the parts' words ("- Nurse: ... - Patient: ..." in one SRT cue).
        spoken = [len(_split_speaker(_words(p))[1].split()) for p in parts]  # words said, not the names
        total = sum(spoken) or 1
        times = [start]
        for k in range(1, len(parts)):
            at = _last_time(" ".join(parts[:k]), None)
            if at is None and start is not None and end is not None:
                at = round(start + (end - start) * sum(spoken[:k]) / total, 3)
            times.append(at if at is not None else start)
        times.append(end)
        for k, raw in enumerate(parts):
            change = change or (k > 0 and bool(pieces))
            part = _words(raw)
            if not part:
                continue
            timed = _timed_words(raw, times[k], times[k + 1])
            speaker, said = _split_speaker(part)
            if speaker is not None and speaker not in speakers:
                speaker, said = None, part
            if speaker is None and alternate and (change or not pieces):
                speaker = "Speaker 2" if pieces and pieces[-1].speaker == "Speaker 1" else "Speaker 1"
            if speaker is None:
                if not pieces:
                    pieces.append(Piece("", part, times[k], times[k + 1], meta={WORD_TIMES: timed} if timed else {}))
                else:
                    _add_words(pieces[-1], part, timed)
                    pieces[-1].end = times[k + 1]
                note_overlap(pieces[-1], raw)
                continue
            if said:
                if said != part:  # the name takes no share of the cue's time
                    timed = _timed_words(_split_speaker(raw.strip())[1], times[k], times[k + 1])
                    timed = timed if timed is not None and len(timed) == len(said.split()) else None
                pieces.append(note_overlap(Piece(speaker, said, times[k], times[k + 1],
                                                 meta={WORD_TIMES: timed} if timed else {}), raw))
                change = False
    if backwards:
        import warnings

        warnings.warn(f"{path}: {len(backwards)} cue(s) end before they start (first at line {backwards[0]}); each "
                      "is read as ending where it starts", stacklevel=2)
    last = next((ln for ln in reversed(lines) if ln.strip()), "")
    if re.search(r"<[\d/a-zA-Z][^<>]*$", last):
        import warnings

        warnings.warn(f"{path}: the last cue ends inside a tag ('{last.strip()[-30:]}'): is the file cut off? The "
                      "unfinished tag is left out", stacklevel=2)
    if not pieces:
        raise InputError(path, "no cues with text found")
    if all(not p.speaker for p in pieces):
        raise InputError(
            path, "cues carry no speaker names ('Name: ...' or '<v Name>') and no '>>' speaker changes; "
            "diarize the transcript first"
        )
    if not pieces[0].speaker:  # a recording started before the captioner knew the names: kept, not coded
        from .text import UNNAMED

        opening = 0
        for p in pieces:
            if p.speaker:
                break
            p.speaker = UNNAMED
            opening += 1
        import warnings

        warnings.warn(f"{path}: the first {opening} cue(s) name no speaker: read as {UNNAMED!r} (kept, not coded); "
                      "add the name ('Name: ...') to code them", stacklevel=2)
    if alternate and len({p.speaker for p in pieces}) > 1:
        import warnings

        warnings.warn(f"{path}: the captions name no one, so the speakers alternate at each '>>' mark (Speaker 1, "
                      "Speaker 2); one missed or extra mark swaps every later turn: check the roles through the "
                      "session, or diarize the recording", stacklevel=2)
    return pieces
