"""Learning curves from runs recorded in scripts/experiments.jsonl (L1 in docs/PREREGISTRATIONS.md): each fold's
figures with all training data against the same folds with a share of one kind of data (``experiment.py
--annomi-fraction F`` or ``--session-fraction G``), paired by fold, and a log-linear extrapolation of what more of
that kind would give.

    python scripts/learning_curve.py "L1 all training data, fold seed 38" "L1 AnnoMI 0.75, fold seed 38" "L1 AnnoMI 0.5, fold seed 38" --kind annomi
    python scripts/learning_curve.py "L1 all training data, fold seed 38" "L1 team sessions 0.5, fold seed 38" --kind sessions

For each figure: the per-fold mean of full minus reduced (SE over folds) for each reduced run; with two or more
reduced runs, the per-fold slope b of figure = a + b ln(share) (least squares over the shares, each fold's own), and
what b says the figure gains at 1.25 and 1.54 times the full share (the 86 AnnoMI transcripts a shipped model
trains on against a fold's 69, and all 106 dev transcripts), with the SE of the slope over folds.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from compare_experiments import LOG, find, mean_se, paired

FIGURES = [("punctuated", t) for t in ("therapist", "client", "oq_cq", "sr_cr", "client_utterances",
                                       "practitioner_utterances", "adherent_utterances")] + \
          [("unpunctuated", t) for t in ("therapist", "client", "oq_cq", "sr_cr")]


def slope(shares: list[float], ys: list[float]) -> float:
    xs = [math.log(s) for s in shares]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("full")
    parser.add_argument("reduced", nargs="+")
    parser.add_argument("--kind", choices=("annomi", "sessions"), default="annomi")
    parser.add_argument("--log", type=Path, default=LOG)
    args = parser.parse_args(argv)
    runs = [json.loads(line) for line in args.log.read_text().splitlines() if line.strip()]
    full = find(runs, args.full, args.log)
    reduced = [find(runs, name, args.log) for name in args.reduced]
    key = "annomi_fraction" if args.kind == "annomi" else "session_fraction"
    shares = [r.get(key, 1.0) for r in reduced]
    if any(r.get("fold_seed") != full.get("fold_seed") or len(r.get("per_fold") or []) != len(full.get("per_fold") or [])
           for r in reduced):
        raise SystemExit("learning_curve: the runs used different splits (fold_seed or number of folds)")
    if any(share >= 1.0 for share in shares):
        raise SystemExit(f"learning_curve: a reduced run keeps all its {args.kind} data (share 1.0): give the runs made "
                         f"with --{'annomi' if args.kind == 'annomi' else 'session'}-fraction, and --kind to match")
    print(f"{args.kind} shares: 1.0 (full) against {', '.join(map(str, shares))}; fold seed {full.get('fold_seed')}")
    head = "".join(f"  full-{s:<4} (SE)   " for s in shares)
    print(f"{'figure':34}{head}" + ("  slope b (SE)      at x1.25   at x1.54" if len(shares) > 1 else ""))
    for kind, task in FIGURES:
        try:
            ys_full = [f[kind][task] for f in full["per_fold"]]
            ys_red = [[f[kind][task] for f in r["per_fold"]] for r in reduced]
        except (KeyError, TypeError):
            continue
        cells = []
        for r in reduced:
            m, se = paired(r["per_fold"], full["per_fold"], kind, task)  # full minus reduced, per fold
            cells.append(f"  {m:+.4f} ({se:.4f})  ")
        line = f"{kind + ' ' + task:34}" + "".join(cells)
        if len(shares) > 1:
            bs = [slope([1.0, *shares], [ys_full[k], *(ys[k] for ys in ys_red)]) for k in range(len(ys_full))]
            b, se = mean_se(bs)
            line += f"  {b:+.4f} ({se:.4f})  {b * math.log(1.25):+.4f}    {b * math.log(1.54):+.4f}"
        print(line)
    print("pooled (no per-fold figures):")
    for name in ("session_r_q_spearman", "session_fidelity_auc_machine", "session_low_quality_reflection_ratio",
                 "team_macro_f1", "team_client_f1"):
        print(f"  {name:40} full {full.get(name)}  " + "  ".join(f"{s}: {r.get(name)}" for s, r in zip(shares, reduced)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
