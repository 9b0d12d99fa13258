"""Write blind coding batches of AnnoMI client utterances for helper coders, and check their returned codes.

AnnoMI labels a client turn as a whole (change, neutral or sustain), and `train.annomi.annomi_examples` gives each
utterance of a turn of several the turn's label. This script writes the utterances of the multi-utterance client
turns whose label is TALK (default: neutral; the change and sustain turns are `data/annomi_client_codes.csv`) in the
86 training transcripts (the fixed hold-out left out) as batches to be coded one by one, CT / ST / FN, by coders who
never see AnnoMI's labels. Each item shows the session's topic, the four turns before the client turn, the turn's
utterances numbered as `annomi_examples` splits them (``k``), and the practitioner's next turn.

    python scripts/recode_batches.py write --out /tmp/neutral_batches --batches 4    # AnnoMI text: never commit
    python scripts/recode_batches.py check /tmp/neutral_batches/codes_*.csv --out data/annomi_neutral_client_codes.csv

``check`` joins the coders' files, refuses a key outside the batches, a key coded twice or a code other than
CT/ST/FN, reports the codes' counts, and writes keys and codes only (``transcript_id, utterance_id, k, code``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
ANNOMI = ROOT.parent / "shared" / "data" / "annomi" / "AnnoMI-full.dev.csv"
CONTEXT = 4


def items(talk: str) -> list[dict]:
    """The multi-utterance client turns labelled ``talk`` in the training transcripts, with their context."""
    from mi_coder.train.annomi import holdout_ids, load_annomi_turns
    from mi_coder.train.fit import splitter

    turns = load_annomi_turns(ANNOMI)
    turns["transcript_id"] = turns["transcript_id"].astype(str)
    turns = turns[~turns["transcript_id"].isin(holdout_ids())].reset_index(drop=True)
    split = splitter()
    out = []
    for tid, session in turns.groupby("transcript_id", sort=False):
        rows = session.to_dict("records")
        for i, turn in enumerate(rows):
            if turn["interlocutor"] != "client" or turn["client_talk"] != talk:
                continue
            text = turn["utterance_text"]
            spans = split(text) or [(0, len(text))]
            if len(spans) < 2:
                continue
            before = [f"{'Therapist' if r['interlocutor'] == 'therapist' else 'Client'}: {r['utterance_text']}"
                      for r in rows[max(0, i - CONTEXT):i]]
            after = next((r["utterance_text"] for r in rows[i + 1:] if r["interlocutor"] == "therapist"), "")
            out.append({"transcript_id": tid, "utterance_id": str(turn["utterance_id"]), "topic": turn["topic"],
                        "before": before, "utterances": [text[a:b].strip() for a, b in spans], "after": after})
    return out


def write(args: argparse.Namespace) -> int:
    found = items(args.talk)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    size = -(-len(found) // args.batches)
    for b in range(args.batches):
        part = found[b * size:(b + 1) * size]
        lines = []
        for it in part:
            lines.append(f"### transcript_id={it['transcript_id']} utterance_id={it['utterance_id']} "
                         f"(topic: {it['topic']})")
            lines += [f"    {line}" for line in it["before"]]
            lines.append("  CLIENT TURN TO CODE:")
            lines += [f"    k={k}: {u}" for k, u in enumerate(it["utterances"])]
            if it["after"]:
                lines.append(f"  (therapist next: {it['after']})")
            lines.append("")
        (out / f"batch_{b + 1}.md").write_text("\n".join(lines), encoding="utf-8")
        keys = [f"{it['transcript_id']},{it['utterance_id']},{k}" for it in part for k in range(len(it["utterances"]))]
        (out / f"keys_{b + 1}.csv").write_text("transcript_id,utterance_id,k\n" + "\n".join(keys) + "\n")
    n = sum(len(it["utterances"]) for it in found)
    print(f"{len(found)} turns, {n} utterances in {args.batches} batches under {out}")
    return 0


def check(args: argparse.Namespace) -> int:
    import pandas as pd

    found = items(args.talk)
    keys = {(it["transcript_id"], it["utterance_id"], str(k)) for it in found for k in range(len(it["utterances"]))}
    codes = pd.concat([pd.read_csv(p, dtype=str, keep_default_na=False) for p in args.files], ignore_index=True)
    codes = codes[["transcript_id", "utterance_id", "k", "code"]].apply(lambda c: c.str.strip())
    codes["code"] = codes["code"].str.upper()
    got = list(zip(codes["transcript_id"], codes["utterance_id"], codes["k"]))
    stray = [k for k in got if k not in keys]
    doubled = codes[codes.duplicated(["transcript_id", "utterance_id", "k"], keep=False)]
    bad = sorted(set(codes["code"]) - {"CT", "ST", "FN"})
    if stray or len(doubled) or bad:
        sys.exit(f"recode_batches: {len(stray)} keys outside the batches, {len(doubled)} rows coded twice, "
                 f"codes {bad or 'all valid'}")
    print(f"{len(codes)} of {len(keys)} utterances coded: {codes['code'].value_counts().to_dict()}")
    if len(codes) != len(keys):
        sys.exit("recode_batches: not every utterance is coded")
    codes = codes.assign(order=codes["transcript_id"].astype(int) * 10**6 + codes["utterance_id"].astype(int) * 100
                         + codes["k"].astype(int)).sort_values("order").drop(columns="order")
    codes.to_csv(args.out, index=False)
    print(f"wrote {args.out}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("write")
    w.add_argument("--out", required=True)
    w.add_argument("--batches", type=int, default=4)
    c = sub.add_parser("check")
    c.add_argument("files", nargs="+")
    c.add_argument("--out", required=True)
    for p in (w, c):
        p.add_argument("--talk", default="neutral", choices=("neutral", "change", "sustain"))
    args = parser.parse_args()
    return write(args) if args.command == "write" else check(args)


if __name__ == "__main__":
    from mi_coder.errors import run_script

    raise SystemExit(run_script(main))
