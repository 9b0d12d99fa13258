"""Retrain the shipped default model, evaluate it, and pin its hash.

    python scripts/train_default_model.py            # needs ../shared/data/annomi (the AnnoMI dev split)

1. ``mi-coder train`` on AnnoMI-full (dev split) + the team corpus, with 5-fold cross-validation grouped by
   source video (AnnoMI turn-level tasks, punctuated and unpunctuated) and grouped 5-fold CV on the team
   corpus; the figures go into meta.json and the model card.
2. The speed benchmark (benchmarks/bench_code.py) on the new model; its figures join meta.json.
3. The SHA-256 of the final meta.json is pinned in mi_coder/_trusted.py, so the shipped model loads without
   --trust-model.
"""

from __future__ import annotations

import argparse
import glob
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mi_coder.evaluate.crossval import training_metrics  # noqa: E402
from mi_coder.model.card import render_model_card  # noqa: E402
from mi_coder.model.store import DEFAULT_MODEL, sha256  # noqa: E402
from mi_coder.train.fit import load_training_data, train_from_files  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--annomi", default=str(ROOT.parent / "shared" / "data" / "annomi" / "AnnoMI-full.dev.csv"))
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--out", default=str(ROOT / "models" / DEFAULT_MODEL))
    parser.add_argument("--skip-benchmark", action="store_true")
    args = parser.parse_args()
    corpus = sorted(glob.glob(str(ROOT / "data" / "corpus" / "team_*.csv")))
    out = Path(args.out)
    paths = [args.annomi, *corpus]
    say = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    data = load_training_data(paths)
    metrics = training_metrics(data, args.folds, progress=say)
    train_from_files(paths, out, name=DEFAULT_MODEL, version="1.1", metrics=metrics, progress=say, data=data)
    meta_path = out / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta["metrics"]["command"] = "python scripts/train_default_model.py"
    if not args.skip_benchmark:
        result = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_code.py"), "--model", str(out),
                                 "--trust-model", "--json"], capture_output=True, text=True, check=True)
        meta["metrics"]["speed"] = json.loads(result.stdout)
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    (out / "MODEL_CARD.md").write_text(render_model_card(meta))
    digest = sha256(meta_path)
    trusted = ROOT / "mi_coder" / "_trusted.py"
    text = trusted.read_text()
    start = text.index("PINNED_META_SHA256")
    trusted.write_text(text[:start] + f'PINNED_META_SHA256: frozenset[str] = frozenset({{\n    "{digest}",\n}})\n')
    print(f"pinned {digest} in {trusted}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
