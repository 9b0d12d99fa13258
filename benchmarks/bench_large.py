"""Large inputs: time and peak memory of `mi-coder code` on one big transcript, per size.

    python benchmarks/bench_large.py [--sizes 5 50 200] [--kind text|csv|both] [--dir DIR] [--keep]
                                     [--timeout SECONDS] [--json FILE] [--model DIR]

For each size (MB) a transcript is generated from the bundled examples (data/examples): a plain-text
single session (``Counselor: ...`` / ``Client: ...`` lines) and/or a multi-session CSV (about 250 turns a
session). Turns are 1-3 sentences drawn at random from the examples' practitioner or client sentences, so
no two stretches of the file repeat. Each file is coded by ``mi-coder code FILE --out DIR`` in a child
process; its wall time and peak resident memory (``os.wait4``: the child's own ``ru_maxrss``) are measured
from outside, with the load average at the end of the run (other jobs on the machine slow the times, not the
memory). Files go to a temporary folder (or ``--dir``), never into the repository. Files of 8 MB or more
are read lazily (``io.reader.stream_transcript``); smaller ones whole.
"""

from __future__ import annotations

import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"  # one core, before NumPy loads

import argparse  # noqa: E402
import csv  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
ONE_CORE = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
SESSION_TURNS = 250  # turns per session of the CSV variant
_SENTENCE = re.compile(r"[^.?!]+(?:[.?!]+|$)")


def sentence_pools() -> dict[str, list[str]]:
    """Practitioner and client sentences of the bundled examples."""
    from mi_coder.io.reader import read_transcript

    pools: dict[str, list[str]] = {"practitioner": [], "client": []}
    for path in sorted((ROOT / "data" / "examples").glob("*.txt")):
        for turn in read_transcript(path)[0].turns:
            if turn.role in pools:
                pools[turn.role].extend(s.strip() for s in _SENTENCE.findall(turn.text) if s.strip())
    return pools


def turns(seed: int = 0):  # type: ignore[no-untyped-def]
    """An endless alternation of (role, text) turns of 1-3 random example sentences."""
    rng = random.Random(seed)
    pools = sentence_pools()
    k = 0
    while True:
        role = ("practitioner", "client")[k % 2]
        text = " ".join(rng.choice(pools[role]) for _ in range(rng.choice((1, 1, 2, 2, 3))))
        yield role, text
        k += 1


def write_text(path: Path, megabytes: float) -> int:
    """A single-session plain-text transcript of about ``megabytes`` MB; returns the number of turns."""
    target = int(megabytes * 1e6)
    label = {"practitioner": "Counselor", "client": "Client"}
    size = n = 0
    with open(path, "w", encoding="utf-8") as f:
        for role, text in turns():
            line = f"{label[role]}: {text}\n"
            f.write(line)
            size += len(line.encode())
            n += 1
            if size >= target:
                return n
    return n  # pragma: no cover - turns() never ends


def write_csv(path: Path, megabytes: float) -> int:
    """A multi-session CSV (session_id, speaker, text) of about ``megabytes`` MB; returns the number of turns."""
    target = int(megabytes * 1e6)
    size = n = 0
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["session_id", "speaker", "text"])
        for role, text in turns():
            w.writerow([f"s{n // SESSION_TURNS:06d}", "therapist" if role == "practitioner" else "client", text])
            size += len(text) + 20
            n += 1
            if n % 1000 == 0:
                f.flush()
                size = f.tell()
            if size >= target:
                return n
    return n  # pragma: no cover


def run_code(path: Path, out: Path, model_args: list[str], timeout: float | None) -> dict:
    """``mi-coder code path --out out`` in a child: wall seconds, peak RSS (MB), its summary line, exit status."""
    cmd = [sys.executable, "-m", "mi_coder.cli", "code", str(path), "--out", str(out), *model_args]
    err = tempfile.TemporaryFile()
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, env=ONE_CORE, stdout=subprocess.DEVNULL, stderr=err, cwd=ROOT)
    timed_out = False
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if timeout and time.perf_counter() - t > timeout:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            timed_out = True
            break
        time.sleep(0.2)
    wall = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    err.seek(0)
    stderr = err.read().decode(errors="replace")
    m = re.search(r"\((\d+) session\(s\), (\d+) utterance\(s\)\)", stderr)
    return {"seconds": round(wall, 1), "peak_mb": round(usage.ru_maxrss / 1024),
            "sessions": int(m.group(1)) if m else None, "utterances": int(m.group(2)) if m else None,
            "exit": "timeout" if timed_out else proc.returncode, "stderr_tail": stderr.strip().splitlines()[-3:]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=float, nargs="+", default=[5, 50, 200], help="file sizes in MB")
    parser.add_argument("--kind", choices=["text", "csv", "both"], default="text")
    parser.add_argument("--dir", type=Path, help="folder for the generated files and outputs (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the generated files and outputs (with --dir)")
    parser.add_argument("--timeout", type=float, help="kill a run after this many seconds")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument("--model", help="model folder (default: the shipped model)")
    parser.add_argument("--trust-model", action="store_true")
    args = parser.parse_args()
    model_args = (["--model", args.model] if args.model else []) + (["--trust-model"] if args.trust_model else [])
    tmp = None
    if args.dir is None:
        tmp = tempfile.TemporaryDirectory()
        folder = Path(tmp.name)
    else:
        folder = args.dir
        folder.mkdir(parents=True, exist_ok=True)
    kinds = ["text", "csv"] if args.kind == "both" else [args.kind]
    results = []
    header = f"{'input':<22} {'MB':>6} {'turns':>9} {'utterances':>11} {'seconds':>8} {'utt/s':>7} {'peak MB':>8}  exit"
    print(header, flush=True)
    try:
        for size in args.sizes:
            for kind in kinds:
                path = folder / f"large-{size:g}mb.{'txt' if kind == 'text' else 'csv'}"
                n_turns = (write_text if kind == "text" else write_csv)(path, size)
                out = folder / f"out-{path.stem}-{kind}"
                r = run_code(path, out, model_args, args.timeout)
                r["load"] = [round(x, 2) for x in os.getloadavg()]  # others' jobs slow the times, not the memory
                r.update({"input": kind if kind == "text" else f"csv ({SESSION_TURNS} turns/session)",
                          "mb": round(path.stat().st_size / 1e6, 1), "turns": n_turns,
                          "utt_per_s": round(r["utterances"] / r["seconds"]) if r["utterances"] else None})
                results.append(r)
                print(f"{r['input']:<22} {r['mb']:>6} {n_turns:>9,} {r['utterances'] or 0:>11,} {r['seconds']:>8} "
                      f"{r['utt_per_s'] or 0:>7,} {r['peak_mb']:>8}  {r['exit']}  (load {r['load'][0]:.1f} "
                      f"{r['load'][1]:.1f} {r['load'][2]:.1f})", flush=True)
                if r["exit"] not in (0, "timeout"):
                    print("  " + " | ".join(r["stderr_tail"]), flush=True)
                if not args.keep:
                    path.unlink()
                    shutil.rmtree(out, ignore_errors=True)
    finally:
        if tmp is not None:
            tmp.cleanup()
    if args.json:
        args.json.write_text(json.dumps({"cores": 1, "load": os.getloadavg(), "results": results}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
