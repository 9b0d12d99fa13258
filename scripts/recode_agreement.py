"""Second-coder agreement on the AnnoMI utterance re-codes (data card: "A second coder").

    python scripts/recode_agreement.py [--report FILE.json]

``data/annomi_second_coder_codes.csv`` holds a second, blind coding of a random sample of the re-coded
utterances: 100 from each practitioner file (``other``, ``unknown``, ``flagged``: ``sample(100,
random_state=16)`` of each file's coding batches) and 150 client utterances (``client``), each coded by a helper
who saw the same columns and instruction as the first coders and neither the first codes nor each other's work.
This prints the raw agreement, Cohen's kappa over all codes and per code (one code against the rest), and the
kappa over the code groups the external evaluation uses, per file and pooled. No text: keys and codes only.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd
from sklearn.metrics import cohen_kappa_score

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mi_coder.schemes import group as code_group  # noqa: E402

DATA = ROOT / "data"
FIRST = {"other": "annomi_other_codes.csv", "unknown": "annomi_unknown_codes.csv",
         "flagged": "annomi_flagged_codes.csv", "client": "annomi_client_codes.csv"}
KEY = ["transcript_id", "utterance_id", "k"]


def agreement(first: pd.Series, second: pd.Series) -> dict:
    """Raw agreement, kappa, per-code kappa (with each coder's count) and code-group kappa of two codings."""
    first, second = first.reset_index(drop=True), second.reset_index(drop=True)
    per_code = {c: {"first": int((first == c).sum()), "second": int((second == c).sum()),
                    "kappa": round(float(cohen_kappa_score(first == c, second == c)), 3)}
                for c in sorted(set(first) | set(second))}
    return {"n": len(first), "agreement": round(float((first == second).mean()), 3),
            "kappa": round(float(cohen_kappa_score(first, second)), 3),
            "group_kappa": round(float(cohen_kappa_score(first.map(code_group), second.map(code_group))), 3),
            "per_code": per_code}


def paired(second: pd.DataFrame) -> pd.DataFrame:
    """The second codes beside the first codes of the same utterances (every second code must have a first)."""
    rows = []
    for source, name in FIRST.items():
        first = pd.read_csv(DATA / name).rename(columns={"code": "first"})
        part = second[second["source"] == source].merge(first, on=KEY, how="left")
        if part["first"].isna().any():
            raise SystemExit(f"{name}: {int(part['first'].isna().sum())} second codes have no first code")
        rows.append(part)
    return pd.concat(rows, ignore_index=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--second", default=str(DATA / "annomi_second_coder_codes.csv"))
    parser.add_argument("--report")
    args = parser.parse_args()
    both = paired(pd.read_csv(args.second))
    practitioner = both[both["source"] != "client"]
    report = {source: agreement(g["first"], g["code"]) for source, g in both.groupby("source", sort=False)}
    report["practitioner"] = agreement(practitioner["first"], practitioner["code"])
    print(json.dumps(report, indent=1))
    if args.report:
        Path(args.report).write_text(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    from mi_coder.errors import run_script

    raise SystemExit(run_script(main))
