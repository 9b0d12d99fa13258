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

A quality column (``quality``, ``mi_quality``, ``session_quality``: high or low, as AnnoMI's ``mi_quality`` and
other high/low-quality counselling sets label their sessions; mixed sessions are counted but left out) asks the other
question a researcher has of session scores: do they separate the sessions experts judged high from low MI quality?
The report then gives each machine score's AUC (high quality the positive class) with a 95% interval from
resampling sessions within each quality level, and the same for the human tallies' own measures where the table
has them. A table may hold the quality column alone.
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
# a session's MI-quality label: column names (normalized) and the values read (1 high, 0 low, None counted, left out)
# (letters only, lower case: "MI Quality", "mi_quality" and "High/Low" are "miquality" and "highlow")
_QUALITY_COLUMNS = {"quality", "miquality", "sessionquality", "qualitylabel", "miqualitylabel", "mitiquality",
                    "highlow"}
_QUALITY_VALUES = {"high": 1.0, "highquality": 1.0, "hi": 1.0, "low": 0.0, "lowquality": 0.0, "lo": 0.0,
                   "mixed": None, "medium": None, "moderate": None, "mid": None}
QUALITY = "quality"  # the key a session's label is read under (1.0 high, 0.0 low)


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
            or _GLOBAL_NAMES.get(re.sub(r"[^a-z]", "", str(column).lower())) \
            or (QUALITY if re.sub(r"[^a-z]", "", str(column).lower()) in _QUALITY_COLUMNS else None)
        if measure is None or measure in measures:
            ignored.append(str(column))
        else:
            measures[measure] = str(column)
    if not measures:
        raise InputError(path, "no behaviour count, global rating or quality column (GI, Persuade, Persuade with "
                               "Permission, Question, SR, CR, Seek, Affirm, Emphasize, Confront; Cultivating Change Talk, "
                               "Softening Sustain Talk, Partnership, Empathy; quality: high or low); columns: "
                               f"{', '.join(map(str, frame.columns))}")
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
            if measure == QUALITY:
                label = re.sub(r"[^a-z]", "", cell.lower())
                if label not in _QUALITY_VALUES:
                    raise InputError(path, f"session {sid}, column {column!r}: {cell!r} is not a quality label "
                                           "(high or low; mixed is read and left out)")
                values[QUALITY] = np.nan if _QUALITY_VALUES[label] is None else _QUALITY_VALUES[label]
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
    labelled = {sid: human[sid][QUALITY] for sid in pairs if QUALITY in human[sid]}
    quality = quality_report(labelled, {sid: scores[mid] for sid, mid in pairs.items()},
                             dict(zip(pairs, rows_h))) if QUALITY in read["columns"] else None
    return {"tallies": {
        "file": str(tallies_path), "sessions_compared": len(pairs),
        "sessions_not_coded": sorted(set(human) - set(pairs)),
        "sessions_not_in_table": sorted(set(machine) - set(pairs.values())),
        "columns": read["columns"], "columns_not_read": read["not_read"],
        "questions": "Q (open and closed not told apart): the machine's OQ + CQ + Q" if questions_unformed else
                     "as the table counts them",
        "not_estimated": not_estimated, "measures": compared,
        **({"quality": quality} if quality is not None else {})}}


def _auc_row(label: np.ndarray, values: np.ndarray) -> dict[str, Any]:
    """AUC of ``values`` for high (1) against low (0) quality with its 95% interval, sessions resampled within each
    level; None where the score is undefined in all but two sessions or one level is missing."""
    from .metrics import _auc, _interval, bootstrap

    ok = ~np.isnan(values)
    y, v = label[ok].astype(bool), values[ok]
    row: dict[str, Any] = {"n_high": int(y.sum()), "n_low": int((~y).sum()), "auc": None, "auc_95ci": None}
    if ok.sum() > 2 and y.any() and (~y).any():
        row["auc"] = round(_auc(y, v), 3) + 0.0
        row["auc_95ci"] = _interval(bootstrap(_auc, y, v, strata=y))
    return row


def quality_report(labels: dict[str, float], machine_scores: dict[str, dict[str, Any]],
                   human_measures: dict[str, dict[str, float]]) -> dict:
    """Do the scores separate the sessions labelled high from those labelled low MI quality? ``labels``: session ->
    1.0 (high), 0.0 (low) or nan (mixed: counted, left out); ``machine_scores``: each session's ``session_scores``
    from the machine's codes; ``human_measures``: the table's own counts, ratings and ``SUMMARIES`` per session.
    Gives, per score, the AUC (high quality positive: under 0.5, the score is higher in low-quality sessions) with
    a 95% interval from resampling sessions within each quality level (``metrics.bootstrap``)."""
    from .validation import VALIDATED_SCORES

    ids = [sid for sid, value in labels.items() if not np.isnan(value)]
    y = np.array([labels[sid] for sid in ids])

    def column(values: dict[str, dict[str, Any]], key: str) -> np.ndarray:
        return np.array([np.nan if values[sid].get(key) is None else float(values[sid][key]) for sid in ids])

    human_keys = [k for k in (*COUNT_CODES, *CLIENT_COUNTS, *GLOBALS, *SUMMARIES)
                  if any(human_measures[sid].get(k) is not None for sid in ids)]
    return {"n_high": int((y == 1).sum()), "n_low": int((y == 0).sum()),
            "n_left_out": len(labels) - len(ids),
            "machine": {k: _auc_row(y, column(machine_scores, k)) for k in VALIDATED_SCORES} if ids else {},
            "human": {k: _auc_row(y, column(human_measures, k)) for k in human_keys} if ids else {}}


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
    if t["measures"]:  # a table may hold quality labels alone
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
    quality = t.get("quality")
    if quality is not None:
        lines.append(f"  high vs low MI quality ({quality['n_high']} high, {quality['n_low']} low"
                     + (f", {quality['n_left_out']} mixed left out" if quality["n_left_out"] else "")
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
        shown = t["columns_not_read"][:8]
        more = len(t["columns_not_read"]) - len(shown)
        lines.append(f"  columns not read: {', '.join(shown)}" + (f" and {more} more" if more else ""))
    return "\n".join(lines)
