"""How far careful readers recover AnnoMI's utterance boundaries from unpunctuated words: the boundary target's ceiling.

    python scripts/boundary_reader_agreement.py [--model-oof] [--report FILE.json]
    python scripts/boundary_reader_agreement.py --write-turns FILE.txt   # the readers' input, for new readers

The boundary target (issue 11: F1 >= 0.80 on stripped AnnoMI, >= 0.90 of questions kept whole) is measured
against the punctuation AnnoMI's transcribers wrote. This script asks what that reference allows: readers who see
only the words (and the other speaker's previous turn) mark where each utterance starts, and their boundaries are
scored against the reference exactly as the model's are (``boundary.boundary_scores``, ``question_recall``).

Sample: 400 turns drawn with ``random.Random(16).sample`` from the turns of two words or more of the AnnoMI dev
split without the fixed hold-out (``train.boundary_data.annomi_boundary_sequences``, in file order). Readers:
two helpers (language-model agents) working blind and apart from each other, from this instruction (abridged):
"a complete thought; a new utterance starts when the speaker moves on to a new thought, or to a new kind of act
(from a reflection to a question, from information to a question, from agreeing 'yeah' to telling something
new); a question always ends an utterance; think of where a careful transcriber would put a full stop or a
question mark; discourse markers and fillers that open a sentence go with it; do not split one sentence into its
clauses". They never saw the punctuated text. ``data/annomi_reader_boundaries.csv`` holds their marks as word
indices (keys and indices only, no AnnoMI text).

``--model-oof`` adds the shipped boundary recipe's out-of-fold predictions on the same turns (5 folds grouped by
video, as ``scripts/train_boundary_model.py``; about 4 minutes).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from mi_coder.boundary import boundary_scores, question_recall  # noqa: E402

READERS = ROOT / "data" / "annomi_reader_boundaries.csv"
SAMPLE_SEED, SAMPLE_SIZE = 16, 400


def sample_turns(annomi: list[dict]) -> list[dict]:
    """The readers' turns: the fixed random sample of the measured AnnoMI turns (hold-out excluded)."""
    measured = [s for s in annomi if len(s["words"]) >= 2]
    return random.Random(SAMPLE_SEED).sample(measured, SAMPLE_SIZE)


def previous_words(annomi: list[dict]) -> dict[str, list[str]]:
    """Each turn's key -> the words of the turn before it in its session (the readers' context)."""
    out, last = {}, {}
    for s in annomi:
        out[s["key"]] = last.get(s["session"], [])
        last[s["session"]] = s["words"]
    return out


def read_readers(path: Path, sample: list[dict]) -> dict[str, dict[str, list[bool]]]:
    """reader -> key -> starts, checked against the sample's word counts."""
    words = {s["key"]: len(s["words"]) for s in sample}
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    out: dict[str, dict[str, list[bool]]] = {}
    for row in frame.itertuples(index=False):
        n = int(row.words)
        if row.key not in words:
            raise SystemExit(f"{path}: turn {row.key} is not among the sampled turns")
        if words[row.key] != n:
            raise SystemExit(f"{path}: turn {row.key} has {words[row.key]} words in AnnoMI, {n} in the file")
        starts = [i == 0 for i in range(n)]
        for i in map(int, row.starts.split()):
            if not 0 < i < n:
                raise SystemExit(f"{path}: turn {row.key} has a start at word {i}, outside 1..{n - 1}")
            starts[i] = True
        out.setdefault(row.reader, {})[row.key] = starts
    return out


def model_oof(annomi: list[dict], keys: set[str]) -> dict[str, list[bool]]:
    """The shipped boundary recipe's out-of-fold starts on the sampled turns (train_boundary_model's folds)."""
    from train_boundary_model import corpus_sequences, fold_models

    out = {}
    for k, test, model in fold_models(annomi, corpus_sequences()):
        for i in test:
            if annomi[i]["key"] in keys:
                out[annomi[i]["key"]] = model.starts(annomi[i]["words"])
        print(f"fold {k + 1}/5 done", file=sys.stderr, flush=True)
    return out


def agreement(sample: list[dict], systems: dict[str, dict[str, list[bool]]]) -> dict:
    """Each system against the reference and the plain sentence ends; whole questions; readers against each other."""
    ref = [s["starts"] for s in sample]
    report: dict = {"turns": len(sample), "reference_boundaries": boundary_scores(ref, ref)["boundaries"]}
    for name, starts in systems.items():
        pred = [starts[s["key"]] for s in sample]
        report[name] = {"vs_reference": boundary_scores(ref, pred),
                        "vs_sentence_ends": boundary_scores([s["sentences"] for s in sample], pred),
                        "whole_questions": question_recall(ref, pred, [s["questions"] for s in sample])}
    readers = [n for n in systems if n.startswith("reader")]
    for i, a in enumerate(readers):
        for b in readers[i + 1:]:
            report[f"{a}_vs_{b}"] = boundary_scores([systems[a][s["key"]] for s in sample],
                                                    [systems[b][s["key"]] for s in sample])
    if len(readers) >= 2:  # the starts every reader marks: a reference of where a thought ends, read from words
        consensus = [[all(c) for c in zip(*(systems[r][s["key"]] for r in readers))] for s in sample]
        report["reader_consensus_boundaries"] = boundary_scores(consensus, consensus)["boundaries"]
        for name in (n for n in systems if n not in readers):
            report[name]["vs_reader_consensus"] = boundary_scores(consensus, [systems[name][s["key"]] for s in sample])
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--annomi", default=str(ROOT.parent / "shared" / "data" / "annomi" / "AnnoMI-full.dev.csv"))
    parser.add_argument("--readers", default=str(READERS))
    parser.add_argument("--model-oof", action="store_true")
    parser.add_argument("--write-turns", help="write the sampled turns, unpunctuated, for new readers, and stop")
    parser.add_argument("--report", help="write the figures to this JSON file")
    args = parser.parse_args()
    from train_boundary_model import annomi_sequences

    annomi = annomi_sequences(args.annomi)
    sample = sample_turns(annomi)
    if args.write_turns:
        prev = previous_words(annomi)
        with open(args.write_turns, "w", encoding="utf-8") as f:
            for s in sample:
                f.write(f"### {s['key']} ({'practitioner' if s['role'] == 'therapist' else 'client'})\n"
                        f"previous turn (other speaker): {' '.join(prev[s['key']])[-400:] or '(none)'}\n"
                        f"TURN: {' '.join(s['words'])}\n\n")
        return 0
    systems = {f"reader_{name}": starts for name, starts in read_readers(Path(args.readers), sample).items()}
    if args.model_oof:
        systems["model_out_of_fold"] = model_oof(annomi, {s["key"] for s in sample})
    report = agreement(sample, systems)
    print(json.dumps(report, indent=1))
    if args.report:
        Path(args.report).write_text(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    from mi_coder.errors import run_script

    raise SystemExit(run_script(main))
