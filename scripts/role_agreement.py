"""Agreement of two coders on the role-clarification elements of the same practitioner utterances.

    python scripts/role_agreement.py [--second data/corpus/sessions/role_second_coder.csv] [--out FILE.json]

The first coder's labels are the ``role`` column of ``data/corpus/sessions/<batch>_utterances.csv``; the second
coder's file (``session_id, turn, utterance, role``) holds every practitioner utterance of a sample of sessions,
coded blind to the first labels (data card). Per element: Cohen's kappa, and the second coder's precision,
recall and F1 against the first as reference, i.e. the F1 one careful human reaches on the labels the
detectors are measured against (a ceiling for the detectors' F1 target).
"""

from __future__ import annotations

import argparse
import glob
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> int:
    import pandas as pd
    from sklearn.metrics import cohen_kappa_score, f1_score, precision_score, recall_score

    from mi_coder.codes import ROLE_ELEMENTS

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--second", default=str(ROOT / "data" / "corpus" / "sessions" / "role_second_coder.csv"))
    parser.add_argument("--out", help="also write the figures as JSON")
    args = parser.parse_args()
    key = ["session_id", "turn", "utterance"]
    second = pd.read_csv(args.second, dtype=str, keep_default_na=False)
    first = pd.concat([pd.read_csv(p, dtype=str, keep_default_na=False)
                       for p in sorted(glob.glob(str(ROOT / "data" / "corpus" / "sessions" / "*_utterances.csv")))])
    first = first[(first["speaker"] == "practitioner") & first["session_id"].isin(set(second["session_id"]))]
    both = first[key + ["role"]].merge(second[key + ["role"]], on=key, how="outer", suffixes=("_first", "_second"),
                                       indicator=True)
    if (both["_merge"] != "both").any():
        missing = both[both["_merge"] != "both"][key].head(3).to_dict("records")
        raise SystemExit(f"{args.second}: rows do not match the first coder's practitioner utterances, e.g. {missing}")
    report = {"command": "python scripts/role_agreement.py", "sessions": int(both["session_id"].nunique()),
              "utterances": len(both), "elements": {}}
    for element in ROLE_ELEMENTS:
        a = both["role_first"].str.split(";").map(lambda xs, e=element: e in xs).to_numpy()
        b = both["role_second"].str.split(";").map(lambda xs, e=element: e in xs).to_numpy()
        report["elements"][element] = {
            "first": int(a.sum()), "second": int(b.sum()), "both": int((a & b).sum()),
            "kappa": round(float(cohen_kappa_score(a, b)), 3),
            "precision": round(float(precision_score(a, b, zero_division=0)), 3),
            "recall": round(float(recall_score(a, b, zero_division=0)), 3),
            "f1": round(float(f1_score(a, b, zero_division=0)), 3)}
    print(json.dumps(report, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    from mi_coder.errors import run_script

    raise SystemExit(run_script(main))
