"""Utterance segmentation against a reference: boundary precision, recall and F1, and questions kept (not swallowed;
and whole, not cut inside either).

The reference is a table with one row per utterance (session, speaker, turn, text; for example a coded
table, or AnnoMI-style data with utterances given). Each turn's utterances are joined into the turn text
(optionally stripped of punctuation and casing, as automatic captions are), split again by mi-coder, and
the utterance starts inside turns are compared word by word.
"""

from __future__ import annotations

import re
from typing import Any, Sequence

from ..boundary import boundary_scores, question_recall

_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")


def strip_text(text: str) -> str:
    """Lower case, no punctuation: what automatic captions give."""
    return " ".join(w.lower() for w in _WORD.findall(text))


def _word_starts(pieces: Sequence[str]) -> tuple[list[str], list[bool]]:
    words, starts = [], []
    for piece in pieces:
        ws = [w.lower() for w in _WORD.findall(piece)]
        words.extend(ws)
        starts.extend([True] + [False] * (len(ws) - 1) if ws else [])
    return words, starts


def segmentation_report(path: Any, options: Any = None, strip: bool = True, captions: str = "auto",
                        boundary: Any = None, boundary_model: str = "shipped") -> dict:
    """Boundary P/R/F1 (and recall of whole question utterances) of mi-coder's segmentation of ``path``'s
    turns against the file's own utterances. ``boundary``: the boundary model to measure (a ``BoundaryModel``;
    default: the shipped model's); ``boundary_model``: which one it is, for the report (its model folder, or
    "shipped")."""
    from ..io.base import ReadOptions
    from ..io.reader import read_transcript
    from ..segment import build_pipeline, split_text

    opts = options or ReadOptions()
    opts = ReadOptions(**{**opts.__dict__, "utterances": "given"})
    nlp = build_pipeline(captions=captions, boundary=boundary)
    ref, pred, questions = [], [], []
    skipped = 0
    for session in read_transcript(path, read_options=opts):
        for turn in session.turns:
            pieces = [u.text for u in turn.utterances if _WORD.search(u.text)]
            words, starts = _word_starts(pieces)
            if len(words) < 2:
                continue
            text = strip_text(turn.text) if strip else turn.text
            spans = split_text(text, nlp)
            mine_words, mine = _word_starts([text[a:b] for a, b in spans])
            if len(mine_words) != len(words):  # words cut differently (e.g. inside a hyphenated token): not comparable
                skipped += 1
                continue
            ref.append(starts)
            pred.append(mine)
            questions.append([p.strip().endswith("?") for p in pieces])
    if not any(any(starts[1:]) for starts in ref):
        from ..errors import InputError

        raise InputError(path, "no turn holds two or more utterances, so there is no segmentation to measure against; "
                               "--segmentation needs a table with one row per utterance and a turn id column (rows of "
                               "one turn share it), as mi-coder's utterances.csv has")
    return {"segmentation": {"file": str(path), "stripped": strip, "captions": captions,
                             "boundary_model": boundary_model, "turns": len(ref),
                             "turns_not_comparable": skipped,
                             **boundary_scores(ref, pred), "question_recall": question_recall(ref, pred, questions),
                             "question_whole": question_recall(ref, pred, questions, whole=True)}}


def format_segmentation(reports: Sequence[dict]) -> str:
    """One line per file's segmentation report, naming the boundary model measured."""
    return "\n".join(
        f"segmentation of {seg['file']} ({'stripped of punctuation' if seg['stripped'] else 'as written'}, "
        f"captions {seg['captions']}, {seg['turns']} turns): boundary precision {seg['precision']}, "
        f"recall {seg['recall']}, F1 {seg['f1']} ({seg['boundaries']} boundaries); "
        f"questions not swallowed {seg['question_recall']} (and not cut either {seg.get('question_whole')}); "
        f"boundary model {seg.get('boundary_model', 'shipped')}"
        + (f"; {seg['turns_not_comparable']} turn(s) not comparable (their words differ from the reference's), "
           "left out" if seg.get("turns_not_comparable") else "")
        for seg in reports)
