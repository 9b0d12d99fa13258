"""Validating session indices against an outside criterion (AnnoMI's high/low MI-quality label)."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd

from ..records import Session
from .metrics import _auc, _interval, _pearson, bootstrap

VALIDATED_SCORES = ("r_q", "pct_cr", "pct_oq", "reflection_rate", "change_talk_pct", "client_talk_share",
                    "question_run_pct", "engagement_index", "empathy_index", "fidelity_index",
                    "empathy_global", "partnership_global")


def index_validation(human: Sequence[Session], machine: Sequence[Session], quality: dict[str, str]) -> pd.DataFrame:
    """For each score: AUC for high- vs low-quality sessions from human and from machine codes, and the
    Pearson correlation of machine- and human-derived values across sessions.

    ``machine`` must be coded out of fold (by models that never saw the session) for this to mean anything.
    """
    from ..scoring import session_scores

    h = {s.id: session_scores(s) for s in human}
    m = {s.id: session_scores(s) for s in machine}
    ids = [i for i in h if i in m and i in quality]
    y = np.array([quality[i] == "high" for i in ids])
    rows = []
    for score in VALIDATED_SCORES:
        hv = np.array([np.nan if h[i][score] is None else float(h[i][score]) for i in ids])
        mv = np.array([np.nan if m[i][score] is None else float(m[i][score]) for i in ids])
        row: dict[str, Any] = {"score": score}
        for name, v in (("human", hv), ("machine", mv)):
            ok = ~np.isnan(v)
            defined = ok.sum() > 2 and len(set(y[ok])) == 2
            row[f"auc_{name}"] = round(_auc(y[ok], v[ok]), 3) if defined else None
            if name == "machine":
                row["auc_machine_95ci"] = _interval(bootstrap(_auc, y[ok], v[ok], strata=y[ok])) if defined else None
        ok = ~(np.isnan(hv) | np.isnan(mv))
        defined = ok.sum() > 2 and hv[ok].std() > 0 and mv[ok].std() > 0
        row["r_machine_human"] = round(_pearson(hv[ok], mv[ok]), 3) if defined else None
        row["r_95ci"] = _interval(bootstrap(_pearson, hv[ok], mv[ok])) if defined else None
        row["n_sessions"] = int(ok.sum())
        rows.append(row)
    return pd.DataFrame(rows)


def _reflection_turns(session: Session) -> int:
    return sum(1 for t in session.turns if t.role == "practitioner" and {"SR", "CR"} & set(t.codes))


def session_values(human: Sequence[Session], machine: Sequence[Session], quality: dict[str, str]) -> list[dict]:
    """Per session coded both ways: its quality, R:Q, fidelity index and practitioner turns holding a reflection,
    from the human and the machine codes (None where undefined). ``session_figures`` of these is
    ``session_level``; kept per session so that two coders' figures can be compared by resampling sessions
    (``paired_session_bootstrap``)."""
    from ..scoring import session_scores

    h = {s.id: s for s in human}
    out = []
    for s in machine:
        if s.id not in h or s.id not in quality:
            continue
        hs, ms = session_scores(h[s.id]), session_scores(s)
        out.append({"session": s.id, "quality": quality[s.id],
                    "human_r_q": hs["r_q"], "machine_r_q": ms["r_q"],
                    "human_fidelity": hs["fidelity_index"], "machine_fidelity": ms["fidelity_index"],
                    "human_reflection_turns": _reflection_turns(h[s.id]),
                    "machine_reflection_turns": _reflection_turns(s),
                    # expected counts from the coder's probabilities (``scoring``: r_q_expected) and the volley
                    # counts they stand beside
                    "machine_r_q_expected": ms.get("r_q_expected"),
                    "human_reflection_volleys": hs["SR"] + hs["CR"], "machine_reflection_volleys": ms["SR"] + ms["CR"],
                    "machine_expected_reflections": ms.get("expected_reflections")})
    return out


def session_figures(values: Sequence[dict], rounded: bool = True) -> dict[str, Any]:
    """R:Q Spearman, the low-quality reflection ratio and the fidelity AUCs of ``session_values`` rows."""
    from scipy.stats import rankdata

    def r(x: float, digits: int) -> float:
        return round(x, digits) if rounded else x

    def spearman(key: str) -> float | None:
        both = [v for v in values if v["human_r_q"] is not None and v.get(key) is not None]
        if len(both) <= 2:
            return None
        with np.errstate(all="ignore"):  # Pearson of the average ranks (scipy.stats.spearmanr; the bootstrap's loop)
            rho = float(np.corrcoef(rankdata([v["human_r_q"] for v in both]), rankdata([v[key] for v in both]))[0, 1])
        return None if np.isnan(rho) else r(rho, 3)

    low = [v for v in values if v["quality"] == "low"]
    human_low = sum(v["human_reflection_turns"] for v in low)
    machine_low = sum(v["machine_reflection_turns"] for v in low)
    out: dict[str, Any] = {
        "n_sessions": len(values), "n_low_quality": len(low),
        "r_q_spearman": spearman("machine_r_q"),
        "low_quality_reflection_turns": {"machine": machine_low, "human": human_low},
        "low_quality_reflection_ratio": r(machine_low / human_low, 2) if human_low else None,
    }
    if values and all(v.get("machine_expected_reflections") is not None for v in values):
        # The expected counts (scoring: r_q_expected): R:Q ranked against the human codes, and reflection volleys in
        # the low-quality sessions, expected and counted, against the human volleys.
        human_volleys = sum(v["human_reflection_volleys"] for v in low)
        out["r_q_spearman_expected"] = spearman("machine_r_q_expected")
        out["low_quality_reflection_volley_ratio"] = (
            r(sum(v["machine_reflection_volleys"] for v in low) / human_volleys, 2) if human_volleys else None)
        out["low_quality_reflection_volley_ratio_expected"] = (
            r(sum(v["machine_expected_reflections"] for v in low) / human_volleys, 2) if human_volleys else None)
    y = np.array([v["quality"] == "high" for v in values])
    for name in ("machine", "human"):
        f = np.array([np.nan if v[f"{name}_fidelity"] is None else v[f"{name}_fidelity"] for v in values], dtype=float)
        ok = ~np.isnan(f)
        out[f"fidelity_auc_{name}"] = (r(_auc(y[ok], f[ok]), 3)
                                       if ok.sum() > 2 and len(set(y[ok])) == 2 else None)
    return out


def session_level(human: Sequence[Session], machine: Sequence[Session], quality: dict[str, str]) -> dict[str, Any]:
    """Session-level agreement of machine with human codes (AnnoMI: human codes from the turn labels).

    * ``r_q_spearman``: Spearman correlation of R:Q across sessions where both are defined;
    * ``low_quality_reflection_ratio``: practitioner turns holding a reflection, machine / human, summed over
      the low-quality sessions (the over-reading of lecturing as reflection shows here);
    * ``fidelity_auc``: AUC of the machine fidelity_index for high vs low MI quality (human codes alongside).
    ``machine`` must be coded out of fold or held out.
    """
    return session_figures(session_values(human, machine, quality))


def as_expected(values: Sequence[dict]) -> list[dict]:
    """``session_values`` rows with the machine's R:Q and reflection volleys replaced by the expected ones, so that
    ``paired_session_bootstrap(values, as_expected(values))`` compares counting codes with expected counts."""
    return [{**v, "machine_r_q": v.get("machine_r_q_expected"),
             "machine_reflection_volleys": v.get("machine_expected_reflections")} for v in values]


SESSION_FIGURES = ("r_q_spearman", "low_quality_reflection_ratio", "fidelity_auc_machine", "r_q_spearman_expected",
                   "low_quality_reflection_volley_ratio", "low_quality_reflection_volley_ratio_expected")


def paired_session_bootstrap(a: Sequence[dict], b: Sequence[dict], n: int = 2000, seed: int = 0) -> dict:
    """How two coders' session figures differ (b - a) on the same sessions, with the spread that comes from which
    sessions happen to be there: the same resample of sessions (within quality, so both classes stay) for both
    coders, ``n`` times. Per figure: the difference on all sessions, its bootstrap standard error and 95% interval."""
    by_a = {v["session"]: v for v in a}
    by_b = {v["session"]: v for v in b}
    ids = [i for i in by_a if i in by_b]
    if len(ids) != len(by_a) or len(ids) != len(by_b):
        raise ValueError("the two runs coded different sessions; compare runs on the same split")
    va, vb = [by_a[i] for i in ids], [by_b[i] for i in ids]
    strata = np.array([v["quality"] for v in va])
    groups = [np.flatnonzero(strata == g) for g in np.unique(strata)]
    rng = np.random.default_rng(seed)
    diffs: dict[str, list[float]] = {f: [] for f in SESSION_FIGURES}
    for _ in range(n):
        idx = np.concatenate([rng.choice(g, size=len(g), replace=True) for g in groups])
        fa = session_figures([va[k] for k in idx], rounded=False)
        fb = session_figures([vb[k] for k in idx], rounded=False)
        for f in SESSION_FIGURES:
            if fa.get(f) is not None and fb.get(f) is not None:
                diffs[f].append(fb[f] - fa[f])
    full_a, full_b = session_figures(va, rounded=False), session_figures(vb, rounded=False)
    out = {}
    for f in SESSION_FIGURES:
        d = np.array(diffs[f])
        point = None if full_a.get(f) is None or full_b.get(f) is None else full_b[f] - full_a[f]
        out[f] = {"difference": None if point is None else round(point, 4),
                  "se": round(float(d.std(ddof=1)), 4) if len(d) > 1 else None,
                  "interval": [round(float(x), 4) for x in np.percentile(d, [2.5, 97.5])] if len(d) else None}
    return out
