"""Training and reference data of the boundary model for unpunctuated speech (``mi_coder.boundary``).

A sequence is one turn: its lower-cased words, which of them start an utterance, and which of its utterances
are questions. References come from text that has punctuation (AnnoMI turns, segmented by the punctuation
rules) or coded units (the team corpus: each coded row is an utterance); the model reads the same words
without punctuation. ``scripts/train_boundary_model.py`` trains and measures the shipped model with these;
``evaluate.crossval`` trains one per fold, so that the unpunctuated figures of a fold never use a boundary
model that has read the fold's own turns.
"""

from __future__ import annotations

import random
from typing import Iterable

import pandas as pd

from ..boundary import caption_variant, is_word, labelled_words

SENT_END = {".", "?", "!", "...", "…"}


def annomi_boundary_sequences(turns: pd.DataFrame) -> list[dict]:
    """Per AnnoMI turn (``train.annomi.load_annomi_turns`` rows): words, reference starts, sentence-end starts,
    question flags, group (the video) and key (``transcript_id:utterance_id``)."""
    from ..segment import build_pipeline

    nlp = build_pipeline(captions="off")
    out = []
    texts = turns["utterance_text"].tolist()
    for doc, (_, row) in zip(nlp.pipe(texts, batch_size=256), turns.iterrows()):
        words, starts = labelled_words(doc)
        if not words:
            continue
        sentence, after_end = [], True
        for tok in doc:
            if is_word(tok.text):
                sentence.append(after_end)
                after_end = False
            elif tok.text in SENT_END or tok.text.endswith(("?", ".", "!")):
                after_end = True
        sentence[0] = True
        questions = [sent.text.strip().endswith("?") for sent in doc.sents if any(is_word(t.text) for t in sent)]
        out.append({"words": words, "starts": starts, "sentences": sentence, "questions": questions,
                    "group": row.get("video_url") or row["transcript_id"], "session": str(row["transcript_id"]),
                    "key": f"{row['transcript_id']}:{row['utterance_id']}", "role": row["interlocutor"]})
    return out


def coded_boundary_sequences(utterances: pd.DataFrame, name: str = "corpus") -> list[dict]:
    """Per turn of coded sessions (one row per utterance, in order: ``session_id``, ``turn``, ``speaker``,
    ``text``, ``code``): words and utterance starts, each coded row an utterance."""
    from ..segment import build_pipeline

    tokenizer = build_pipeline(captions="off").tokenizer
    out = []
    for (session, _), g in utterances.groupby(["session_id", "turn"], sort=False):
        words: list[str] = []
        starts: list[bool] = []
        questions: list[bool] = []
        for text, code in zip(g["text"], g["code"]):
            toks = [t.lower_ for t in tokenizer(str(text)) if is_word(t.text)]
            if not toks:
                continue
            words.extend(toks)
            starts.extend([True] + [False] * (len(toks) - 1))
            questions.append(code in ("OQ", "CQ") or str(text).strip().endswith("?"))
        if words:
            out.append({"words": words, "starts": starts, "questions": questions, "group": "corpus",
                        "session": f"{name}:{session}", "role": g["speaker"].iloc[0]})
    return out


def examples_boundary_sequences(examples: pd.DataFrame) -> list[dict]:
    """``coded_boundary_sequences`` of training examples (``train.examples.EXAMPLE_COLUMNS``) of whole
    sessions; a row repeated for a second code counts once."""
    rows = examples.drop_duplicates(["session_id", "turn_id", "position"])
    rows = rows.assign(turn=rows["turn_id"], speaker=rows["role"], _pos=rows["position"].astype(int))
    return coded_boundary_sequences(rows.sort_values(["session_id", "turn", "_pos"], kind="stable"), "examples")


def measured(seqs: Iterable[dict]) -> list[dict]:
    """The turns a boundary can fall inside (two words or more): what cross-validation scores."""
    return [s for s in seqs if len(s["words"]) >= 2]


def joined_turns(seqs: list[dict]) -> list[tuple[list[str], list[bool]]]:
    """Training sequences made of a speaker's turn and their next turn of the same session run together.

    A new turn always opens a new utterance, so the junction is a true boundary, in the words people use
    at such places ("... that's hard | so what did you do"). Automatic captions often merge a speaker's
    turns like this when the other speaker's short reply is lost. Training data only: never scored.
    """
    out, last = [], {}
    for s in seqs:
        key = (s.get("session"), s.get("role"))
        if key in last:
            prev = last[key]
            out.append((prev["words"] + s["words"], prev["starts"] + [True] + s["starts"][1:]))
        last[key] = s
    return out


def with_variants(seqs: list[dict], seed: int = 0, join: bool = False) -> list[tuple[list[str], list[bool]]]:
    """Training sequences: the turns of two words or more, turns run together (``joined_turns``) when
    ``join``, and a caption-style copy of each (``boundary.caption_variant``)."""
    rng = random.Random(seed)
    pairs = [(s["words"], s["starts"]) for s in measured(seqs)]
    if join:
        pairs += joined_turns(seqs)
    return pairs + [caption_variant(w, st, rng) for w, st in pairs]
