"""Agreement and accuracy measures: per-code P/R/F1 with kappa and confusion, calibration, ICC, AUC, bootstrap intervals."""

from __future__ import annotations

from collections import Counter
from typing import Any, Callable, Sequence

import numpy as np
from sklearn.metrics import (
    cohen_kappa_score,
    precision_recall_fscore_support,
)


def utterance_report(y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str] | None = None) -> dict:
    """Per-code precision, recall, F1 and support; macro-F1; Cohen's kappa; confusion matrix."""
    y_true = list(y_true)
    y_pred = list(y_pred)
    labels = list(labels) if labels is not None else sorted(set(y_true) | set(y_pred))
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    present = [k for k, lab in enumerate(labels) if s[k] > 0]
    given = Counter(y_pred)  # how often each code was given
    used = [k for k, lab in enumerate(labels) if s[k] > 0 or lab in given]
    return {
        "n": len(y_true),
        "per_code": {lab: {"precision": round(float(p[k]), 3), "recall": round(float(r[k]), 3),
                           "f1": round(float(f[k]), 3), "support": int(s[k])} for k, lab in enumerate(labels)},
        # over the codes the reference uses (as every figure of the model cards); and over every code either side
        # used (scikit-learn's macro average: a code only the machine or the second coder gives counts, F1 0)
        "macro_f1": round(float(np.mean([f[k] for k in present])), 3) if present else None,
        "macro_f1_all_codes": round(float(np.mean([f[k] for k in used])), 3) if used else None,
        "predicted_only": {lab: int(given[lab]) for k, lab in enumerate(labels) if s[k] == 0 and lab in given},
        "accuracy": round(float(np.mean(np.array(y_true) == np.array(y_pred))), 3) if y_true else None,
        "kappa": round(float(cohen_kappa_score(y_true, y_pred)), 3) if len(set(y_true) | set(y_pred)) > 1 else None,
        "labels": labels,
        "confusion": _confusion(y_true, y_pred, labels),
    }


def _confusion(y_true: Sequence, y_pred: Sequence, labels: Sequence) -> list[list[int]]:
    """scikit-learn's confusion matrix (rows the reference), counted here: its function warns of one label on both
    sides even with ``labels`` given, which a one-utterance review hit."""
    index = {lab: k for k, lab in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for t, p in zip(y_true, y_pred):
        if t in index and p in index:
            matrix[index[t]][index[p]] += 1
    return matrix


def confusion_rows(report: dict) -> tuple[list[str], list[tuple[str, list[int]]]]:
    """The confusion matrix of an ``utterance_report`` as (column codes, [(row code, counts)]): rows are the
    reference's codes, columns the codes given, and codes neither side used are left out."""
    labels, matrix = report.get("labels") or [], report.get("confusion") or []
    used = [k for k in range(len(labels)) if any(matrix[k]) or any(row[k] for row in matrix)]
    return [labels[k] for k in used], [(labels[i], [matrix[i][k] for k in used]) for i in used]


def reliability(confidence: Sequence[float], correct: Sequence[bool], bins: int = 10) -> dict:
    """Expected calibration error and accuracy by confidence bin (a reliability diagram as numbers)."""
    conf = np.asarray(confidence, dtype=float)
    ok = np.asarray(correct, dtype=float)
    edges = np.linspace(0, 1, bins + 1)
    table = []
    ece = 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        m = (conf > lo) & (conf <= hi) if lo > 0 else (conf >= lo) & (conf <= hi)
        if m.sum() == 0:
            continue
        gap = abs(conf[m].mean() - ok[m].mean())
        ece += m.mean() * gap
        table.append({"bin": f"{lo:.1f}-{hi:.1f}", "n": int(m.sum()), "mean_confidence": round(float(conf[m].mean()), 3),
                      "accuracy": round(float(ok[m].mean()), 3)})
    return {"ece": round(float(ece), 4), "bins": table}


def icc_2_1(a: Sequence[float], b: Sequence[float]) -> float | None:
    """ICC(2,1): two-way random effects, absolute agreement, single rater (Shrout & Fleiss)."""
    x = np.column_stack([np.asarray(a, float), np.asarray(b, float)])
    x = x[~np.isnan(x).any(axis=1)]
    n, k = x.shape
    if n < 3:
        return None
    grand = x.mean()
    msr = k * ((x.mean(axis=1) - grand) ** 2).sum() / (n - 1)
    msc = n * ((x.mean(axis=0) - grand) ** 2).sum() / (k - 1)
    sse = ((x - x.mean(axis=1, keepdims=True) - x.mean(axis=0, keepdims=True) + grand) ** 2).sum()
    mse = sse / ((n - 1) * (k - 1))
    den = msr + (k - 1) * mse + k * (msc - mse) / n
    return None if den == 0 else float((msr - mse) / den)


def _auc(y: np.ndarray, v: np.ndarray) -> float:
    """ROC AUC of ``v`` for the positive class of ``y`` as the Mann-Whitney statistic over average ranks (equal to
    sklearn's roc_auc_score, ties counted half; a hundred times faster, which the bootstrap needs); nan where ``y``
    holds one class."""
    from scipy.stats import rankdata

    y = np.asarray(y, dtype=bool)
    pos, neg = int(y.sum()), int((~y).sum())
    if not pos or not neg:
        return float("nan")
    ranks = rankdata(v)
    return float((ranks[y].sum() - pos * (pos + 1) / 2) / (pos * neg))


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    with np.errstate(all="ignore"):  # a resample with no spread has no correlation: nan, dropped
        return float(np.corrcoef(a, b)[0, 1])


def bootstrap(stat: Callable[[np.ndarray, np.ndarray], float], a: np.ndarray, b: np.ndarray,
              strata: np.ndarray | None = None, n: int = 2000, level: float = 0.95,
              seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of ``stat(a, b)``, resampling sessions (within ``strata`` if given,
    so every resample keeps the number of high- and low-quality sessions). Seeded: the same data give the
    same interval.

    Without strata this is ``scipy.stats.bootstrap`` (paired, percentile). With strata it is the loop below:
    scipy has no stratified resampling, and an AUC needs both classes in every resample.
    """
    if strata is None:
        from scipy.stats import bootstrap as scipy_bootstrap

        def paired(x: np.ndarray, y: np.ndarray) -> float:
            return stat(x, y)

        res = scipy_bootstrap((a, b), paired, paired=True, vectorized=False, n_resamples=n, confidence_level=level,
                              method="percentile", random_state=np.random.default_rng(seed))
        low, high = float(res.confidence_interval.low), float(res.confidence_interval.high)
        if np.isfinite(low) and np.isfinite(high):
            return low, high
        # scipy keeps the resamples whose statistic is undefined (a Pearson r of sessions that all scored the
        # same), and one of them makes the interval nan: the loop below drops them
    rng = np.random.default_rng(seed)
    groups = [np.flatnonzero(strata == g) for g in np.unique(strata)] if strata is not None else [np.arange(len(a))]
    values = []
    for _ in range(n):
        idx = np.concatenate([rng.choice(g, size=len(g), replace=True) for g in groups])
        value = stat(a[idx], b[idx])
        if np.isfinite(value):
            values.append(value)
    if not values:  # undefined in every resample
        return float("nan"), float("nan")
    lo, hi = np.quantile(values, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


def quality_auc(label: np.ndarray, values: np.ndarray, min_sessions: int = 3) -> dict:
    """AUC of ``values`` for high (1) against low (0) quality with its 95% interval, sessions resampled within each
    level, and how many sessions of each level it rests on (nan values left out); ``auc`` and ``auc_95ci`` None
    where fewer than ``min_sessions`` sessions have a value or one level is missing."""
    ok = ~np.isnan(values)
    y, v = np.asarray(label)[ok].astype(bool), values[ok]
    row: dict = {"n_high": int(y.sum()), "n_low": int((~y).sum()), "auc": None, "auc_95ci": None}
    if ok.sum() >= min_sessions and y.any() and (~y).any():
        row["auc"] = round(_auc(y, v), 3) + 0.0
        row["auc_95ci"] = _interval(bootstrap(_auc, y, v, strata=y))
    return row


def _interval(bounds: tuple[float, float]) -> str:
    return f"{bounds[0]:.2f}-{bounds[1]:.2f}"


def krippendorff_alpha(codings: Sequence[Sequence[str | None]]) -> float | None:
    """Krippendorff's alpha (nominal) of several coders' codes for the same units (one sequence per coder;
    None where a coder did not code a unit), from the ``krippendorff`` package."""
    import krippendorff

    labels = sorted({c for coder in codings for c in coder if c})
    if len(labels) < 2:
        return None
    index = {c: k for k, c in enumerate(labels)}
    data = np.array([[index[c] if c else np.nan for c in coder] for coder in codings], dtype=float)
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))


INTERVAL_MIN_SESSIONS = 5  # fewer sessions than this give no interval worth printing
INTERVAL_FIGURES = ("kappa_practitioner", "kappa_client", "group_kappa", "reflection_f1", "question_f1",
                    "client_macro_f1", "macro_f1")


def session_intervals(sessions: Sequence[Sequence[tuple[str, str]]], n: int = 2000, seed: int = 0,
                      level: float = 0.95) -> dict | None:
    """Percentile bootstrap intervals of a held-out comparison's headline figures, resampling sessions: the
    sessions are what was sampled, and utterances of one session are not independent (one coder's habit, one
    client), so intervals over utterances would be too narrow. ``sessions``: each session's (reference, given) code
    pairs. Gives, for ``INTERVAL_FIGURES`` and each code's F1 (``per_code_f1``), the figure on all sessions
    (``point``, equal to ``utterance_report``/``group_report``'s) and its interval; None under
    ``INTERVAL_MIN_SESSIONS`` sessions. Seeded: the same data give the same intervals. Figures undefined in a
    resample (no client utterance drawn) are left out of that figure's interval."""
    resampled = _resampled_confusions(sessions, [], n, seed)
    if resampled is None:
        return None
    labels, point_matrix, boot_matrices = resampled
    boot = confusion_figures(boot_matrices, labels)
    point = confusion_figures(point_matrix, labels)
    interval = _percentiles(level)
    out: dict[str, Any] = {"sessions": sum(1 for s in sessions if s), "resamples": n, "level": level}
    for name, values in boot.items():
        if name == "per_code_f1":
            continue
        if not np.isnan(point[name][0]):
            out[name] = {"point": round(float(point[name][0]), 3), "interval": interval(values)}
    out["per_code_f1"] = {c: {"point": round(float(point["per_code_f1"][c][0]), 3),
                              "interval": interval(boot["per_code_f1"][c])}
                          for c in labels if not np.isnan(point["per_code_f1"][c][0])}
    return out


def confusion_figures(confusion: np.ndarray, labels: Sequence[str]) -> dict[str, Any]:
    """The headline figures of stacked confusion matrices (``confusion[n]``: rows the reference's codes, columns
    the codes given, both over ``labels``), each an array over the stack (nan where undefined): kappa per role (the
    reference code's role, as ``heldout._compared``), practitioner code-group kappa, reflection and question F1
    (``heldout.group_report``), client CT/ST/FN macro-F1, macro-F1 over the codes the reference uses, and each
    code's F1 (``per_code_f1``)."""
    from ..codes import CLIENT_CODES
    from ..schemes import group

    labels = list(labels)
    client = np.array([c in CLIENT_CODES for c in labels])

    def kappa(c: np.ndarray) -> np.ndarray:
        total = c.sum(axis=(1, 2))
        with np.errstate(all="ignore"):
            observed = np.trace(c, axis1=1, axis2=2) / total
            expected = (c.sum(axis=2) * c.sum(axis=1)).sum(axis=1) / total ** 2
            return np.where(total > 0, (observed - expected) / (1 - expected), np.nan)

    def f1(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.where(tp + fp + fn > 0, 2 * tp / (2 * tp + fp + fn), np.nan)

    practitioner_rows = confusion * (~client)[None, :, None]
    client_rows = confusion * client[None, :, None]
    out: dict[str, Any] = {"kappa_practitioner": kappa(practitioner_rows), "kappa_client": kappa(client_rows)}
    groups = sorted({str(group(c)) for c in labels})
    member = np.array([[str(group(c)) == g for g in groups] for c in labels], dtype=float)  # label x group
    out["group_kappa"] = kappa(np.einsum("kg,nkl,lh->ngh", member, practitioner_rows, member))
    for name, codes in (("reflection_f1", {"SR", "CR"}), ("question_f1", {"OQ", "CQ", "Q"})):
        inside = np.array([c in codes for c in labels])
        tp = practitioner_rows[:, inside][:, :, inside].sum(axis=(1, 2))
        fp = practitioner_rows[:, ~inside][:, :, inside].sum(axis=(1, 2))
        fn = practitioner_rows[:, inside][:, :, ~inside].sum(axis=(1, 2))
        out[name] = f1(tp, fp, fn)
    per_code = {}
    for k, c in enumerate(labels):
        tp = confusion[:, k, k]
        per_code[c] = f1(tp, confusion[:, :, k].sum(axis=1) - tp, confusion[:, k, :].sum(axis=1) - tp)
        per_code[c] = np.where(confusion[:, k, :].sum(axis=1) > 0, per_code[c], np.nan)  # not in the reference
    out["per_code_f1"] = per_code
    with np.errstate(all="ignore"):
        out["macro_f1"] = np.nanmean(np.stack([per_code[c] for c in labels], axis=1), axis=1)
        client_codes = [c for c in labels if c in CLIENT_CODES]
        if client_codes:
            k = [labels.index(c) for c in client_codes]
            sub = client_rows[:, k][:, :, k]  # CT/ST/FN given on client rows; other codes there count as misses
            tp = np.stack([sub[:, j, j] for j in range(len(k))], axis=1)
            given = np.stack([client_rows[:, :, i].sum(axis=1) for i in k], axis=1)
            support = np.stack([client_rows[:, i, :].sum(axis=1) for i in k], axis=1)
            scores = np.where(support > 0, 2 * tp / (given + support), np.nan)
            out["client_macro_f1"] = np.nanmean(scores, axis=1)
        else:
            out["client_macro_f1"] = np.full(len(confusion), np.nan)
    return out


def task_intervals(sessions: Sequence[Sequence[tuple[str, str]]], labels: Sequence[str], n: int = 2000,
                   seed: int = 0, level: float = 0.95) -> dict | None:
    """``session_intervals`` for one classification task (AnnoMI's turn tasks): macro-F1 over the classes the
    reference uses, as ``utterance_report``, and accuracy, each with its interval from resampling sessions."""
    resampled = _resampled_confusions(sessions, labels, n, seed)
    if resampled is None:
        return None
    _, point_matrix, boot_matrices = resampled
    interval = _percentiles(level)
    out: dict[str, Any] = {"sessions": sum(1 for s in sessions if s), "resamples": n, "level": level}
    figures = []
    for stack in (point_matrix, boot_matrices):
        tp = np.diagonal(stack, axis1=1, axis2=2)
        support, given = stack.sum(axis=2), stack.sum(axis=1)
        with np.errstate(all="ignore"):
            f1 = np.where(support > 0, 2 * tp / (support + given), np.nan)
            figures.append({"macro_f1": np.nanmean(f1, axis=1), "accuracy": tp.sum(axis=1) / stack.sum(axis=(1, 2))})
    for key in ("macro_f1", "accuracy"):
        out[key] = {"point": round(float(figures[0][key][0]), 3), "interval": interval(figures[1][key])}
    return out


def _resampled_confusions(sessions: Sequence[Sequence[tuple[str, str]]], labels: Sequence[str], n: int, seed: int
                          ) -> tuple[list[str], np.ndarray, np.ndarray] | None:
    """The labels (``labels`` first, then any other code the pairs use), the confusion matrix of all sessions
    (a stack of one) and those of ``n`` resamples of the sessions with replacement (seeded); None for fewer than
    ``INTERVAL_MIN_SESSIONS`` sessions with pairs."""
    sessions = [list(s) for s in sessions if s]
    if len(sessions) < INTERVAL_MIN_SESSIONS:
        return None
    labels = list(labels) + sorted({c for s in sessions for p in s for c in p} - set(labels))
    index = {c: k for k, c in enumerate(labels)}
    counts = np.zeros((len(sessions), len(labels), len(labels)))
    for i, s in enumerate(sessions):
        for h, m in s:
            counts[i, index[h], index[m]] += 1
    draws = np.random.default_rng(seed).multinomial(len(sessions), np.full(len(sessions), 1 / len(sessions)),
                                                    size=n).astype(float)
    return labels, counts.sum(axis=0)[None], np.einsum("ns,skl->nkl", draws, counts)


def _percentiles(level: float) -> Callable[[np.ndarray], list[float] | None]:
    """The central ``level`` interval of bootstrap values (nan left out), rounded; None when none is defined."""
    tail = (1 - level) / 2 * 100

    def interval(values: np.ndarray) -> list[float] | None:
        values = values[~np.isnan(values)]
        return [round(float(x), 3) for x in np.percentile(values, [tail, 100 - tail])] if len(values) else None

    return interval
