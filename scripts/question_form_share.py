"""How many AnnoMI question turns are questions only by their question mark.

Without punctuation (automatic captions, ASR), a question has to show its form in its words: a question word,
an inverted auxiliary ("do you", "is it"), or a tag ("..., right?"). A declarative or elliptical question
("You've been drinking?", "Every night?") is a question only by intonation, which captions drop. This counts, among
the practitioner turns of the AnnoMI dev split (hold-out excluded) whose main behaviour is a question, those
whose every question sentence lacks such a form, and those with no question mark at all.

    python scripts/question_form_share.py
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WH = re.compile(r"\b(what|how|why|when|where|who|which|whether)\b")
AUX = re.compile(r"^(?:(?:so|and|but|okay|um|uh|well|now|yeah|right|mm-hmm|all right|alright)[ ,.-]*)*(do|does|did|are|"
                 r"is|was|were|can|could|would|will|have|has|had|should|may|might|any|anything|tell me)\b")
TAG = re.compile(r"\b(right|is that right|isn't it|aren't you|don't you|is it|correct|yeah|okay|huh|or)\s*\?$")


def question_form(text: str) -> str:
    """"form" if a question sentence of ``text`` shows its form in words, "mark only" if only its question
    mark makes it one, "no mark" if the turn has no question mark."""
    questions = [s.strip().lower() for s in re.findall(r"[^.?!]*\?", text)]
    if not questions:
        return "no mark"
    return "form" if any(WH.search(s) or AUX.match(s) or TAG.search(s) for s in questions) else "mark only"


def main() -> int:
    from mi_coder.train.annomi import holdout_ids, load_annomi_turns

    turns = load_annomi_turns(str(ROOT.parent / "shared" / "data" / "annomi" / "AnnoMI-full.dev.csv"))
    turns = turns[~turns["transcript_id"].astype(str).isin(holdout_ids())]
    questions = turns[(turns["interlocutor"] == "therapist") & (turns["main"] == "question")]
    share = questions["utterance_text"].map(question_form).value_counts(normalize=True).round(3)
    print(f"{len(questions)} question turns")
    print(share.to_string())
    return 0


if __name__ == "__main__":
    from mi_coder.errors import run_script

    raise SystemExit(run_script(main))
