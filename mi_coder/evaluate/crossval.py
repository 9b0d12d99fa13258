"""Cross-validation grouped by source video (AnnoMI) or by session (coded examples).

* ``cross_validate_annomi``: the AnnoMI turn-level tasks (therapist 4-class, client change/neutral/sustain,
  open vs closed on question turns, simple vs complex on reflection turns) from out-of-fold machine codes.
  Extra training examples (the team corpus) join every training fold; they are never evaluated here.
* ``cross_validate_examples``: grouped k-fold on utterance examples (the team corpus, a coded table).
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd
from sklearn.model_selection import GroupKFold

from ..codes import CLIENT_CODES, FOUR_CLASS, PRACTITIONER_CODES
from ..errors import UsageError
from ..model.coder import Coder, main_code, utterance_rows
from ..records import CLIENT, PRACTITIONER, Session, Turn
from ..train.annomi import (
    CLIENT_CLASS,
    annomi_examples,
    annomi_human_sessions,
    annomi_sessions,
    annomi_topic,
    annomi_turn_examples,
    apply_utterance_codes,
    caption_copy,
)
from ..train.examples import single_utterance_turns
from ..train.fit import TrainingData, splitter, train_coder
from .metrics import reliability, task_intervals, utterance_report
from .validation import session_figures, session_level, session_values


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
    by_session: dict[str, list[list[tuple[str, str]]]] = {"therapist": [], "client": [], "open_closed": [],
                                                           "simple_complex": []}
    for s in sessions:
        marks = {task: len(pairs) for task, pairs in (("therapist", t_true), ("client", c_true),
                                                      ("open_closed", q_true), ("simple_complex", r_true))}
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
        for task, true, pred in (("therapist", t_true, t_pred), ("client", c_true, c_pred),
                                 ("open_closed", q_true, q_pred), ("simple_complex", r_true, r_pred)):
            by_session[task].append(list(zip(true[marks[task]:], pred[marks[task]:])))
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
    intervals = {task: task_intervals(by_session[task], labels) for task, labels in (
        ("therapist", ["question", "reflection", "therapist_input", "other"]),
        ("client", ["change", "neutral", "sustain"]), ("open_closed", ["OQ", "CQ"]), ("simple_complex", ["SR", "CR"]))}
    if any(intervals.values()):  # five sessions or more: how far the figures would move on other sessions
        out["intervals"] = {task: iv for task, iv in intervals.items() if iv}
    return out


def code_with_probs(coder: Coder, sessions: Sequence[Session]) -> pd.DataFrame:
    """Code sessions in place and return the probability table (rows referenced by ``utt.meta['_row']``)."""
    from ..segment import segment

    segment([s for s in sessions if any(not t.utterances for t in s.turns)], boundary=coder.boundary)
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
        if unpunctuated:
            coder.boundary = fold_boundary(train_turns, seed=k)
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
    from ..model.coder import fit_temperature, temper

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
                            train_kwargs: dict | None = None, turn_examples: pd.DataFrame | None = None,
                            progress: Callable[[str], None] | None = None) -> dict:
    """Grouped k-fold CV on utterance examples; per-code report of out-of-fold predictions. With
    ``turn_examples`` each fold also trains the turn models on its training groups' turns, and held-out whole
    sessions (coded tables) are coded as sessions, decoded jointly as the saved model codes them. ``progress``
    gets a line as each fold ends."""
    from ..train.examples import sessions_from_examples

    data = examples[examples["code"].notna() & (examples["code"] != "")].reset_index(drop=True)
    groups = data["group"].to_numpy()
    pred = np.empty(len(data), dtype=object)
    conf = np.zeros(len(data))
    for k, (train_idx, test_idx) in enumerate(GroupKFold(n_splits=folds).split(data, groups=groups), start=1):
        train = data.iloc[train_idx]
        if extra_examples is not None and len(extra_examples):
            train = pd.concat([train, extra_examples], ignore_index=True)
        turns = None
        if turn_examples is not None and len(turn_examples):
            turns = turn_examples[turn_examples["group"].isin(set(train["group"]))]
        coder = train_coder(train, turns, **(train_kwargs or {})) if turns is not None else \
            train_coder(train, **(train_kwargs or {}))
        test = data.iloc[test_idx]
        whole = test["source"].isin(SESSION_SOURCES).to_numpy() if turns is not None else np.zeros(len(test), bool)
        if (~whole).any():
            codes, c, _ = coder.predict_frame(test[~whole])
            pred[test_idx[~whole]] = codes
            conf[test_idx[~whole]] = c
        if whole.any():  # rows in the order sessions_from_examples builds the sessions' utterances
            part = test[whole]
            order = [i for _, g in part.groupby("session_id", sort=False)
                     for _, gg in g.groupby("turn_id", sort=False) for i in gg.index]
            sessions = sessions_from_examples(part)
            coder.code_segmented(sessions)
            utts = [u for s in sessions for _, u in s.utterances()]
            pred[order] = [u.code for u in utts]
            conf[order] = [u.confidence or 0.0 for u in utts]
        if progress is not None:
            progress(f"fold {k} of {folds} done ({len(test_idx)} held-out utterances)")
    from .heldout import _compared

    # kappa per role, code groups, reflection and question F1 and client macro-F1, as ``evaluate`` reports them:
    # the pooled kappa mixes practitioner and client codes, which never meet
    report = _compared(list(zip(data["code"].tolist(), pred.tolist())))
    report["reliability"] = reliability(conf, data["code"].to_numpy() == pred)
    report["folds"] = folds
    return report


def annomi_cross_validation(data: TrainingData, folds: int = 5, unpunctuated: bool = True,
                            train_kwargs: dict | None = None,
                            progress: Callable[[str], None] | None = None) -> dict:
    """The AnnoMI turn-level tasks by grouped CV; non-AnnoMI examples join every training fold."""
    if data.annomi_turns is None:
        raise UsageError("AnnoMI-layout data is needed for the AnnoMI turn-level tasks")
    split = splitter()
    extra = data.examples[data.examples["source"] != "annomi"]
    report, coded, _ = cross_validate_annomi(data.annomi_turns, lambda t: annomi_examples(t, split), extra,
                                             folds=folds, train_kwargs=train_kwargs, progress=progress,
                                             unpunctuated=unpunctuated)
    quality = {s.id: s.meta.get("mi_quality", "") for s in coded}
    report["session_level"] = session_level(annomi_human_sessions(data.annomi_turns), coded, quality)
    return report


def _check_fold_groups(data, folds: int) -> None:  # type: ignore[no-untyped-def]
    """Fail before cross-validating when there are fewer groups (AnnoMI videos, or sessions and sources of coded
    examples) than folds: grouped K-fold needs a group for every fold."""
    if data.annomi_turns is not None:
        turns = data.annomi_turns
        videos = turns.groupby(turns["transcript_id"].astype(str))["video_url"].first()
        groups, what = videos.nunique(), "AnnoMI videos"
    else:  # the team corpus added for client codes trains every fold and is never held out
        from ..train.fit import client_corpus_rows

        coded = data.examples[data.examples["code"].notna() & (data.examples["code"] != "")]
        coded = coded[~client_corpus_rows(coded)]
        groups, what = coded["group"].nunique(), "sessions or sources"
    if groups < folds:
        advice = f"use --folds {groups} or fewer" if groups >= 2 else "cross-validation needs at least 2"
        raise UsageError(f"--folds {folds}: the data has only {groups} group(s) ({what}) to hold out; {advice}")


def training_metrics(data: TrainingData, folds: int, C: float = 1.0,
                     progress: Callable[[str], None] | None = None, jobs: int = 1,
                     train_kwargs: dict | None = None) -> dict:
    """Cross-validated figures for a model card. With AnnoMI in the data: ``cross_validate`` (AnnoMI by video
    and coded sessions by session, at once); otherwise grouped CV on the examples."""
    _check_fold_groups(data, folds)
    say = progress or (lambda msg: None)
    kwargs = {"C": C, **(train_kwargs or {})}
    from ..train.fit import client_corpus_rows

    metrics: dict = {"folds": folds}
    corpus = client_corpus_rows(data.examples)
    n = int(data.examples.loc[~corpus, "code"].notna().sum())
    say(f"cross-validation: {folds} folds on {n} coded utterance examples"
        + (f" (the team corpus's {int(corpus.sum())} client utterances train every fold and are never held out: the "
           "figures are your sessions')" if corpus.any() else "")
        + f"; each fold trains a model of its own, so this takes about {folds} times as long as the final training "
        "(a line as each fold ends)")
    if data.annomi_turns is not None:
        metrics.update(cross_validate(data, folds, kwargs, jobs=jobs, progress=say))
        cv = metrics["annomi_cv"]
        cv.pop("session_values", None)  # for comparing experiments; the card keeps the figures
        say(f"AnnoMI CV: therapist 4-class macro-F1 {cv['therapist_4class']['macro_f1']}, "
            f"client macro-F1 {cv['client_3class']['macro_f1']}")
    else:
        metrics["team_corpus_cv"] = cross_validate_examples(
            data.examples[~corpus], folds=folds, extra_examples=data.examples[corpus] if corpus.any() else None,
            train_kwargs=kwargs, turn_examples=data.turn_examples, progress=say)
        cv = metrics["team_corpus_cv"]
        by_role = ", ".join(f"{role} kappa {m['kappa']}" for role, m in cv.get("kappa_by_role", {}).items())
        say(f"{folds}-fold cross-validation grouped by session: macro-F1 {cv['macro_f1']}"
            + (f"; {by_role}" if by_role else ""))
    return metrics


SESSION_SOURCES = ("team_sessions", "coded")  # whole coded sessions: held out by session in ``cross_validate``


def _group_folds(folds: int, fold_seed: int | None) -> GroupKFold:
    """Grouped k-fold: sklearn's size-balanced assignment, or with ``fold_seed`` groups shuffled into folds (a fresh
    split, for judging a change on data its first measurement did not come from)."""
    if fold_seed is None:
        return GroupKFold(n_splits=folds)
    return GroupKFold(n_splits=folds, shuffle=True, random_state=fold_seed)


def _annomi_groups(turns: pd.DataFrame, tids: np.ndarray, hold_out: str) -> np.ndarray:
    """Each AnnoMI transcript's group for grouped folds: its source video, or (``hold_out="topic"``) its topic, so
    that a fold's test transcripts are about target behaviours no training transcript is about."""
    ids = turns["transcript_id"].astype(str)
    if hold_out == "video":
        return turns.groupby(ids, sort=False)["video_url"].first().reindex(tids).to_numpy()
    if hold_out != "topic":
        raise ValueError(f"hold_out must be 'video' or 'topic', not {hold_out!r}")
    topics = turns.groupby(ids, sort=False)["topic"].first().reindex(tids) if "topic" in turns else \
        pd.Series([""] * len(tids))
    return np.array([annomi_topic(t) for t in topics])


def _subsample(ids: np.ndarray, groups: np.ndarray, fraction: float, seed: int) -> set:
    """Whole groups of ``ids`` (videos, sessions), drawn in a seeded random order until at least ``fraction`` of
    the ids are in: a smaller training set of the same kind, for a learning curve."""
    if fraction >= 1.0:
        return set(ids)
    order = np.random.default_rng(seed).permutation(sorted(set(groups)))
    kept: set = set()
    for g in order:
        if len(kept) >= fraction * len(ids):
            break
        kept.update(ids[groups == g])
    return kept


def _cv_fold(k: int, data: TrainingData, folds: int, train_kwargs: dict, unpunctuated: bool,
             decodes: Sequence[dict] = ({},), fold_seed: int | None = None, hold_out: str = "video",
             fractions: tuple[float, float] = (1.0, 1.0)) -> list[dict]:
    """One fold of ``cross_validate``: train without fold k's AnnoMI videos (or topics, ``hold_out``) and coded
    sessions, code them once per decoding variant (``decodes``: Coder attributes to set, such as ``unsure``; ``{}``
    as trained). ``fractions``: the shares of the fold's AnnoMI training transcripts and coded training sessions
    kept (whole videos and sessions, seeded by the fold), for learning curves; the test data is the same."""
    split = splitter()
    turns = data.annomi_turns
    ids = turns["transcript_id"].astype(str)
    tids = ids.unique()
    groups = _annomi_groups(turns, tids, hold_out)
    train_v, test_v = list(_group_folds(folds, fold_seed).split(tids, groups=groups))[k]
    test_t = set(tids[test_v])
    train_t = _subsample(tids[train_v], groups[train_v], fractions[0], 1000 * (fold_seed or 0) + k)
    ex = data.examples
    sess = ex[ex["source"].isin(SESSION_SOURCES)]
    other = ex[~ex["source"].isin(SESSION_SOURCES + ("annomi",))]
    s_ids = sess["session_id"].unique()
    if len(s_ids) >= folds:
        train_s, test_s = list(_group_folds(folds, fold_seed).split(s_ids, groups=s_ids))[k]
        test_sessions = set(s_ids[test_s])
        train_sessions = _subsample(s_ids[train_s], s_ids[train_s], fractions[1], 1000 * (fold_seed or 0) + k + 500)
    else:
        train_sessions, test_sessions = set(s_ids), set()
    # Reviewed codes (``train --add``) train in every fold, except those of a session this fold tests: the same
    # session's AnnoMI transcript or coded table would otherwise be tested on a model that read its reviewed codes.
    tested = test_t | {str(sid) for sid in test_sessions}
    other = other[~((other["source"] == "reviewed") & other["session_id"].astype(str).isin(tested))]
    train_turns = turns[ids.isin(train_t)]
    recode = (lambda e: apply_utterance_codes(e, data.annomi_codes)) if data.annomi_codes is not None else (lambda e: e)
    recode_train = ((lambda e: apply_utterance_codes(e, data.annomi_train_codes))
                    if data.annomi_train_codes is not None else (lambda e: e))
    examples = pd.concat([recode_train(annomi_examples(train_turns, split)),
                          sess[sess["session_id"].isin(train_sessions)], other], ignore_index=True)
    tex = data.turn_examples
    dropped = set(s_ids) - train_sessions - test_sessions  # left out of this fold's training (``fractions``)
    keep = ((tex["source"] != "annomi") & ~tex["session_id"].isin(test_sessions | dropped)
            & ~((tex["source"] == "reviewed") & tex["session_id"].astype(str).isin(tested)))
    turn_examples = pd.concat([annomi_turn_examples(train_turns), tex[keep]], ignore_index=True)
    coder = train_coder(examples, turn_examples, **train_kwargs)
    boundaries = {}  # the fold's own boundary models (the shipped one has read the fold's turns): with its team
    if unpunctuated:  # sessions as the shipped recipe, or without them (a decode's "boundary_corpus": False)
        for with_corpus in sorted({bool(d.get("boundary_corpus", BOUNDARY_CORPUS)) for d in decodes}, reverse=True):
            team = sess[sess["session_id"].isin(train_sessions)] if with_corpus else sess.iloc[:0]
            boundaries[with_corpus] = fold_boundary(train_turns, team, seed=k)
    gold = recode(annomi_examples(turns[ids.isin(test_t)], split))
    trained = {attr: getattr(coder, attr) for d in decodes for attr in d if attr not in BOUNDARY_DECODES}
    out = []
    for decode in decodes:
        for attr, value in {**trained, **decode}.items():
            if attr not in BOUNDARY_DECODES:
                setattr(coder, attr, value)
        if unpunctuated:
            coder.boundary = boundaries[bool(decode.get("boundary_corpus", BOUNDARY_CORPUS))].with_question_rule(
                decode.get("boundary_question_rule", BOUNDARY_QUESTION_RULE))  # a level (or true/false), checked
        out.append(_code_fold(coder, turns[ids.isin(test_t)], gold, sess[sess["session_id"].isin(test_sessions)],
                              unpunctuated, len(examples)))
    return out


# The boundary model trains on the team sessions' utterances too (2.9's recipe). Without them (E44: boundary F1
# 0.444 -> 0.477 on every fold of a fresh split; E46: the coder's stripped-text turn tasks within one per-fold SE on
# another) a 2.10 was built, and not shipped: it swallows a closed question of the caption fixtures
# (tests/test_caption_formats.py). A decode's "boundary_corpus": False measures that recipe.
BOUNDARY_CORPUS = True
# The question-by-inversion rule of the boundary model (``boundary.question_starts``), on since 2.17 (E77, fold seed
# 40: questions kept +0.014 per fold, SE 0.003, boundary F1 -0.000, the coder's stripped-text tasks +0.000 to
# +0.003), at level 2 since 2.18 (E78, fold seed 41: yes/no questions and "how was the hearing" too, questions kept
# +0.013 per fold, SE 0.001, boundary F1 +0.000, the coder's stripped-text tasks -0.002 to +0.000), at level 3 since
# 2.19 (E81, fold seed 45: level 2 without its false starts in statements, boundary precision and F1 +0.001 per fold,
# SE 0.000, questions kept +0.000, the coder's stripped-text tasks +0.000); a decode's
# "boundary_question_rule" measures the fold's boundary model with the rule at another level (0 off, 1 question
# words, 2 also yes/no inversion, 3 level 2 without its false starts in statements: ``boundary.question_starts``;
# true and false read as 1 and 0).
BOUNDARY_QUESTION_RULE = 3
BOUNDARY_DECODES = ("boundary_corpus", "boundary_question_rule")  # decode keys that choose the boundary model


def fold_boundary(annomi_turns: pd.DataFrame, team_examples: pd.DataFrame | None = None,
                  seed: int = 0):  # type: ignore[no-untyped-def]
    """A boundary model for unpunctuated speech trained as the shipped one is (``scripts/train_boundary_model.py``),
    on one fold's training data only: its AnnoMI turns and ``team_examples``' utterances (the shipped recipe; None or
    empty: without them), with caption-style copies.
    Trained on every turn it is later scored on, the shipped model finds the reference starts of those turns
    almost perfectly (boundary F1 0.83 on the AnnoMI dev split against 0.45 out of fold), so cross-validated
    figures on unpunctuated text must not use it."""
    from ..boundary import train_boundary_model
    from ..train.boundary_data import annomi_boundary_sequences, examples_boundary_sequences, with_variants

    seqs = annomi_boundary_sequences(annomi_turns)
    if team_examples is not None and len(team_examples):
        seqs += examples_boundary_sequences(team_examples)
    return train_boundary_model(with_variants(seqs, seed=seed))


def _code_fold(coder: Coder, test_turns: pd.DataFrame, gold: pd.DataFrame, team_examples: pd.DataFrame,
               unpunctuated: bool, n_examples: int) -> dict:
    """Code one fold's held-out AnnoMI transcripts and coded sessions; the pairs and tables ``cross_validate``
    aggregates."""
    from ..records import PRACTITIONER as P
    from ..train.examples import sessions_from_examples

    test = annomi_sessions(test_turns)
    probs = code_with_probs(coder, test)
    lookup = {(s.id, t.id, j): u for s in test for t in s.turns for j, u in enumerate(t.utterances)}
    utt = []
    for row in gold.itertuples():
        u = lookup.get((row.session_id, row.turn_id, row.position))
        if u is not None and isinstance(row.code, str) and row.code and u.code:
            utt.append((row.code, u.code, u.confidence, u.meta["_row"]))
    bare = [caption_copy(s) for s in test] if unpunctuated else []
    bare_probs = code_with_probs(coder, bare) if unpunctuated else None
    team = sessions_from_examples(team_examples)
    if team:
        coder.code_segmented(team)
    pairs = [(u.meta["human_code"], u.code) for s in team for _, u in s.utterances() if u.code]
    roles = [(u.meta.get("human_roles", ""), ";".join(u.meta.get("role_elements", []))) for s in team
             for t, u in s.utterances() if t.role == P]
    return {"test": test, "probs": probs, "utt": utt, "bare": bare, "bare_probs": bare_probs, "pairs": pairs,
            "roles": roles, "n_examples": n_examples}


def _reindex(sessions: Sequence[Session], probs: pd.DataFrame, offset: int) -> pd.DataFrame:
    for s in sessions:
        for _, u in s.utterances():
            if "_row" in u.meta:
                u.meta["_row"] += offset
    probs = probs.copy()
    probs.index = probs.index + offset
    return probs


def role_report(pairs: Sequence[tuple[str, str]]) -> dict:
    """Precision, recall and F1 of each role-clarification element over (human, machine) label strings."""
    from ..codes import ROLE_ELEMENTS

    out = {}
    for element in ROLE_ELEMENTS:
        h = [element in a.split(";") for a, _ in pairs]
        m = [element in b.split(";") for _, b in pairs]
        tp = sum(x and y for x, y in zip(h, m))
        fp = sum(y and not x for x, y in zip(h, m))
        fn = sum(x and not y for x, y in zip(h, m))
        out[element] = {"precision": round(tp / (tp + fp), 3) if tp + fp else None,
                        "recall": round(tp / (tp + fn), 3) if tp + fn else None,
                        "f1": round(2 * tp / (2 * tp + fp + fn), 3) if tp + fp + fn else None, "support": tp + fn}
    return out


def cross_validate(data: TrainingData, folds: int = 5, train_kwargs: dict | None = None, jobs: int = 1,
                   unpunctuated: bool = True, progress: Callable[[str], None] | None = None,
                   decodes: Sequence[dict] | None = None, fold_seed: int | None = None,
                   hold_out: str = "video", fractions: tuple[float, float] = (1.0, 1.0)) -> Any:
    """Grouped k-fold CV over AnnoMI (by video) and the coded sessions (by session) at once.

    Fold k trains on everything but fold k's AnnoMI videos and coded sessions and codes both; other examples
    (single lines) join every fold. Reports the AnnoMI turn tasks (punctuated and unpunctuated), utterance
    agreement, the output temperature and honest calibration, session-level agreement, and per-code,
    code-group, client and role-clarification figures on the held-out coded sessions. Folds run in
    ``jobs`` processes. With ``decodes`` (a list of Coder attribute settings, for example MITI's unsure rules),
    each fold's model is trained once and its held-out data coded once per setting: a list of reports, one
    per setting, in order; a setting's ``"boundary_corpus": False`` codes the unpunctuated copies with the fold's
    boundary model trained without its team sessions (E44, E46). ``fold_seed`` shuffles videos and sessions into
    folds (default: sklearn's deterministic size-balanced grouping, the split every recorded figure comes from).
    The report's ``per_fold`` lists each fold's turn tasks, for paired comparisons of two settings on the same split.
    ``hold_out="topic"`` groups AnnoMI transcripts by topic instead of video (``train.annomi.annomi_topic``): each
    fold's AnnoMI test transcripts are about target behaviours (alcohol, smoking, exercise...) that none of its
    AnnoMI training transcripts is about, a measure of how the coder holds in settings it has not read.
    ``fractions`` (AnnoMI, coded sessions) keeps that share of each fold's training transcripts and sessions, whole
    videos and sessions drawn at random with a seed of the fold's: a learning curve on the same test folds.
    """
    from joblib import Parallel, delayed

    kwargs = {"calibration_folds": 0, **(train_kwargs or {})}
    variants = list(decodes) if decodes is not None else [{}]
    results = Parallel(n_jobs=jobs)(delayed(_cv_fold)(k, data, folds, kwargs, unpunctuated, variants, fold_seed,
                                                      hold_out, fractions) for k in range(folds))
    reports = [_aggregate([r[i] for r in results], data, folds, unpunctuated, progress if i == 0 else None, fold_seed,
                          hold_out) for i in range(len(variants))]
    return reports if decodes is not None else reports[0]


def _fold_tasks(r: dict, unpunctuated: bool) -> dict:
    """One fold's AnnoMI turn tasks (therapist, client, open/closed, simple/complex), punctuated and stripped, its
    client utterances' macro-F1 over CT/ST/FN, its practitioner utterances' over every practitioner code and over AF
    and EA (punctuated)."""
    def tasks(sessions: list, probs: pd.DataFrame) -> dict:
        t = annomi_turn_tasks(sessions, probs)
        return {"therapist": t["therapist_4class"]["macro_f1"], "client": t["client_3class"]["macro_f1"],
                "oq_cq": t.get("open_vs_closed_accuracy"), "sr_cr": t.get("simple_vs_complex_accuracy")}

    out = {"punctuated": tasks(r["test"], r["probs"])}
    # client talk coded utterance by utterance (the external set's unit), against the utterance reference
    client = [(h, m) for h, m, _, _ in r["utt"] if h in CLIENT_CODES]
    if client:
        out["punctuated"]["client_utterances"] = utterance_report(
            [h for h, _ in client], [m for _, m in client], labels=CLIENT_CODES)["macro_f1"]
    # the MI-adherent codes real speech has most of (AF, EA; SEEK is mostly a question's second code), against the
    # utterance reference (the AnnoMI re-codes where given), so that a decoding aimed at them gets a per-fold SE
    prac = [(h, m) for h, m, _, _ in r["utt"] if h in PRACTITIONER_CODES]
    if prac:  # every practitioner code the reference uses, real speech coded one by one
        out["punctuated"]["practitioner_utterances"] = utterance_report(
            [h for h, _ in prac], [m for _, m in prac], labels=PRACTITIONER_CODES)["macro_f1"]
    if any(h in ("AF", "EA") for h, _ in prac):
        out["punctuated"]["adherent_utterances"] = utterance_report(
            [h for h, _ in prac], [m for _, m in prac], labels=["AF", "EA"])["macro_f1"]
    if unpunctuated:
        out["unpunctuated"] = tasks(r["bare"], r["bare_probs"])
    return out


def _aggregate(results: list[dict], data: TrainingData, folds: int, unpunctuated: bool,
               progress: Callable[[str], None] | None, fold_seed: int | None = None, hold_out: str = "video") -> dict:
    """``cross_validate``'s report from its folds' results."""
    from ..schemes import GROUPS
    from .heldout import group_report

    per_fold = [_fold_tasks(r, unpunctuated) for r in results]  # before the rows are renumbered
    coded, tables, bare, bare_tables, cal_rows, utt = [], [], [], [], [], []
    offset = bare_offset = 0
    for k, r in enumerate(results):
        tables.append(_reindex(r["test"], r["probs"], offset))
        utt.extend((h, m, c) for h, m, c, _ in r["utt"])
        cal_rows.extend((k, row + offset, h) for h, _, _, row in r["utt"])
        offset += len(r["probs"])
        coded.extend(r["test"])
        if unpunctuated:
            bare_tables.append(_reindex(r["bare"], r["bare_probs"], bare_offset))
            bare_offset += len(r["bare_probs"])
            bare.extend(r["bare"])
        if progress:
            progress(f"fold {k + 1}/{folds}: trained on {r['n_examples']} examples")
    order = {s: i for i, s in enumerate(data.annomi_turns["transcript_id"].astype(str).unique())}
    coded.sort(key=lambda s: order[s.id])
    probs = pd.concat(tables)
    report = annomi_turn_tasks(coded, probs)
    report["utterance_level"] = utterance_report([h for h, _, _ in utt], [m for _, m, _ in utt])
    report["reliability_before_temperature"] = reliability([c for _, _, c in utt], [h == m for h, m, _ in utt])
    report.update(_calibrate(probs, cal_rows, folds))
    if unpunctuated:
        report["unpunctuated"] = annomi_turn_tasks(bare, pd.concat(bare_tables))
    quality = {s.id: s.meta.get("mi_quality", "") for s in coded}
    # per session too, so that two runs on the same split can be compared by resampling sessions
    # (validation.paired_session_bootstrap; scripts/compare_experiments.py)
    human = annomi_human_sessions(data.annomi_turns)
    report["session_values"] = session_values(human, coded, quality)
    report["session_level"] = session_figures(report["session_values"])
    if unpunctuated:  # the same session figures from the stripped copies (captions) against the same human codes
        bare.sort(key=lambda s: order[s.id])
        report["unpunctuated_session_values"] = session_values(human, bare, quality)
        report["unpunctuated_session_level"] = session_figures(report["unpunctuated_session_values"])
    tids = data.annomi_turns["transcript_id"].astype(str).unique()
    report.update({"folds": folds, "n_sessions": len(coded), "hold_out": hold_out,
                   "n_groups": len(set(_annomi_groups(data.annomi_turns, tids, hold_out)))})
    report["per_fold"] = per_fold
    if fold_seed is not None:
        report["fold_seed"] = fold_seed
    pairs = [p for r in results for p in r["pairs"]]
    team: dict[str, Any] = {}
    if pairs:
        team = utterance_report([h for h, _ in pairs], [m for _, m in pairs], sorted(GROUPS))
        team.update(group_report(pairs))
        team["role_clarification"] = role_report([p for r in results for p in r["roles"]])
        team["folds"] = folds
    return {"annomi_cv": report, **({"team_sessions_cv": team} if team else {})}
