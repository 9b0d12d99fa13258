"""Spoken register of the team corpus against the AnnoMI dev split, by the same text-based definitions.

    python scripts/corpus_register.py [--annomi ../shared/data/annomi/AnnoMI-simple.dev.csv]

For practitioner and client turns: the share of turns with two or more sentences (sentence-final . ! ? inside
the turn), with a filler (um, uh, er, hmm), opening with a discourse marker, that are a bare backchannel,
that are interrupted (end in a dash), and that hold a false start (a word repeated at once: "I- I", "you, you").
The spoken sessions are reported apart from the text-chat batch (written register on purpose).
"""

from __future__ import annotations

import argparse
import glob
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
CHAT_BATCHES = ("i", "k")  # text-chat and online counselling: a written register by design

MEASURES = {
    "multi-sentence": lambda t: t.str.count(r"[.!?](?:\s|$)") >= 2,
    "filler (um/uh)": lambda t: t.str.contains(r"\b(?:um|uh|er|hmm)\b", case=False),
    "discourse-marker opening": lambda t: t.str.match(
        r"^\s*(?:okay|ok|so|yeah|right|well|alright|and|but|mm-hmm|um|uh)\b", case=False),
    "bare backchannel": lambda t: t.str.fullmatch(
        r"\s*(?:mm-hmm|mhm|hmm|yeah|yes|okay|ok|right|uh-huh|sure|i see|mm|yep)[.!,]?\s*", case=False),
    "interrupted (ends in a dash)": lambda t: t.str.contains(r"(?:--|-|—)\s*$"),
    "false start (repeated word)": lambda t: t.str.contains(r"\b(?P<w>\w+)[-,]? (?P=w)\b", case=False),
}


def shares(texts: pd.Series) -> dict[str, float]:
    return {name: round(float(f(texts).mean()) * 100, 1) for name, f in MEASURES.items()}


def corpus_turns(batches: str = "spoken") -> pd.DataFrame:
    frames = []
    for path in sorted(glob.glob(str(ROOT / "data" / "corpus" / "sessions" / "*_utterances.csv"))):
        batch = Path(path).name.split("_")[0]
        if (batch in CHAT_BATCHES) != (batches == "chat"):
            continue
        u = pd.read_csv(path, dtype=str, keep_default_na=False)
        t = u.groupby(["session_id", "turn"], sort=False).agg(speaker=("speaker", "first"), text=("text", " ".join))
        frames.append(t.reset_index())
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["speaker", "text"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--annomi", default=str(ROOT.parent / "shared" / "data" / "annomi" / "AnnoMI-simple.dev.csv"))
    args = parser.parse_args()
    rows = []
    spoken = corpus_turns("spoken")
    chat = corpus_turns("chat")
    sources = [("team corpus, spoken sessions", spoken, "practitioner", "client"),
               ("team corpus, text-chat sessions", chat, "practitioner", "client")]
    if Path(args.annomi).exists():
        a = pd.read_csv(args.annomi, dtype=str, keep_default_na=False)
        a = a.rename(columns={"interlocutor": "speaker", "utterance_text": "text"})
        sources.insert(0, ("AnnoMI dev", a, "therapist", "client"))
    for name, frame, prac, client in sources:
        for role, label in ((prac, "practitioner"), (client, "client")):
            texts = frame.loc[frame["speaker"] == role, "text"]
            if len(texts):
                rows.append({"source": name, "role": label, "turns": len(texts), **shares(texts)})
    table = pd.DataFrame(rows)
    print("Share of turns (%)")
    print(table.to_string(index=False))
    return 0


if __name__ == "__main__":
    from mi_coder.errors import run_script

    raise SystemExit(run_script(main))
