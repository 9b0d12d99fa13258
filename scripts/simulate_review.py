"""Simulate supervisors reviewing sessions of a new setting, and measure what `train --add` buys.

    python scripts/simulate_review.py [--ks 0 2 4 8] [--out data/review_simulation.json]

AnnoMI dev split, the fixed hold-out left out. One topic (the one with most videos) plays the new setting:
the model is trained on every other topic plus the team corpus; the topic's videos are split into a review
pool and a test part (by video). For each k, k pool sessions are "reviewed" (their AnnoMI codes added, at the
weight `train --add` uses, 3), the model is retrained, and the test sessions are coded: therapist 4-class
macro-F1 and client macro-F1 against k. `notebooks/review_simulation.ipynb` plots the result.
"""

from __future__ import annotations

import argparse
import glob
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    from mi_coder.evaluate.crossval import annomi_turn_tasks, code_with_probs
    from mi_coder.train.annomi import (annomi_examples, annomi_sessions, annomi_turn_examples, holdout_ids,
                                       load_annomi_turns)
    from mi_coder.train.examples import coded_turn_examples, load_session_corpus
    from mi_coder.train.fit import splitter, train_coder

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--annomi", default=str(ROOT.parent / "shared" / "data" / "annomi" / "AnnoMI-full.dev.csv"))
    parser.add_argument("--ks", type=int, nargs="+", default=[0, 2, 4, 8])
    parser.add_argument("--weight", type=float, default=3.0)
    parser.add_argument("--out", default=str(ROOT / "data" / "review_simulation.json"))
    args = parser.parse_args()
    started = time.time()
    turns = load_annomi_turns(args.annomi)
    turns = turns[~turns["transcript_id"].astype(str).isin(holdout_ids())].reset_index(drop=True)
    videos = turns.groupby("topic")["video_url"].nunique().sort_values(ascending=False)
    topic = videos.index[0]
    mine = turns[turns["topic"] == topic]
    rest = turns[turns["topic"] != topic]
    vids = sorted(mine["video_url"].unique())
    rng = np.random.default_rng(0)
    rng.shuffle(vids)
    pool_v, test_v = vids[: len(vids) // 2], vids[len(vids) // 2:]
    pool_ids = list(dict.fromkeys(mine[mine["video_url"].isin(pool_v)]["transcript_id"].astype(str)))
    test = mine[mine["video_url"].isin(test_v)]
    split = splitter()
    sessions = load_session_corpus(sorted(glob.glob(str(ROOT / "data" / "corpus" / "sessions" / "*_utterances.csv"))))
    base = pd.concat([annomi_examples(rest, split), sessions], ignore_index=True)
    base_turns = pd.concat([annomi_turn_examples(rest), coded_turn_examples(sessions)], ignore_index=True)
    results = []
    for k in args.ks:
        reviewed = mine[mine["transcript_id"].astype(str).isin(pool_ids[:k])]
        added = annomi_examples(reviewed, split).assign(source="reviewed", weight=args.weight) if k else None
        added_turns = annomi_turn_examples(reviewed).assign(weight=args.weight) if k else None
        coder = train_coder(pd.concat([base, added], ignore_index=True) if k else base,
                            pd.concat([base_turns, added_turns], ignore_index=True) if k else base_turns,
                            calibration_folds=0, behaviour=True, max_iter=500)
        coded = annomi_sessions(test)
        tasks = annomi_turn_tasks(coded, code_with_probs(coder, coded))
        results.append({"k": k, "therapist_4class_macro_f1": tasks["therapist_4class"]["macro_f1"],
                        "client_3class_macro_f1": tasks["client_3class"]["macro_f1"]})
        print(json.dumps(results[-1]), file=sys.stderr, flush=True)
    report = {"topic": topic, "pool_sessions": len(pool_ids), "test_sessions": int(test["transcript_id"].nunique()),
              "weight": args.weight, "results": results, "seconds": round(time.time() - started),
              "command": "python scripts/simulate_review.py " + " ".join(sys.argv[1:])}
    Path(args.out).write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    from mi_coder.errors import run_script

    raise SystemExit(run_script(main))
