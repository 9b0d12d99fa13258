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
against the machine's utterance counts), and any of the global ratings (``Cultivating Change Talk``, ``Softening Sustain Talk``, ``Partnership``, ``Empathy``). Other
columns (the coder, a date) are listed as not read. mi-coder's own ``sessions.csv`` is such a table (its volley
counts and ``utt_CT``/``utt_ST``), so human utterance codes scored with ``mi-coder score`` can be compared too.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..errors import InputError
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
SUMMARIES = ("r_q", "pct_cr", "mi_adherent", "mi_nonadherent", "change_talk_pct", "relational", "technical")


def _count_column(name: str) -> str | None:
    """The behaviour a tallies column counts ("Persuade with Permission" is PWP, "Question" is Q), or None."""
    from ..schemes import SPELLED_MITI

    letters = re.sub(r"[^A-Z]", "", str(name).upper())
    if letters in ("UTTCT", "UTTST"):  # mi-coder's own sessions.csv: client talk is counted per utterance
        return letters[3:]
    if letters in COUNT_CODES or letters in CLIENT_COUNTS:
        return letters
    code = SPELLED_MITI.get(letters)
    return code if code in COUNT_CODES or code in CLIENT_COUNTS else None


def read_tallies(path: str | Path, session_column: str | None = None) -> tuple[dict[str, dict[str, float]], dict]:
    """A tallies table as {session id: {measure: value}} (measures: ``COUNT_CODES`` and ``GLOBALS`` keys; a blank
    cell is left out) and what was read: the columns by measure and the columns not read. An InputError names the
    file for a table with no session column, a session listed twice, a value that is not a number, a count below 0
    or a rating outside 1-5, or no behaviour or rating column at all."""
    import pandas as pd

    from ..io.base import COLUMN_ALIASES, normalize_column

    path = Path(path)
    try:
        if path.suffix.lower() in (".xlsx", ".xls"):
            frame = pd.read_excel(path, dtype=str)
        else:
            frame = pd.read_csv(path, dtype=str, sep=None, engine="python", encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise InputError(path, f"not a readable tallies table ({str(exc).splitlines()[0] if str(exc) else exc})") from None
    frame = frame.fillna("")
    # --session-col names the transcripts' session column; the tallies table may use it too, or a usual name
    session = session_column if session_column in frame.columns else \
        next((c for c in frame.columns if normalize_column(c) in COLUMN_ALIASES["session"]), None)
    if session is None:
        raise InputError(path, "no session column (session_id, transcript_id, file_name, ...): each row of a tallies "
                               f"table is one session, named as its transcript is (columns: "
                               f"{', '.join(map(str, frame.columns))})")
    measures: dict[str, str] = {}
    ignored = []
    for column in frame.columns:
        if column == session:
            continue
        measure = _count_column(column) or _GLOBAL_NAMES.get(normalize_column(column)) \
            or _GLOBAL_NAMES.get(re.sub(r"[^a-z]", "", str(column).lower()))
        if measure is None or measure in measures:
            ignored.append(str(column))
        else:
            measures[measure] = str(column)
    if not measures:
        raise InputError(path, "no behaviour count or global rating column (GI, Persuade, Persuade with Permission, "
                               "Question, SR, CR, Seek, Affirm, Emphasize, Confront; Cultivating Change Talk, Softening "
                               f"Sustain Talk, Partnership, Empathy); columns: {', '.join(map(str, frame.columns))}")
    out: dict[str, dict[str, float]] = {}
    for _, row in frame.iterrows():
        sid = str(row[session]).strip()
        if not sid:
            continue
        if sid in out:
            raise InputError(path, f"session {sid} is listed twice (one row per session)")
        values = {}
        for measure, column in measures.items():
            cell = str(row[column]).strip()
            if cell == "":
                continue
            try:
                value = float(cell)
            except ValueError:
                raise InputError(path, f"session {sid}, column {column!r}: {cell!r} is not a number") from None
            if measure in GLOBALS and not 1 <= value <= 5:
                raise InputError(path, f"session {sid}, column {column!r}: {cell} is outside MITI's 1-5 rating scale")
            if measure not in GLOBALS and (value < 0 or not np.isfinite(value)):
                raise InputError(path, f"session {sid}, column {column!r}: {cell} is not a count")
            values[measure] = value
        out[sid] = values
    if not out:
        raise InputError(path, "no session rows")
    return out, {"columns": measures, "not_read": ignored, "session_column": str(session)}


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


def machine_measures(session: Session) -> dict[str, float]:
    """A coded session's volley counts and global estimates, as ``read_tallies`` names the measures."""
    from ..scoring import session_scores

    scores = session_scores(session)
    out = {code: float(scores[code]) for code in COUNT_CODES if scores.get(code) is not None}
    out.update({code: float(scores[f"utt_{code}"]) for code in CLIENT_COUNTS if scores.get(f"utt_{code}") is not None})
    for measure, estimate in GLOBALS.items():
        if estimate is not None and scores.get(estimate) is not None:
            out[measure] = float(scores[estimate])
    return out


def _match(human: dict[str, Any], machine: dict[str, Any]) -> dict[str, str]:
    """Human session id -> machine session id: the same id, else the same id in lower case without a file
    extension ("S01.txt" and "s01")."""
    def key(sid: str) -> str:
        return re.sub(r"\.[A-Za-z0-9]{1,5}$", "", sid.strip()).lower()

    by_key: dict[str, str] = {}
    for sid in machine:
        by_key.setdefault(key(sid), sid)
    return {sid: sid if sid in machine else by_key[key(sid)] for sid in human if sid in machine or key(sid) in by_key}


def tally_report(tallies_path: str | Path, sessions: Sequence[Session], session_column: str | None = None,
                 tallies: tuple[dict, dict] | None = None) -> dict:
    """Each measure of the tallies table against the coded ``sessions``: ICC(2,1), Pearson r, the human and machine
    means, over the sessions both have. Machine counts are compared with the human form of questions: where the
    table counts MITI 4.2.1's Q (open and closed not told apart), the machine's OQ + CQ + Q; where it counts OQ and
    CQ, each. An InputError names the tallies file when no session of it was coded. ``tallies``: the table as
    ``read_tallies`` already read it (checked before any transcript is coded)."""
    human, read = tallies if tallies is not None else read_tallies(tallies_path, session_column)
    machine = {s.id: machine_measures(s) for s in sessions}
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
        varied = ok.sum() >= 3 and xh[ok].std() > 0 and xm[ok].std() > 0
        icc = icc_2_1(xh[ok], xm[ok]) if ok.sum() >= 3 else None
        compared[measure] = {
            "n_sessions": int(ok.sum()),
            "icc": None if icc is None or not np.isfinite(icc) else round(icc, 3) + 0.0,
            "pearson_r": round(float(np.corrcoef(xh[ok], xm[ok])[0, 1]), 3) if varied else None,
            "human_mean": round(float(xh[ok].mean()), 3) if ok.any() else None,
            "machine_mean": round(float(xm[ok].mean()), 3) if ok.any() else None,
        }
    not_estimated = [g for g, est in GLOBALS.items() if est is None and g in read["columns"]]
    return {"tallies": {
        "file": str(tallies_path), "sessions_compared": len(pairs),
        "sessions_not_coded": sorted(set(human) - set(pairs)),
        "sessions_not_in_table": sorted(set(machine) - set(pairs.values())),
        "columns": read["columns"], "columns_not_read": read["not_read"],
        "questions": "Q (open and closed not told apart): the machine's OQ + CQ + Q" if questions_unformed else
                     "as the table counts them",
        "not_estimated": not_estimated, "measures": compared}}


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
    lines.append(f"  questions: {t['questions']}")
    lines.append(f"  {'measure':<24}{'ICC(2,1)':>9}{'r':>8}{'human':>9}{'machine':>9}{'n':>5}")
    for measure, m in t["measures"].items():
        def shown(value: object) -> str:
            return "-" if value is None else f"{value}"

        lines.append(f"  {measure:<24}{shown(m['icc']):>9}{shown(m['pearson_r']):>8}{shown(m['human_mean']):>9}"
                     f"{shown(m['machine_mean']):>9}{m['n_sessions']:>5}")
    lines.append("  (ICC: absolute agreement, single rater; '-': fewer than 3 sessions, or no spread; human and "
                 "machine: means over the sessions compared)")
    if t["not_estimated"]:
        lines.append(f"  not compared: {', '.join(t['not_estimated'])} (mi-coder estimates no such global rating)")
    if t["columns_not_read"]:
        shown = t["columns_not_read"][:8]
        more = len(t["columns_not_read"]) - len(shown)
        lines.append(f"  columns not read: {', '.join(shown)}" + (f" and {more} more" if more else ""))
    return "\n".join(lines)
