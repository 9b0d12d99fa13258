"""Apply a reviewer's role-label decisions to the coded-session files (the ``role`` column only).

    python scripts/apply_role_review.py data/corpus/sessions/participation_review.csv [--check] [--sessions DIR]

The decisions file has one row per reviewed utterance: ``session_id,turn,utterance,old_role,new_role,decision,
reason``. Every row's ``old_role`` must match the batch file as it is now (or already equal ``new_role``, so the
script can run twice); a row that matches neither stops the script before anything is written, naming it. With
``--check`` nothing is written: the script only says what would change. Only the ``role`` column of the batch
files changes; a changed file is written back with csv's minimal quoting and its own line ends, as every batch
file is written, so every other byte stays as it was.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SESSIONS = ROOT / "data" / "corpus" / "sessions"
DECISION_COLUMNS = {"session_id", "turn", "utterance", "old_role", "new_role", "decision"}


def _norm(role: str) -> str:
    return ";".join(p for p in (role or "").split(";") if p)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("decisions")
    parser.add_argument("--check", action="store_true", help="report what would change, write nothing")
    parser.add_argument("--sessions", default=str(SESSIONS), help="folder of the batch files (default: the corpus)")
    args = parser.parse_args()
    try:
        with open(args.decisions, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            decisions = list(reader)
            fields = set(reader.fieldnames or [])
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        print(f"error: {args.decisions}: cannot read it ({exc})", file=sys.stderr)
        return 2
    if not DECISION_COLUMNS <= fields:
        print(f"error: {args.decisions}: missing column(s) {', '.join(sorted(DECISION_COLUMNS - fields))}",
              file=sys.stderr)
        return 2
    by_batch: dict[str, dict[tuple[str, str, str], dict]] = defaultdict(dict)
    for d in decisions:
        by_batch[d["session_id"].split("-")[0]][(d["session_id"], d["turn"], d["utterance"])] = d
    changes: Counter = Counter()
    planned: dict[Path, tuple[list[str], list[list[str]]]] = {}
    terminators: dict[Path, str] = {}
    for batch, rows_by_key in sorted(by_batch.items()):
        path = Path(args.sessions) / f"{batch}_utterances.csv"
        if not path.exists():
            print(f"error: {args.decisions}: batch file {path.name} not found", file=sys.stderr)
            return 2
        with open(path, newline="", encoding="utf-8") as f:
            raw = f.read()
        reader = csv.reader(raw.splitlines(keepends=True))
        header = next(reader)
        rows = list(reader)
        terminators[path] = "\r\n" if "\r\n" in raw else "\n"
        col = {name: i for i, name in enumerate(header)}
        if not {"session_id", "turn", "utterance", "role"} <= set(col):
            print(f"error: {path}: not a coded-session file (needs session_id, turn, utterance, role)", file=sys.stderr)
            return 2
        seen = set()
        for row in rows:
            key = (row[col["session_id"]], row[col["turn"]], row[col["utterance"]])
            d = rows_by_key.get(key)
            if d is None:
                continue
            seen.add(key)
            now, old, new = _norm(row[col["role"]]), _norm(d["old_role"]), _norm(d["new_role"])
            if now == new:
                continue
            if now != old:
                print(f"error: {args.decisions}: {'/'.join(key)}: the batch file has role {now!r}, the decision "
                      f"expects {old!r}", file=sys.stderr)
                return 2
            row[col["role"]] = new
            changes[(batch, d["decision"])] += 1
        missing = set(rows_by_key) - seen
        if missing:
            print(f"error: {args.decisions}: {len(missing)} decision(s) name no row of {path.name}, e.g. "
                  f"{'/'.join(sorted(missing)[0])}", file=sys.stderr)
            return 2
        if any(b == batch for b, _ in changes):
            planned[path] = (header, rows)
    for (batch, decision), n in sorted(changes.items()):
        print(f"{batch}: {decision} {n}")
    if not args.check:
        for path, (header, rows) in planned.items():
            tmp = path.with_suffix(".csv.tmp")
            with open(tmp, "w", newline="", encoding="utf-8") as f:
                writer = csv.writer(f, lineterminator=terminators[path])
                writer.writerow(header)
                writer.writerows(rows)
            tmp.replace(path)
    print(f"{sum(changes.values())} role field(s) {'would change' if args.check else 'changed'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
