"""Speaker-labelled plain text: ``T: ...``, ``[00:01:23] PO: ...``, ``Jane Smith: ...``."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from ..errors import InputError
from ..roles import role_from_label
from .base import EXPORT_FOOTER, Piece, looks_like_name, note_overlap, parse_time, strip_non_speech

_TS = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?"


# A speaker label: a name ("Jane Smith", "Dr. Jane Doe", "SPEAKER_00", "Doe, Jane" as meeting tools write "Last,
# First"), in square brackets or not ("[SPEAKER_00]"), with qualifiers in brackets ("Mother [family]", "Interpreter
# (Spanish)", "Dr. Jane Doe (PO)") that are not a time.
_QUALIFIER = rf"\s*[\[(](?!{_TS}[\])])[^\[\]()\n]{{1,30}}[\])]"
_NAME_PART = r"[^\W\d][\w.'’ -]{0,40}?"
_LABEL = (rf"(?P<label>\[{_NAME_PART}\]|{_NAME_PART}(?:,\s[A-Z][\w.'’-]*(?:\s[A-Z][\w.'’-]*)?)?"
          rf"(?:{_QUALIFIER}){{0,2}})")
# A clock time before the label may say AM or PM ("10:15:03 AM Officer: ..."); a time after it may go without brackets
# when it has seconds ("Nurse 00:00:35: ..."; "At 10:30: we met" stays words).
_TEXT_LINE = re.compile(
    rf"^\s*(?:[\[(]?(?P<ts>{_TS})(?:\s?(?P<ampm>[AaPp]\.?[Mm]\.?)(?=[\s\])]))?[\])]?\s*[-–]?\s*)?"
    rf"(?:\*\*)?{_LABEL}(?:\*\*)?"
    rf"\s*(?:[\[(](?P<ts2>{_TS})[\])]|(?P<ts3>\d{{1,2}}:\d{{2}}:\d{{2}}(?:[.,]\d+)?))?\s*(?:\*\*)?:(?:\*\*)?(?:\s+|$)"
    rf"(?P<text>.*)$"
)
# A name, a time in brackets and the words, without a colon ("Jane Doe [00:00:03] Good morning", as Trint writes it).
_NAME_TIME_LINE = re.compile(
    rf"^\s*(?P<ts>)(?P<label>[A-Z][\w.'’-]*(?:\s[A-Z][\w.'’-]*){{0,3}})\s+\[(?P<ts2>{_TS})\]\s+(?P<text>\S.*)$")
# A time in brackets that opens a turn's text ("Jane: [00:00:01] Hi ...", as some services write it).
_TEXT_TS = re.compile(rf"^[\[(](?P<ts>{_TS})[\])]\s*(?P<text>.*)$")
# A line that is only a time (Google Meet writes one every so often between the turns), or a time in brackets or
# with seconds before text that continues a turn. "10:30 is too late" is speech and keeps its time.
_BARE_TS = re.compile(rf"^\s*(?:[\[(](?P<ts>{_TS})[\])]|(?P<tss>\d{{1,2}}:\d{{2}}:\d{{2}}(?:[.,]\d+)?)|(?P<only>{_TS})\s*$)"
                      r"\s*(?P<text>.*)$")
# The closing line of a Google Meet transcript ("Meeting ended after 01:02:03", since 2025 "Transcription ended
# after 00:01:41"): not speech, and nor is anything after it that no speaker says (Meet's "This editable transcript
# was computer generated and might contain errors...").
_FOOTER = EXPORT_FOOTER


# A line whose label is empty (": Mm-hmm.", a hand edit that lost the name): an unnamed speaker's words, kept and not
# coded, never the previous speaker's.
UNNAMED = "Unnamed speaker"
_UNNAMED_LINE = re.compile(r"^\s*(?P<label>):\s*(?P<ts>)(?P<ts2>)(?P<text>[^\W\d_\s].*)$")  # not ":)" or ":30"


def _line_time(match: re.Match) -> str | float | None:
    """The time of a labelled line's match: before or after the label; a clock time with AM or PM in seconds
    since midnight (12:00:41 PM after 11:59:50 AM, not 11 hours before it)."""
    groups = match.groupdict()
    ts = groups.get("ts") or groups.get("ts2") or groups.get("ts3")
    ampm = (groups.get("ampm") or "").replace(".", "").lower()
    seconds = parse_time(ts) if ampm and ts else None
    if seconds is None:
        return ts
    hours = seconds // 3600
    if ampm == "pm" and hours < 12:
        seconds += 12 * 3600
    elif ampm == "am" and hours == 12:
        seconds -= 12 * 3600
    return seconds


def _label(match: re.Match) -> str:
    """The speaker label of a ``_TEXT_LINE`` match, without the brackets around a whole label ("[SPEAKER_00]")."""
    label = match.group("label").strip() or UNNAMED
    return label[1:-1].strip() if label.startswith("[") and label.endswith("]") else label


NO_SPEAKERS = "no speaker-labelled lines found (expected lines like 'T: ...' or 'Client: ...')"


def no_speakers(first_line: str) -> str:
    """Why a text transcript gave no speaker: ``NO_SPEAKERS``, or what the file is where it is a caption format
    mi-coder does not read (XML captions: YouTube's srv3, TTML)."""
    head = first_line.lstrip("\ufeff").strip().lower()
    if head.startswith(("<?xml", "<timedtext", "<tt ", "<tt>", "<transcript")):
        return ("XML captions (YouTube srv3 or TTML) are not read: download the captions as VTT or SRT (yt-dlp "
                "--sub-format vtt) and read those")
    return NO_SPEAKERS


def parse_text(text: str, path: str) -> list[Piece]:
    """Speaker-labelled text: ``T: ...``, ``[00:01:23] PO: ...``, ``Jane Smith: ...``.

    A label counts as a speaker when its vocabulary names a role or it labels two or more lines; other
    lines (no label, or a one-off ``Note:``) continue the previous turn. Lines before the first
    speaker line are kept in the session's ``meta['header']``.
    """
    lines = text.split("\n")
    unnamed = [k + 1 for k, line in enumerate(lines) if _UNNAMED_LINE.match(line)]
    if unnamed:
        import warnings

        warnings.warn(f"{path}: line(s) {', '.join(map(str, unnamed[:5]))}{' ...' if len(unnamed) > 5 else ''} "
                      f"open with ':' and no speaker name: read as {UNNAMED!r} (kept, not coded); put the name back "
                      "to code them", stacklevel=2)
    if numbered_lines(lines):
        lines = [unnumbered(line) for line in lines]
    pieces = list(iter_text_pieces(lines, speaker_labels(lines, path)))
    if not pieces:
        raise InputError(path, no_speakers(next((line for line in lines if line.strip()), "")))
    return pieces


_NUMBERED = re.compile(r"^\s*(?P<n>\d{1,5})(?:\t|\s{1,4}(?=\S)|\s*$)")


def numbered_lines(lines: Iterable[str], sample: int = 80) -> bool:
    """Whether a transcript numbers its lines, as research transcripts do ("1\tINTERVIEWER: Good morning..."):
    from the first numbered line on (a header above it may not be numbered), at least five of the next lines, four
    in five of them, counting up by one."""
    numbers = []
    filled = 0
    for line in lines:
        if not line.strip():
            continue
        m = _NUMBERED.match(line)
        if not numbers and not m:
            continue
        filled += 1
        if m:
            numbers.append(int(m.group("n")))
        if filled >= sample:
            break
    steps = sum(b == a + 1 for a, b in zip(numbers, numbers[1:]))
    return len(numbers) >= 5 and len(numbers) >= 0.8 * filled and steps >= 0.8 * (len(numbers) - 1)


def unnumbered(line: str) -> str:
    """A line without its line number (``numbered_lines``); a line that is only a number is empty."""
    m = _NUMBERED.match(line)
    return line[m.end():] if m else line


def _misspelled(once: set[str], speakers: set[str]) -> dict[str, str]:
    """Labels used once that read as a speaker's label misspelled ("Aisah Khan" beside "Aisha Khan": one or two letters
    swapped, left out or wrong in a name of five letters or more), each with the label it seems to mean."""
    import difflib

    out = {}
    for label in once:
        if len(label) < 5:
            continue
        close = difflib.get_close_matches(label.casefold(), [s.casefold() for s in speakers], n=1, cutoff=0.8)
        if close:
            out[label] = next(s for s in speakers if s.casefold() == close[0])
    return out


def speaker_labels(lines: Iterable[str], path: str = "") -> set[str]:
    """The labels that count as speakers: named by the role vocabulary, or labelling two or more lines, or a
    capitalised name labelling one line after the first speaker's (a third person who speaks once: an interpreter,
    a relative), which a header line ("Date: ...", above the talk) or a note ("Note: ...") is not. Such a one-off
    speaker is said in a warning (its words are kept but not coded: "Rule One: ..." may be speech)."""
    counts: dict[str, int] = {}
    first_at: dict[str, int] = {}
    first_text: dict[str, str] = {}
    for k, line in enumerate(lines):
        m = _TEXT_LINE.match(line) or _NAME_TIME_LINE.match(line)
        if m and len(re.sub(_QUALIFIER, "", _label(m)).split()) <= 4:
            label = _label(m)
            counts[label] = counts.get(label, 0) + 1
            first_at.setdefault(label, k)
            first_text.setdefault(label, m.group("text").strip())
    speakers = {lab for lab, n in counts.items() if n >= 2 or role_from_label(lab)}
    talking = [first_at[lab] for lab, n in counts.items() if n >= 2]
    if talking:
        # A research transcript's header names the people before the talk ("Interviewer: DW", "Participant ID: P07"):
        # a role label used once, above the first line of anyone who speaks twice, with a few words and no sentence
        # end, is a header line, not a speaker.
        speakers -= {lab for lab in speakers if counts[lab] == 1 and first_at[lab] < min(talking)
                     and len(first_text[lab].split()) <= 4 and not first_text[lab].endswith((".", "?", "!"))}
    if speakers:
        talk_starts = min(first_at[lab] for lab in speakers)
        once = {lab for lab in counts if lab not in speakers and first_at[lab] > talk_starts and looks_like_name(lab)}
        if once:
            import warnings

            typos = _misspelled(once, speakers)
            # a trainer's audit: "Aisah Khan:" was told to lose its colon, giving the nurse's words to the patient
            if typos:
                warnings.warn(f"{path}: " + ", ".join(f"{lab!r} (one line) looks like {right!r} misspelled"
                                                      for lab, right in sorted(typos.items()))
                              + ": correct the label to code the line as theirs (as it stands it is a speaker of its "
                              "own)", stacklevel=2)
            rest = once - set(typos)
            if rest:
                warnings.warn(f"{path}: {', '.join(repr(lab) for lab in sorted(rest))} label(s) one line each and are "
                              "read as other speakers (kept, not coded); if a line is speech ('Rule One: ...'), the "
                              "words belong to the speaker before it: remove the colon", stacklevel=2)
        speakers |= once
    return speakers


# A timecode inside a turn's words ("I still need the [00:00:16] pay stubs": Descript writes one every few seconds)
# times the word after it: it is kept through the clean-up as a mark, and the turn is cut there into pieces of the
# same speaker (one turn still), each starting at its time, so that utterances inside long turns get times.
_INLINE_TIME = re.compile(r"\[(\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?)\]")
_TIME_MARK = re.compile(r"\s*\x00([\d.]+)\x00\s*")


def _marked(text: str) -> str:
    """``text`` with its inline timecodes as marks that ``strip_non_speech`` keeps (``_timed_pieces`` reads them)."""
    if "[" not in text:
        return text

    def mark(m: re.Match) -> str:
        seconds = parse_time(m.group(1))
        return f" \x00{seconds}\x00 " if seconds is not None else " "

    return _INLINE_TIME.sub(mark, text)


def _timed_pieces(piece: Piece) -> Iterator[Piece]:
    """A piece cut at its time marks: each part starts at its mark, and ends where the next begins."""
    if "\x00" not in piece.text:
        yield piece
        return
    parts = _TIME_MARK.split(piece.text)  # text, time, text, time, text...
    texts, times = parts[0::2], [float(t) for t in parts[1::2]]
    starts = [piece.start, *times]
    out = []
    for k, (text, start) in enumerate(zip(texts, starts)):
        text = " ".join(text.split())
        if not text:
            continue
        meta = piece.meta if not out else {c: v for c, v in piece.meta.items() if c == "_role"}
        out.append(Piece(piece.speaker, text, start=start, end=None, turn_key=piece.turn_key, meta=meta))
        later = [t for t in starts[k + 1:] if t is not None]
        if later and (start is None or later[0] >= start):
            out[-1].end = later[0]
    if not out:
        piece.text = ""
        out = [piece]
    if piece.end is not None:
        out[-1].end = piece.end
    yield from out


def _said(piece: Piece) -> bool:
    """Whether a piece holds words, not only time marks."""
    return bool(_TIME_MARK.sub(" ", piece.text).strip())


def iter_text_pieces(lines: Iterable[str], speakers: set[str]) -> Iterator[Piece]:
    """``_text_pieces`` with each piece cut at its inline timecodes (``_timed_pieces``)."""
    for piece in _text_pieces(lines, speakers):
        yield from _timed_pieces(piece)


def _text_pieces(lines: Iterable[str], speakers: set[str]) -> Iterator[Piece]:
    """The pieces of ``parse_text``, one at a time, each once its continuation lines are read (lines
    without their ``\\n``); the first carries the header lines in ``meta['header']``."""
    piece: Piece | None = None
    header: list[str] = []
    carried: dict = {}  # the meta of a labelled line that held only a non-speech note ("Client: [crosstalk]")
    noted = False  # the current piece's words were all such notes: it is left out, not read as a silent turn
    footer = False  # past a closing line: unlabelled lines are the footer's, not the last speaker's
    for line in lines:
        if not line.strip():
            continue
        m = _TEXT_LINE.match(line) or _NAME_TIME_LINE.match(line) or _UNNAMED_LINE.match(line)
        if m and (_label(m) in speakers or _label(m) == UNNAMED):
            if piece is not None:
                if _said(piece) or not noted:
                    yield piece
                else:
                    carried = {**piece.meta, **carried}
            ts = _line_time(m)
            text = m.group("text").strip()
            after = _TEXT_TS.match(text)
            if after:  # "Jane: [00:00:01] Hi": the time is the turn's start, not words
                ts, text = ts or after.group("ts"), after.group("text")
            first = piece is None
            footer = False
            piece = note_overlap(Piece(_label(m), strip_non_speech(_marked(text)), start=parse_time(ts)), text)
            noted = bool(text.strip()) and not _said(piece)
            if first and header:
                piece.meta["header"] = header
            if carried:
                piece.meta.update(carried)
                carried = {}
        elif piece is not None:
            if footer or _FOOTER.match(line):
                footer = True
                piece.meta.setdefault("footer", []).append(line.strip())
                continue
            bare = _BARE_TS.match(line)
            body = bare.group("text") if bare else line
            if bare and not piece.text and piece.start is None:  # "Name:" alone, then "[00:00:00] Morning..."
                piece.start = parse_time(bare.group("ts") or bare.group("tss") or bare.group("only"))
            piece.text = f"{piece.text} {strip_non_speech(_marked(body.strip()))}".strip()
            note_overlap(piece, body)
        else:
            header.append(line.strip())
    if piece is not None and (_said(piece) or not noted):
        yield piece
