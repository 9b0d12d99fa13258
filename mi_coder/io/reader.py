"""Reading transcripts into Sessions.

Every format is read in two steps: a format module (``text``, ``captions``, ``otter``, ``docx``,
``delimited``, ``json_turns``) turns the file into ``Piece`` records (one speaker's stretch of text, with
times and ids where the source gives them), and ``build_sessions`` merges pieces into turns, assigns roles
and fills in ids. Formats are detected from content first and extension second; ``fmt=`` overrides both.
``stream_transcript`` yields the same sessions one at a time, reading large text and table files lazily.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import groupby
from pathlib import Path
from typing import Any

from ..errors import InputError, MiCoderError, SessionSkipped, UsageError
from ..records import PRACTITIONER, TIME_SLACK, Session, Turn, Utterance, clock, time_goes_back
from ..roles import (assign_roles, is_person_name, person, role_from_label, warn_pooled, warn_swapped,
                     warn_swapped_midway)
from .base import (_EXTENSIONS, COLUMN_ALIASES, FORMATS, OVERLAP, WORD_TIMES, Piece, ReadOptions, decode_bytes,
                   iter_lines, require_file, shared_span)
from .captions import is_sbv, parse_cues, sbv_to_srt
from .dates import session_date
from .delimited import elan_tier_columns, iter_table_pieces, parse_table, scan_table, sniff_delimiter
from .docx import read_docx_text
from .json_turns import parse_json
from .language import warn_not_english
from .otter import _looks_like_otter, parse_otter
from .text import iter_text_pieces, no_speakers, numbered_lines, parse_text, speaker_labels, unnumbered


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
        except RecursionError:  # JSON, nested too deeply: parse_json says so
            return "json"
        except ValueError:
            if ext == "json" or _is_jsonl(stripped):
                return "json"
    if len(first_lines) >= 2 and first_lines[0].strip().isdigit() and "-->" in first_lines[1]:
        return "srt"
    if is_sbv(stripped):
        return "sbv"
    if ext in ("csv", "tsv", "json", "vtt", "srt", "sbv"):
        return ext
    if _looks_like_tsv(first_lines):
        return "tsv"
    if _looks_like_otter(first_lines):
        return "otter"
    return "text"


def _looks_like_tsv(lines: list[str]) -> bool:
    """A tab-delimited table saved as .txt (ELAN's and spreadsheets' exports): a header that names a text column
    (``COLUMN_ALIASES``), and its number of tabs (two or more) on four in five of the first lines."""
    from .delimited import _norm, elan_tier_columns

    if len(lines) < 3 or lines[0].count("\t") < 2:
        return False
    tabs = lines[0].count("\t")
    names = lines[0].rstrip("\r\n").split("\t")
    header = {_norm(c) for c in names}
    same = sum(line.count("\t") == tabs for line in lines[:20])
    named = bool(header & set(COLUMN_ALIASES["text"])) or elan_tier_columns(names) is not None  # ELAN, tier columns
    return named and same >= 0.8 * min(len(lines), 20)


def _is_jsonl(text: str) -> bool:
    lines = [ln for ln in text.split("\n") if ln.strip()][:5]
    try:
        return all(isinstance(json.loads(ln), dict) for ln in lines)
    except (ValueError, RecursionError):
        return False


def build_sessions(pieces: list[Piece], path: str, options: ReadOptions, default_id: str) -> list[Session]:
    """Group pieces by session, merge them into turns, assign roles, and number turns and utterances."""
    by_session: dict[str, list[Piece]] = {}
    for p in pieces:
        by_session.setdefault(p.session or default_id, []).append(p)
    if len(by_session) == 1:
        return [build_session(sid, group, path, path, options) for sid, group in by_session.items()]
    return _each_built([lambda sid=sid, group=group: build_session(sid, group, f"{path} [session {sid}]", path, options)
                        for sid, group in by_session.items()])


def _each_built(builds: list[Callable[[], Any]]) -> list:
    """The results of a file's per-session builds, one session that cannot be coded (one speaker, no client) left
    out with a ``SessionSkipped`` warning that names it, so the others are coded; when none can be, the file's error
    names every session's problem (the first alone had been said: fix it, run again, and learn of the next)."""
    import warnings

    built, failed = [], []
    for build in builds:
        try:
            built.append(build())
        except MiCoderError as exc:
            failed.append(exc)
    if not built and len(failed) == 1:
        raise failed[0]
    if not built and failed:
        said = []
        for exc in failed:
            m = re.search(r" (\[session [^\]]*\])$", str(getattr(exc, "path", "") or ""))
            said.append(f"{m[1]} {getattr(exc, 'problem', exc)}" if m else str(getattr(exc, "problem", exc)))
        where = re.sub(r" \[session [^\]]*\]$", "", str(getattr(failed[0], "path", "") or "")) or None
        more = f"; and {len(said) - 5} more" if len(said) > 5 else ""
        raise InputError(where, f"none of its {len(failed)} sessions can be coded: {'; '.join(said[:5])}{more}")
    for exc in failed:
        warnings.warn(SessionSkipped(getattr(exc, "path", None), getattr(exc, "problem", str(exc))), stacklevel=3)
    return built


# The longest turn read: a real turn is a few thousand characters at most; one of megabytes is a transcript whose
# speaker changes were lost, and splitting it takes about 200 MB of memory per MB of text.
MAX_TURN_CHARS = 1_000_000


def _check_turn_size(turn: Any, speaker: str, size: int, where: str) -> None:
    if size > MAX_TURN_CHARS:
        raise InputError(where, f"turn {turn} ({speaker!r}) holds {size:,} characters, more than {MAX_TURN_CHARS:,} "
                                "(about 20 hours of speech) from one speaker without a break: the speaker changes are "
                                "missing (is the transcript diarized, its labels read?)")


def build_session(sid: str, group: list[Piece], where: str, path: str, options: ReadOptions,
                  roles: dict[str, str] | None = None, inferred: list[str] | None = None) -> Session:
    """One session's pieces merged into turns with roles (``roles``, with the ones among them ``inferred`` from
    the text; else assigned: a warning when inferred). ``meta["roles_inferred"]`` lists inferred roles."""
    _warn_bad_times(group, where)
    merged: dict[str, set[str]] = {}
    group = list(same_speaker_spelling(group, merged))
    if roles is None:  # else a first pass (a lazily read table) has said it
        _warn_spellings(merged, where)
    turns = _merge_turns(group, options, where)
    if not any(t.text.strip() for t in turns):
        raise InputError(where, NOTHING_SAID)
    longest = max(turns, key=lambda t: len(t.text))
    _check_turn_size(longest.id, longest.speaker, len(longest.text), where)
    if roles is None:
        speaker_texts: dict[str, list[str]] = {}
        for t in turns:
            speaker_texts.setdefault(t.speaker, []).append(t.text)
        inferred: list[str] = []
        labelled = _roles_from_column(group) or _roles_from_header(group[0].meta.get("header"), speaker_texts)
        roles = _session_roles(labelled, speaker_texts, where, options, inferred)
    else:  # the roles of a first pass (a lazily read table), and what it inferred
        inferred = list(inferred or [])
    for t in turns:
        t.role = roles[t.speaker]
    several = [s for s, r in roles.items() if r == PRACTITIONER]
    _warn_other_person(options.practitioner_id, several, where)
    if options.practitioner_id and len(several) > 1:
        import warnings

        warnings.warn(f"{where}: --practitioner-id {options.practitioner_id!r} names the practitioner, and "
                      f"{len(several)} speakers are the practitioner ({', '.join(map(repr, several))}): all their "
                      "utterances are credited to it in trends; name one with --practitioner NAME to keep the others "
                      "out", stacklevel=3)
    header = group[0].meta.pop("header") if group[0].meta.get("header") else None
    _warn_unlabelled_speech(header, where)
    warn_not_english(turns, where)
    _warn_times_go_back(turns, where)
    # a table's date column ("date", "session_date"), read as a labelled date line would be
    dated = next((f"Date: {v}" for k, v in group[0].meta.items()
                  if re.sub(r"[^a-z]+", "_", str(k).lower()).strip("_") in DATE_COLUMNS and str(v or "").strip()), None)
    return Session(id=sid, source=path, turns=turns,
                   meta=_session_meta(options, header, inferred, (sid, Path(path).stem), where,
                                      [dated] if dated else None))


def _warn_other_person(practitioner_id: str | None, practitioners: Sequence[str], where: str) -> None:
    """A warning where --practitioner-id names a person and the transcript names its practitioner as another person
    (no word of one name in the other): a trainer who gave one trainee's id to a folder of three trainees' sessions
    got one trend over all of them, and nothing said."""
    if not practitioner_id or not is_person_name(practitioner_id) or re.search(r"\d", practitioner_id):
        return
    def words(name: str) -> set[str]:
        return set(re.findall(r"[^\W\d_]+", person(name).casefold()))

    own = words(practitioner_id)
    others = [p for p in practitioners if is_person_name(p) and not own & words(p)]
    if others and len(others) == len(practitioners):
        import warnings

        warnings.warn(f"{where}: --practitioner-id {practitioner_id!r} credits this session to that person, but the "
                      f"transcript names its practitioner {', '.join(map(repr, others))}; give --practitioner-id only "
                      "for one practitioner's files (its trend joins every session given it)", stacklevel=3)


def _warn_times_go_back(turns: list[Turn], where: str) -> None:
    """A warning where the turns' start times go back (``time_goes_back``), saying how the scores and the report read
    them (a restart at zero had counted the second part's first minutes as the session's opening and the jump as
    an interruption, and the timeline drew both parts over each other)."""
    back = time_goes_back(turns)
    if back is None:
        return
    import warnings

    k, latest, start = back
    warnings.warn(f"{where}: the times go back at turn {turns[k].id} (from {clock(latest) or latest} to "
                  f"{clock(start) or start}: a second recording whose times restart, transcripts pasted together, "
                  "or a wrong time?); the times are kept in the tables as given, the opening's first ten minutes are "
                  "read from the times before it, no overlap is read across it, and the report's timeline goes by "
                  "turn order, without a session length", stacklevel=3)


def same_speaker_spelling(pieces: Iterable[Piece], merged: dict[str, set[str]] | None = None) -> Iterator[Piece]:
    """Pieces whose speaker labels differ only in case or spacing ("Client", "CLIENT", "client ") given the label
    first seen: one person, not several speakers pooled (or left out) by role. ``merged``, where given, collects
    each kept label's other spellings."""
    first: dict[str, str] = {}
    for p in pieces:
        key = " ".join(p.speaker.split()).casefold()
        kept = first.setdefault(key, p.speaker)
        if kept != p.speaker:
            if merged is not None:
                merged.setdefault(kept, set()).add(p.speaker)
            p.speaker = kept
        yield p


def _warn_spellings(merged: dict[str, set[str]], where: str) -> None:
    if merged:
        import warnings

        said = "; ".join(f"{', '.join(map(repr, sorted(others)))} as {kept!r}" for kept, others in merged.items())
        warnings.warn(f"{where}: speaker labels that differ only in case or spacing are read as one speaker ({said})",
                      stacklevel=3)


def _warn_bad_times(group: list[Piece], where: str) -> None:
    """A warning for times that cannot be: negative, or an end before its start (kept as given: the reports'
    timeline and the tables show them, so the user is told which)."""
    import warnings

    bad = [k for k, p in enumerate(group, 1)
           if (p.start is not None and p.start < 0) or (p.end is not None and p.end < 0)
           or (p.start is not None and p.end is not None and p.end < p.start)]
    if bad:
        warnings.warn(f"{where}: {len(bad)} row(s) or piece(s) have a negative time or end before they start (the "
                      f"first: number {bad[0]}); their times are kept as given", stacklevel=3)


# A table's columns holding the session's date (normalised: lower case, words joined by "_").
DATE_COLUMNS = frozenset({"date", "session_date", "date_of_session", "recording_date", "recorded", "recorded_on",
                          "visit_date", "interview_date"})
NOTHING_SAID = "speakers are named but nothing is said (every turn is empty)"
_KEY_VALUE = re.compile(r"^[\w .#/()-]{1,40}:\s")
_SPOKEN = re.compile(r"\b(?:i|i'm|i've|you|we|he|she|they|my|your|is|was|have|has|been|did|don't|it's|just)\b", re.I)


def _warn_unlabelled_speech(header: list[str] | None, where: str) -> None:
    """Lines above the first speaker label are the session's header (a title, "Date: ..."), not coded. One that
    reads as speech (five words or more with a pronoun or an auxiliary, not "Key: value") is said to be left
    out, never dropped silently."""
    import warnings

    speech = [line for line in header or [] if len(line.split()) >= 5 and not _KEY_VALUE.match(line)
              and _SPOKEN.search(line)]
    if speech:
        first = speech[0] if len(speech[0]) <= 60 else speech[0][:57] + "..."
        warnings.warn(f"{where}: {len(speech)} line(s) before the first speaker label are not coded (no speaker "
                      f"named), the first: {first!r}; label them ('Client: ...') to code them", stacklevel=3)


def _session_roles(labelled: dict[str, str], speaker_texts: Mapping[str, Sequence[str]], where: str,
                   options: ReadOptions, inferred: list[str] | None = None) -> dict[str, str]:
    if labelled and options.practitioner is None and options.client is None:
        return _complete_roles(labelled, speaker_texts, where, inferred)
    return assign_roles(speaker_texts, source=where, practitioner=options.practitioner, client=options.client,
                        inferred=inferred, labels=labelled or None)  # the role column still speaks for the others


def _session_meta(options: ReadOptions, header: list[str] | None, inferred: list[str] | None = None,
                  names: Sequence[str] = (), where: str = "", date_lines: list[str] | None = None) -> dict[str, Any]:
    """A session's meta: how it was read, the practitioner's id, roles inferred, its header lines and its date
    (``io.dates.session_date``: a table's date column (``date_lines``) or a labelled date line in the header, else a
    date in ``names``, the session's id and file name; a date that cannot be read one way is said in a warning)."""
    meta: dict[str, Any] = {"format": options.fmt, "captions": options.captions}
    when, problem = session_date((date_lines or []) + list(header or []), *names)
    if when:
        meta["date"] = when
    elif problem:
        import warnings

        warnings.warn(f"{where}: {problem}", stacklevel=3)
    if options.practitioner_id:
        meta["practitioner_id"] = options.practitioner_id
    if not options.role_check:
        meta["role_check"] = "off"
    if inferred:
        meta["roles_inferred"] = ", ".join(inferred)
    if header:
        meta["header"] = header
    return meta


def _roles_from_column(group: list[Piece]) -> dict[str, str]:
    """Each speaker's first value in the table's role column. Role-clarification labels ("client_role",
    "purpose;practitioner_role": the team corpus layout's ``role`` column) say what an utterance does, not who
    speaks: read as roles, a practitioner whose first label was "client_role" became the client, and the session
    was refused for having no practitioner."""
    from ..codes import ROLE_ELEMENTS

    out: dict[str, str] = {}
    for p in group:
        role = p.meta.get("_role")
        if role and not all(part.strip() in ROLE_ELEMENTS for part in str(role).split(";")):
            out.setdefault(p.speaker, role)
    return out


_HEADER_ROLE = re.compile(r"^(?P<key>[^:]{1,40}):\s*(?P<value>[^:]{1,60}?)\s*$")


def _roles_from_header(header: list[str] | None, speakers: Iterable[str]) -> dict[str, str]:
    """Roles a research transcript's header gives ("Interviewer: DW", "Participant: P07" above "DW: ..." and
    "P07: ..."): a line whose key names a role and whose value is a speaker's label (or begins with it, "DW (Dana
    Wells)"), read as a role column would be."""
    by_label = {" ".join(s.split()).casefold(): s for s in speakers}
    out: dict[str, str] = {}
    for line in header or []:
        m = _HEADER_ROLE.match(line)
        role = role_from_label(m.group("key")) if m else None
        if not m or not role:
            continue
        value = " ".join(m.group("value").split()).casefold()
        speaker = by_label.get(value) or by_label.get(re.split(r"\s*[(,;]", value, maxsplit=1)[0])
        if speaker:
            out.setdefault(speaker, m.group("key").strip())
    return out


def _complete_roles(labelled: dict[str, str], speaker_texts: Mapping[str, Sequence[str]], where: str,
                    inferred: list[str] | None = None) -> dict[str, str]:
    """Roles given by a role column; values are read with the label vocabulary."""
    roles = {}
    for speaker in speaker_texts:
        value = labelled.get(speaker, "")
        roles[speaker] = role_from_label(value) or ("other" if value else "")
    if "practitioner" not in roles.values() or "client" not in roles.values():
        # A column that gives some speakers' roles ("Probation Officer" on the officer's rows only) still gives
        # theirs; values that name no role (a column of other things called "role") are left to the labels.
        named = {s: v for s, v in labelled.items() if role_from_label(v)}
        return assign_roles(speaker_texts, source=where, inferred=inferred, labels=named or None)
    roles = {s: r or "other" for s, r in roles.items()}
    warn_swapped(roles, speaker_texts, where)  # a role column swapped, as labels can be
    warn_swapped_midway(roles, speaker_texts, where)
    warn_pooled(roles, where)  # "parent" beside "client", two officers: counted together, as with labels
    return roles


# Rows of one speaker in a row, without turn ids, past which the reader says it reads them as one turn: the longest
# AnnoMI turn holds far fewer sentences, and a coded table of one speaker's sentences (one per row) holds hundreds.
LONG_RUN_ROWS = 100


def _merge_turns(pieces: list[Piece], options: ReadOptions, where: str = "the file") -> list[Turn]:
    """Consecutive pieces of one speaker (or, where ids are given, consecutive pieces sharing a turn id and
    speaker) form a turn. A turn id that comes back after other turns starts a turn of its own, in file order,
    with a warning: merging it into the earlier turn would move speech across the conversation (two sessions
    pasted into one table without a session column look like this)."""
    import warnings

    groups: list[list[Piece]] = []
    index: dict[str, int] = {}
    repeated: list[str] = []
    # caption cues only: a coded table's or a JSON transcript's rows stay in the order the file gives them
    pieces, alone = _backchannels_after(pieces, where) if options.fmt in ("vtt", "srt", "sbv") else (pieces, set())
    for p in pieces:
        if p.turn_key is not None and p.turn_key != "":
            last = groups[-1] if groups else None
            if last is not None and last[0].turn_key == p.turn_key and last[0].speaker == p.speaker:
                last.append(p)
            else:
                if p.turn_key in index and len(repeated) < 3:
                    repeated.append(p.turn_key)
                index[p.turn_key] = len(groups)
                groups.append([p])
        elif (groups and groups[-1][-1].speaker == p.speaker and not groups[-1][-1].turn_key
              and id(p) not in alone and id(groups[-1][-1]) not in alone):
            groups[-1].append(p)
        else:
            groups.append([p])
    if repeated:
        warnings.warn(f"{where}: turn id(s) {', '.join(repeated)} come back after other turns; each is kept as a "
                      "turn of its own in file order (if the file holds several sessions, add a session_id column)",
                      stacklevel=2)
    # A table of one speaker's rows without turn ids (a researcher's sentences, one per row) became one turn of
    # every row, coded as one: a run that long is said (caption cues of a long talk are not rows of a table)
    runs = [g for g in groups if len(g) > LONG_RUN_ROWS and not g[0].turn_key]
    if runs and options.fmt not in ("vtt", "srt", "sbv"):
        warnings.warn(f"{where}: {len(runs[0])} rows in a row of speaker {runs[0][0].speaker!r} are read as one turn "
                      "(rows of one speaker in a row are one turn); if each row is a turn of its own, give the table "
                      "a turn column (turn_id, or --turn-col)", stacklevel=2)
    seen_ids: set[str] = set()
    return [_turn(k, group, options, seen_ids) for k, group in enumerate(groups, start=1)]


_BACKCHANNEL = re.compile(r"(?i)^\W*(?:(?:mm+-?hmm|m-?hm|uh-?huh|hmm+|mm+|yeah|yes|yep|right|okay|ok|sure|i see|oh|"
                          r"uh|um|wow|true|exactly|got it)\W*){1,3}$")


def _backchannels_after(pieces: list[Piece], where: str) -> tuple[list[Piece], set[int]]:
    """A timed backchannel ("mm-hmm") said inside another speaker's cue, whose next cue continues the same
    sentence, is placed after that continuation: caption cues break where the listener spoke, and the speaker's
    sentence had become two turns ("how have things been going with" | "the diabetes since we last met"), a
    question coded twice. The backchannel is kept as a turn of its own (with its own times, so it is not taken for
    an interruption), with a warning. Returns the pieces and the ids of those moved."""
    out = list(pieces)
    moved: set[int] = set()
    for i in range(1, len(out) - 1):
        before, said, after = out[i - 1], out[i], out[i + 1]
        if (said.turn_key in (None, "") and before.speaker == after.speaker != said.speaker
                and None not in (before.start, before.end, said.start) and _BACKCHANNEL.match(said.text or "")
                and before.start <= said.start and (said.end if said.end is not None else said.start) <= before.end):
            out[i], out[i + 1] = after, said
            moved.add(id(said))
    if moved:
        import warnings

        warnings.warn(f"{where}: {len(moved)} backchannel(s) ('mm-hmm') said inside the other speaker's cue are placed "
                      "after the sentence they were said over, which continues in the next cue", stacklevel=3)
    return out, moved


def _word_times(group: list[Piece]) -> list[tuple[float, float | None] | None] | None:
    """Each word of a turn's text (its pieces' words in order) with a time estimated within its piece: a timed cue,
    segment or row shares its span among its words by count. What ``io.writer`` gives an utterance as its start and
    end (closer than the turn's, when a turn is a long run of cues or one long segment); None when no piece has both
    times, or the turn is one word."""
    if sum(len(p.text.split()) for p in group) < 2 or not any(p.start is not None and p.end is not None for p in group):
        return None
    out: list[tuple[float, float] | None] = []
    for p in group:
        n = len(p.text.split())
        given = p.meta.get(WORD_TIMES)
        given = given if isinstance(given, list) and len(given) == n else [None] * n
        if p.start is not None and p.end is None and any(g is None for g in given):
            # a piece with a start and no end (a turn's last part after an inline timecode): its words start there
            out.extend(g if g is not None else (p.start, None) for g in given)
            continue
        if p.start is None or p.end is None or p.end < p.start:
            out.extend(given)
            continue
        out.extend(g if g is not None else even for g, even in zip(given, shared_span(p.start, p.end, n)))
    return out


def _turn(k: int, group: list[Piece], options: ReadOptions, seen_ids: set[str] | None) -> Turn:
    """The ``k``-th turn (from 1), of a group of pieces; ``seen_ids`` (None: no piece has a turn id, so
    the ids, ``k``, are unique) makes repeated turn ids unique."""
    tid = group[0].turn_key or str(k)
    if seen_ids is not None:
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
            meta = {c: v for c, v in p.meta.items() if c not in ("_role", WORD_TIMES, OVERLAP)}
            utterances.append(Utterance(p.utt_id or f"{tid}.{j}", p.text, begin, len(text), meta=meta))
    starts = [p.start for p in group if p.start is not None]
    ends = [p.end for p in group if p.end is not None]
    meta = {c: v for c, v in group[0].meta.items() if c not in ("_role", "header", WORD_TIMES, OVERLAP)}
    if any(p.meta.get(OVERLAP) for p in group):  # a transcriber noted crosstalk in it: counted as cut off
        meta[OVERLAP] = True
    word_times = _word_times(group)
    if word_times is not None:
        meta["_word_times"] = word_times
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
    return turn


def read_transcript(path: str | Path, **options: Any) -> list[Session]:
    """Read one transcript file into Sessions (one for most files; one per session id for tables).

    Keyword options (those of ``ReadOptions``; or pass ``read_options=ReadOptions(...)``):

    * ``fmt``: ``"text"``, ``"vtt"``, ``"srt"``, ``"sbv"``, ``"otter"``, ``"csv"``, ``"tsv"``, ``"json"`` or ``"docx"``
      (default: detected from the content, then the extension);
    * ``practitioner`` / ``client``: the speaker label of each role, or a tuple of labels (co-facilitators; a
      family or couple session's clients, counted together) (default: from the label vocabulary, else inferred
      from the text with a warning); ``practitioner`` alone codes a monologue;
    * ``utterances``: ``"auto"`` (split turns with the segmenter) or ``"given"`` (one row/piece = one utterance);
    * ``captions``: ``"auto"``, ``"on"`` or ``"off"``: when the boundary model for unpunctuated speech splits
      turns (see ``mi_coder.segment``);
    * ``practitioner_id``: who the practitioner is, for per-practitioner trends in reports;
    * ``columns``: table column overrides by role, e.g. ``{"text": "utt", "speaker": "who"}``.

    Raises InputError (or RoleError) naming the file and the problem when it cannot be read.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise UsageError(f"read_transcript expects a file path (str or pathlib.Path), not {type(path).__name__}; "
                         "for text held in memory, use mi_coder.read_text(text, name=...)")
    opts = options.pop("read_options", None)
    if opts is not None and not isinstance(opts, ReadOptions):
        raise UsageError(f"read_options takes a mi_coder.io.base.ReadOptions, not {type(opts).__name__}; or pass the "
                         "options as keywords (fmt=..., practitioner=...)")
    if opts is not None and options:
        raise UsageError(f"read_transcript: give the options either as read_options or as keywords, not both "
                         f"({', '.join(sorted(options))} would be ignored)")
    if opts is None:
        known = {f.name for f in dataclasses.fields(ReadOptions)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise UsageError(f"read_transcript: unknown option(s) {', '.join(unknown)}; the options are "
                             f"{', '.join(sorted(known))} (the format is fmt=...)")
        opts = ReadOptions(**options)
    path = Path(path)
    where = str(path)
    _check_options(opts, where)
    require_file(path, "a transcript file")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(where, f"cannot be read ({exc.strerror or exc})") from exc
    if not raw.strip():
        raise InputError(where, "file is empty")
    fmt = opts.fmt
    if fmt is None and path.suffix.lower() == ".docx":
        fmt = "docx"
    if fmt is None and raw[:4] == b"PAR1":  # a Parquet table (mi-coder's --output-format parquet): read as its CSV
        raw = _parquet_as_csv(path, where).encode("utf-8")
        fmt = "csv"
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
    del raw  # a large file is not held three times over (bytes, text, pieces)
    opts = ReadOptions(**{**opts.__dict__, "fmt": fmt_used})
    if opts.columns and inner not in ("csv", "tsv", "json"):
        import warnings

        options = ", ".join(f"--{role}-col" for role in sorted(opts.columns))
        warnings.warn(f"{where}: {options} name(s) table columns, and this file is read as {inner} (not a table): "
                      "ignored", stacklevel=2)
    if inner == "text":
        pieces = parse_text(text, where)
    elif inner in ("vtt", "srt"):
        pieces = parse_cues(text, where, inner)
    elif inner == "sbv":
        pieces = parse_cues(sbv_to_srt(text), where, "srt")
    elif inner == "otter":
        pieces = parse_otter(text, where)
    elif inner in ("csv", "tsv"):
        pieces = parse_table(text, where, inner, opts)
    elif inner == "json":
        pieces = parse_json(text, where, opts)
    else:  # pragma: no cover - FORMATS is checked above
        raise InputError(where, f"unsupported format {inner!r}")
    del text
    return build_sessions(pieces, where, opts, default_id=path.stem)


def _parquet_as_csv(path: Path, where: str) -> str:
    """A Parquet table's rows as CSV text, so that every table reader reads it as it reads a CSV (a data engineer's
    audit: `score` refused mi-coder's own utterances.parquet as "a binary file")."""
    import importlib.util

    if importlib.util.find_spec("pyarrow") is None:
        raise InputError(where, "a Parquet table; reading it needs pyarrow: pip install 'mi-coder[parquet]' (or save "
                                "it as CSV)")
    import pyarrow.parquet as pq

    try:
        frame = pq.read_table(path).to_pandas()
    except Exception as exc:  # pyarrow's own errors: a damaged or cut-off file is the input's problem
        raise InputError(where, f"cannot be read as a Parquet table ({exc})") from exc
    return frame.to_csv(index=False)


def _check_options(opts: ReadOptions, where: str) -> None:
    """Options no file can satisfy are the caller's mistake (a UsageError), not the file's (``where`` unused)."""
    if opts.fmt is not None and opts.fmt not in FORMATS:
        raise UsageError(f"unknown format {opts.fmt!r} (--format; in Python, fmt=...): choose from "
                         f"{', '.join(FORMATS)}")
    if opts.utterances not in ("auto", "given"):
        raise UsageError(f"--utterances (in Python, utterances=...) must be 'auto' or 'given', not {opts.utterances!r}")
    if opts.captions not in ("auto", "on", "off"):
        raise UsageError(f"--captions (in Python, captions=...) must be 'auto', 'on' or 'off', not {opts.captions!r}")
    if not isinstance(opts.role_check, bool):  # "off" or "no" would pass a truthiness test: say what was meant
        raise UsageError(f"role_check must be True or False, not {opts.role_check!r}")
    if opts.practitioner_id is not None and not isinstance(opts.practitioner_id, str):
        raise UsageError(f"practitioner_id must be a string, not {type(opts.practitioner_id).__name__}")
    if not isinstance(opts.columns, dict):
        raise UsageError(f"columns takes a dict of column roles to your table's column names, e.g. "
                         f"{{'text': 'utt', 'speaker': 'who'}}, not {type(opts.columns).__name__}")
    roles = [*COLUMN_ALIASES, "code"]  # "code": the codes of a coded table (--code-col)
    unknown = [key for key in opts.columns if key not in roles]
    if unknown:  # {"speaker_col": "Who"} took the column and then said the table had no speaker column
        raise UsageError(f"columns: unknown column role(s) {', '.join(map(repr, unknown))}; the roles are "
                         f"{', '.join(roles)} (e.g. columns={{'text': 'utt', 'speaker': 'who'}})")
    bad = [key for key, name in opts.columns.items() if not isinstance(name, str) or not name]
    if bad:
        raise UsageError(f"columns: the column name for {bad[0]!r} must be a non-empty string, "
                         f"not {opts.columns[bad[0]]!r}")


STREAM_BYTES = 8_000_000  # text and table files this large or larger are read lazily by stream_transcript


def stream_transcript(path: str | Path, read_options: ReadOptions | None = None, *,
                      min_bytes: int = STREAM_BYTES) -> Iterator[Session]:
    """The sessions of ``read_transcript``, one at a time, reading large files lazily.

    Plain text and CSV/TSV files of ``min_bytes`` or more are read a block at a time, in a few passes (each
    decodes the file again, as ``decode_bytes`` does): a first one finds the speakers (text) or checks the
    table, then roles are assigned as ``read_transcript`` assigns them (same roles, same warnings; role
    inference reads each speaker's turns again instead of holding them), then sessions are yielded. A
    table's sessions are yielded one at a time, each with its turns (when a session's rows are not
    together, the table is read whole); a text file's single session has a ``TurnStream`` as its turns,
    which reads the file as it is iterated, so only ``pipeline.coded_chunks`` should consume it. Every
    error (InputError, RoleError) is raised before the first session is yielded. Other formats and smaller
    files are read whole by ``read_transcript``.
    """
    opts = read_options or ReadOptions()
    path = Path(path)
    where = str(path)
    inner = _lazy_format(path, opts, min_bytes)
    if inner is None:
        sessions = read_transcript(path, read_options=opts)
        while sessions:  # hand each session over, so that a coded one is not kept alive here
            yield sessions.pop(0)
        return
    opts = ReadOptions(**{**opts.__dict__, "fmt": inner})
    if inner == "text":
        yield _stream_text(path, where, opts)
    else:
        yield from _stream_table(path, where, opts)


def _lazy_format(path: Path, opts: ReadOptions, min_bytes: int) -> str | None:
    """``text``, ``csv`` or ``tsv`` when the file is read lazily; None when ``read_transcript`` reads it."""
    where = str(path)
    _check_options(opts, where)
    if opts.fmt not in (None, "text", "csv", "tsv") or path.suffix.lower() == ".docx":
        return None
    try:
        if not path.is_file() or path.stat().st_size < min_bytes:
            return None
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError:
        return None  # read_transcript says what is wrong
    if not head.strip() or head[:4] == b"PK\x03\x04":
        return None
    if opts.fmt is not None:
        return opts.fmt
    lines: list[str] = []  # detect_format looks at the first 40 lines after leading blank ones
    n_lines = n_chars = 0
    for line in iter_lines(path, where):
        lines.append(line)
        n_chars += len(line)
        n_lines += bool(n_lines or line.strip(" \n\t\ufeff"))
        if n_lines > 40 and n_chars > 20000:
            break
    start = "".join(lines)
    if start.lstrip("\ufeff \n\t")[:1] in ("[", "{"):  # JSON is told from the whole text
        return None
    inner = detect_format(path, start)
    return inner if inner in ("text", "csv", "tsv") else None


class TurnStream:
    """A session's turns, made as they are iterated (each iteration reads the file again from the start).

    ``len()`` is the number of turns; ``last_index`` maps each role to the index of its last turn, which
    is what ``pipeline.coded_chunks`` needs to look ahead for context without holding the rest;
    ``unpunctuated``, whether the whole session reads as unpunctuated speech (``model.coder.unpunctuated_turns``),
    given or found by one pass over the file when first asked.
    """

    def __init__(self, make: Callable[[], Iterator[Turn]], n: int, last_index: dict[str, int],
                 unpunctuated: bool | None = None) -> None:
        self._make = make
        self._n = n
        self.last_index = last_index
        self._unpunctuated = unpunctuated

    @property
    def unpunctuated(self) -> bool:
        if self._unpunctuated is None:
            from ..model.coder import unpunctuated_turns

            self._unpunctuated = unpunctuated_turns(self._make())
        return self._unpunctuated

    def __iter__(self) -> Iterator[Turn]:
        return self._make()

    def __len__(self) -> int:
        return self._n


class _SpeakerTexts:
    """One speaker's turn texts, for ``assign_roles``, read from the file again each time they are iterated."""

    def __init__(self, turns: Callable[[], Iterator[Turn]], speaker: str, n: int) -> None:
        self._turns, self._speaker, self._n = turns, speaker, n

    def __iter__(self) -> Iterator[str]:
        return (t.text for t in self._turns() if t.speaker == self._speaker)

    def __len__(self) -> int:
        return self._n


def _stream_text(path: Path, where: str, opts: ReadOptions) -> Session:
    """A plain-text transcript's session, its turns a ``TurnStream``: the passes of ``parse_text`` and
    ``build_sessions`` over lines read from the file."""

    numbered = numbered_lines(ln.removesuffix("\n") for ln in iter_lines(path, where))

    def lines() -> Iterator[str]:
        read = (ln.removesuffix("\n") for ln in iter_lines(path, where))
        return (unnumbered(ln) for ln in read) if numbered else read

    speakers = speaker_labels(lines(), where)

    def turns() -> Iterator[Turn]:
        runs = _runs(same_speaker_spelling(iter_text_pieces(lines(), speakers)))
        return (_turn(k, group, opts, None) for k, group in enumerate(runs, start=1))

    counts: dict[str, int] = {}  # speaker -> number of turns, in order of first appearance
    last: dict[str, int] = {}  # speaker -> index of their last turn
    header = None
    said = False
    merged: dict[str, set[str]] = {}
    latest: Turn | None = None  # the turn with the latest start so far, and the first that goes back from it
    back: Turn | None = None
    for i, group in enumerate(_runs(same_speaker_spelling(iter_text_pieces(lines(), speakers), merged))):
        if i == 0:
            header = group[0].meta.get("header")
            _warn_unlabelled_speech(header, where)
        start = min((p.start for p in group if p.start is not None), default=None)
        if start is not None and back is None:
            if latest is not None and start < latest.start - TIME_SLACK:  # type: ignore[operator]
                back = Turn(str(i + 1), "", "", "", start=start)
            elif latest is None or start > latest.start:  # type: ignore[operator]
                latest = Turn(str(i + 1), "", "", "", start=start)
        said = said or any(p.text.strip() for p in group)
        speaker = group[0].speaker
        _check_turn_size(i + 1, speaker, sum(len(p.text) + 1 for p in group), where)  # as build_session does
        counts[speaker] = counts.get(speaker, 0) + 1
        last[speaker] = i
    _warn_spellings(merged, where)
    if not counts:
        raise InputError(where, no_speakers(next((line for line in lines() if line.strip()), "")))
    if not said:
        raise InputError(where, NOTHING_SAID)
    if back is not None:
        _warn_times_go_back([latest, back], where)  # type: ignore[list-item]
    texts = {s: _SpeakerTexts(turns, s, n) for s, n in counts.items()}
    inferred: list[str] = []
    roles = _session_roles({}, texts, where, opts, inferred)  # type: ignore[arg-type]
    _warn_other_person(opts.practitioner_id, [s for s, r in roles.items() if r == PRACTITIONER], where)
    last_index: dict[str, int] = {}
    for speaker, i in last.items():
        last_index[roles[speaker]] = max(i, last_index.get(roles[speaker], -1))

    def roled() -> Iterator[Turn]:
        for t in turns():
            t.role = roles[t.speaker]
            yield t

    return Session(id=path.stem, source=where, turns=TurnStream(roled, sum(counts.values()), last_index),  # type: ignore[arg-type]
                   meta=_session_meta(opts, header, inferred, (path.stem,), where))


def _runs(pieces: Iterable[Piece]) -> Iterator[list[Piece]]:
    """Consecutive pieces of one speaker, as ``_merge_turns`` groups pieces that have no turn ids."""
    group: list[Piece] = []
    for p in pieces:
        if group and group[-1].speaker != p.speaker:
            yield group
            group = []
        group.append(p)
    if group:
        yield group


def _stream_table(path: Path, where: str, opts: ReadOptions) -> Iterator[Session]:
    """A table's sessions, one at a time, each with its turns; read whole when its sessions' rows are not
    together."""
    fmt = opts.fmt or "csv"
    start = ""
    for line in iter_lines(path, where):  # the delimiter is sniffed from the first 20,000 characters
        start += line
        if len(start) >= 20000:
            break
    delimiter = sniff_delimiter(start, fmt)
    header = next(csv.reader([start.split("\n", 1)[0]], delimiter=delimiter), [])
    wide = not {"text", "speaker"} & set(opts.columns) and elan_tier_columns(header) is not None
    scan = None if wide else scan_table(iter_lines(path, where), where, fmt, opts, delimiter, path.stem)
    if scan is None or not scan.contiguous:  # ELAN's tier columns are made rows when the file is read whole
        sessions = read_transcript(path, read_options=opts)
        while sessions:
            yield sessions.pop(0)
        return

    def sessions() -> Iterator[tuple[str, str, list[Piece]]]:
        pieces = iter_table_pieces(iter_lines(path, where), scan.cols, delimiter)
        for sid, group in groupby(pieces, key=lambda p: p.session or path.stem):
            yield sid, where if len(scan.sessions) == 1 else f"{where} [session {sid}]", list(group)

    def first_pass(sid: str, at: str, group: list[Piece]) -> tuple[str, tuple[dict[str, str], list[str]]]:
        session = build_session(sid, group, at, where, opts)
        inferred = session.meta.get("roles_inferred")
        return sid, (session.speakers, [inferred] if inferred else [])

    roles = dict(_each_built([lambda sid=sid, at=at, group=group: first_pass(sid, at, group)
                              for sid, at, group in sessions()]))
    for sid, at, group in sessions():
        if sid in roles:  # a session left out above (SessionSkipped) is not built again
            yield build_session(sid, group, at, where, opts, roles=roles[sid][0], inferred=roles[sid][1])
