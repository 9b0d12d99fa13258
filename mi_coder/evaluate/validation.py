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


def session_level(human: Sequence[Session], machine: Sequence[Session], quality: dict[str, str]) -> dict[str, Any]:
    """Session-level agreement of machine with human codes (AnnoMI: human codes from the turn labels).

    * ``r_q_spearman``: Spearman correlation of R:Q across sessions where both are defined;
    * ``low_quality_reflection_ratio``: practitioner turns holding a reflection, machine / human, summed over
      the low-quality sessions (the over-reading of lecturing as reflection shows here);
    * ``fidelity_auc``: AUC of the machine fidelity_index for high vs low MI quality (human codes alongside).
    ``machine`` must be coded out of fold or held out.
    """
    from scipy.stats import spearmanr

    from ..scoring import session_scores

    h = {s.id: s for s in human}
    m = {s.id: s for s in machine}
    ids = [i for i in m if i in h and i in quality]
    hs = {i: session_scores(h[i]) for i in ids}
    ms = {i: session_scores(m[i]) for i in ids}
    both = [i for i in ids if hs[i]["r_q"] is not None and ms[i]["r_q"] is not None]
    rho = spearmanr([hs[i]["r_q"] for i in both], [ms[i]["r_q"] for i in both]).statistic if len(both) > 2 else None
    low = [i for i in ids if quality[i] == "low"]
    human_low = sum(_reflection_turns(h[i]) for i in low)
    machine_low = sum(_reflection_turns(m[i]) for i in low)
    y = np.array([quality[i] == "high" for i in ids])
    out: dict[str, Any] = {
        "n_sessions": len(ids), "n_low_quality": len(low),
        "r_q_spearman": None if rho is None else round(float(rho), 3),
        "low_quality_reflection_turns": {"machine": machine_low, "human": human_low},
        "low_quality_reflection_ratio": round(machine_low / human_low, 2) if human_low else None,
    }
    for name, scores in (("machine", ms), ("human", hs)):
        v = np.array([np.nan if scores[i]["fidelity_index"] is None else scores[i]["fidelity_index"] for i in ids])
        ok = ~np.isnan(v)
        out[f"fidelity_auc_{name}"] = (round(_auc(y[ok], v[ok]), 3)
                                       if ok.sum() > 2 and len(set(y[ok])) == 2 else None)
    return out
