"""Boundaries where the code changes: the boundary model against MITI's own unit, and trained on it.

    python scripts/boundary_unit_target.py [--report FILE.json]     # about 7 minutes on 2 cores

Issue 11 defines an utterance as MITI does: a complete thought, a new one when the speaker moves to a new code,
and a question always ends one. The boundary model is trained and measured against sentence ends (AnnoMI's
punctuation), of which most fall between two sentences with the same code. This script builds the code-change
reference ("units") from the same punctuated turns and their codes, and compares, on the grouped folds of
``scripts/train_boundary_model.py`` (AnnoMI by video, hold-out excluded, the team corpus in every training fold):

* A: the shipped recipe (trained on sentence starts);
* B: the same model trained on unit starts (AnnoMI's, and the team corpus's with adjacent rows of one code merged).

Unit reference: a sentence start inside a turn stays a start where the code changes, the previous utterance is a
question, or either code is unknown. Codes: AnnoMI's turn labels through ``train.annomi.annomi_utterance_label``
with every re-code file in ``data/`` (other, unknown, flagged, client) as reference; a turn whose code count does
not match its sentences keeps its sentence starts. Protocol (written before the run, sixteenth session's
successor, docs/ACCURACY_HISTORY.md): each arm's threshold is the one with the best unit F1 on the first fold;
figures pooled over folds 2-5. Also printed: each arm's whole curve (all five folds) against both references.
"""

from __future__ import annotations

import argparse
import glob
import json
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from mi_coder.boundary import boundary_scores, is_word, question_recall  # noqa: E402

QUESTIONS = {"OQ", "CQ"}
THRESHOLDS = (0.03, 0.05, 0.07, 0.10, 0.15, 0.20, 0.25, 0.30, 0.40, 0.50)
CODE_FILES = [ROOT / "data" / f"annomi_{name}_codes.csv" for name in ("other", "unknown", "flagged", "client")]


def unit_starts(starts: list[bool], codes: list[str | None]) -> list[bool]:
    """Sentence starts -> code-change starts (``codes``: one per sentence, None where unknown)."""
    idx = [i for i, s in enumerate(starts) if s]
    out = [False] * len(starts)
    out[0] = True
    for k in range(1, len(idx)):
        a, b = codes[k - 1], codes[k]
        out[idx[k]] = a is None or b is None or a != b or a in QUESTIONS
    return out


def unit_questions(starts: list[bool], units: list[bool], questions: list[bool], codes: list[str | None]) -> list[bool]:
    """Per unit: does any of its sentences ask (a question mark or a question code)."""
    out: list[bool] = []
    k = -1
    for s, u in zip(starts, units):
        if not s:
            continue
        k += 1
        asks = (questions[k] if k < len(questions) else False) or codes[k] in QUESTIONS
        if u:
            out.append(asks)
        else:
            out[-1] = out[-1] or asks
    return out


def annomi_units(annomi_path: str) -> list[dict]:
    """``train_boundary_model.annomi_sequences`` with ``units`` and ``unit_questions`` added."""
    from mi_coder.train.annomi import apply_utterance_codes, holdout_ids, read_utterance_code_files
    from mi_coder.train.fit import load_training_data
    from train_boundary_model import annomi_sequences

    seqs = annomi_sequences(annomi_path)
    data = load_training_data([annomi_path], exclude_annomi=holdout_ids())
    ex = apply_utterance_codes(data.examples, read_utterance_code_files(CODE_FILES))
    ex = ex[ex["source"] == "annomi"].sort_values(["session_id", "turn_id", "position"], kind="stable")
    codes = {f"{s}:{t}": [c if isinstance(c, str) and c else None for c in g["code"]]
             for (s, t), g in ex.groupby(["session_id", "turn_id"], sort=False)}
    for s in seqs:
        cs = codes.get(s["key"])
        if cs is None or len(cs) != sum(s["starts"]):
            s["units"], s["unit_questions"], s["aligned"] = list(s["starts"]), list(s["questions"]), False
            continue
        s["units"] = unit_starts(s["starts"], cs)
        s["unit_questions"] = unit_questions(s["starts"], s["units"], s["questions"], cs)
        s["aligned"] = True
    return seqs


def corpus_units() -> list[dict]:
    """Team-corpus turns with adjacent coded rows of the same code set merged (a question row always ends one)."""
    from mi_coder.segment import build_pipeline

    tokenizer = build_pipeline(captions="off").tokenizer
    out = []
    for path in sorted(glob.glob(str(ROOT / "data" / "corpus" / "sessions" / "*_utterances.csv"))):
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        for _, g in df.groupby(["session_id", "turn"], sort=False):
            words: list[str] = []
            starts: list[bool] = []
            prev: frozenset[str] | None = None
            for text, *pair in zip(g["text"], g["code"], g.get("code2", pd.Series([""] * len(g), index=g.index))):
                toks = [t.lower_ for t in tokenizer(str(text)) if is_word(t.text)]
                if not toks:
                    continue
                code = frozenset(c for c in pair if c)
                new = prev is None or code != prev or bool(prev & QUESTIONS)
                words.extend(toks)
                starts.extend([new] + [False] * (len(toks) - 1))
                prev = code
            if words:
                out.append({"words": words, "starts": starts})
    return out


def main() -> int:
    from train_boundary_model import SHARED, corpus_sequences, fold_models

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--annomi", default=str(SHARED / "annomi" / "AnnoMI-full.dev.csv"))
    parser.add_argument("--report", help="write the figures to this JSON file")
    args = parser.parse_args()
    started = time.time()
    seqs = annomi_units(args.annomi)
    sentences_corpus, units_corpus = corpus_sequences(), corpus_units()
    inner = sum(sum(s["starts"]) - 1 for s in seqs)
    report: dict = {"turns": len(seqs), "turns_not_aligned": sum(not s["aligned"] for s in seqs),
                    "sentence_boundaries": inner, "unit_boundaries": sum(sum(s["units"]) - 1 for s in seqs)}
    for arm, target, corpus in (("A_sentences", "starts", sentences_corpus), ("B_units", "units", units_corpus)):
        preds: dict[float, list[tuple[int, dict, list[bool]]]] = {th: [] for th in THRESHOLDS}
        for k, test, model in fold_models([dict(s, starts=s[target]) for s in seqs], corpus):
            scored = [seqs[i] for i in test if len(seqs[i]["words"]) >= 2]
            for th in THRESHOLDS:
                for s, p in zip(scored, model.with_threshold(th).starts_many([s["words"] for s in scored])):
                    preds[th].append((k, s, p))
            print(f"{arm}: fold {k + 1}/5", file=sys.stderr, flush=True)

        def figures(rows: list, ref: str, qs: str) -> dict:
            return {**boundary_scores([s[ref] for _, s, _ in rows], [p for _, _, p in rows]),
                    "questions_whole": question_recall([s[ref] for _, s, _ in rows], [p for _, _, p in rows],
                                                       [s[qs] for _, s, _ in rows])}

        first = {th: figures([r for r in rows if r[0] == 0], "units", "unit_questions")["f1"]
                 for th, rows in preds.items()}
        chosen = max(first, key=lambda th: first[th])
        rest = [r for r in preds[chosen] if r[0] > 0]
        report[arm] = {
            "threshold_chosen_on_fold_1": chosen,
            "folds_2_5_vs_units": figures(rest, "units", "unit_questions"),
            "folds_2_5_vs_sentences": figures(rest, "starts", "questions"),
            "curve_all_folds": {th: {"vs_units": figures(rows, "units", "unit_questions"),
                                     "vs_sentences": figures(rows, "starts", "questions")}
                                for th, rows in preds.items()},
        }
    report["seconds"] = round(time.time() - started)
    print(json.dumps(report, indent=1))
    if args.report:
        Path(args.report).write_text(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    from mi_coder.errors import run_script

    raise SystemExit(run_script(main))
