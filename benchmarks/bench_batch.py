"""Batch throughput: a synthetic corpus of many session files, coded serially and with 2 workers.

    python benchmarks/bench_batch.py [--sessions 2000] [--sizes 500,1000,2000] [--json]

The corpus is generated from the bundled example transcripts (data/examples), one file per session, each
copy's turns made unique; no shared data is used. Reports sessions/s, utterances/s and peak memory
(the largest resident set of the main process, or of a worker that has ended and been waited for: loky keeps its
workers alive between runs, so with --jobs 2 the figure is in practice the main process's, as the README's table
says; each worker holds its own model, about 290 MB) for each run, and seconds per session at several corpus sizes
to show how cost grows.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def make_corpus(folder: Path, n: int) -> None:
    from mi_coder.io.reader import read_transcript

    examples = [read_transcript(p)[0] for p in sorted((ROOT / "data" / "examples").glob("*.txt"))]
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        s = examples[i % len(examples)]
        label = {"practitioner": "Counselor", "client": "Client"}
        lines = [f"{label.get(t.role, 'Other')}: {t.text} ({i})" for t in s.turns]
        (folder / f"session_{i:05d}.txt").write_text("\n".join(lines) + "\n")


def run(folder: Path, out: Path, jobs: int) -> dict:
    from mi_coder.batch import run_batch

    t = time.perf_counter()
    summary = run_batch([str(folder)], out, jobs=jobs, progress=False)
    wall = time.perf_counter() - t
    peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
               resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    return {"jobs": jobs, "sessions": summary.sessions, "utterances": summary.utterances,
            "seconds": round(wall, 1), "sessions_per_s": round(summary.sessions / wall, 1),
            "utterances_per_s": round(summary.utterances / wall), "peak_memory_mb": round(peak),
            "seconds_per_session_ms": round(1000 * wall / summary.sessions, 2)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=2000)
    parser.add_argument("--sizes", default="500,1000", help="smaller corpus sizes run serially, for scaling")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--run", nargs=3, metavar=("FOLDER", "OUT", "JOBS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:  # one run, in this fresh process
        print(json.dumps(run(Path(args.run[0]), Path(args.run[1]), int(args.run[2]))))
        return 0

    def fresh(folder: Path, out: Path, jobs: int) -> dict:
        done = subprocess.run([sys.executable, __file__, "--run", str(folder), str(out), str(jobs)],
                              capture_output=True, text=True, check=True)
        return json.loads(done.stdout.strip().splitlines()[-1])

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        sizes = sorted({int(x) for x in args.sizes.split(",") if x} | {args.sessions})
        make_corpus(tmp / "corpus", max(sizes))
        for n in sizes:
            folder = tmp / f"c{n}"
            folder.mkdir()
            for f in sorted((tmp / "corpus").glob("*.txt"))[:n]:
                (folder / f.name).symlink_to(f)
            results.append({"corpus": n, **fresh(folder, tmp / f"out{n}-1", 1)})
        results.append({"corpus": args.sessions, **fresh(tmp / f"c{args.sessions}", tmp / "out-2", 2)})
    if args.json:
        print(json.dumps(results))
    else:
        keys = list(results[0])
        print(" | ".join(keys))
        for r in results:
            print(" | ".join(str(r[k]) for k in keys))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
