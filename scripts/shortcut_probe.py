"""Shortcut probe: can one surface feature tell the codes apart in the team corpus more easily than in AnnoMI?

    python scripts/shortcut_probe.py [--annomi ../shared/data/annomi/AnnoMI-full.dev.csv]

For each task both datasets label, a one-feature rule (the best threshold on one feature, a depth-1 tree) is
fitted and scored by 5-fold cross-validation grouped by session (balanced accuracy, 0.5 = chance). A corpus
that teaches wording instead of behaviour shows up as a rule that is much more accurate on the corpus than on
AnnoMI. Tasks and features:

* simple vs complex reflection: overlap with the client's previous turn (share of the reflection's content
  words the client said), length in words;
* information vs other practitioner turns: the client's previous turn was a question, length;
* question vs other practitioner turns: length;
* change vs sustain talk (client): length.

Corpus-only checks (AnnoMI has no such labels): the share of EA utterances with stock autonomy words
("your call", "up to you", "your choice", "decide", "your decision"), and AF vs generic praise/support (NC)
by length. The AnnoMI fixed hold-out is left out.
"""

from __future__ import annotations

import argparse
import glob
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import GroupKFold, cross_val_score
from sklearn.tree import DecisionTreeClassifier

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from corpus_register import CHAT_BATCHES  # noqa: E402 (scripts/ is on the path: this script's folder)
from mi_coder.model.features import content_words  # noqa: E402
from mi_coder.records import other_role_context  # noqa: E402

STOCK_AUTONOMY = re.compile(r"\b(your call|up to you|your choice|decide|your decision)\b", re.I)
QUESTION_FORM = re.compile(r"\?\s*$|^\W*(?:so |and |but |okay |um |well )*(?:what|how|why|when|where|who|which|do|does|"
                           r"did|are|is|can|could|would|will|have|should)\b", re.I)


def overlap(text: str, prev: str) -> float:
    words = content_words(text)
    return len(words & content_words(prev)) / len(words) if words else 0.0


def stump(x: np.ndarray, y: np.ndarray, groups: np.ndarray) -> float | None:
    if len(set(y)) < 2 or len(set(groups)) < 5:
        return None
    scores = cross_val_score(DecisionTreeClassifier(max_depth=1, class_weight="balanced"), x.reshape(-1, 1), y,
                             groups=groups, cv=GroupKFold(5), scoring="balanced_accuracy")
    return round(float(scores.mean()), 3)


def corpus_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Practitioner and client rows of the spoken coded sessions, with the other role's previous turn."""
    rows = []
    for path in sorted(glob.glob(str(ROOT / "data" / "corpus" / "sessions" / "*_utterances.csv"))):
        if Path(path).name.split("_")[0] in CHAT_BATCHES:  # text-chat batches: written register
            continue
        u = pd.read_csv(path, dtype=str, keep_default_na=False)
        for sid, g in u.groupby("session_id", sort=False):
            turns = [gg for _, gg in g.groupby(g["turn"].astype(int), sort=True)]
            roles = [t["speaker"].iloc[0] for t in turns]
            texts = [" ".join(t["text"]) for t in turns]
            before, _ = other_role_context(roles, texts)
            for t, text, prev in zip(turns, texts, before):
                for r in t.itertuples(index=False):
                    rows.append({"session": sid, "role": r.speaker, "text": r.text, "turn_text": text,
                                 "prev": prev, "code": r.code})
    df = pd.DataFrame(rows)
    return df[df.role == "practitioner"], df[df.role == "client"]


def annomi_frames(path: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    from mi_coder.train.annomi import holdout_ids, load_annomi_turns

    t = load_annomi_turns(path)
    t = t[~t["transcript_id"].astype(str).isin(holdout_ids())]
    rows = []
    for sid, g in t.groupby("transcript_id", sort=False):
        roles = ["practitioner" if r == "therapist" else "client" for r in g["interlocutor"]]
        before, _ = other_role_context(roles, g["utterance_text"].tolist())
        for (_, r), role, prev in zip(g.iterrows(), roles, before):
            rows.append({"session": sid, "role": role, "text": r["utterance_text"], "prev": prev, "main": r["main"],
                         "rsub": r.get("reflection_subtype", ""), "talk": r["client_talk"]})
    df = pd.DataFrame(rows)
    return df[df.role == "practitioner"], df[df.role == "client"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--annomi", default=str(ROOT.parent / "shared" / "data" / "annomi" / "AnnoMI-full.dev.csv"))
    args = parser.parse_args()
    cp, cc = corpus_frames()
    length = lambda s: s.str.split().str.len().to_numpy(float)  # noqa: E731
    tasks = []
    # corpus: utterance level (codes are per utterance)
    refl = cp[cp.code.isin(["SR", "CR"])]
    tasks.append(("simple vs complex reflection", "overlap with client's previous turn", "corpus",
                  np.array([overlap(a, b) for a, b in zip(refl.text, refl.prev)]), (refl.code == "CR").to_numpy(),
                  refl.session.to_numpy()))
    tasks.append(("simple vs complex reflection", "length", "corpus", length(refl.text), (refl.code == "CR").to_numpy(),
                  refl.session.to_numpy()))
    info = cp.code.isin(["GI", "PWP", "PER"]).to_numpy()
    prevq = cp.prev.map(lambda p: bool(QUESTION_FORM.search(p.strip()))).to_numpy(float)
    tasks.append(("information/advice vs other", "client's previous turn is a question", "corpus", prevq, info,
                  cp.session.to_numpy()))
    tasks.append(("information/advice vs other", "length", "corpus", length(cp.text), info, cp.session.to_numpy()))
    tasks.append(("question vs other", "length", "corpus", length(cp.text), cp.code.isin(["OQ", "CQ"]).to_numpy(),
                  cp.session.to_numpy()))
    ct = cc[cc.code.isin(["CT", "ST"])]
    tasks.append(("change vs sustain talk", "length", "corpus", length(ct.text), (ct.code == "CT").to_numpy(),
                  ct.session.to_numpy()))
    if Path(args.annomi).exists():
        ap, ac = annomi_frames(args.annomi)
        refl = ap[ap["rsub"].isin(["simple", "complex"]) & (ap.main == "reflection")]
        tasks.append(("simple vs complex reflection", "overlap with client's previous turn", "AnnoMI",
                      np.array([overlap(a, b) for a, b in zip(refl.text, refl.prev)]),
                      (refl["rsub"] == "complex").to_numpy(), refl.session.to_numpy()))
        tasks.append(("simple vs complex reflection", "length", "AnnoMI", length(refl.text),
                      (refl["rsub"] == "complex").to_numpy(), refl.session.to_numpy()))
        info = (ap.main == "therapist_input").to_numpy()
        prevq = ap.prev.map(lambda p: bool(QUESTION_FORM.search(p.strip()))).to_numpy(float)
        tasks.append(("information/advice vs other", "client's previous turn is a question", "AnnoMI", prevq, info,
                      ap.session.to_numpy()))
        tasks.append(("information/advice vs other", "length", "AnnoMI", length(ap.text), info, ap.session.to_numpy()))
        tasks.append(("question vs other", "length", "AnnoMI", length(ap.text), (ap.main == "question").to_numpy(),
                      ap.session.to_numpy()))
        ct = ac[ac.talk.isin(["change", "sustain"])]
        tasks.append(("change vs sustain talk", "length", "AnnoMI", length(ct.text), (ct.talk == "change").to_numpy(),
                      ct.session.to_numpy()))
    rows = {}
    for task, feature, source, x, y, groups in tasks:
        rows.setdefault((task, feature), {})[source] = stump(x, y, groups)
    table = pd.DataFrame([{"task": t, "one-feature rule": f, "corpus": v.get("corpus"), "AnnoMI": v.get("AnnoMI"),
                           "corpus - AnnoMI": (round(v["corpus"] - v["AnnoMI"], 3)
                                               if v.get("corpus") is not None and v.get("AnnoMI") is not None else None)}
                          for (t, f), v in rows.items()])
    print("Balanced accuracy of one-feature rules (grouped 5-fold CV; 0.5 = chance)")
    print(table.to_string(index=False))
    ea = cp[cp.code == "EA"]
    print(f"\nEA utterances with stock autonomy words: {ea.text.str.contains(STOCK_AUTONOMY).mean():.0%} of {len(ea)}")
    praise = cp[cp.code.isin(["AF", "NC"])]
    praise = praise[praise.text.str.split().str.len() > 1]  # leave out one-word backchannels
    acc = stump(length(praise.text), (praise.code == "AF").to_numpy(), praise.session.to_numpy())
    print(f"AF vs NC (more than one word) by length alone: balanced accuracy {acc}")
    for code in ("AF", "EA", "GI", "SR", "CR"):
        words = length(cp[cp.code == code].text)
        print(f"  {code}: median {np.median(words):.0f} words (IQR {np.percentile(words, 25):.0f}-{np.percentile(words, 75):.0f})")
    return 0


if __name__ == "__main__":
    from mi_coder.errors import run_script

    raise SystemExit(run_script(main))
