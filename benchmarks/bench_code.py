"""Speed of `mi-coder code`: throughput of each stage, end to end, cold start, and peak memory, on one core.

    python benchmarks/bench_code.py [--sessions 300] [--model DIR] [--json] [--unpunctuated]

The corpus is synthetic: the bundled example sessions (data/examples) repeated as a multi-session CSV, each
copy's turns made unique (so no cache sees the same text twice). No shared data is used. ``--unpunctuated``
lower-cases the text and strips its punctuation, as automatic captions are: the boundary model then splits
every turn.
"""

from __future__ import annotations

import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"  # one core, before NumPy loads

import argparse  # noqa: E402
import csv  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
ONE_CORE = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def build_corpus(path: Path, n_sessions: int, unpunctuated: bool = False) -> int:
    """Write a multi-session CSV of ``n_sessions`` sessions; returns the number of turns."""
    from mi_coder.evaluate.segmentation import strip_text
    from mi_coder.io.reader import read_transcript

    examples = [read_transcript(p)[0] for p in sorted((ROOT / "data" / "examples").glob("*.txt"))]
    n = 0
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["session_id", "turn_id", "speaker", "text"])
        for i in range(n_sessions):
            s = examples[i % len(examples)]
            for t in s.turns:
                text = f"{t.text} ({i})"
                w.writerow([f"{s.id}-{i}", t.id, "therapist" if t.role == "practitioner" else "client",
                            strip_text(text) if unpunctuated else text])
                n += 1
    return n


def stages(corpus: Path, model: str | None, trust: bool, out: Path) -> dict:
    """Time each stage in this process (after imports and model loading)."""
    from mi_coder.io.reader import read_transcript
    from mi_coder.io.writer import to_frames, write_tables
    from mi_coder.model.store import load_coder
    from mi_coder.scoring import session_scores
    from mi_coder.segment import build_pipeline, segment

    coder = load_coder(model, trust=trust)
    build_pipeline()
    times = {}
    t = time.perf_counter()
    sessions = read_transcript(corpus)
    times["read"] = time.perf_counter() - t
    t = time.perf_counter()
    segment(sessions)
    times["segment"] = time.perf_counter() - t
    t = time.perf_counter()
    coder.code(sessions)
    times["classify"] = time.perf_counter() - t
    t = time.perf_counter()
    frames = to_frames(sessions, scores=session_scores)
    times["score_and_tables"] = time.perf_counter() - t
    t = time.perf_counter()
    write_tables(frames, out)
    times["write"] = time.perf_counter() - t
    n_utts = len(frames["utterances"])
    return {"utterances": n_utts, "sessions": len(sessions),
            **{f"{k}_utt_per_s": round(n_utts / v) for k, v in times.items()}}


def child_peak_mb(args: list[str]) -> tuple[float, float]:
    """Run the CLI in a fresh child that reports its own peak RSS, so earlier children do not count."""
    code = ("import resource,sys,time,runpy;t=time.perf_counter();sys.argv=['mi-coder',*sys.argv[1:]];"
            "from mi_coder.cli import main;rc=main(sys.argv[1:]);"
            "print(time.perf_counter()-t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024, file=sys.stderr);"
            "sys.exit(rc)")
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code, *args], env=ONE_CORE, capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - t  # measured outside: includes starting Python
    if proc.returncode != 0:
        raise SystemExit(f"mi-coder failed: {proc.stderr.strip()}")
    peak = proc.stderr.strip().splitlines()[-1].split()[1]
    return wall, float(peak)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=300)
    parser.add_argument("--model", help="model folder (default: the shipped model)")
    parser.add_argument("--trust-model", action="store_true")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--unpunctuated", action="store_true", help="caption-style corpus (no punctuation or casing)")
    args = parser.parse_args()
    model_args = (["--model", args.model] if args.model else []) + (["--trust-model"] if args.trust_model else [])
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        corpus = tmp / "corpus.csv"
        n_turns = build_corpus(corpus, args.sessions, args.unpunctuated)
        result = stages(corpus, args.model, args.trust_model, tmp / "stages")
        wall, peak = child_peak_mb(["code", str(corpus), "--out", str(tmp / "e2e"), *model_args])
        cold = min(child_peak_mb(["code", str(ROOT / "data" / "examples" / "health_session.txt"), "--out",
                                  str(tmp / f"cold{k}"), *model_args])[0] for k in range(3))
    result.update({
        "turns": n_turns,
        "end_to_end_seconds": round(wall, 2),
        "end_to_end_utt_per_s": round(result["utterances"] / wall),
        "peak_memory_mb": round(peak),
        "cold_start_seconds": round(cold, 2),
        "cores": 1,
        "command": f"python benchmarks/bench_code.py --sessions {args.sessions}"
                   + (" --unpunctuated" if args.unpunctuated else ""),
    })
    if args.json:
        print(json.dumps(result))
    else:
        width = max(map(len, result))
        for k, v in result.items():
            print(f"{k:<{width}}  {v}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
