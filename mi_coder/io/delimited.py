"""Tables of turns or utterances: CSV/TSV, one or many sessions, column names by alias."""

from __future__ import annotations

import csv
import io
import math
import re
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..codes import CLIENT_CODES, PRACTITIONER_CODES, QUESTION
from ..errors import InputError
from ..schemes import CLIENT_MISC, MISC_TO_MITI, read_code_cell
from .base import COLUMN_ALIASES, Piece, ReadOptions, decode_bytes, normalize_column, parse_time, require_file


# The csv module refuses a cell over 128 KB by default; one cell can hold a whole session's words (an unsegmented
# recording's turn), which is valid CSV. 256 MB per cell, still a bound against a file that is not CSV at all.
csv.field_size_limit(256 * 1024 * 1024)


_norm = normalize_column


_CODE_COLUMNS = {"code", "code2", "machine_code", "reviewed_code", "misc_code", "miti_code", "label"}


_ELAN_TIME = re.compile(r"(?:begin|end)_time(?:_.*)?|duration(?:_.*)?")
ELAN_TIER, ELAN_TEXT = "Tier", "Annotation"  # the columns of ELAN's own one-annotation-a-row export


def elan_tier_columns(columns: Sequence[str]) -> list[str] | None:
    """The tier columns of ELAN's tab-delimited export with "separate columns for each tier" (a row per time
    span: "Begin Time - ss.msec", "End Time - ss.msec", then one column per tier, "Therapist", "Therapist_MITI"),
    or None for any other header: one with a column that names the words or the speaker is a table of its own."""
    norms = [_norm(c) for c in columns]
    if not any(_ELAN_TIME.fullmatch(n) and n.startswith("begin") for n in norms):
        return None
    if any(n in COLUMN_ALIASES["text"] or n in COLUMN_ALIASES["speaker"] for n in norms):
        return None
    tiers = [c for c, n in zip(columns, norms) if not _ELAN_TIME.fullmatch(n) and n not in COLUMN_ALIASES["session"]]
    return tiers if len(tiers) >= 2 else None


def elan_rows(rows: list[dict[str, Any]], columns: Sequence[str], tiers: Sequence[str]
              ) -> tuple[list[dict[str, Any]], list[str]]:
    """ELAN's tier-per-column rows as its annotation-per-row rows (``Tier``, ``Annotation``, the same time and
    file columns): each filled tier cell of a row is an annotation spanning that row's times, in row order and,
    within a row, in column order. Code tiers ("Therapist_MITI") then go to their utterances as in the long
    export (``folded_code_tiers``)."""
    kept = [c for c in columns if c not in tiers]
    out = []
    for row in rows:
        for tier in tiers:
            value = _cell(row.get(tier))
            if value:
                out.append({**{c: row.get(c) for c in kept}, ELAN_TIER: tier, ELAN_TEXT: value})
    return out, kept + [ELAN_TIER, ELAN_TEXT]


def resolve_columns(columns: Sequence[str], overrides: dict[str, str], path: str) -> dict[str, str]:
    """Map roles (session, speaker, role, text, turn, utterance, start, end) to the table's column names.

    Two columns that name the same thing ("text" twice, or "text" and "Text") are an error: which one holds the
    words cannot be told, and reading one would silently drop the other."""
    meaningful = {a for aliases in COLUMN_ALIASES.values() for a in aliases} | _CODE_COLUMNS
    groups: dict[str, list[str]] = {}
    for c in columns:
        groups.setdefault(_norm(c), []).append(str(c))
    for norm, names in groups.items():
        if len(names) > 1 and norm in meaningful:
            both = " and ".join(repr(n) for n in names) if len(set(names)) > 1 else f"{names[0]!r} ({len(names)} times)"
            raise InputError(path, f"the header names one column twice, {both}: rename or remove all but one")
    by_norm = {_norm(c): c for c in columns}
    out: dict[str, str] = {}
    for role, name in overrides.items():
        if name not in columns:
            raise InputError(path, f"no column {name!r} (columns: {', '.join(map(str, columns))})")
        out[role] = name
    for role, aliases in COLUMN_ALIASES.items():
        if role in out:
            continue
        taken = set(out.values())
        for alias in aliases:
            if alias in by_norm and by_norm[alias] not in taken:
                out[role] = by_norm[alias]
                break
    # utterance_id names AnnoMI's turns (one row per turn, the speaker in "interlocutor"); in any other table it names
    # utterances, so rows of one speaker in a row are utterances of one turn (a researcher's per-utterance table with
    # utterance ids and no turn ids had each row counted as a turn: 27 turns for 23, reflections per turn wrong).
    if "turn" in out and "turn" not in overrides and _norm(out["turn"]) == "utterance_id" \
            and "interlocutor" not in by_norm:
        turn_column = out.pop("turn")
        if "utterance" not in out:
            out["utterance"] = turn_column
    if "role" in out and out["role"] == out.get("speaker"):
        del out["role"]
    if "text" not in out:
        raise InputError(
            path,
            f"no text column (looked for {', '.join(COLUMN_ALIASES['text'])}); name it with --text-col",
        )
    if "speaker" not in out:
        raise InputError(
            path,
            f"no speaker column (looked for {', '.join(COLUMN_ALIASES['speaker'][:4])}, ...); "
            "name it with --speaker-col (a table of one speaker's sentences: add a speaker column holding that "
            "speaker's name, and give --practitioner NAME)",
        )
    return out


def one_annotator(records: list[dict[str, Any]], cols: dict[str, str], path: str) -> list[dict[str, Any]]:
    """AnnoMI's full layout repeats a transcript's rows once per annotator (``annotator_id``; the speaker in
    ``interlocutor``), each copy holding the same words: read as they are, every turn would hold its text once per
    annotator. The rows of each session's first annotator are kept, with a warning."""
    if not records:
        return records
    columns = list(records[0])
    if "interlocutor" not in {_norm(c) for c in columns}:
        return records
    coder = next((c for c in columns if _norm(c) in _CODER_COLUMNS and c not in cols.values()), None)
    if coder is None:
        return records
    first: dict[str, str] = {}
    several: set[str] = set()
    kept = []
    for r in records:
        sid, who = session_of(r, cols) or "", _cell(r.get(coder))
        if first.setdefault(sid, who) == who:
            kept.append(r)
        else:
            several.add(sid)
    if several:
        warnings.warn(f"{path}: {len(several)} session(s) carry the rows of several annotators (column {coder!r}, "
                      "AnnoMI's full layout); each is read once, from its first annotator's rows", stacklevel=4)
    return kept


def pieces_from_records(records: Iterable[dict[str, Any]], cols: dict[str, str], path: str) -> list[Piece]:
    """Rows of a table (dicts) to pieces, keeping every other column in ``meta``."""
    records = one_annotator(list(records), cols, path)
    records = in_id_order(folded_code_tiers(records, cols, path), cols, path)
    check_rows(records, cols, path)
    pieces: list[Piece] = []
    used = {column for role, column in cols.items() if role != "code"}  # a named code column stays in the meta
    n_empty = 0
    empty_coded: list[str] = []  # the codes of rows skipped for empty text: a code on no words is not counted
    no_speaker: list[str] = []  # texts of rows with an empty speaker cell, read as speaker "unknown"
    unread: list[str] = []  # time cells with a value that is not a time
    for row in records:
        piece = _piece(row, cols, used)
        if piece is None:
            n_empty += 1
            empty_coded += [f"{_cell(row.get(cols['speaker'])) or 'no speaker'}, {_cell(row.get(c))}"
                            for c in row if _norm(c) in _CODE_COLUMNS and _cell(row.get(c))][:1]
        else:
            pieces.append(piece)
            if not _cell(row.get(cols["speaker"])):
                no_speaker.append(piece.text)
            unread += [_cell(row.get(cols[c])) for c, got in (("start", piece.start), ("end", piece.end))
                       if c in cols and got is None and _cell(row.get(cols[c]))]
    if n_empty:
        coded = (f"; {len(empty_coded)} of them carry a code, not counted (the first: {empty_coded[0]})"
                 if empty_coded else "")
        warnings.warn(f"{path}: skipped {n_empty} row(s) with empty text{coded}", stacklevel=3)
    if no_speaker:
        first = no_speaker[0] if len(no_speaker[0]) <= 50 else no_speaker[0][:47] + "..."
        warnings.warn(f"{path}: {len(no_speaker)} row(s) have no speaker and are read as speaker 'unknown', not "
                      f"coded as the practitioner's or the client's (the first: {first!r}); fill in their speaker",
                      stacklevel=3)
    if unread:
        warnings.warn(f"{path}: {len(unread)} start/end value(s) are not times and were left empty (e.g. "
                      f"{unread[0]!r}; times read: seconds, 4.25 or 4,25, mm:ss, hh:mm:ss)", stacklevel=3)
    if not pieces:
        raise InputError(path, "the table has no rows with text")
    return pieces


_CODE_LIKE = re.compile(r"[A-Z][A-Z+-]{0,5}(?:\s*[;/,+&]\s*[A-Z][A-Z+-]{0,5})?")


def folded_code_tiers(records: list[dict[str, Any]], cols: dict[str, str], path: str) -> list[dict[str, Any]]:
    """An ELAN export whose codes sit on their own tiers ("T" speech, "T_MITI" its codes, each code annotation
    spanning its utterance) as one row per utterance with its ``code``: a code tier is one named for a speech tier
    ("T_MITI", "T codes", "MITI-T") whose annotations are all codes in capitals ("OQ", "R+", "CR; AF"); a code goes to the utterance of that
    tier that starts where it starts, else the one it starts inside. A code that finds no utterance is said."""
    if not records or "code" in {_norm(c) for c in records[0]} or "start" not in cols:
        return records
    speaker, text = cols["speaker"], cols["text"]
    tiers: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        tiers.setdefault(_cell(r.get(speaker)), []).append(r)
    sessions = {id(r): session_of(r, cols) for r in records}  # a code meets an utterance of its own file

    def speech_tier(name: str) -> str | None:
        for other in tiers:
            if other != name and other and re.fullmatch(
                    rf"{re.escape(other)}[\s_-]+\w+|\w+[\s_-]+{re.escape(other)}", name, flags=re.I):
                return other
        return None

    coding = {name: speech_tier(name) for name in tiers}
    coding = {name: of for name, of in coding.items()  # codes: capitals, one or two ("OQ", "R+", "CR; AF")
              if of is not None and all(_CODE_LIKE.fullmatch(_cell(r.get(text))) for r in tiers[name])}
    if not coding:
        return records
    lost = 0
    for name, of in coding.items():
        spans = [(parse_time(r.get(cols["start"])), parse_time(r.get(cols.get("end", ""))), r) for r in tiers[of]]
        for r in tiers[name]:
            at, own = parse_time(r.get(cols["start"])), sessions[id(r)]
            mine = [(s0, s1, u) for s0, s1, u in spans if sessions[id(u)] == own and at is not None and s0 is not None]
            match = next((u for s0, _, u in mine if abs(s0 - at) < 1e-3), None)
            match = match or next((u for s0, s1, u in mine if s1 is not None and s0 <= at < s1), None)
            if match is None or match.get("code"):
                lost += 1
                continue
            match["code"] = _cell(r.get(text))
    if lost:
        warnings.warn(f"{path}: {lost} annotation(s) of the code tier(s) {', '.join(map(repr, coding))} start in no "
                      "utterance of their speech tier (or a second code for one) and are not read", stacklevel=4)
    for r in records:
        r.setdefault("code", "")
    return [r for r in records if _cell(r.get(speaker)) not in coding]


def in_id_order(records: list[dict[str, Any]], cols: dict[str, str], path: str) -> list[dict[str, Any]]:
    """``records`` in the order of their utterance (else turn) numbers within each session, with a warning, where
    the file lists them otherwise (a spreadsheet sorted by speaker): volleys, turns and every ratio depend on the
    order. Unchanged where the ids are not all numbers, or utterance numbers repeat in a session (numbered per
    turn: the turn numbers order the rows, a turn's utterances keep their order)."""
    def numbers(column: str) -> list[int] | None:  # whole numbers only: "3.10" is turn 3's tenth utterance, not 3.1
        try:
            return [int(_cell(r.get(column))) for r in records]
        except ValueError:
            return None

    sessions = [session_of(r, cols) or "" for r in records]
    first = {sid: k for k, sid in reversed(list(enumerate(sessions)))}
    if "session" not in cols:
        _warn_if_numbering_restarts(records, cols, path, numbers)
    for role in ("utterance", "turn"):
        if role not in cols:
            continue
        values = numbers(cols[role])
        if values is None:
            continue
        keys = list(zip(sessions, values))
        blocks = [key for k, key in enumerate(keys) if k == 0 or key != keys[k - 1]]
        if len(set(blocks)) < len(blocks if role == "turn" else keys):
            continue  # utterance numbers repeat (numbered per turn), or a turn number comes back (numbering restarts)
        order = sorted(range(len(records)), key=lambda k: (first[sessions[k]], values[k]))
        if order == sorted(order, key=lambda k: (first[sessions[k]], k)):
            return records  # every session's rows already in id order
        late = next((k for k in range(1, len(records))
                     if sessions[k] == sessions[k - 1] and values[k] < values[k - 1]), None)
        where = f" (row {late + 2} comes after a higher one)" if late is not None else ""
        warnings.warn(f"{path}: the rows are not in the order of their {cols[role]!r} numbers{where}; read in that "
                      "order, as turns and volleys depend on it", stacklevel=4)
        return [records[k] for k in order]
    return records


def _warn_if_numbering_restarts(records: list[dict[str, Any]], cols: dict[str, str], path: str,
                                numbers: Any) -> None:
    """A table without a session column is one session; where its turn numbers (else its utterance numbers, in
    runs of five or more) start again from the lowest, it likely holds several, read together: warn."""
    for role in ("turn", "utterance"):
        values = numbers(cols[role]) if role in cols else None
        if not values:
            continue
        low = min(values)
        restarts = [k for k in range(1, len(values)) if values[k] == low and values[k - 1] > low]
        runs = [b - a for a, b in zip([0, *restarts], [*restarts, len(values)])]
        if restarts and (role == "turn" or min(runs) >= 5):
            warnings.warn(f"{path}: no session column, so every row is read as one session, but the {cols[role]!r} "
                          f"numbers start again at row {restarts[0] + 2}; if the table holds several sessions, name "
                          "the column that tells them apart with --session-col", stacklevel=5)
        return


# A column naming who coded each row: several coders' rows of one session stacked in one table (a long layout)
_CODER_COLUMNS = ("coder", "coder_id", "coder_name", "annotator", "annotator_id", "annotator_name", "rater",
                  "rater_id", "rater_name", "coded_by", "annotated_by")
_NUMBER = re.compile(r"[\d\s.,:;/+-]+")


def check_rows(records: Sequence[dict[str, Any]], cols: dict[str, str], path: str) -> None:
    """What would make a table read silently wrong: a text column of numbers (an utterance-number column read as
    the words), several coders' rows of one session stacked (each utterance read twice, every count doubled) - both
    InputErrors - and, in a table read as one session, a column that seems to tell sessions apart (a warning)."""
    if not records:
        return
    columns = list(records[0])
    texts = [_cell(r.get(cols["text"])) for r in records]
    said = [t for t in texts if t]
    if said and all(_NUMBER.fullmatch(t) for t in said):
        wordy = max((c for c in columns if c not in cols.values()),
                    key=lambda c: sum(len(_cell(r.get(c)).split()) for r in records[:200]), default=None)
        hint = (f"; the words seem to be in {wordy!r}: --text-col {wordy!r}" if wordy and any(
            len(_cell(r.get(wordy)).split()) > 2 for r in records[:200]) else "; name the words' column with --text-col")
        raise InputError(path, f"the text column {cols['text']!r} holds only numbers ({', '.join(said[:3])}, ...)"
                         + hint)
    if "interlocutor" not in {_norm(c) for c in columns}:  # AnnoMI's annotators are resolved by its own reader
        coder = next((c for c in columns if _norm(c) in _CODER_COLUMNS and c not in cols.values()), None)
        if coder is not None:
            by_session: dict[str, set[str]] = {}
            for r in records:
                by_session.setdefault(session_of(r, cols) or "", set()).add(_cell(r.get(coder)))
            stacked = next(((sid, names - {""}) for sid, names in by_session.items() if len(names - {""}) > 1), None)
            if stacked is not None:
                sid, names = stacked
                raise InputError(path, f"rows of {len(names)} coders ({', '.join(sorted(names)[:4])}; column {coder!r})"
                                       f" code {'session ' + repr(sid) if sid else 'the same session'}: each utterance "
                                       "would be read once per coder; split the table into one file per coder and "
                                       "compare them with mi-coder evaluate --agreement A.csv B.csv")
    if "session" not in cols and "participant" not in cols:
        for c in columns:
            norm = _norm(c)
            if c in cols.values() or not (norm == "id" or norm.endswith(("_id", "_number", "_no")) or any(
                    w in norm for w in ("session", "transcript", "conversation", "dialog", "interview", "participant",
                                        "subject", "video", "recording", "file", "call"))):
                continue
            values = [_cell(r.get(c)) for r in records]
            runs = [v for k, v in enumerate(values) if k == 0 or v != values[k - 1]]
            if 1 < len(set(runs)) == len(runs) and len(runs) * 5 <= len(values):
                warnings.warn(f"{path}: read as one session, but column {c!r} seems to tell sessions apart "
                              f"({len(runs)} values, each in one block of rows): with --session-col {c!r} each value "
                              "is a session", stacklevel=4)
                break


# A second-code column however it is spelled ("Code 2", "code_2", "Second Code", "MITI Code 2"): read as ``code2``,
# the name the scorer, evaluation and training read a second code from.
_SECOND_CODE = re.compile(r"(?:(?:miti|misc|behaviou?r)_)?(?:code|label)_?(?:2|two)"
                          r"|second_(?:miti_|misc_)?(?:code|label)")


def _piece(row: dict[str, Any], cols: dict[str, str], used: set[str]) -> Piece | None:
    """One row as a piece, or None when its text is empty."""
    text = _unguarded(_cell(row.get(cols["text"])))
    if not text:
        return None
    speaker = _unguarded(_cell(row.get(cols["speaker"]))) or "unknown"
    meta = {c: v for c, v in row.items() if c not in used}
    if "code2" not in meta:
        second = next((c for c in meta if _SECOND_CODE.fullmatch(_norm(c))), None)
        if second is not None:
            meta["code2"] = meta.pop(second)
    if "role" in cols:
        meta["_role"] = _cell(row.get(cols["role"]))
    return Piece(
        speaker=speaker,
        text=text,
        start=parse_time(row.get(cols["start"])) if "start" in cols else None,
        end=parse_time(row.get(cols["end"])) if "end" in cols else None,
        turn_key=_cell(row.get(cols["turn"])) if "turn" in cols else None,
        utt_id=_cell(row.get(cols["utterance"])) if "utterance" in cols else None,
        session=session_of(row, cols),
        meta=meta,
    )


def session_of(row: dict[str, Any], cols: dict[str, str]) -> str | None:
    """A row's session id: its session column's, joined to its participant column's where the table has both
    (sessions numbered per person: "P07/1"), or the participant's alone (one session per person, as MIBot's)."""
    session = _unguarded(_cell(row.get(cols["session"]))) if "session" in cols else None
    person = _unguarded(_cell(row.get(cols["participant"]))) if "participant" in cols else None
    if person and session:
        return f"{person}/{session}"
    return person or session


def _unguarded(text: str) -> str:
    """A cell without the apostrophe that keeps a spreadsheet from reading it as a formula ("'=HYPERLINK(...)", as
    the report's review download writes such text): the apostrophe is not part of what was said."""
    return text[1:] if len(text) > 1 and text[0] == "'" and text[1] in "=+-@\t\r" else text


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    text = str(value).strip()
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    return text


def sniff_delimiter(sample: str, fmt: str) -> str:
    """The delimiter of a table from its first 20,000 characters: a tab for TSV, sniffed for CSV."""
    if fmt == "tsv":
        return "\t"
    try:
        return csv.Sniffer().sniff(sample[:20000], delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def parse_table(text: str, path: str, fmt: str, options: ReadOptions) -> list[Piece]:
    """CSV or TSV with one row per turn or per utterance; delimiter sniffed for .csv."""
    delimiter = sniff_delimiter(text, fmt)
    try:
        reader = csv.DictReader(io.StringIO(text), delimiter=delimiter, strict=True)
        rows = list(reader)
        columns = reader.fieldnames or []
    except csv.Error as exc:
        raise InputError(path, f"malformed {fmt.upper()} ({exc})") from exc
    if not columns:
        raise InputError(path, "the table has no header row")
    bad = next((k for k, r in enumerate(rows) if None in r), None)
    if bad is not None:
        raise InputError(path, f"row {bad + 2} has more fields than the header")
    tiers = None if {"text", "speaker"} & set(options.columns) else elan_tier_columns(columns)
    if tiers:
        rows, columns = elan_rows(rows, columns, tiers)
    rows, columns = with_code_speakers(rows, columns, options.columns, path)
    cols = resolve_columns(columns, options.columns, path)
    pieces = pieces_from_records(rows, cols, path)
    folded = "code" not in {_norm(c) for c in columns} and any(p.meta.get("code") for p in pieces)
    warn_codes_not_read(list(columns) + ["code"] * folded, path, options, "ELAN code tiers" if folded else None)
    return pieces


CODED_COLUMNS = ("code", "miti_code", "misc_code", "behavior_code", "behaviour_code")  # as train.examples reads

# Whose a code is, for a coded table without a speaker column (``speakers_from_codes``), from the scheme tables:
# MITI 4.2.1's practitioner codes (and its uncoded-form Q), MISC 2.5's practitioner codes that MITI does not share,
# and the client codes of MISC and the sets derived from it. ST is left out of both: sustain talk, or MISC's structure.
_MITI_PRACTITIONER = frozenset(PRACTITIONER_CODES) | {QUESTION}
_MISC_ONLY_PRACTITIONER = frozenset(k for k, v in MISC_TO_MITI.items()
                                    if v in _MITI_PRACTITIONER and k not in _MITI_PRACTITIONER and k != "ST")
_PRACTITIONER_CODE = _MITI_PRACTITIONER | _MISC_ONLY_PRACTITIONER
_MISC_CLIENT = frozenset(CLIENT_MISC) - set(CLIENT_CODES)
_CLIENT_CODE = frozenset({"CT", "FN"}) | _MISC_CLIENT
_SPEAKER_CODE_COLUMNS = CODED_COLUMNS + ("label", "miti", "misc", "code_1", "code1", "first_code", "gold",
                                         "gold_label", "gold_code", "final_agreed_label",
                                         "agreed_label", "final_label", "final_code", "ground_truth", "true_label")


def speaker_code_columns(columns: Sequence[str], overrides: dict[str, str]) -> list[str]:
    """The code columns that may say whose each row is, in table order with a bare "label" last (the one given with
    --code-col alone), in a table that has them and no speaker column (none found by name and none given with
    --speaker-col)."""
    if "speaker" in overrides or any(_norm(c) in COLUMN_ALIASES["speaker"] for c in columns):
        return []
    if overrides.get("code") in columns:
        return [overrides["code"]]
    from ..train.examples import rank_code_columns

    return rank_code_columns([c for c in columns if _norm(c) in _SPEAKER_CODE_COLUMNS])


def speaker_code_column(columns: Sequence[str], overrides: dict[str, str]) -> str | None:
    """The first of ``speaker_code_columns``, or None."""
    return next(iter(speaker_code_columns(columns, overrides)), None)


_AMBIGUOUS_ST = "ST?"  # the abbreviation ST: MISC 2.5's structure or sustain talk, decided by the table


def _row_code(value: object) -> str:
    """A code cell's first code, as MITI 4.2.1 or MISC 2.5 write it (abbreviated or spelled out); the bare
    abbreviation ST is ``_AMBIGUOUS_ST`` (a spelled-out "Sustain Talk" is the client's ST)."""
    if _cell(value).upper().split(";")[0].split("/")[0].split(",")[0].strip() == "ST":
        return _AMBIGUOUS_ST
    code = read_code_cell(value, "miti")[0]
    return code if code in _PRACTITIONER_CODE or code in _CLIENT_CODE or code == "ST" else read_code_cell(value,
                                                                                                          "misc")[0]


def _whose(code: str, st: str) -> str:
    """"Client", "Practitioner" or "" (unknown) for a row's code; ``st``: whose the bare ST is in this table."""
    if code == _AMBIGUOUS_ST:
        return st
    if code in _CLIENT_CODE or code == "ST":
        return "Client"
    return "Practitioner" if code in _PRACTITIONER_CODE else ""


def with_code_speakers(rows: list[dict[str, Any]], columns: Sequence[str], overrides: dict[str, str], path: str
                       ) -> tuple[list[dict[str, Any]], Sequence[str]]:
    """``rows`` and ``columns`` with a speaker column read from the codes (``speakers_from_codes``) where the table
    has a code column and no speaker column; as they are otherwise. Of several code columns (a MISC and a MITI
    column, a sentiment label before the codes), the first that says whose every row is; where none does, the first
    one's error."""
    first_error: InputError | None = None
    for code_column in speaker_code_columns(columns, overrides):
        try:
            found = speakers_from_codes(rows, columns, code_column, overrides, path)
        except InputError as exc:
            first_error = first_error or exc
            continue
        if found is not None:
            return found
    if first_error is not None:
        raise first_error
    return rows, columns


def speakers_from_codes(rows: list[dict[str, Any]], columns: Sequence[str], code_column: str, overrides: dict[str, str],
                        path: str) -> tuple[list[dict[str, Any]], list[str]] | None:
    """A coded table without a speaker column, each row given the speaker its code belongs to (``Practitioner`` for
    OQ, SR, GI..., ``Client`` for CT, FN, MISC's C/S/N and R+...), with a warning. None, so that the table is refused
    for its missing speaker column as before, where the column does not hold codes (fewer than four in five of its
    filled cells read as one) or holds no practitioner's code (a sentiment label, a client-only table).
    The bare ST is sustain talk where the table's client codes are CT/FN or it has no MISC 2.5 code, and the
    counsellor's structure where its client codes are MISC's (C, S, N, R+...); where MISC's practitioner codes stand
    beside CT/FN it could be either, and such a row is refused. A row with words and no code, or a code of neither
    role, is an error naming the row: whose words they are cannot be told, and a guess would code a client's words
    as the practitioner's."""
    by_norm = {_norm(c): c for c in columns}
    text = overrides.get("text") or next((by_norm[a] for a in COLUMN_ALIASES["text"] if a in by_norm), None)
    codes = [_row_code(r.get(code_column)) for r in rows]
    spoken = [k for k, r in enumerate(rows) if text is None or _cell(r.get(text))]
    filled = [codes[k] for k in spoken if codes[k]]
    known = [c for c in filled if _whose(c, "?")]
    if len(known) < max(0.8 * len(filled), 1) or not any(_whose(c, "") == "Practitioner" for c in known):
        return None
    misc_client = any(c in _MISC_CLIENT for c in known)
    miti_client = any(c in ("CT", "FN", "ST") for c in known)  # "ST" here: spelled-out sustain talk
    misc_practitioner = any(c in _MISC_ONLY_PRACTITIONER for c in known)
    st = ("Practitioner" if misc_client and not miti_client else
          "" if misc_practitioner or misc_client else "Client")
    for k in spoken:
        if not codes[k]:
            raise InputError(path, f"row {k + 2} has no code (in {code_column!r}) and the table has no speaker column, "
                                   "so whose words they are cannot be told: add a speaker column (or name one with "
                                   "--speaker-col)")
        if codes[k] == _AMBIGUOUS_ST and not st:
            raise InputError(path, f"row {k + 2}: ST (in {code_column!r}) is MISC 2.5's structure (the "
                                   "counsellor's) or sustain talk (the client's), and this table's other codes do not "
                                   "say which: add a speaker column (--speaker-col)")
        if not _whose(codes[k], st):
            raise InputError(path, f"row {k + 2}: the code {codes[k]!r} (in {code_column!r}) is neither a "
                                   "practitioner's nor a client's, and the table has no speaker column to say whose "
                                   "it is: add one (--speaker-col)")
    column = "speaker" if "speaker" not in columns else "speaker_from_code"
    out = [{**row, column: _whose(code, st)} for row, code in zip(rows, codes)]
    warnings.warn(f"{path}: no speaker column: each row's speaker is read from its code in {code_column!r} (OQ, SR, "
                  "GI...: the practitioner's; " + ("MISC's C, S, N..." if misc_client else "CT, ST, FN")
                  + ": the client's" + ("; ST: the counsellor's structure" if st == "Practitioner" else "")
                  + "); consecutive rows of one speaker are one turn", stacklevel=4)
    return out, [*columns, column]


def warn_codes_not_read(columns: Sequence[str], path: str, options: ReadOptions, what: str | None = None) -> None:
    """A table with a code column read to be coded (turns split by the segmenter): its codes are not read and
    the text is coded anew; say so, and which commands read them (``evaluate``, ``score``, ``train``)."""
    if options.utterances != "auto":  # coded tables are read with given utterances (evaluate, score, train)
        return
    coded = [c for c in columns if _norm(c) in CODED_COLUMNS]
    if coded:
        said = f"{what} are" if what else f"{coded[0]!r} column is"
        warnings.warn(f"{path}: its {said} not read: the text is coded anew. To compare the "
                      f"coder with those codes run 'mi-coder evaluate {path}'; to score them as they are, "
                      f"'mi-coder score {path}'", stacklevel=4)


@dataclass
class TableScan:
    """What a first pass over a large table found: its columns by role, and its sessions' order."""

    cols: dict[str, str]
    sessions: list[str]  # session ids (blank: the file's default id) in order of first appearance
    contiguous: bool  # every session's rows are together
    n_empty: int  # rows with empty text (skipped)


def scan_table(lines: Iterable[str], path: str, fmt: str, options: ReadOptions, delimiter: str,
               default_id: str) -> TableScan:
    """``parse_table``'s checks on a table read a line at a time, keeping no rows: raises the InputError
    that ``parse_table`` would raise first; warns of rows with empty text only when the sessions are
    contiguous (otherwise the file is read whole, which warns)."""
    cols: dict[str, str] | None = None
    problem: InputError | None = None
    bad = None
    sessions: list[str] = []
    seen: set[str] = set()
    contiguous = True
    n_empty = n_pieces = 0
    try:
        reader = csv.DictReader(lines, delimiter=delimiter, strict=True)
        for k, row in enumerate(reader):
            if bad is None and None in row:
                bad = k
            if cols is None and problem is None:
                if speaker_code_column(reader.fieldnames or [], options.columns):  # speakers from the codes: read
                    return TableScan({}, [], False, 0)  # whole (``parse_table``)
                try:
                    cols = resolve_columns(reader.fieldnames or [], options.columns, path)
                except InputError as exc:
                    problem = exc
            if cols is None:
                continue
            if not _cell(row.get(cols["text"])):
                n_empty += 1
                continue
            n_pieces += 1
            sid = session_of(row, cols) or default_id
            if not sessions or sessions[-1] != sid:
                contiguous = contiguous and sid not in seen
                seen.add(sid)
                sessions.append(sid)
        columns = reader.fieldnames or []
    except csv.Error as exc:
        raise InputError(path, f"malformed {fmt.upper()} ({exc})") from exc
    if not columns:
        raise InputError(path, "the table has no header row")
    if bad is not None:
        raise InputError(path, f"row {bad + 2} has more fields than the header")
    if problem is not None:
        raise problem
    if cols is None:  # a header and no rows
        cols = resolve_columns(columns, options.columns, path)
    if contiguous:
        warn_codes_not_read(columns, path, options)
        if n_empty:
            warnings.warn(f"{path}: skipped {n_empty} row(s) with empty text", stacklevel=3)
        if not n_pieces:
            raise InputError(path, "the table has no rows with text")
    return TableScan(cols, sessions if contiguous else [], contiguous, n_empty)


def iter_table_pieces(lines: Iterable[str], cols: dict[str, str], delimiter: str) -> Iterator[Piece]:
    """The pieces of ``parse_table``, one row at a time (rows with empty text skipped), of a table that
    ``scan_table`` has checked."""
    used = set(cols.values())
    for row in csv.DictReader(lines, delimiter=delimiter, strict=True):
        piece = _piece(row, cols, used)
        if piece is not None:
            yield piece


def _header(path: Path) -> list[str]:
    raw = require_file(path, "a coded table").read_bytes()[:65536]
    text = decode_bytes(raw, str(path)) if raw.strip() else ""
    first = text.split("\n", 1)[0]
    return next(csv.reader(io.StringIO(first), delimiter=header_delimiter(first)), [])


def header_delimiter(first_line: str) -> str:
    """A table's delimiter told from its header line: a tab, else a semicolon where the header has more of them
    than commas (European Excel's CSV), else a comma."""
    if "\t" in first_line:
        return "\t"
    return ";" if first_line.count(";") > first_line.count(",") else ","
