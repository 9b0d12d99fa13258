"""Training a coder from files: AnnoMI-layout tables, the team corpus, and any coded table.

``load_training_data`` reads each file by its layout; ``train_from_files`` trains, optionally
cross-validates, and saves a model folder (``model_store.save_coder``).
"""

from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import pandas as pd

from .codes import ALL_CODES, CLIENT_CODES, FOUR_CLASS, PRACTITIONER_CODES
from .errors import InputError, UsageError
from .readers import ReadOptions, decode_bytes
from .tables import main_code
from .training_data import (EXAMPLE_COLUMNS, annomi_examples, annomi_turn_examples, coded_table_examples,
                            is_annomi_layout, is_team_corpus, load_annomi_turns, load_team_corpus,
                            single_utterance_turns)


@dataclass
class TrainingData:
    """Utterance examples, turn examples, AnnoMI turns (for the turn-level tasks) and where each came from."""

    examples: pd.DataFrame
    turn_examples: pd.DataFrame
    annomi_turns: pd.DataFrame | None = None
    sources: list[dict] = field(default_factory=list)


def _header(path: Path) -> list[str]:
    raw = path.read_bytes()[:65536]
    text = decode_bytes(raw, str(path)) if raw.strip() else ""
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first else ","
    return next(csv.reader(io.StringIO(first), delimiter=delimiter), [])


def splitter() -> Callable[[str], list[tuple[int, int]]]:
    from .segment import build_pipeline, split_text

    nlp = build_pipeline()
    return lambda text: split_text(text, nlp)


def load_training_data(paths: Sequence[str | Path], options: ReadOptions | None = None) -> TrainingData:
    """Read training files by layout: AnnoMI (turn labels), team corpus, or coded table (utterance codes)."""
    split = splitter()
    utt, turns, sources = [], [], []
    annomi_parts = []
    for path in map(Path, paths):
        if not path.exists():
            raise InputError(path, "no such file")
        columns = _header(path)
        if is_annomi_layout(columns):
            t = load_annomi_turns(path)
            t["transcript_id"] = t["transcript_id"].astype(str)
            annomi_parts.append(t)
            utt.append(annomi_examples(t, split))
            turns.append(annomi_turn_examples(t))
            sources.append({"file": path.name, "layout": "AnnoMI", "transcripts": int(t["transcript_id"].nunique()),
                            "turns": len(t)})
        elif is_team_corpus(columns):
            ex = load_team_corpus([path])
            utt.append(ex)
            turns.append(single_utterance_turns(ex))
            sources.append({"file": path.name, "layout": "team corpus", "utterances": len(ex)})
        else:
            ex = coded_table_examples(path, options)
            utt.append(ex)
            turns.append(coded_turn_examples(ex))
            sources.append({"file": path.name, "layout": "coded table", "utterances": len(ex),
                            "sessions": int(ex["session_id"].nunique())})
    if not utt:
        raise UsageError("no training files given")
    annomi = pd.concat(annomi_parts, ignore_index=True) if annomi_parts else None
    return TrainingData(pd.concat(utt, ignore_index=True), pd.concat(turns, ignore_index=True), annomi, sources)


def coded_turn_examples(examples: pd.DataFrame) -> pd.DataFrame:
    """Turn examples from utterance-coded sessions: the turn's main code by the fixed priority rule."""
    from .records import Turn, Utterance

    rows = []
    for (_, tid), g in examples.groupby(["session_id", "turn_id"], sort=False):
        first = g.iloc[0]
        turn = Turn(id=str(tid), speaker="", role=first["role"], text=" ".join(g["text"]),
                    utterances=[Utterance(str(k), t, 0, 0, code=c) for k, (t, c) in enumerate(zip(g["text"], g["code"]))
                                if isinstance(c, str) and c])
        code = main_code(turn)
        if not code:
            continue
        rows.append({**first.to_dict(), "text": turn.text, "position": 0, "n_in_turn": 1,
                     "code": FOUR_CLASS.get(code, code)})
    return pd.DataFrame(rows, columns=EXAMPLE_COLUMNS)


def annomi_cross_validation(data: TrainingData, folds: int = 5, unpunctuated: bool = True,
                            train_kwargs: dict | None = None,
                            progress: Callable[[str], None] | None = None) -> dict:
    """The AnnoMI turn-level tasks by grouped CV; non-AnnoMI examples join every training fold."""
    from .evaluation import cross_validate_annomi

    if data.annomi_turns is None:
        raise UsageError("AnnoMI-layout data is needed for the AnnoMI turn-level tasks")
    split = splitter()
    extra = data.examples[data.examples["source"] != "annomi"]
    report, _, _ = cross_validate_annomi(data.annomi_turns, lambda t: annomi_examples(t, split), extra,
                                         folds=folds, train_kwargs=train_kwargs, progress=progress,
                                         unpunctuated=unpunctuated)
    return report


def train_from_files(paths: Sequence[str | Path], out_dir: str | Path, *, name: str | None = None,
                     version: str = "1.0", folds: int = 0, options: ReadOptions | None = None,
                     progress: Callable[[str], None] | None = None, C: float = 1.0) -> Path:
    """Train a coder on files and save it as a model folder; with ``folds`` > 1, cross-validate first."""
    from .coder import train_coder
    from .model_store import remember_trusted, save_coder

    say = progress or (lambda msg: None)
    started = time.time()
    data = load_training_data(paths, options)
    say(f"training data: {len(data.examples)} utterance examples, {len(data.turn_examples)} turn examples")
    metrics: dict = {}
    if folds and folds > 1:
        if data.annomi_turns is not None:
            metrics["annomi_cv"] = annomi_cross_validation(data, folds, train_kwargs={"C": C}, progress=say)
            say(f"AnnoMI CV: therapist 4-class macro-F1 {metrics['annomi_cv']['therapist_4class']['macro_f1']}, "
                f"client macro-F1 {metrics['annomi_cv']['client_3class']['macro_f1']}")
        from .evaluation import cross_validate_examples

        others = data.examples[data.examples["source"] != "annomi"]
        if len(others):
            annomi_part = data.examples[data.examples["source"] == "annomi"]
            metrics["team_corpus_cv"] = cross_validate_examples(
                others, folds=folds, extra_examples=annomi_part, train_kwargs={"C": C})
            say(f"held-out {others['source'].iloc[0]} examples: macro-F1 {metrics['team_corpus_cv']['macro_f1']}")
    temperature = metrics.get("annomi_cv", {}).get("output_temperature", 1.0)
    coder = train_coder(data.examples, data.turn_examples, C=C, output_temperature=temperature)
    labelled = data.examples[data.examples["code"].notna()]
    meta = {
        "name": name or Path(out_dir).name,
        "version": version,
        "description": "MITI 4.2.1 practitioner codes and MISC client codes for utterances of counselling and "
                       "supervision sessions: word/character n-grams, head and tail words, the other speaker's "
                       "preceding and next turns, and position features; "
                       "multinomial logistic regression with temperature-scaled confidences; turn models choose "
                       "each turn's main code.",
        "labels": {"practitioner": list(PRACTITIONER_CODES), "client": list(CLIENT_CODES)},
        "training": {
            "files": data.sources,
            "utterance_examples": int(len(labelled)),
            "examples_per_code": {c: int((labelled["code"] == c).sum()) for c in ALL_CODES},
            "turn_examples": int(len(data.turn_examples)),
            "protocol": "AnnoMI turn labels become utterance labels by the rules in mi_coder.training_data "
                        "(see data/corpus/DATA_CARD.md); every example also trains as a lower-cased, "
                        "unpunctuated copy at half weight (automatic-caption robustness); classes balanced; "
                        "confidences temperature-scaled on 3 grouped folds; AnnoMI utterances that a team-corpus "
                        "model reads as AF/SEEK/EA/CON are left out (AnnoMI does not label those codes); utterance "
                        "and turn probabilities decoded jointly, then re-scaled by an output temperature fitted "
                        "on the out-of-fold codes of the AnnoMI cross-validation.",
            "output_temperature": round(temperature, 3),
            "C": C,
            "seconds": round(time.time() - started, 1),
        },
        "metrics": metrics,
    }
    if metrics:
        meta["metrics"]["command"] = ("mi-coder train " + " ".join(Path(p).name for p in paths)
                                      + f" --out {Path(out_dir).name} --folds {folds}")
    saved = save_coder(coder, out_dir, meta)
    remember_trusted(saved / "meta.json")
    return saved
