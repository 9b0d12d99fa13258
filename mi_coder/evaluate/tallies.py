"""Session-level agreement with human MITI tallies.

MITI 4.2.1 is most often coded as tallies: a coder listens to a session and records, per session, how many times
each behaviour occurred (counted per volley) and four global ratings (1-5), with no utterance-by-utterance codes.
Such a table can still measure mi-coder: ``tally_report`` compares each session's human counts and ratings with
the machine's volley counts (``scoring``) and global estimates, by ICC(2,1) (absolute agreement) and Pearson r,
the figures automated-coding studies report at the session level.

A tallies table has one row per session: a session column (``COLUMN_ALIASES["session"]``), behaviour columns as
MITI 4.2.1's sheet or mi-coder names them (``GI``, ``Persuade``, ``Persuade with Permission``, ``Question`` or
``Q``, or ``OQ`` and ``CQ``, ``SR``, ``CR``, ``Seek``, ``Affirm``, ``Emphasize``, ``Confront``), client change and
sustain talk counts where a MISC-based tally has them (``Change Talk`` or ``CT``, ``Sustain Talk`` or ``ST``,
against the machine's utterance counts), any of the global ratings (``Cultivating Change Talk``, ``Softening Sustain Talk``, ``Partnership``, ``Empathy``), and
precomputed R:Q, %CR and %OQ; each as coding sheets spell them (``_count_column``, ``_global_column``,
``_summary_column``: plurals, "GI count", "Global Empathy"; no percentage, ratio or MITI 3.1.1 global is ever read
as a count). Other columns (the coder, a date) are listed as not read. mi-coder's own ``sessions.csv`` is such a table (its volley
counts and ``utt_CT``/``utt_ST``), so human utterance codes scored with ``mi-coder score`` can be compared too.

A quality column (``quality``, ``mi_quality``, ``session_quality``: high or low, as AnnoMI's ``mi_quality`` and
other high/low-quality counselling sets label their sessions; mixed sessions are counted but left out) asks the other
question a researcher has of session scores: do they separate the sessions experts judged high from low MI quality?
The report then gives each machine score's AUC (high quality the positive class) with a 95% interval from
resampling sessions within each quality level, and the same for the human tallies' own measures where the table
has them. A table may hold the quality column alone.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..errors import InputError
from ..io.base import normalize_column
from ..records import Session
from .metrics import icc_2_1

# mi-coder's volley counts, in MITI 4.2.1's order; Q: a question whose form was not coded
COUNT_CODES = ("GI", "PER", "PWP", "Q", "OQ", "CQ", "SR", "CR", "SEEK", "AF", "EA", "CON")
# client talk, which MISC-based tallies count per utterance (MITI codes none): the machine's utterance counts
CLIENT_COUNTS = ("CT", "ST")
# MITI 4.2.1's global ratings and mi-coder's estimate of each (None: no estimate)
GLOBALS = {"cultivating_change_talk": None, "softening_sustain_talk": None,
           "partnership": "partnership_global", "empathy": "empathy_global"}
_GLOBAL_NAMES = {"cultivating_change_talk": "cultivating_change_talk", "cultivatingchangetalk": "cultivating_change_talk",
                 "cct": "cultivating_change_talk", "softening_sustain_talk": "softening_sustain_talk",
                 "softeningsustaintalk": "softening_sustain_talk", "sst": "softening_sustain_talk",
                 "partnership": "partnership", "empathy": "empathy"}
# summary scores computed the same way from both sides' counts (MI_CODING_GUIDE section 4)
SUMMARIES = ("r_q", "pct_cr", "pct_oq", "mi_adherent", "mi_nonadherent", "change_talk_pct", "relational", "technical")
# a session's MI-quality label: column names (normalized) and the values read (1 high, 0 low, None counted, left out)
# (letters only, lower case: "MI Quality", "mi_quality" and "High/Low" are "miquality" and "highlow")
_QUALITY_COLUMNS = {"quality", "miquality", "sessionquality", "qualitylabel", "miqualitylabel", "mitiquality",
                    "highlow", "hqlq"}
_QUALITY_VALUES = {"high": 1.0, "highquality": 1.0, "hi": 1.0, "hq": 1.0, "good": 1.0, "low": 0.0, "lowquality": 0.0,
                   "lo": 0.0, "lq": 0.0, "poor": 0.0,
                   "mixed": None, "medium": None, "moderate": None, "mid": None, "mq": None, "fair": None}
QUALITY = "quality"  # the key a session's label is read under (1.0 high, 0.0 low)


# Words a coding sheet adds to a behaviour's name that do not change what it counts ("GI count", "Total GI",
# "Global Empathy", "Number of Questions")
_FILLER_WORDS = frozenset("count counts total totals number of no n global globals rating ratings score scores tally "
                          "tallies freq frequency sum the".split())
# MITI 3.1.1's global ratings, whose names read like MITI 4.2.1 behaviours (Collaboration is no count of Seek)
_MITI3_GLOBALS = frozenset({"COLLABORATION", "AUTONOMY", "AUTONOMYSUPPORT", "DIRECTION", "EVOCATION", "SPIRIT"})
_MORE_SPELLINGS = {"GIVINGINFO": "GI", "GIVEINFO": "GI", "INFORMATIONGIVING": "GI", "AFFIRMS": "AF"}
# rows of a sheet that summarize the sessions above them
_SUMMARY_ROWS = frozenset({"total", "totals", "sum", "mean", "means", "average", "avg", "sd", "std", "median",
                           "overall", "all", "all sessions"})
_BLANK_CELLS = frozenset({"", "na", "n/a", "nan", "none", "null", "-", "--", "\u2013", "\u2014", ".", "missing"})
# a session column under a name the transcript readers do not take (a tallies table has nothing else to be "ID")
_SESSION_NAMES = frozenset({"id", "transcript", "file", "recording", "video", "session", "sessionname", "name"})
# known file extensions a coder may keep in a session id ("S01.txt")
_EXTENSION = re.compile(r"\.(?:txt|csv|tsv|json|jsonl|vtt|srt|sbv|docx?|xlsx?|ods|rtf|md|eaf|xml|html?|wav|mp3|mp4|m4a)$")


def _words(name: str) -> list[str]:
    """A column name's words, lower case, without parenthetical notes ("Empathy (1-5)", "... (CCT)") and filler
    words, each in the singular ("Simple Reflections" -> simple reflection), "w/" as with and "w/o" as without."""
    low = re.sub(r"\([^)]*\)", " ", str(name).lower()).replace("w/o", " without ").replace("w/", " with ")
    words = [w for w in re.findall(r"[a-z]+", low) if w not in _FILLER_WORDS]
    return [w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in words]


def _summary_column(name: str) -> str | None:
    """A precomputed summary score a sheet may hold: "r_q" (R:Q), "pct_cr" (%CR), "pct_oq" (%OQ); "" for another
    percentage or ratio (never a count: %MIA, R:Q of something else); None for no summary column."""
    low = str(name).lower()
    percent = "%" in low or "percent" in low or re.search(r"\bpct\b|proportion", low) is not None
    ratio = ":" in low or re.search(r"\bratio\b", low) is not None or re.fullmatch(r"\s*r\s*/\s*q\s*", low) is not None
    if not (percent or ratio):
        return None
    core = "".join(w for w in _words(low) if w not in ("percent", "pct", "proportion", "ratio", "to", "per"))
    if ratio and core in ("rq", "reflectionquestion"):
        return "r_q"
    if percent and core in ("cr", "complexreflection", "complex"):
        return "pct_cr"
    if percent and core in ("oq", "openquestion", "open"):
        return "pct_oq"
    return ""


def _count_column(name: str) -> str | None:
    """The behaviour a tallies column counts ("Persuade with Permission" is PWP, "Question" and "Questions" are Q,
    "GI count" is GI), or None (MITI 3.1.1's global ratings Collaboration and Autonomy are no counts)."""
    from ..schemes import SPELLED_MITI

    letters = re.sub(r"[^A-Z]", "", str(name).upper())
    if letters in ("UTTCT", "UTTST"):  # mi-coder's own sessions.csv: client talk is counted per utterance
        return letters[3:]
    words = "".join(_words(name)).upper()
    for key in (letters, words):
        if key in _MITI3_GLOBALS:
            return None
        if key in COUNT_CODES or key in CLIENT_COUNTS:
            return key
        code = SPELLED_MITI.get(key) or _MORE_SPELLINGS.get(key)
        if code in COUNT_CODES or code in CLIENT_COUNTS:
            return code
        if key.endswith("S") and key[:-1] in COUNT_CODES:  # "CRs", "GIs"
            return key[:-1]
    return None


def _global_column(name: str) -> str | None:
    """The global rating a column holds ("Empathy (1-5)", "Global Empathy", "SST global"), or None (mi-coder's own
    ``partnership_global`` and ``empathy_global`` are estimates from codes, not a coder's ratings)."""
    if normalize_column(name) in ("partnership_global", "empathy_global"):
        return None
    for key in (normalize_column(name), re.sub(r"[^a-z]", "", str(name).lower()), "".join(_words(name)),
                "_".join(_words(name))):
        if key in _GLOBAL_NAMES:
            return _GLOBAL_NAMES[key]
    return None


def session_key(sid: str) -> str:
    """A session id as a tallies table and a transcript are matched: lower case, without a file extension, numbers
    without leading zeros ("S01.txt", "s01" and "s1" are one session; "p1.2" keeps its ".2")."""
    key = _EXTENSION.sub("", str(sid).strip().lower())
    return re.sub(r"(?<![0-9])0+(?=[0-9])", "", key)


def _read_frame(path: Path):  # type: ignore[no-untyped-def]
    """The table of a tallies file as text cells: CSV/TSV in any encoding the transcript readers take, delimiter
    sniffed among , ; tab |; a workbook only when pandas can open it and it holds one filled sheet."""
    import pandas as pd

    from ..io.base import decode_bytes
    from ..io.delimited import sniff_delimiter

    if path.is_dir():
        raise InputError(path, "a folder: --tallies takes one table (CSV or TSV), one row per session")
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".ods"):
        try:
            sheets = pd.read_excel(path, dtype=str, sheet_name=None)
        except ImportError:
            raise InputError(path, "a spreadsheet workbook: save the sheet as CSV and give that (reading workbooks "
                                   "needs the optional package openpyxl)") from None
        except FileNotFoundError:
            raise InputError(path, "no such file") from None
        except (ValueError, OSError, KeyError) as exc:
            raise InputError(path, f"not a readable workbook ({str(exc).splitlines()[0] if str(exc) else exc})") from None
        filled = {name: f for name, f in sheets.items() if not f.dropna(how="all").empty}
        if len(filled) > 1:
            raise InputError(path, f"a workbook with {len(filled)} filled sheets ({', '.join(map(str, filled))}): "
                                   "save the sheet to compare as CSV and give that")
        return next(iter(filled.values())) if filled else pd.DataFrame()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except OSError as exc:
        raise InputError(path, f"cannot be read ({exc.strerror or exc})") from None
    text = decode_bytes(raw, str(path))
    delimiter = sniff_delimiter(text, "tsv" if path.suffix.lower() in (".tsv", ".tab") else "csv")
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, sep=delimiter, keep_default_na=False, skipinitialspace=True)
    except (ValueError, pd.errors.ParserError) as exc:
        raise InputError(path, f"not a readable tallies table ({str(exc).splitlines()[0] if str(exc) else exc})") from None
    return frame


def _number(cell: str) -> float:
    """A cell as a number, a decimal comma read as such ("4,5"; a quoted cell of a comma table too) but not a
    thousands separator ("1,250" is refused as ambiguous), a trailing % dropped (the caller scales percentages);
    ValueError when not a number."""
    text = cell.strip().rstrip("%").strip()
    if re.fullmatch(r"-?\d+,\d+", text) and not re.fullmatch(r"-?\d{1,3}(?:,\d{3})+", text):
        text = text.replace(",", ".")
    return float(text)


def read_tallies(path: str | Path, session_column: str | None = None) -> tuple[dict[str, dict[str, float]], dict]:
    """A tallies table as {session id: {measure: value}} (measures: ``COUNT_CODES``, ``CLIENT_COUNTS``,
    ``GLOBALS`` keys, precomputed summaries ``r_q``/``pct_cr``/``pct_oq`` and ``QUALITY``; a blank, NA or "-" cell is
    left out) and what was read: the columns by measure, the columns not read and the summary rows passed over
    (Total, Mean...). An InputError names the file for a table with no session column, two columns read as one
    measure, a session listed twice (ids compared as ``session_key`` does), a row with values and no session id, a
    value that is not a number, a count below 0, a rating outside 1-5, a label that is not a quality, or no
    behaviour, rating or quality column at all."""
    from ..io.base import COLUMN_ALIASES

    path = Path(path)
    frame = _read_frame(path)
    frame = frame.fillna("")
    frame.columns = [str(c).strip() for c in frame.columns]
    # --session-col names the transcripts' session column; the tallies table may use it too, or a usual name
    session = session_column if session_column in frame.columns else \
        next((c for c in frame.columns if normalize_column(c) in COLUMN_ALIASES["session"]), None) or \
        next((c for c in frame.columns if re.sub(r"[^a-z]", "", c.lower()) in _SESSION_NAMES), None)
    if session is None:
        raise InputError(path, "no session column (session_id, transcript_id, file_name, ...): each row of a tallies "
                               f"table is one session, named as its transcript is (columns: "
                               f"{', '.join(map(str, frame.columns))})")
    measures: dict[str, str] = {}
    ignored = []
    for column in frame.columns:
        if column == session:
            continue
        summary = _summary_column(column)
        measure = summary if summary is not None else (
            _count_column(column) or _global_column(column)
            or (QUALITY if re.sub(r"[^a-z]", "", column.lower()) in _QUALITY_COLUMNS else None))
        if not measure:
            ignored.append(column)
        elif measure in measures:
            raise InputError(path, f"columns {measures[measure]!r} and {column!r} are both read as {measure}: one "
                                   "column per measure (for several coders, a table per coder)")
        else:
            measures[measure] = column
    if not measures:
        raise InputError(path, "no behaviour count, global rating or quality column (GI, Persuade, Persuade with "
                               "Permission, Question, SR, CR, Seek, Affirm, Emphasize, Confront; Cultivating Change Talk, "
                               "Softening Sustain Talk, Partnership, Empathy; quality: high or low); columns: "
                               f"{', '.join(map(str, frame.columns))}")
    coder = next((c for c in ignored if re.sub(r"[^a-z]", "", c.lower()) in ("coder", "rater", "coderid", "raterid")),
                 None)
    out: dict[str, dict[str, float]] = {}
    keys: dict[str, str] = {}
    summary_rows = []
    for n, (_, row) in enumerate(frame.iterrows(), start=2):  # row 1 is the header
        sid = str(row[session]).strip()
        cells = {measure: str(row[column]).strip() for measure, column in measures.items()}
        if sid.lower() in _SUMMARY_ROWS:
            summary_rows.append(sid)
            continue
        if not sid:
            if any(cell.lower() not in _BLANK_CELLS for cell in cells.values()):
                raise InputError(path, f"row {n} has values but no session id in column {session!r}")
            continue
        key = session_key(sid)
        if key in keys:
            same = "" if keys[key] == sid else f" (as {keys[key]!r} and {sid!r})"
            raise InputError(path, f"session {sid} is listed twice{same}: one row per session"
                                   + (f"; the table has a {coder!r} column: give each coder's rows as a table of their "
                                      "own" if coder else ""))
        keys[key] = sid
        values: dict[str, float] = {}
        for measure, cell in cells.items():
            column = measures[measure]
            if cell.lower() in _BLANK_CELLS:
                continue
            if measure == QUALITY:
                label = re.sub(r"[^a-z]", "", cell.lower())
                if label not in _QUALITY_VALUES:
                    raise InputError(path, f"session {sid}, column {column!r}: {cell!r} is not a quality label "
                                           "(high or low; mixed is read and left out)")
                values[QUALITY] = np.nan if _QUALITY_VALUES[label] is None else _QUALITY_VALUES[label]
                continue
            try:
                value = _number(cell)
            except ValueError:
                raise InputError(path, f"session {sid}, column {column!r}: {cell!r} is not a number") from None
            if not np.isfinite(value):
                raise InputError(path, f"session {sid}, column {column!r}: {cell!r} is not a number")
            if measure in GLOBALS and not 1 <= value <= 5:
                raise InputError(path, f"session {sid}, column {column!r}: {cell} is outside MITI's 1-5 rating scale")
            if measure not in GLOBALS and value < 0:
                raise InputError(path, f"session {sid}, column {column!r}: {cell} is "
                                       + ("not a count" if measure in COUNT_CODES or measure in CLIENT_COUNTS
                                          else "below 0"))
            values[measure] = value
        out[sid] = values
    if not out:
        raise InputError(path, "no session rows")
    if {"Q", "OQ", "CQ"} <= set(measures):  # a sheet's "Questions" beside OQ and CQ: their total, when it is their sum
        full = [v for v in out.values() if all(k in v for k in ("Q", "OQ", "CQ"))]
        if full and all(abs(v["Q"] - v["OQ"] - v["CQ"]) < 1e-9 for v in full):
            for v in out.values():
                v.pop("Q", None)
            ignored.append(f"{measures.pop('Q')} (the sum of open and closed questions)")
    for measure in ("pct_cr", "pct_oq"):  # a percentage written 0-100 is read as the 0-1 share the scores use
        if any(v.get(measure, 0) > 1 for v in out.values()):
            for v in out.values():
                if measure in v:
                    v[measure] /= 100
    return out, {"columns": measures, "not_read": ignored, "session_column": str(session),
                 "summary_rows": summary_rows}


def summaries(counts: dict[str, float]) -> dict[str, float | None]:
    """``SUMMARIES`` from one side's counts and ratings (None where a part is missing or a ratio undefined): R:Q
    with every question (Q, OQ, CQ), %CR, MI-adherent, MI-non-adherent, and the relational and technical globals."""
    def total(*codes: str) -> float | None:
        present = [counts[c] for c in codes if c in counts]
        return sum(present) if present else None

    questions = total("Q", "OQ", "CQ")
    reflections = total("SR", "CR")
    both_reflections = "SR" in counts and "CR" in counts
    out: dict[str, float | None] = {
        "r_q": reflections / questions if both_reflections and questions else None,
        "pct_cr": counts["CR"] / reflections if both_reflections and reflections else None,
        "pct_oq": counts["OQ"] / (counts["OQ"] + counts["CQ"])
        if "OQ" in counts and "CQ" in counts and counts["OQ"] + counts["CQ"] else None,
        "mi_adherent": total("SEEK", "AF", "EA") if all(c in counts for c in ("SEEK", "AF", "EA")) else None,
        "mi_nonadherent": total("PER", "CON") if all(c in counts for c in ("PER", "CON")) else None,
        "change_talk_pct": counts["CT"] / (counts["CT"] + counts["ST"])
        if "CT" in counts and "ST" in counts and counts["CT"] + counts["ST"] else None,
    }
    pair = [counts.get("partnership"), counts.get("empathy")]
    out["relational"] = sum(pair) / 2 if None not in pair else None  # type: ignore[operator]
    pair = [counts.get("cultivating_change_talk"), counts.get("softening_sustain_talk")]
    out["technical"] = sum(pair) / 2 if None not in pair else None  # type: ignore[operator]
    return out


def machine_measures(session: Session, scores: dict[str, Any] | None = None) -> dict[str, float]:
    """A coded session's volley counts and global estimates, as ``read_tallies`` names the measures (``scores``:
    its ``session_scores`` where already computed)."""
    from ..scoring import session_scores

    scores = session_scores(session) if scores is None else scores
    out = {code: float(scores[code]) for code in COUNT_CODES if scores.get(code) is not None}
    out.update({code: float(scores[f"utt_{code}"]) for code in CLIENT_COUNTS if scores.get(f"utt_{code}") is not None})
    for measure, estimate in GLOBALS.items():
        if estimate is not None and scores.get(estimate) is not None:
            out[measure] = float(scores[estimate])
    return out


def _match(human: dict[str, Any], machine: dict[str, Any]) -> dict[str, str]:
    """Human session id -> machine session id: the same id, else the same ``session_key`` ("S01.txt" and "s1")."""
    by_key: dict[str, str] = {}
    for sid in machine:
        by_key.setdefault(session_key(sid), sid)
    return {sid: sid if sid in machine else by_key[session_key(sid)] for sid in human
            if sid in machine or session_key(sid) in by_key}


def _spread(x: np.ndarray) -> bool:
    """Whether values vary beyond floating-point noise (a share of 6/10 computed ten ways is no spread)."""
    return bool(x.std() > 1e-9 * max(1.0, float(np.abs(x).max())))


def tally_report(tallies_path: str | Path, sessions: Sequence[Session], session_column: str | None = None,
                 tallies: tuple[dict, dict] | None = None) -> dict:
    """Each measure of the tallies table against the coded ``sessions``: ICC(2,1), Pearson r, the human and machine
    means, over the sessions both have. Machine counts are compared with the human form of questions: where the
    table counts MITI 4.2.1's Q (open and closed not told apart), the machine's OQ + CQ + Q; where it counts OQ and
    CQ, each. An InputError names the tallies file when no session of it was coded. ``tallies``: the table as
    ``read_tallies`` already read it (checked before any transcript is coded)."""
    from ..scoring import session_scores

    human, read = tallies if tallies is not None else read_tallies(tallies_path, session_column)
    scores = {s.id: session_scores(s) for s in sessions}
    machine = {s.id: machine_measures(s, scores[s.id]) for s in sessions}
    pairs = _match(human, machine)
    if not pairs:
        raise InputError(tallies_path, "no session of the table was coded: its session ids ("
                         + ", ".join(list(human)[:3]) + ("..." if len(human) > 3 else "") + ") match no transcript's ("
                         + ", ".join(list(machine)[:3]) + ("..." if len(machine) > 3 else "") + ")")
    questions_unformed = "Q" in read["columns"] and not {"OQ", "CQ"} & set(read["columns"])
    rows_h, rows_m = [], []
    for sid, mid in pairs.items():
        h, m = dict(human[sid]), dict(machine[mid])
        if questions_unformed:
            m["Q"] = sum(m.get(c, 0.0) for c in ("Q", "OQ", "CQ"))
            m.pop("OQ", None)
            m.pop("CQ", None)
        for side in (h, m):
            side.update({k: v for k, v in summaries(side).items() if v is not None})
        rows_h.append(h)
        rows_m.append(m)
    measures = [c for c in (*COUNT_CODES, *CLIENT_COUNTS, *GLOBALS, *SUMMARIES)
                if any(c in r for r in rows_h) and any(c in r for r in rows_m)]
    compared = {}
    for measure in measures:
        xh = np.array([r.get(measure, np.nan) for r in rows_h], dtype=float)
        xm = np.array([r.get(measure, np.nan) for r in rows_m], dtype=float)
        ok = ~(np.isnan(xh) | np.isnan(xm))
        varied = ok.sum() >= 3 and _spread(xh[ok]) and _spread(xm[ok])
        icc = icc_2_1(xh[ok], xm[ok]) if ok.sum() >= 3 else None
        compared[measure] = {
            "n_sessions": int(ok.sum()),
            "icc": None if icc is None or not np.isfinite(icc) else round(icc, 3) + 0.0,
            "pearson_r": round(float(np.corrcoef(xh[ok], xm[ok])[0, 1]), 3) if varied else None,
            "human_mean": round(float(xh[ok].mean()), 3) if ok.any() else None,
            "machine_mean": round(float(xm[ok].mean()), 3) if ok.any() else None,
        }
    not_estimated = [g for g, est in GLOBALS.items() if est is None and g in read["columns"]]
    labelled = {sid: human[sid][QUALITY] for sid in pairs if QUALITY in human[sid]}
    quality = quality_report(labelled, {sid: scores[mid] for sid, mid in pairs.items()},
                             dict(zip(pairs, rows_h))) if QUALITY in read["columns"] else None
    if quality is not None:
        quality["n_unlabelled"] = len(pairs) - len(labelled)
    return {"tallies": {
        "file": str(tallies_path), "sessions_compared": len(pairs),
        "sessions_not_coded": sorted(set(human) - set(pairs)),
        "sessions_not_in_table": sorted(set(machine) - set(pairs.values())),
        "columns": read["columns"], "columns_not_read": read["not_read"],
        "summary_rows": read.get("summary_rows", []),
        "questions": "Q (open and closed not told apart): the machine's OQ + CQ + Q" if questions_unformed else
                     "as the table counts them",
        "not_estimated": not_estimated, "measures": compared,
        **({"quality": quality} if quality is not None else {})}}


def quality_report(labels: dict[str, float], machine_scores: dict[str, dict[str, Any]],
                   human_measures: dict[str, dict[str, float]]) -> dict:
    """Do the scores separate the sessions labelled high from those labelled low MI quality? ``labels``: session ->
    1.0 (high), 0.0 (low) or nan (mixed: counted, left out); ``machine_scores``: each session's ``session_scores``
    from the machine's codes; ``human_measures``: the table's own counts, ratings and ``SUMMARIES`` per session.
    Gives, per score, the AUC (high quality positive: under 0.5, the score is higher in low-quality sessions) with
    a 95% interval from resampling sessions within each quality level (``metrics.bootstrap``)."""
    from .metrics import quality_auc
    from .validation import VALIDATED_SCORES

    ids = [sid for sid, value in labels.items() if not np.isnan(value)]
    y = np.array([labels[sid] for sid in ids])

    def column(values: dict[str, dict[str, Any]], key: str) -> np.ndarray:
        return np.array([np.nan if values[sid].get(key) is None else float(values[sid][key]) for sid in ids])

    human_keys = [k for k in (*COUNT_CODES, *CLIENT_COUNTS, *GLOBALS, *SUMMARIES)
                  if any(human_measures[sid].get(k) is not None for sid in ids)]
    return {"n_high": int((y == 1).sum()), "n_low": int((y == 0).sum()),
            "n_left_out": len(labels) - len(ids),
            "machine": {k: quality_auc(y, column(machine_scores, k)) for k in VALIDATED_SCORES} if ids else {},
            "human": {k: quality_auc(y, column(human_measures, k)) for k in human_keys} if ids else {}}


def format_tallies(report: dict) -> str:
    """A plain-text table of ``tally_report``."""
    t = report["tallies"]
    lines = [f"session-level agreement with the human tallies of {t['file']} ({t['sessions_compared']} sessions "
             "compared; the human tallies are the reference):"]
    if t["sessions_not_coded"]:
        lines.append(f"  in the table but not coded (no transcript of that session): "
                     f"{', '.join(t['sessions_not_coded'][:10])}{' ...' if len(t['sessions_not_coded']) > 10 else ''}")
    if t["sessions_not_in_table"]:
        lines.append(f"  coded but not in the table: {', '.join(t['sessions_not_in_table'][:10])}"
                     f"{' ...' if len(t['sessions_not_in_table']) > 10 else ''}")
    lines.append("  columns read: " + ", ".join(f"{column} as {measure}" for measure, column in t["columns"].items()))
    if t.get("summary_rows"):
        lines.append(f"  rows passed over as summaries of the sessions: {', '.join(t['summary_rows'])}")
    if t["measures"]:  # a table may hold quality labels alone
        lines.append(f"  questions: {t['questions']}")
        lines.append(f"  {'measure':<24}{'ICC(2,1)':>9}{'r':>8}{'human':>9}{'machine':>9}{'n':>5}")
        for measure, m in t["measures"].items():
            def shown(value: object) -> str:
                return "-" if value is None else f"{value}"

            lines.append(f"  {measure:<24}{shown(m['icc']):>9}{shown(m['pearson_r']):>8}{shown(m['human_mean']):>9}"
                         f"{shown(m['machine_mean']):>9}{m['n_sessions']:>5}")
        lines.append("  (ICC: absolute agreement, single rater; '-': fewer than 3 sessions, or for r a side with no "
                     "spread; human and machine: means over the sessions compared)")
    if t["not_estimated"]:
        lines.append(f"  not compared: {', '.join(t['not_estimated'])} (mi-coder estimates no such global rating)")
    quality = t.get("quality")
    if quality is not None:
        lines.append(f"  high vs low MI quality ({quality['n_high']} high, {quality['n_low']} low"
                     + (f", {quality['n_left_out']} mixed left out" if quality["n_left_out"] else "")
                     + (f", {quality['n_unlabelled']} without a label" if quality.get("n_unlabelled") else "")
                     + "): AUC of each score, high quality the positive class")
        if not quality["n_high"] or not quality["n_low"]:
            lines.append("    no AUC: the coded sessions of the table are not labelled both high and low")
        for side, title in (("machine", "machine codes"), ("human", "the table's own measures")):
            if quality[side] and quality["n_high"] and quality["n_low"]:
                lines.append(f"    {'from ' + title:<26}{'AUC':>7}  95% interval")
                for score, row in quality[side].items():
                    lines.append(f"    {score:<26}{'-' if row['auc'] is None else row['auc']:>7}  "
                                 f"{row['auc_95ci'] or '-'}")
        lines.append("    (AUC under 0.5: the score is higher in low-quality sessions; '-': defined in too few sessions;"
                     " intervals from resampling sessions within each quality level)")
    if t["columns_not_read"]:
        lines.append(f"  columns not read: {', '.join(t['columns_not_read'])}")
    return "\n".join(lines)
