"""Compare two runs recorded in scripts/experiments.jsonl: pooled differences (B - A) on every figure, and for the
AnnoMI turn tasks the paired per-fold differences with their standard error over folds (both runs must share a
split: the same --folds and --fold-seed). Runs that kept their sessions' figures (``session_values``, recorded
since the sixteenth session) also get the session figures' differences with a paired bootstrap over sessions
(``mi_coder.evaluate.validation.paired_session_bootstrap``: the same resampled sessions for both runs, within
quality; 2,000 resamples, seeded).

    python scripts/compare_experiments.py "E29b-ref" "E29b"     # names, or unique name prefixes (last match wins)
    python scripts/compare_experiments.py --expected "E36"       # one run: counted codes (A) vs expected counts (B)

``--expected``: the session figures of one run from its counted codes against the same from the coder's expected
counts (``r_q_expected``; ``validation.as_expected``), with the same paired bootstrap.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

LOG = Path(__file__).resolve().parent / "experiments.jsonl"
POOLED = ["annomi_therapist_f1", "annomi_client_f1", "annomi_oq_cq", "annomi_sr_cr", "session_r_q_spearman",
          "session_low_quality_reflection_ratio", "session_fidelity_auc_machine", "team_macro_f1", "team_group_kappa",
          "team_client_f1"]
TASKS = ["therapist", "client", "oq_cq", "sr_cr"]


def find(runs: list[dict], name: str, log: Path) -> dict:
    hits = [r for r in runs if r["name"] == name] or [r for r in runs if r["name"].startswith(name + " ")]
    if not hits:
        sys.exit(f"compare_experiments: no run named {name!r} in {log}")
    return hits[-1]


def mean_se(values: list[float]) -> tuple[float, float]:
    """Mean and standard error of the mean."""
    mean = sum(values) / len(values)
    sd = math.sqrt(sum((x - mean) ** 2 for x in values) / (len(values) - 1)) if len(values) > 1 else float("nan")
    return mean, sd / math.sqrt(len(values))


def paired(a: list[dict], b: list[dict], kind: str, task: str) -> tuple[float, float]:
    """Mean and standard error of the per-fold differences b - a."""
    return mean_se([fb[kind][task] - fa[kind][task] for fa, fb in zip(a, b)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("a")
    parser.add_argument("b", nargs="?")
    parser.add_argument("--expected", action="store_true",
                        help="one run: its counted session figures (A) against its expected counts (B)")
    parser.add_argument("--log", type=Path, default=LOG, help="the experiments file (default: %(default)s)")
    args = parser.parse_args(argv)
    runs = [json.loads(line) for line in args.log.read_text().splitlines() if line.strip()]
    if args.expected:
        return expected(find(runs, args.a, args.log))
    if args.b is None:
        parser.error("two runs to compare, or --expected and one run")
    a, b = find(runs, args.a, args.log), find(runs, args.b, args.log)
    if a.get("fold_seed") != b.get("fold_seed"):
        sys.exit("compare_experiments: the two runs used different splits (fold_seed); paired figures need one split")
    print(f"A: {a['name']}\nB: {b['name']}\n")
    print(f"{'figure':42s} {'A':>7s} {'B':>7s} {'B-A':>7s}")
    rows = [(k, a.get(k), b.get(k)) for k in POOLED]
    rows += [(f"unpunctuated {k}", a.get("unpunctuated", {}).get(k), b.get("unpunctuated", {}).get(k))
             for k in ("annomi_therapist_f1", "annomi_client_f1", "annomi_oq_cq", "annomi_sr_cr", "session_r_q_spearman",
                       "session_low_quality_reflection_ratio", "session_fidelity_auc_machine")]
    rows += [(f"AnnoMI utterance F1 {c}", a.get("annomi_utterance_f1", {}).get(c), v)
             for c, v in b.get("annomi_utterance_f1", {}).items()]
    for name, x, y in rows:
        if x is not None and y is not None:
            print(f"{name:42s} {x:7.3f} {y:7.3f} {y - x:+7.3f}")
    if a.get("per_fold") and b.get("per_fold"):
        print(f"\n{'paired per-fold difference (B-A)':42s} {'mean':>7s} {'SE':>7s}")
        for kind in ("punctuated", "unpunctuated"):
            if kind in a["per_fold"][0] and kind in b["per_fold"][0]:
                # client_utterances kept by runs since the thirtieth session, the practitioner ones since the 31st
                for task in TASKS + ["client_utterances", "practitioner_utterances", "adherent_utterances"]:
                    if not all(task in f[kind] for f in a["per_fold"] + b["per_fold"]):
                        continue
                    mean, se = paired(a["per_fold"], b["per_fold"], kind, task)
                    print(f"{kind + ' ' + task:42s} {mean:+7.3f} {se:7.3f}")
    if a.get("session_values") and b.get("session_values"):
        sys.path.insert(0, str(LOG.parents[1]))
        from mi_coder.evaluate.validation import paired_session_bootstrap

        print(f"\n{'session figures, paired bootstrap (B-A)':42s} {'diff':>7s} {'SE':>7s}  95% interval")
        sets = [("", a["session_values"], b["session_values"])]
        bare_a, bare_b = (r.get("unpunctuated", {}).get("session_values") for r in (a, b))
        if bare_a and bare_b:  # the same figures from the stripped copies (runs since the twenty-fifth session)
            sets.append(("unpunctuated ", bare_a, bare_b))
        for prefix, values_a, values_b in sets:
            for figure, d in paired_session_bootstrap(values_a, values_b).items():
                if d["difference"] is not None and d["se"] is not None:
                    low, high = d["interval"]
                    print(f"{prefix + figure:42s} {d['difference']:+7.3f} {d['se']:7.3f}  [{low:+.3f}, {high:+.3f}]")
    return 0


def expected(run: dict) -> int:
    """Counted codes against expected counts within one run (paired bootstrap over its sessions)."""
    sys.path.insert(0, str(LOG.parents[1]))
    from mi_coder.evaluate.validation import as_expected, paired_session_bootstrap

    values = run.get("session_values") or []
    if not values or "machine_r_q_expected" not in values[0]:
        sys.exit(f"compare_experiments: {run['name']!r} kept no expected counts (runs since the seventeenth session do)")
    print(f"run: {run['name']}\nA: counted codes, B: expected counts\n")
    print(f"{'session figure, paired bootstrap (B-A)':42s} {'diff':>7s} {'SE':>7s}  95% interval")
    boot = paired_session_bootstrap(values, as_expected(values))
    for figure in ("r_q_spearman", "low_quality_reflection_volley_ratio"):
        d = boot[figure]
        low, high = d["interval"]
        print(f"{figure:42s} {d['difference']:+7.3f} {d['se']:7.3f}  [{low:+.3f}, {high:+.3f}]")
    return 0


if __name__ == "__main__":
    from mi_coder.errors import run_script

    raise SystemExit(run_script(main))
