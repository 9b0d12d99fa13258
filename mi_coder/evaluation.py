"""Measuring the coder against human codes.

* ``utterance_report``: per-code precision/recall/F1, macro-F1, Cohen's kappa and the confusion matrix.
* ``cross_validate_annomi``: k-fold cross-validation grouped by source video on AnnoMI-layout data, with the
  AnnoMI turn-level tasks (therapist 4-class, client change/neutral/sustain, open vs closed on question
  turns, simple vs complex on reflection turns) computed from out-of-fold machine codes. Extra training
  examples (the team corpus) join every training fold; they are never evaluated here.
* ``cross_validate_examples``: grouped k-fold on utterance examples (the team corpus, a coded table).
* ``reliability``: how well confidences match accuracy (expected calibration error and a table by bin).
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import cohen_kappa_score, confusion_matrix, precision_recall_fscore_support
from sklearn.model_selection import GroupKFold

from .coder import Coder, train_coder, utterance_rows
from .records import CLIENT, PRACTITIONER, Session, Turn
from .tables import main_code
from .codes import CLIENT_CODES, FOUR_CLASS, PRACTITIONER_CODES
from .training_data import annomi_turn_examples, single_utterance_turns

CLIENT_CLASS = {"CT": "change", "ST": "sustain", "FN": "neutral"}


def utterance_report(y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str] | None = None) -> dict:
    """Per-code precision, recall, F1 and support; macro-F1; Cohen's kappa; confusion matrix."""
    y_true = list(y_true)
    y_pred = list(y_pred)
    labels = list(labels) if labels is not None else sorted(set(y_true) | set(y_pred))
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    present = [k for k, lab in enumerate(labels) if s[k] > 0]
    return {
        "n": len(y_true),
        "per_code": {lab: {"precision": round(float(p[k]), 3), "recall": round(float(r[k]), 3),
                           "f1": round(float(f[k]), 3), "support": int(s[k])} for k, lab in enumerate(labels)},
        "macro_f1": round(float(np.mean([f[k] for k in present])), 3) if present else None,
        "accuracy": round(float(np.mean(np.array(y_true) == np.array(y_pred))), 3) if y_true else None,
        "kappa": round(float(cohen_kappa_score(y_true, y_pred)), 3) if len(set(y_true) | set(y_pred)) > 1 else None,
        "labels": labels,
        "confusion": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
    }


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


# ---------------------------------------------------------------------------------------------------
# AnnoMI


def annomi_sessions(turns: pd.DataFrame) -> list[Session]:
    """AnnoMI turns (``training_data.load_annomi_turns``) as Sessions; human labels kept in ``turn.meta``."""
    from .readers import parse_time

    sessions: dict[str, Session] = {}
    for row in turns.to_dict("records"):
        sid = str(row["transcript_id"])
        s = sessions.get(sid)
        if s is None:
            s = sessions[sid] = Session(id=sid, source="annomi", meta={
                "mi_quality": row.get("mi_quality"), "video_url": row.get("video_url"), "topic": row.get("topic")})
        role = PRACTITIONER if row["interlocutor"] == "therapist" else CLIENT
        meta = {k: row.get(k) for k in ("main", "client_talk", "reflection", "reflection_subtype", "question",
                                        "question_subtype", "therapist_input", "therapist_input_subtype")}
        s.turns.append(Turn(id=str(row["utterance_id"]), speaker=row["interlocutor"], role=role,
                            text=row["utterance_text"], start=parse_time(row.get("timestamp")), meta=meta))
    return list(sessions.values())


def caption_copy(session: Session) -> Session:
    """A copy of a session as an automatic caption would give it: lower case, no punctuation, re-segmented."""
    from .features import strip_punctuation

    turns = [Turn(id=t.id, speaker=t.speaker, role=t.role, text=strip_punctuation(t.text), start=t.start,
                  end=t.end, meta=dict(t.meta)) for t in session.turns]
    return Session(id=session.id, source=session.source, turns=[t for t in turns if t.text], meta=dict(session.meta))


def _subtype(turn: Turn, probs: pd.DataFrame | None, pair: tuple[str, str]) -> str | None:
    """Which of a pair of codes (OQ/CQ, SR/CR) the machine gives a turn: present codes, then probabilities."""
    a, b = pair
    if turn.meta.get("main_code") in pair:
        return turn.meta["main_code"]
    codes = [u.code for u in turn.utterances]
    if a in codes and b not in codes:
        return a
    if b in codes and a not in codes:
        return b
    if probs is None:
        return None
    rows = [u.meta.get("_row") for u in turn.utterances if u.meta.get("_row") is not None]
    if not rows:
        return None
    sub = probs.loc[rows, [a, b]].sum()
    return a if sub[a] >= sub[b] else b


def annomi_turn_tasks(sessions: Sequence[Session], probs: pd.DataFrame | None = None) -> dict:
    """The AnnoMI turn-level tasks from coded sessions that carry AnnoMI labels in ``turn.meta``."""
    t_true, t_pred, c_true, c_pred = [], [], [], []
    q_true, q_pred, r_true, r_pred = [], [], [], []
    for s in sessions:
        for turn in s.turns:
            mc = main_code(turn)
            if turn.role == PRACTITIONER and turn.meta.get("main") not in (None, "n/a"):
                t_true.append(turn.meta["main"])
                t_pred.append(FOUR_CLASS.get(mc, "other"))
                if turn.meta["main"] == "question" and turn.meta.get("question_subtype"):
                    q_true.append({"open": "OQ", "closed": "CQ"}[turn.meta["question_subtype"]])
                    q_pred.append(_subtype(turn, probs, ("OQ", "CQ")))
                if turn.meta["main"] == "reflection" and turn.meta.get("reflection_subtype"):
                    r_true.append({"simple": "SR", "complex": "CR"}[turn.meta["reflection_subtype"]])
                    r_pred.append(_subtype(turn, probs, ("SR", "CR")))
            elif turn.role == CLIENT and turn.meta.get("client_talk") not in (None, "n/a"):
                c_true.append(turn.meta["client_talk"])
                c_pred.append(CLIENT_CLASS.get(mc, "neutral"))
    out: dict[str, Any] = {
        "therapist_4class": utterance_report(t_true, t_pred, ["question", "reflection", "therapist_input", "other"]),
        "client_3class": utterance_report(c_true, c_pred, ["change", "neutral", "sustain"]),
    }
    if q_true:
        out["open_vs_closed_accuracy"] = round(float(np.mean([a == b for a, b in zip(q_true, q_pred)])), 3)
        out["open_vs_closed_n"] = len(q_true)
    if r_true:
        out["simple_vs_complex_accuracy"] = round(float(np.mean([a == b for a, b in zip(r_true, r_pred)])), 3)
        out["simple_vs_complex_n"] = len(r_true)
    return out


def code_with_probs(coder: Coder, sessions: Sequence[Session]) -> pd.DataFrame:
    """Code sessions in place and return the probability table (rows referenced by ``utt.meta['_row']``)."""
    from .segment import segment

    segment([s for s in sessions if any(not t.utterances for t in s.turns)])
    probs = coder.code_segmented(sessions)
    _, refs = utterance_rows(sessions)
    for k, u in enumerate(refs):
        u.meta["_row"] = k
    return pd.DataFrame(probs, columns=list(PRACTITIONER_CODES + CLIENT_CODES))


def _shift_rows(sessions: Sequence[Session], probs: pd.DataFrame, offset: int) -> int:
    """Move one fold's probability rows (and the utterances' references to them) after ``offset``."""
    for u in (u for s in sessions for _, u in s.utterances()):
        if "_row" in u.meta:
            u.meta["_row"] += offset
    probs.index = probs.index + offset
    return offset + len(probs)


def cross_validate_annomi(
    turns: pd.DataFrame,
    make_examples: Callable[[pd.DataFrame], pd.DataFrame],
    extra_examples: pd.DataFrame | None = None,
    folds: int = 5,
    train_kwargs: dict | None = None,
    progress: Callable[[str], None] | None = None,
    use_turn_models: bool = True,
    unpunctuated: bool = False,
) -> tuple[dict, list[Session], pd.DataFrame]:
    """Grouped (by video) k-fold CV on AnnoMI turns; returns (report, out-of-fold coded sessions, probs).

    ``make_examples`` turns the training fold's turns into utterance examples. Every session in the
    returned list was coded by a model that never saw its video.
    """
    sessions = annomi_sessions(turns)
    groups = np.array([s.meta.get("video_url") or s.id for s in sessions])
    coded: list[Session] = []
    prob_tables = []
    cal_rows: list[tuple[int, int, str]] = []  # (fold, probability row, human code) for calibration
    bare_coded: list[Session] = []
    bare_tables = []
    bare_offset = 0
    offset = 0
    utt_true, utt_pred, utt_conf = [], [], []
    for k, (train_idx, test_idx) in enumerate(GroupKFold(n_splits=folds).split(sessions, groups=groups)):
        train_ids = {sessions[i].id for i in train_idx}
        train_turns = turns[turns["transcript_id"].astype(str).isin(train_ids)]
        examples = make_examples(train_turns)
        turn_examples = annomi_turn_examples(train_turns) if use_turn_models else None
        if extra_examples is not None and len(extra_examples):
            examples = pd.concat([examples, extra_examples], ignore_index=True)
            if turn_examples is not None:
                turn_examples = pd.concat([turn_examples, single_utterance_turns(extra_examples)], ignore_index=True)
        coder = train_coder(examples, turn_examples, **(train_kwargs or {}))
        test = [sessions[i] for i in test_idx]
        probs = code_with_probs(coder, test)
        if unpunctuated:
            bare = [caption_copy(s) for s in test]
            bare_probs = code_with_probs(coder, bare)
            bare_coded.extend(bare)
            bare_offset = _shift_rows(bare, bare_probs, bare_offset)
            bare_tables.append(bare_probs)
        # Utterance-level agreement where AnnoMI's turn labels give an utterance a code.
        test_turns = turns[turns["transcript_id"].astype(str).isin({s.id for s in test})]
        gold = make_examples(test_turns)
        pred_lookup = {(s.id, t.id, j): u for s in test for t in s.turns for j, u in enumerate(t.utterances)}
        for row in gold.itertuples():
            u = pred_lookup.get((row.session_id, row.turn_id, row.position))
            if u is not None and row.code and isinstance(row.code, str) and u.code:
                utt_true.append(row.code)
                utt_pred.append(u.code)
                utt_conf.append(u.confidence)
                cal_rows.append((k, u.meta["_row"] + offset, row.code))
        offset = _shift_rows(test, probs, offset)
        prob_tables.append(probs)
        coded.extend(test)
        if progress:
            progress(f"fold {k + 1}/{folds}: trained on {len(examples)} examples, coded {len(test)} sessions")
    probs = pd.concat(prob_tables) if prob_tables else pd.DataFrame()
    order = {s.id: i for i, s in enumerate(sessions)}
    coded.sort(key=lambda s: order[s.id])
    report = annomi_turn_tasks(coded, probs)
    report["utterance_level"] = utterance_report(utt_true, utt_pred)
    report["reliability_before_temperature"] = reliability(utt_conf, [a == b for a, b in zip(utt_true, utt_pred)])
    report.update(_calibrate(probs, cal_rows, folds))
    if unpunctuated:
        report["unpunctuated"] = annomi_turn_tasks(bare_coded, pd.concat(bare_tables))
    report["folds"] = folds
    report["n_sessions"] = len(sessions)
    report["n_groups"] = len(set(groups))
    return report, coded, probs


def _calibrate(probs: pd.DataFrame, cal_rows: list[tuple[int, int, str]], folds: int) -> dict:
    """Output temperature from out-of-fold codes, and an honest reliability figure for it.

    Each fold's confidences are re-scaled with a temperature fitted on the other folds only, so the
    reported ECE never sees the data its temperature was fitted on; ``output_temperature`` (fitted on all
    folds) is what the shipped model uses.
    """
    from .coder import fit_temperature, temper

    if not cal_rows:
        return {}
    labels = list(PRACTITIONER_CODES + CLIENT_CODES)
    table = probs.to_numpy()
    groups = {"practitioner": [labels.index(c) for c in PRACTITIONER_CODES],
              "client": [labels.index(c) for c in CLIENT_CODES]}
    fold = np.array([f for f, _, _ in cal_rows])
    rows = np.array([r for _, r, _ in cal_rows])
    gold = [c for _, _, c in cal_rows]
    blocks, truth = [], []
    for r, code in zip(rows, gold):
        cols = groups["client"] if code in CLIENT_CODES else groups["practitioner"]
        block = table[r, cols]
        blocks.append(block / block.sum())
        truth.append(cols.index(labels.index(code)))
    width = max(len(b) for b in blocks)
    P = np.full((len(blocks), width), 1e-12)
    for i, b in enumerate(blocks):
        P[i, : len(b)] = b
    T = np.array(truth)
    conf, correct = [], []
    for k in range(folds):
        test = fold == k
        if not test.any() or test.all():
            continue
        t = fit_temperature(P[~test], T[~test])
        q = temper(P[test], t)
        conf.extend(q.max(axis=1))
        correct.extend(q.argmax(axis=1) == T[test])
    return {"output_temperature": fit_temperature(P, T), "reliability": reliability(conf, correct)}


def cross_validate_examples(examples: pd.DataFrame, folds: int = 5, extra_examples: pd.DataFrame | None = None,
                            train_kwargs: dict | None = None) -> dict:
    """Grouped k-fold CV on utterance examples; per-code report of out-of-fold predictions."""
    data = examples[examples["code"].notna() & (examples["code"] != "")].reset_index(drop=True)
    groups = data["group"].to_numpy()
    pred = np.empty(len(data), dtype=object)
    conf = np.zeros(len(data))
    for train_idx, test_idx in GroupKFold(n_splits=folds).split(data, groups=groups):
        train = data.iloc[train_idx]
        if extra_examples is not None and len(extra_examples):
            train = pd.concat([train, extra_examples], ignore_index=True)
        coder = train_coder(train, **(train_kwargs or {}))
        codes, c, _ = coder.predict_frame(data.iloc[test_idx])
        pred[test_idx] = codes
        conf[test_idx] = c
    report = utterance_report(data["code"], pred)
    report["reliability"] = reliability(conf, data["code"].to_numpy() == pred)
    report["folds"] = folds
    return report


# ---------------------------------------------------------------------------------------------------
# Held-out files and agreement between two coded tables


def read_coded(path, options=None) -> list[Session]:  # type: ignore[no-untyped-def]
    """A coded table (one row per utterance, with a code column) as Sessions whose utterances carry the code."""
    from .readers import ReadOptions, read_transcript
    from .training_data import CODE_ALIASES

    opts = options or ReadOptions()
    opts = ReadOptions(**{**opts.__dict__, "utterances": "given"})
    sessions = read_transcript(path, read_options=opts)
    for s in sessions:
        for _, u in s.utterances():
            key = next((c for c in u.meta if c.lower() in CODE_ALIASES), None)
            value = str(u.meta.get(key, "") or "").strip().upper() if key else ""
            u.code = value if value and value != "NAN" else None
    return sessions


def annomi_human_sessions(turns: pd.DataFrame) -> list[Session]:
    """AnnoMI sessions coded from the human turn labels: one pseudo-utterance per flagged behaviour.

    A therapist turn gets SR or CR if a reflection is flagged, OQ or CQ if a question is, GI if information
    is given, PER/PWP for advice (as in training), NC otherwise; a client turn gets CT, ST or FN.
    """
    from .records import Utterance
    from .training_data import annomi_utterance_label

    sessions = annomi_sessions(turns)
    for s in sessions:
        prev_client = ""
        for t in s.turns:
            if t.role == CLIENT:
                code = {"change": "CT", "sustain": "ST", "neutral": "FN"}.get(t.meta.get("client_talk"))
                t.utterances = [Utterance(f"{t.id}.1", t.text, 0, len(t.text), code=code)]
                prev_client = t.text
                continue
            m = t.meta
            codes = []
            if m.get("reflection"):
                codes.append({"simple": "SR", "complex": "CR"}.get(m.get("reflection_subtype"), "SR"))
            if m.get("question"):
                codes.append({"open": "OQ", "closed": "CQ"}.get(m.get("question_subtype"), "CQ"))
            if m.get("therapist_input"):
                only_input = {**m, "main": m.get("main"), "reflection": False, "question": False, "prev_client": prev_client}
                codes.append(annomi_utterance_label(only_input, t.text, 1) or "GI")
            if "reflection" not in m or m.get("reflection") is None:  # AnnoMI-simple: main behaviour only
                codes = [{"question": "OQ", "reflection": "SR", "therapist_input": "GI"}.get(m.get("main"), "NC")]
            t.utterances = [Utterance(f"{t.id}.{k}", t.text, 0, len(t.text), code=c)
                            for k, c in enumerate(codes or ["NC"], start=1)]
    return sessions


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


AGREEMENT_SCORES = ("r_q", "pct_cr", "pct_oq", "mi_adherent", "mi_nonadherent", "change_talk_pct",
                    "engagement_index", "empathy_index", "fidelity_index")


def session_score_agreement(first: Sequence[Session], second: Sequence[Session]) -> dict:
    """ICC(2,1) and Pearson r of each session summary score between two codings of the same sessions."""
    from .scoring import session_scores

    a = {s.id: session_scores(s) for s in first}
    b = {s.id: session_scores(s) for s in second}
    ids = [i for i in a if i in b]
    out = {}
    for score in AGREEMENT_SCORES:
        xa = np.array([np.nan if a[i][score] is None else float(a[i][score]) for i in ids])
        xb = np.array([np.nan if b[i][score] is None else float(b[i][score]) for i in ids])
        ok = ~(np.isnan(xa) | np.isnan(xb))
        r = float(np.corrcoef(xa[ok], xb[ok])[0, 1]) if ok.sum() >= 3 and xa[ok].std() > 0 and xb[ok].std() > 0 else None
        icc = icc_2_1(xa, xb)
        out[score] = {"n_sessions": int(ok.sum()), "icc": None if icc is None else round(icc, 3),
                      "pearson_r": None if r is None else round(r, 3)}
    return out


def agreement_report(path_a, path_b, options=None) -> dict:  # type: ignore[no-untyped-def]
    """Agreement of two coded tables of the same sessions: overall and per-code kappa, ICC of session scores."""
    from .errors import InputError

    first = read_coded(path_a, options)
    second = read_coded(path_b, options)
    ua = {(s.id, u.id): u.code for s in first for _, u in s.utterances()}
    ub = {(s.id, u.id): u.code for s in second for _, u in s.utterances()}
    keys = [k for k in ua if k in ub and ua[k] and ub[k]]
    if not keys:
        raise InputError(path_b, f"shares no coded utterances (session_id, utterance_id) with {path_a}")
    ya = [ua[k] for k in keys]
    yb = [ub[k] for k in keys]
    codes = sorted(set(ya) | set(yb))
    per_code = {}
    for code in codes:
        xa = [c == code for c in ya]
        xb = [c == code for c in yb]
        kappa = cohen_kappa_score(xa, xb) if len(set(xa) | set(xb)) > 1 else None
        per_code[code] = {"kappa": None if kappa is None or np.isnan(kappa) else round(float(kappa), 3),
                          "n_first": int(sum(xa)), "n_second": int(sum(xb))}
    return {"agreement": {
        "first": str(path_a), "second": str(path_b), "n_utterances": len(keys),
        "only_in_first": len([k for k in ua if k not in ub]), "only_in_second": len([k for k in ub if k not in ua]),
        "overall": utterance_report(ya, yb, codes), "per_code_kappa": per_code,
        "session_scores": session_score_agreement(first, second),
    }}


def heldout_report(coder: Coder, paths: Sequence, options=None) -> dict:  # type: ignore[no-untyped-def]
    """Code held-out files and compare with their human codes (AnnoMI layout or coded tables)."""
    from pathlib import Path

    from .training import _header
    from .training_data import is_annomi_layout, load_annomi_turns

    report: dict[str, Any] = {}
    for path in paths:
        if is_annomi_layout(_header(Path(path))):
            turns = load_annomi_turns(path)
            sessions = annomi_sessions(turns)
            probs = code_with_probs(coder, sessions)
            report[str(path)] = annomi_turn_tasks(sessions, probs)
        else:
            human = read_coded(path, options)
            machine = read_coded(path, options)
            coder.code(machine)
            pairs = [(h.code, m.code) for hs, ms in zip(human, machine)
                     for (_, h), (_, m) in zip(hs.utterances(), ms.utterances()) if h.code and m.code]
            rep = utterance_report([p[0] for p in pairs], [p[1] for p in pairs])
            conf = [m.confidence or 0.0 for hs, ms in zip(human, machine)
                    for (_, h), (_, m) in zip(hs.utterances(), ms.utterances()) if h.code and m.code]
            rep["reliability"] = reliability(conf, [a == b for a, b in pairs])
            rep["session_scores"] = session_score_agreement(human, machine)
            report[str(path)] = rep
    return {"heldout": report}


def format_report(report: dict) -> str:
    """A plain-text summary of an evaluation report (the JSON holds everything)."""
    lines: list[str] = []

    def per_code(rep: dict, indent: str = "  ") -> None:
        lines.append(f"{indent}{'code':<16}{'prec':>6}{'rec':>6}{'F1':>6}{'n':>7}")
        for code, m in rep["per_code"].items():
            if m["support"]:
                lines.append(f"{indent}{code:<16}{m['precision']:>6.2f}{m['recall']:>6.2f}{m['f1']:>6.2f}{m['support']:>7}")
        lines.append(f"{indent}macro-F1 {rep['macro_f1']}  accuracy {rep['accuracy']}  kappa {rep['kappa']}  (n={rep['n']})")

    def tasks(rep: dict) -> None:
        lines.append("therapist 4-class turn task:")
        per_code(rep["therapist_4class"])
        lines.append("client change/neutral/sustain turn task:")
        per_code(rep["client_3class"])
        if "open_vs_closed_accuracy" in rep:
            lines.append(f"open vs closed on question turns: accuracy {rep['open_vs_closed_accuracy']} "
                         f"(n={rep['open_vs_closed_n']})")
        if "simple_vs_complex_accuracy" in rep:
            lines.append(f"simple vs complex on reflection turns: accuracy {rep['simple_vs_complex_accuracy']} "
                         f"(n={rep['simple_vs_complex_n']})")

    if "annomi_cv" in report:
        r = report["annomi_cv"]
        lines.append(f"AnnoMI {r['folds']}-fold cross-validation grouped by video ({r['n_sessions']} sessions, "
                     f"{r['n_groups']} videos)")
        tasks(r)
        lines.append("utterance level (labels derived from turn labels):")
        per_code(r["utterance_level"])
        lines.append(f"confidence calibration: ECE {r['reliability']['ece']}")
    for path, rep in report.get("heldout", {}).items():
        lines.append(f"held-out {path}:")
        if "therapist_4class" in rep:
            tasks(rep)
        else:
            per_code(rep)
    if "agreement" in report:
        a = report["agreement"]
        lines.append(f"agreement of {a['first']} and {a['second']} on {a['n_utterances']} utterances:")
        per_code(a["overall"])
        lines.append("  per-code kappa: " + ", ".join(f"{c} {v['kappa']}" for c, v in a["per_code_kappa"].items()))
        lines.append("  session scores (ICC(2,1), Pearson r):")
        for score, v in a["session_scores"].items():
            lines.append(f"    {score:<18} ICC {v['icc']}  r {v['pearson_r']}  (n={v['n_sessions']})")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------
# Validating session scores against an outside criterion


VALIDATED_SCORES = ("r_q", "pct_cr", "pct_oq", "reflection_rate", "change_talk_pct", "client_talk_share",
                    "question_run_pct", "engagement_index", "empathy_index", "fidelity_index",
                    "empathy_global", "partnership_global")


def index_validation(human: Sequence[Session], machine: Sequence[Session], quality: dict[str, str]) -> pd.DataFrame:
    """For each score: AUC for high- vs low-quality sessions from human and from machine codes, and the
    Pearson correlation of machine- and human-derived values across sessions.

    ``machine`` must be coded out of fold (by models that never saw the session) for this to mean anything.
    """
    from .scoring import session_scores

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


def _auc(y: np.ndarray, v: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, v))


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    with np.errstate(all="ignore"):  # a resample with no spread has no correlation: nan, dropped
        return float(np.corrcoef(a, b)[0, 1])


def bootstrap(stat: Callable[[np.ndarray, np.ndarray], float], a: np.ndarray, b: np.ndarray,
              strata: np.ndarray | None = None, n: int = 2000, level: float = 0.95,
              seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of ``stat(a, b)``, resampling sessions (within ``strata`` if given,
    so every resample keeps the number of high- and low-quality sessions). Seeded: the same data give the
    same interval."""
    rng = np.random.default_rng(seed)
    groups = [np.flatnonzero(strata == g) for g in np.unique(strata)] if strata is not None else [np.arange(len(a))]
    values = []
    for _ in range(n):
        idx = np.concatenate([rng.choice(g, size=len(g), replace=True) for g in groups])
        value = stat(a[idx], b[idx])
        if np.isfinite(value):
            values.append(value)
    lo, hi = np.quantile(values, [(1 - level) / 2, (1 + level) / 2])
    return float(lo), float(hi)


def _interval(bounds: tuple[float, float]) -> str:
    return f"{bounds[0]:.2f}-{bounds[1]:.2f}"
