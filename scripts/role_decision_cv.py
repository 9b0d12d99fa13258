"""Role-clarification detectors: exclusive against independent decisions, grouped CV on the team sessions.

    python scripts/role_decision_cv.py [--out models/role_decisions.json] [--train-only l] [--without l]
                                       [--holdout n] [--dump oof.csv] [--turn-stage] [--stage-across]
                                       [--turn-words W]

The team's coded sessions (data/corpus/sessions) label practitioner utterances with the four elements
(purpose, practitioner's role, client's role, participation). For each of 5 folds grouped by session, the
coder's feature space is fitted on the training sessions' practitioner utterances and one balanced logistic
regression per element is trained (as ``train.fit.train_coder`` does for the shipped detectors); the
held-out utterances get each element's yes-probability. The same probabilities are then decided two ways:
independently (each element from 0.5) and exclusively (``model.coder.role_decisions``: at most the likeliest
element). Reports precision, recall and F1 per element for both, and per practitioner turn for the exclusive
decisions (a turn carries an element when any of its utterances does: the unit the report cites as evidence).
``--holdout`` batches stay out of the folds; one set of detectors trained on every other session is tested on
them (batches ``s`` and ``t`` are the fixed hold-outs: ``train.examples.HELD_BACK_BATCHES``; name them only to
measure a shipped configuration). ``--turn-stage`` adds the second stage the shipped detectors have since 2.7
(``model.role_turns``). A quick check, not
the shipped model's figures (those come from ``scripts/train_default_model.py``, with AnnoMI in the
feature space and the unpunctuated copies).
"""

from __future__ import annotations

import argparse
import glob
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    import numpy as np
    import pandas as pd
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score, precision_score, recall_score
    from scipy import sparse
    from sklearn.model_selection import GroupKFold

    from mi_coder.codes import ROLE_ELEMENTS
    from mi_coder.model.coder import role_decisions
    from mi_coder.model.features import FeatureSpace
    from mi_coder.train.examples import HELD_BACK_BATCHES, load_session_corpus

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(ROOT / "models" / "role_decisions.json"))
    parser.add_argument("--train-only", default="",
                        help="batches (letters) that join every training fold and are never tested: measures what "
                             "a batch adds on the same held-out sessions as a run without it")
    parser.add_argument("--without", default="", help="batches (letters) left out altogether")
    parser.add_argument("--balance", type=float, default=1.0,
                        help="power of the inverse class frequency in the detectors' weights (train_coder's "
                             "role_balance; 1: balanced, as shipped)")
    parser.add_argument("--no-behaviour", action="store_true", help="leave the behaviour block out of the feature space")
    parser.add_argument("--position", action="store_true",
                        help="add the turn's place in the session (early turns) to the detectors' features")
    parser.add_argument("--own-context", action="store_true",
                        help="add the words of the practitioner's own previous turn and earlier utterances of the "
                             "same turn (TF-IDF, weight 0.5) to the detectors' features")
    parser.add_argument("--turn-stage", action="store_true",
                        help="second stage over the detectors' scores of the other utterances of the same practitioner "
                             "turn (model.role_turns), trained on out-of-fold scores (nested folds)")
    parser.add_argument("--stage-across", action="store_true",
                        help="the turn stage also reads the previous and next practitioner utterance across turns")
    parser.add_argument("--turn-words", type=float, default=0.0,
                        help="add the words of the turn's other utterances (TF-IDF) at this weight to the detectors' "
                             "features (0: off)")
    parser.add_argument("--holdout", default="",
                        help="batches (letters) never trained on or used in the folds: one model trained on every "
                             "other session is tested on them (a fixed hold-out)")
    parser.add_argument("--dump", default="",
                        help="also write each held-out utterance's text, labels and yes-probabilities to this CSV "
                             "(error analysis)")
    args = parser.parse_args()
    # Held-back batches (train.examples.HELD_BACK_BATCHES) join only when named: --train-only or --holdout.
    named = set(args.train_only) | set(args.holdout)
    every = load_session_corpus(sorted(
        p for p in glob.glob(str(ROOT / "data" / "corpus" / "sessions" / "*_utterances.csv"))
        if (b := Path(p).name.split("_")[0]) not in args.without and (b not in HELD_BACK_BATCHES or b in named)))
    if args.own_context:
        from mi_coder.train.examples import with_own_prev_text

        every = with_own_prev_text(every.reset_index(drop=True))
    every = every[every["role"] == "practitioner"]
    batch = every["session_id"].str.split(":").str[-1].str.split("-").str[0]
    extra_rows, held_rows = batch.isin(list(args.train_only)), batch.isin(list(args.holdout))
    ex = every[~extra_rows & ~held_rows].reset_index(drop=True)
    extra, held = every[extra_rows].reset_index(drop=True), every[held_rows].reset_index(drop=True)

    def element_labels(frame: pd.DataFrame) -> np.ndarray:
        return np.column_stack([frame["role_elements"].fillna("").str.split(";").map(lambda xs, e=e: e in xs)
                                for e in ROLE_ELEMENTS]).astype(bool).reshape(len(frame), len(ROLE_ELEMENTS))

    labels, extra_labels, held_labels = element_labels(ex), element_labels(extra), element_labels(held)

    def turn_keys(frame: pd.DataFrame) -> np.ndarray:
        return (frame["session_id"] + "#" + frame["turn_id"].astype(str)).to_numpy()

    def rest_of_turn(frame: pd.DataFrame) -> list[str]:
        """The words of the other utterances of each row's turn (practitioner rows only are in the frame)."""
        keys = turn_keys(frame)
        texts = frame["text"].tolist()
        by_turn: dict[str, list[int]] = {}
        for i, k in enumerate(keys):
            by_turn.setdefault(k, []).append(i)
        return [" ".join(texts[j] for j in by_turn[k] if j != i) for i, k in enumerate(keys)]

    def fit_predict(a: pd.DataFrame, y_a: np.ndarray, b: pd.DataFrame) -> np.ndarray:
        """Each element's yes-probability on b from detectors trained on a (features fitted on a)."""
        space = FeatureSpace.fit(a["text"].tolist(), a["prev_text"].tolist(), a["next_text"].tolist(),
                                 behaviour=not args.no_behaviour)
        Xa, Xb = space.transform_frame(a), space.transform_frame(b)
        if args.own_context:
            from sklearn.feature_extraction.text import TfidfVectorizer

            own = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True).fit(a["own_prev_text"])
            Xa = sparse.hstack([Xa, own.transform(a["own_prev_text"]) * 0.5]).tocsr()
            Xb = sparse.hstack([Xb, own.transform(b["own_prev_text"]) * 0.5]).tocsr()
        if args.turn_words:
            from sklearn.feature_extraction.text import TfidfVectorizer

            rest_a, rest_b = rest_of_turn(a), rest_of_turn(b)
            vec = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True).fit(rest_a)
            Xa = sparse.hstack([Xa, vec.transform(rest_a) * args.turn_words]).tocsr()
            Xb = sparse.hstack([Xb, vec.transform(rest_b) * args.turn_words]).tocsr()
        if args.position:
            def place(frame: pd.DataFrame) -> sparse.csr_matrix:
                turn = frame["turn_id"].astype(float).to_numpy()
                return sparse.csr_matrix(np.column_stack([turn <= 10, turn <= 20, turn <= 40, np.log1p(turn) / 5]))
            Xa, Xb = sparse.hstack([Xa, place(a)]).tocsr(), sparse.hstack([Xb, place(b)]).tocsr()
        p = np.zeros((len(b), len(ROLE_ELEMENTS)))
        for j in range(len(ROLE_ELEMENTS)):
            y = y_a[:, j]
            weight = (len(y) / (2.0 * np.where(y, y.sum(), (~y).sum()))) ** args.balance
            model = LogisticRegression(C=1.0, max_iter=2000).fit(Xa, y, sample_weight=weight / weight.mean())
            p[:, j] = model.predict_proba(Xb)[:, 1]
        return p

    def out_of_fold(frame: pd.DataFrame, y: np.ndarray, folds: int = 5) -> np.ndarray:
        """Yes-probabilities of every row of frame from detectors that never saw its session (extra rows join
        every training fold)."""
        p = np.zeros(y.shape)
        for train, test in GroupKFold(folds).split(frame, groups=frame["session_id"]):
            p[test] = fit_predict(pd.concat([frame.iloc[train], extra]), np.vstack([y[train], extra_labels]),
                                  frame.iloc[test])
        return p

    def stage_decide(p_train: np.ndarray, frame_train: pd.DataFrame, y_train: np.ndarray,
                     p_test: np.ndarray, frame_test: pd.DataFrame) -> np.ndarray:
        """Second stage over the turn (``model.role_turns``), trained on out-of-fold scores."""
        from mi_coder.model.role_turns import TurnStage, turn_features

        def feats(p: np.ndarray, frame: pd.DataFrame) -> np.ndarray:
            return turn_features(p, turn_keys(frame), frame["session_id"].to_numpy() if args.stage_across else None)

        stage = TurnStage.fit(feats(p_train, frame_train), y_train)
        return stage.predict_proba(feats(p_test, frame_test))

    p_yes = np.zeros(labels.shape)
    for train, test in GroupKFold(5).split(ex, groups=ex["session_id"]):
        a, b = pd.concat([ex.iloc[train], extra]), ex.iloc[test]
        p_yes[test] = fit_predict(a, np.vstack([labels[train], extra_labels]), b)
        if args.turn_stage:  # stage two from the training sessions' own out-of-fold scores (nested folds)
            inner = out_of_fold(ex.iloc[train].reset_index(drop=True), labels[train])
            p_yes[test] = stage_decide(inner, ex.iloc[train], labels[train], p_yes[test], b)
    p_held = None
    if len(held):
        train_all = pd.concat([ex, extra])
        p_held = fit_predict(train_all, np.vstack([labels, extra_labels]), held)
        if args.turn_stage:
            p_held = stage_decide(out_of_fold(ex, labels), ex, labels, p_held, held)

    def scores(gold: np.ndarray, decided: np.ndarray) -> dict:
        return {e: {"precision": round(float(precision_score(gold[:, j], decided[:, j], zero_division=0)), 3),
                    "recall": round(float(recall_score(gold[:, j], decided[:, j], zero_division=0)), 3),
                    "f1": round(float(f1_score(gold[:, j], decided[:, j], zero_division=0)), 3),
                    "support": int(gold[:, j].sum())}
                for j, e in enumerate(ROLE_ELEMENTS)}

    def per_turn(frame: pd.DataFrame, gold_rows: np.ndarray, decided: np.ndarray) -> dict:
        """Per practitioner turn, as the report's checklist cites evidence: a turn carries an element when any
        of its utterances does."""
        _, turn_index = np.unique(turn_keys(frame), return_inverse=True)
        n_turns = turn_index.max() + 1
        gold, got = np.zeros((n_turns, gold_rows.shape[1]), bool), np.zeros((n_turns, gold_rows.shape[1]), bool)
        np.logical_or.at(gold, turn_index, gold_rows)
        np.logical_or.at(got, turn_index, decided)
        return scores(gold, got)

    command = "python scripts/role_decision_cv.py" + (f" --train-only {args.train_only}" if args.train_only else "") \
        + (f" --without {args.without}" if args.without else "") \
        + (f" --holdout {args.holdout}" if args.holdout else "") \
        + (f" --balance {args.balance:g}" if args.balance != 1.0 else "") \
        + (" --no-behaviour" if args.no_behaviour else "") + (" --position" if args.position else "") \
        + (" --own-context" if args.own_context else "") + (" --turn-stage" if args.turn_stage else "") \
        + (" --stage-across" if args.stage_across else "") \
        + (f" --turn-words {args.turn_words:g}" if args.turn_words else "")
    report = {"command": command, "folds": 5, "utterances": len(ex), "train_only_utterances": len(extra),
              "sessions": int(ex["session_id"].nunique()),
              "utterances_with_two_elements": int((labels.sum(axis=1) > 1).sum()),
              "independent": scores(labels, p_yes >= 0.5), "exclusive": scores(labels, role_decisions(p_yes)),
              "exclusive_per_turn": per_turn(ex, labels, role_decisions(p_yes))}
    if p_held is not None:
        report["holdout"] = {"batches": args.holdout, "sessions": int(held["session_id"].nunique()),
                             "utterances": len(held), "exclusive": scores(held_labels, role_decisions(p_held)),
                             "exclusive_per_turn": per_turn(held, held_labels, role_decisions(p_held))}
        if len(args.holdout) > 1:  # each held-out batch on its own too
            held_batch = held["session_id"].str.split(":").str[-1].str.split("-").str[0].to_numpy()
            report["holdout"]["per_batch"] = {
                b: scores(held_labels[held_batch == b], role_decisions(p_held[held_batch == b]))
                for b in args.holdout}
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    if args.dump:
        frame, p = (pd.concat([ex, held], ignore_index=True), np.vstack([p_yes, p_held])) if p_held is not None \
            else (ex, p_yes)
        frame[["session_id", "turn_id", "text", "role_elements"]].assign(
            **{f"p_{e}": p[:, j].round(3) for j, e in enumerate(ROLE_ELEMENTS)},
            decided=[";".join(e for j, e in enumerate(ROLE_ELEMENTS) if row[j]) for row in role_decisions(p)],
        ).to_csv(args.dump, index=False)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    from mi_coder.errors import run_script

    raise SystemExit(run_script(main))
