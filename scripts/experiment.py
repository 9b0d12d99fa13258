"""Compare coder variants quickly: one grouped 5-fold run over AnnoMI (by video, hold-out excluded) and the team
sessions (by session) at once; no calibration folds. For choosing features and settings; never reads the
AnnoMI hold-out or the external dev set.

    python scripts/experiment.py --name base [--no-line-corpus] [--set KEY=VALUE ...]
"""

from __future__ import annotations

import argparse
import glob
import json
import pickle
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CACHE = Path("/tmp/mi_coder_experiment_cache.pkl")


def load(line_corpus: bool):
    from mi_coder.train.annomi import (
        annomi_examples,
        annomi_turn_examples,
        holdout_ids,
        load_annomi_turns,
    )
    from mi_coder.train.examples import (
        coded_turn_examples,
        load_session_corpus,
        load_team_corpus,
    )
    from mi_coder.train.fit import splitter

    corpus_files = sorted(glob.glob(str(ROOT / "data/corpus/sessions/*_utterances.csv")))
    stamp = [(f, Path(f).stat().st_mtime) for f in corpus_files]
    if CACHE.exists():
        cached = pickle.loads(CACHE.read_bytes())
        if cached["stamp"] == stamp:
            data = cached
        else:
            data = None
    else:
        data = None
    if data is None:
        turns = load_annomi_turns(ROOT.parent / "shared/data/annomi/AnnoMI-full.dev.csv")
        turns = turns[~turns["transcript_id"].astype(str).isin(holdout_ids())].reset_index(drop=True)
        split = splitter()
        sess = load_session_corpus(corpus_files)
        data = {"stamp": stamp, "turns": turns, "annomi": annomi_examples(turns, split),
                "annomi_turns": annomi_turn_examples(turns), "sessions": sess,
                "session_turns": coded_turn_examples(sess),
                "lines": load_team_corpus(sorted(glob.glob(str(ROOT / "data/corpus/team_*.csv"))))}
        CACHE.write_bytes(pickle.dumps(data))
    if not line_corpus:
        data = {**data, "lines": data["lines"].iloc[:0]}
    return data


def run_fold(k, data, train_kwargs, folds):
    from sklearn.model_selection import GroupKFold

    from mi_coder.evaluate.crossval import code_with_probs
    from mi_coder.train.annomi import annomi_sessions
    from mi_coder.train.examples import sessions_from_examples, single_utterance_turns
    from mi_coder.train.fit import train_coder

    turns = data["turns"]
    ids = turns["transcript_id"].astype(str)
    tids = ids.unique()
    vid = turns.groupby("transcript_id", sort=False)["video_url"].first().reindex(tids).to_numpy()
    a_train, a_test = list(GroupKFold(folds).split(tids, groups=vid))[k]
    s_ids = data["sessions"]["session_id"].unique()
    s_train, s_test = list(GroupKFold(folds).split(s_ids, groups=s_ids))[k]
    train_t, test_t = set(tids[a_train]), set(tids[a_test])
    train_s, test_s = set(s_ids[s_train]), set(s_ids[s_test])
    ann, sess, lines = data["annomi"], data["sessions"], data["lines"]
    ex = pd.concat([ann[ann.session_id.isin(train_t)], sess[sess.session_id.isin(train_s)], lines], ignore_index=True)
    at, st = data["annomi_turns"], data["session_turns"]
    tex = pd.concat([at[at.session_id.isin(train_t)], st[st.session_id.isin(train_s)],
                     single_utterance_turns(lines)], ignore_index=True)
    coder = train_coder(ex, tex, calibration_folds=0, **train_kwargs)
    test_sessions = annomi_sessions(turns[ids.isin(test_t)])
    probs = code_with_probs(coder, test_sessions)
    team = sessions_from_examples(sess[sess.session_id.isin(test_s)])
    coder.code_segmented(team)
    pairs = [(u.meta["human_code"], u.code) for s in team for _, u in s.utterances()]
    roles = [(u.meta["human_roles"], ";".join(u.meta.get("role_elements", []))) for s in team
             for t, u in s.utterances() if t.role == "practitioner"]
    return test_sessions, probs, pairs, roles


def main() -> int:
    from joblib import Parallel, delayed

    from mi_coder.evaluate.crossval import annomi_turn_tasks
    from mi_coder.evaluate.heldout import group_report
    from mi_coder.evaluate.metrics import utterance_report
    from mi_coder.evaluate.validation import session_level
    from mi_coder.train.annomi import annomi_human_sessions

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--name", required=True)
    parser.add_argument("--no-line-corpus", action="store_true")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--set", nargs="*", default=[], help="train_coder keyword=value (JSON values)")
    args = parser.parse_args()
    kwargs = {k: json.loads(v) for k, v in (s.split("=", 1) for s in args.set)}
    t0 = time.time()
    data = load(not args.no_line_corpus)
    results = Parallel(n_jobs=args.jobs)(delayed(run_fold)(k, data, kwargs, args.folds) for k in range(args.folds))
    sessions = [s for r in results for s in r[0]]
    offset, tables = 0, []
    for r in results:  # re-index each fold's probability rows after the previous folds'
        for s in r[0]:
            for _, u in s.utterances():
                if "_row" in u.meta:
                    u.meta["_row"] += offset
        p = r[1].copy()
        p.index = p.index + offset
        offset += len(p)
        tables.append(p)
    tasks = annomi_turn_tasks(sessions, pd.concat(tables))
    quality = {s.id: s.meta.get("mi_quality", "") for s in sessions}
    level = session_level(annomi_human_sessions(data["turns"]), sessions, quality)
    pairs = [p for r in results for p in r[2]]
    team = utterance_report([h for h, _ in pairs], [m for _, m in pairs])
    groups = group_report(pairs)
    from mi_coder.codes import ROLE_ELEMENTS

    role_pairs = [p for r in results for p in r[3]]
    role_f1 = {}
    for element in ROLE_ELEMENTS:
        tp = sum(element in h.split(";") and element in m.split(";") for h, m in role_pairs)
        fp = sum(element not in h.split(";") and element in m.split(";") for h, m in role_pairs)
        fn = sum(element in h.split(";") and element not in m.split(";") for h, m in role_pairs)
        role_f1[element] = round(2 * tp / (2 * tp + fp + fn), 3) if tp + fp + fn else None
    summary = {
        "name": args.name, "settings": kwargs, "line_corpus": not args.no_line_corpus,
        "annomi_therapist_f1": tasks["therapist_4class"]["macro_f1"], "annomi_client_f1": tasks["client_3class"]["macro_f1"],
        "annomi_oq_cq": tasks.get("open_vs_closed_accuracy"), "annomi_sr_cr": tasks.get("simple_vs_complex_accuracy"),
        **{f"session_{k}": v for k, v in level.items() if k in ("r_q_spearman", "low_quality_reflection_ratio",
                                                                 "fidelity_auc_machine")},
        "team_macro_f1": team["macro_f1"], "team_group_kappa": groups["practitioner_groups"]["kappa"],
        "team_client_f1": groups["client"]["macro_f1"],
        "role_element_f1": role_f1,
        "team_per_code_f1": {c: v["f1"] for c, v in team["per_code"].items()},
        "seconds": round(time.time() - t0),
    }
    print(json.dumps(summary, default=str))
    with open(ROOT / "scripts" / "experiments.jsonl", "a") as f:
        f.write(json.dumps(summary, default=str) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
