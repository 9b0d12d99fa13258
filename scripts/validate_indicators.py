"""Do the engagement and "safe to say more" indicators separate high- from low-quality sessions?

    python scripts/validate_indicators.py [--annomi ../shared/data/annomi/AnnoMI-full.dev.csv]

Computed from human codes, so the question is about the indicator, not the coder: AnnoMI dev (88 high, 18 low
MI-quality transcripts; codes from the expert turn labels) and the team coded sessions (high vs low; mixed
left out). For each indicator: AUC (high quality = positive; an AUC under 0.5 means the indicator is higher
in low-quality sessions) with a 95% bootstrap interval, sessions resampled within quality levels.
"""

from __future__ import annotations

import argparse
import glob
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

INDICATORS = ("client_talk_share", "client_words_per_turn", "client_words_per_turn_change", "client_new_content_pct",
              "change_talk_after_reflection", "change_talk_after_question", "disclosure_after_first_reflection",
              "interruptions", "longest_practitioner_monologue", "opening_client_talk_share", "opening_reflection_rate",
              "opening_question_run_pct", "responsive_reflection_pct", "engagement_index", "role_clarification_elements")


def team_sessions() -> tuple[list, dict[str, str]]:
    from mi_coder.train.examples import load_session_corpus, sessions_from_examples

    ex = load_session_corpus(sorted(glob.glob(str(ROOT / "data" / "corpus" / "sessions" / "*_utterances.csv"))))
    ex = ex[ex["session_id"].isin(ex.groupby("session_id")["quality"].first().loc[lambda q: q != "mixed"].index)]
    sessions = sessions_from_examples(ex)
    for s in sessions:
        for t, u in s.utterances():
            u.code = u.meta["human_code"]
            u.meta["role_elements"] = [e for e in u.meta.get("human_roles", "").split(";") if e] if t.role == "practitioner" else []
    quality = ex.groupby("session_id")["quality"].first().to_dict()
    full = set(ex.loc[ex["session_id"].str.contains(":[a-fh-i]-", regex=True), "session_id"])  # whole sessions
    return [s for s in sessions if s.id in full], quality


def table(sessions: list, quality: dict[str, str]) -> pd.DataFrame:
    from mi_coder.evaluate.metrics import quality_auc
    from mi_coder.scoring import session_scores

    scores = {s.id: session_scores(s) for s in sessions}
    ids = [s.id for s in sessions if quality.get(s.id) in ("high", "low")]
    y = np.array([quality[i] == "high" for i in ids])
    rows = []
    for key in INDICATORS:
        v = np.array([np.nan if scores[i].get(key) is None else float(scores[i][key]) for i in ids])
        row = quality_auc(y, v, min_sessions=5)  # undefined in too many sessions: no AUC, same columns
        rows.append({"indicator": key, "auc": "n/a" if row["auc"] is None else row["auc"],
                     "auc_95ci": row["auc_95ci"] or "n/a", "n_high": row["n_high"], "n_low": row["n_low"]})
    return pd.DataFrame(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--annomi", default=str(ROOT.parent / "shared" / "data" / "annomi" / "AnnoMI-full.dev.csv"))
    args = parser.parse_args()
    if Path(args.annomi).exists():
        from mi_coder.train.annomi import annomi_human_sessions, load_annomi_turns

        turns = load_annomi_turns(args.annomi)
        human = annomi_human_sessions(turns)
        quality = {s.id: s.meta.get("mi_quality", "") for s in human}
        print("AnnoMI dev, human codes (high vs low MI quality)")
        print(table(human, quality).to_string(index=False))
    sessions, quality = team_sessions()
    print("\nTeam coded sessions (whole sessions), human codes (high vs low)")
    print(table(sessions, quality).to_string(index=False))
    return 0


if __name__ == "__main__":
    from mi_coder.errors import run_script

    raise SystemExit(run_script(main))
