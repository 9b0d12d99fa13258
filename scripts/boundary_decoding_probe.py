"""Two decodings of the boundary model's gap scores, measured on the same grouped AnnoMI folds as
``scripts/train_boundary_model.py`` (the hold-out and the external set never read). Neither ships; this script
keeps the measurement reproducible (thirteenth session, README "Unpunctuated speech").

0. The shipped decoding at several thresholds (how far lowering it goes towards keeping every question whole).
1. Length prior (semi-Markov decoding): choose the starts of a turn that maximize the sum of each chosen gap's
   log-odds margin over the threshold plus ``beta`` times the log-probability of each resulting utterance's
   length in words (the lengths of the training folds' reference utterances), so that fragments of two words
   and run-ons of sixty cost what they are worth. Settings chosen on the first fold only, then reported on
   the other four.
2. Neighbour stacking: a logistic regression over the gap's log-odds and those of the three gaps each side
   (their differences, whether the gap is the local maximum, position in the turn), so that a start just
   before or after a likelier one can give way; fitted on the out-of-fold scores of four folds and measured
   on the fifth.
3. Answer-conditioned question starts (fourteenth session): the same stacking over the gap's log-odds, whether the
   word after the gap starts a question (a question word, or an auxiliary before a pronoun), whether that is the
   turn's last such gap, and those two crossed with how the other speaker's next turn opens ("um", "uh",
   "well", "no", "yes", "yeah", "i", other, no next turn): an answer that opens with "um" or "well" follows a
   question far more often than a reflection, so the turn's last question start should be a boundary.

    python scripts/boundary_decoding_probe.py   # about 5 minutes
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from mi_coder.boundary import boundary_scores, gap_ids_many, question_recall, train_boundary_model  # noqa: E402

LMAX = 80
WINDOW = 3


def out_of_fold(folds: int = 5) -> list[dict]:
    """Per fold: the test turns, each turn's gap log-odds from a model trained without the fold, and the
    training turns' reference utterance lengths."""
    from sklearn.model_selection import GroupKFold
    from mi_coder.train.boundary_data import with_variants
    from train_boundary_model import SHARED, annomi_sequences, corpus_sequences

    annomi = annomi_sequences(str(SHARED / "annomi" / "AnnoMI-full.dev.csv"))
    for s, after in zip(annomi, annomi[1:] + [None]):  # the other speaker's next turn, for the answer probe
        same = after is not None and after["session"] == s["session"] and after["role"] != s["role"]
        s["next_words"] = after["words"] if same else []
    corpus = corpus_sequences()
    groups = np.array([s["group"] for s in annomi])
    out = []
    for k, (train, test) in enumerate(GroupKFold(folds).split(annomi, groups=groups)):
        seen = [annomi[i] for i in train] + corpus
        model = train_boundary_model(with_variants(seen, seed=k), C=1.0)
        turns = [annomi[i] for i in test if len(annomi[i]["words"]) >= 2]
        ids, mask = gap_ids_many([s["words"] for s in turns])
        logits = (model.coef[ids] * mask).sum(axis=1) + model.intercept
        cuts = np.cumsum([len(s["words"]) - 1 for s in turns])[:-1]
        lengths = []
        for s in seen:
            idx = [i for i, b in enumerate(s["starts"]) if b] + [len(s["starts"])]
            lengths += [b - a for a, b in zip(idx, idx[1:])]
        out.append({"turns": turns, "logits": np.split(logits, cuts), "lengths": np.array(lengths)})
        print(f"fold {k + 1}/{folds} scored", file=sys.stderr, flush=True)
    return out


def length_decode(logit: np.ndarray, threshold: float, beta: float, log_prior: np.ndarray) -> list[bool]:
    n = len(logit) + 1
    gain = np.r_[0.0, logit - np.log(threshold / (1 - threshold))]
    best = np.full(n + 1, -np.inf)
    best[0] = 0.0
    back = np.zeros(n + 1, dtype=int)
    for j in range(1, n + 1):
        lo = max(0, j - LMAX)
        cand = best[lo:j] + beta * log_prior[j - np.arange(lo, j) - 1]
        i = int(np.argmax(cand))
        best[j] = cand[i] + (gain[j] if j < n else 0.0)
        back[j] = lo + i
    starts, j = [False] * n, n
    while j > 0:
        j = back[j]
        starts[j] = True
    return starts


def score(folds: list[dict], decide) -> dict:  # type: ignore[no-untyped-def]
    ref, pred, qs = [], [], []
    for f in folds:
        for s, lg in zip(f["turns"], f["logits"]):
            ref.append(s["starts"])
            qs.append(s["questions"])
            pred.append(decide(f, lg))
    return {**boundary_scores(ref, pred), "whole_questions": question_recall(ref, pred, qs)}


def stack_features(lg: np.ndarray) -> np.ndarray:
    n = len(lg)
    pad = np.r_[np.full(WINDOW, -8.0), lg, np.full(WINDOW, -8.0)]
    cols = [pad[WINDOW + o: WINDOW + o + n] for o in range(-WINDOW, WINDOW + 1)]
    near = np.column_stack([cols[WINDOW + o] for o in (-2, -1, 1, 2)]).max(axis=1)
    pos = np.arange(1, n + 1)
    return np.column_stack([*cols, *(1 / (1 + np.exp(-c)) for c in cols), lg - near, (lg >= near).astype(float),
                            np.log1p(pos), np.log1p(n + 1 - pos), np.full(n, np.log1p(n))])


_WH = frozenset("what how why when where who which whether".split())
_AUX = frozenset("do does did are is was were can could would will have has had should shall may might".split())
_PRONOUNS = frozenset("you i we they he she it there that this anyone anything someone something".split())
OPENERS = ("um", "uh", "well", "no", "yes", "yeah", "i", "other", "none")


def opener(words: list[str]) -> str:
    if not words:
        return "none"
    w = {"umm": "um", "hmm": "um", "nope": "no", "nah": "no", "yep": "yes", "yup": "yes"}.get(words[0], words[0])
    return w if w in OPENERS else "other"


def answer_features(turn: dict, lg: np.ndarray) -> np.ndarray:
    w, n = turn["words"], len(turn["words"])
    q = np.array([(w[j] in _WH) or (w[j] in _AUX and j + 1 < n and w[j + 1] in _PRONOUNS) for j in range(1, n)],
                 dtype=float)
    last = np.zeros(n - 1)
    if q.any():
        last[np.flatnonzero(q)[-1]] = 1.0
    op = np.array([opener(turn.get("next_words", [])) == o for o in OPENERS], dtype=float)
    return np.column_stack([lg, q, last, last[:, None] * op[None, :], q[:, None] * op[None, :]])


def stacked_probs(folds: list[dict], X: list[list[np.ndarray]]) -> dict:
    """Each turn's gap probabilities from a logistic regression fitted on the other folds' feature rows."""
    from sklearn.linear_model import LogisticRegression

    y = [[np.array(s["starts"][1:], dtype=int) for s in f["turns"]] for f in folds]
    probs = {}
    for k in range(len(folds)):
        rest = [j for j in range(len(folds)) if j != k]
        m = LogisticRegression(max_iter=2000).fit(np.vstack([x for j in rest for x in X[j]]),
                                                  np.concatenate([v for j in rest for v in y[j]]))
        probs.update({id(lg): m.predict_proba(x)[:, 1] for lg, x in zip(folds[k]["logits"], X[k])})
    return probs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.parse_args()
    folds = out_of_fold()
    report: dict = {}
    plain = lambda t: lambda f, lg: [True] + list(lg > np.log(t / (1 - t)))  # noqa: E731
    report["threshold_0.10_all_folds"] = score(folds, plain(0.10))
    # The shipped decoding's own trade: a lower threshold keeps more questions whole at a cost in precision.
    report["threshold_sweep_all_folds"] = {f"t={t}": score(folds, plain(t)) for t in (0.03, 0.05, 0.07, 0.10, 0.15)}
    grid = {}
    for t in (0.05, 0.10, 0.15, 0.20):
        for beta in (0.0, 0.25, 0.5, 1.0):
            prior = lambda f: np.log((np.bincount(np.clip(f["lengths"], 1, LMAX), minlength=LMAX + 1)[1:] + 1.0)  # noqa: E731
                                     / (len(f["lengths"]) + LMAX))
            grid[(t, beta)] = lambda f, lg, t=t, beta=beta: (
                length_decode(lg, t, beta, f.setdefault("prior", prior(f))) if beta else plain(t)(f, lg))
    first = {f"t={t} beta={b}": score(folds[:1], d) for (t, b), d in grid.items()}
    report["length_prior_first_fold"] = first
    chosen = max(first, key=lambda k: first[k]["f1"])
    t, b = (float(x.split("=")[1]) for x in chosen.split())
    report["length_prior_chosen"] = chosen
    report["length_prior_other_folds"] = score(folds[1:], grid[(t, b)])
    report["threshold_0.10_other_folds"] = score(folds[1:], plain(0.10))
    probs = stacked_probs(folds, [[stack_features(lg) for lg in f["logits"]] for f in folds])
    stacked = {f"p>={th}": score(folds, lambda f, lg, th=th: [True] + list(probs[id(lg)] >= th))
               for th in (0.20, 0.25, 0.30)}
    report["neighbour_stacking_all_folds"] = stacked
    answers = stacked_probs(folds, [[answer_features(s, lg) for s, lg in zip(f["turns"], f["logits"])]
                                    for f in folds])
    report["answer_stacking_all_folds"] = {
        f"p>={th}": score(folds, lambda f, lg, th=th: [True] + list(answers[id(lg)] >= th))
        for th in (0.05, 0.10, 0.15, 0.20, 0.25)}
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    from mi_coder.errors import run_script

    raise SystemExit(run_script(main))
