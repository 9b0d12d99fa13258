"""E67: does a client turn's talk type follow from the neighbouring client turns' machine readings?

    python scripts/client_sequence_probe.py [--fold-seed 30]   # about 7 minutes on 2 cores

Out-of-fold coded AnnoMI dev sessions (outside the hold-out) from the shipped recipe (``SETTINGS``, the AnnoMI
re-codes, the team sessions and lines), on grouped folds shuffled by ``--fold-seed``; then, for each client turn
with a label, change/neutral/sustain decided (a) as shipped (argmax of the client turn model), (b) by a stage-2
multinomial logistic regression over the turn's own turn-model log-probabilities, (c) the same plus the previous two
and the next client turns' log-probabilities (with a present flag each) and the mean over the session's other
client turns; (b) and (c) unweighted and with balanced class weights, each fitted on four folds' out-of-fold
outputs and applied to the fifth. Prints pooled and per-fold client turn macro-F1 and paired per-fold differences.
The rule it was judged by is E67 in docs/PREREGISTRATIONS.md. Never reads the hold-out or the external dev set.
"""

from __future__ import annotations

import argparse
import glob
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

CLS = ["CT", "ST", "FN"]
LABEL = {"change": "CT", "sustain": "ST", "neutral": "FN"}


def out_of_fold(fold_seed: int) -> list[dict]:
    from joblib import Parallel, delayed

    from mi_coder.evaluate.crossval import _cv_fold
    from mi_coder.train.annomi import holdout_ids, read_utterance_code_files
    from mi_coder.train.examples import corpus_session_files
    from mi_coder.train.fit import load_training_data
    from train_default_model import ANNOMI_CODES, SETTINGS

    paths = [str(ROOT.parent / "shared" / "data" / "annomi" / "AnnoMI-full.dev.csv"),
             *corpus_session_files(ROOT / "data" / "corpus" / "sessions"),
             *sorted(glob.glob(str(ROOT / "data" / "corpus" / "team_*.csv")))]
    data = load_training_data(paths, exclude_annomi=holdout_ids())
    data = data.with_annomi_codes(read_utterance_code_files([str(ROOT / p) for p in ANNOMI_CODES]), train=True)
    kwargs = {"calibration_folds": 0, **SETTINGS}
    folds = Parallel(n_jobs=2)(delayed(_cv_fold)(k, data, 5, kwargs, False, [{}], fold_seed) for k in range(5))
    return [{"test": r[0]["test"]} for r in folds]


def turn_rows(fold: dict) -> list[tuple]:
    """(label, shipped decision, own log-probabilities, context features) per client turn the turn model read."""
    rows = []
    for s in fold["test"]:
        turns = [t for t in s.turns if t.role == "client" and "_turn_probs" in t.meta]
        logp = np.log(np.clip(np.array([[t.meta["_turn_probs"].get(c, 0.0) for c in CLS] for t in turns]), 1e-6, 1))
        n, total = len(turns), logp.sum(axis=0)
        for i, t in enumerate(turns):
            context: list[float] = []
            for j in (i - 1, i - 2, i + 1):
                context += [*logp[j], 1.0] if 0 <= j < n else [0.0, 0.0, 0.0, 0.0]
            context += [*((total - logp[i]) / (n - 1) if n > 1 else np.zeros(3))]
            rows.append((LABEL.get(t.meta.get("client_talk")), t.meta["main_code"], logp[i], np.array(context)))
    return rows


def main() -> int:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fold-seed", type=int, default=30)
    args = parser.parse_args()
    folds = out_of_fold(args.fold_seed)
    rows = [[r for r in turn_rows(fold) if r[0]] for fold in folds]

    def macro(y: list, p: list) -> float:
        return float(f1_score(y, p, labels=CLS, average="macro"))

    arms = ("shipped", "own", "context", "own_bal", "context_bal")
    per_fold = {a: [] for a in arms}
    pooled: dict[str, tuple[list, list]] = {a: ([], []) for a in arms}
    for k in range(len(rows)):
        train = [r for j in range(len(rows)) if j != k for r in rows[j]]
        test = rows[k]
        y_train, y_test = [r[0] for r in train], [r[0] for r in test]
        own = (np.array([r[2] for r in train]), np.array([r[2] for r in test]))
        ctx = (np.hstack([own[0], [r[3] for r in train]]), np.hstack([own[1], [r[3] for r in test]]))
        predicted = {"shipped": [r[1] for r in test]}
        for arm, (a, b), weights in (("own", own, None), ("context", ctx, None), ("own_bal", own, "balanced"),
                                     ("context_bal", ctx, "balanced")):
            model = LogisticRegression(C=1.0, max_iter=2000, class_weight=weights).fit(a, y_train)
            predicted[arm] = list(model.predict(b))
        for arm, p in predicted.items():
            per_fold[arm].append(macro(y_test, p))
            pooled[arm][0].extend(y_test)
            pooled[arm][1].extend(p)
    for arm in arms:
        print(f"{arm:12s} pooled {macro(*pooled[arm]):.3f}  per fold {np.round(per_fold[arm], 3).tolist()}")
    for a, b in (("context", "own"), ("context_bal", "own_bal"), ("context", "shipped")):
        d = np.array(per_fold[a]) - np.array(per_fold[b])
        print(f"{a} - {b}: mean {d.mean():+.4f} (SE {d.std(ddof=1) / np.sqrt(len(d)):.4f})")
    return 0


if __name__ == "__main__":
    from mi_coder.errors import run_script

    raise SystemExit(run_script(main))
