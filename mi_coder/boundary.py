"""Utterance boundaries in unpunctuated speech (automatic captions, ASR): a trained linear model.

When a turn carries no sentence punctuation, the splitter cannot see where one thought ends and the next
begins. This model reads the words around every gap between two words and says whether a new utterance
starts there (MITI: a new utterance when the speaker moves to a new thought or code; a question always
ends one). Features are the words around the gap (three on each side, and the pairs and triples across
it), the position in the turn, and whether the next words have question form; they are hashed into a
fixed-size space (``DIM``), so the model is one weight vector with no vocabulary file. Each gap is
decided on its own.

Training data needs no download: turns whose punctuated text gives the reference (AnnoMI, the team
corpus), stripped of punctuation and casing, plus caption-style copies (fillers, repeated and dropped
words). ``scripts/train_boundary_model.py`` trains it and measures it; the weights ship in the default
model folder (``boundary.npz``, hash-checked like every model file).
"""

from __future__ import annotations

import random
import re
import zlib
from functools import lru_cache
from typing import Iterable, Sequence

import numpy as np

DIM = 1 << 18
# Boundaries are about one gap in eight: a start is marked from probability 0.10 on (chosen on the first AnnoMI
# cross-validation fold, the hold-out never seen: boundary F1 0.473 at 0.10 and 0.474 at 0.15, but whole
# questions kept 0.725 against 0.683, and no question swallowed is what matters most for MITI counts).
THRESHOLD = 0.10
_QUESTION_WORDS = frozenset("what how why when where who which whether".split())
_AUX = frozenset("do does did are is was were can could would will have has had should may might am".split())
_PRONOUNS = frozenset("you i we they he she it there that this your".split())
_FILLERS = frozenset("um uh uhm erm er hmm mm mhm mm-hmm uh-huh hm ah oh okay ok alright right yeah yes yep so "
                     "well like anyway now".split())
_WORD = re.compile(r"[^\W_]")
_BUCKETS = (1, 2, 3, 4, 6, 9, 14, 20, 30)


def _bucket(n: int) -> int:
    for b in _BUCKETS:
        if n <= b:
            return b
    return 99


@lru_cache(maxsize=1 << 17)  # feature strings repeat a lot across gaps and turns
def _hash(feature: str) -> int:
    return zlib.crc32(feature.encode("utf-8")) & (DIM - 1)


def gap_features(words: Sequence[str], i: int) -> list[str]:
    """Features of the gap before ``words[i]`` (lower-cased word tokens): three words each side, the pairs
    and triples across the gap, the position in the turn, question form, fillers and repeats."""
    n = len(words)
    w = lambda k: words[k] if 0 <= k < n else ("<s>" if k < 0 else "</s>")  # noqa: E731
    a3, a2, a1, b0, b1, b2, b3 = w(i - 3), w(i - 2), w(i - 1), w(i), w(i + 1), w(i + 2), w(i + 3)
    feats = ["bias", f"a1={a1}", f"b0={b0}", f"b1={b1}", f"a2={a2}", f"b2={b2}", f"a3={a3}", f"b3={b3}",
             f"a1b0={a1}|{b0}", f"b0b1={b0}|{b1}", f"a2a1={a2}|{a1}", f"a1b0b1={a1}|{b0}|{b1}",
             f"b0b1b2={b0}|{b1}|{b2}", f"a2a1b0={a2}|{a1}|{b0}", f"a1_b1={a1}|{b1}", f"pos={_bucket(i)}",
             f"left={_bucket(n - i)}"]
    if b0 in _QUESTION_WORDS:
        feats.append("b0=wh")
    if b0 in _AUX and b1 in _PRONOUNS:
        feats.append("b0b1=aux_pron")
        feats.append(f"a1={a1}|aux_pron")
    if a1 in _FILLERS:
        feats.append("a1=filler")
    if b0 in _FILLERS:
        feats.append("b0=filler")
    if a1 == b0:
        feats.append("repeat")
    return feats


class BoundaryModel:
    """Weights over hashed gap features; ``starts(words)`` marks the words that open an utterance."""

    def __init__(self, coef: np.ndarray, intercept: float = 0.0, threshold: float = THRESHOLD) -> None:
        self.coef = np.asarray(coef, dtype=np.float32)
        self.intercept = float(intercept)
        self.threshold = float(threshold)
        self._margin = float(np.log(threshold / (1 - threshold)))

    def starts(self, words: Sequence[str]) -> list[bool]:
        out = [False] * len(words)
        if not words:
            return out
        out[0] = True
        if len(words) < 2:
            return out
        # All gaps' feature ids at once, then one gather and one segmented sum (the hot path on captions).
        ids: list[int] = []
        starts: list[int] = []
        for i in range(1, len(words)):
            starts.append(len(ids))
            ids.extend(map(_hash, gap_features(words, i)))
        scores = np.add.reduceat(self.coef[np.asarray(ids)], np.asarray(starts)) + self.intercept
        for i, score in enumerate(scores, start=1):
            out[i] = bool(score > self._margin)
        return out

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"boundary__coef": self.coef, "boundary__intercept": np.array([self.intercept, self.threshold])}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> "BoundaryModel":
        coef = arrays["boundary__coef"]
        if coef.shape != (DIM,):
            raise ValueError(f"boundary weights have shape {coef.shape}, expected ({DIM},)")
        intercept, threshold = (float(x) for x in arrays["boundary__intercept"])
        return cls(coef, intercept, threshold)


def is_word(token_text: str) -> bool:
    return _WORD.search(token_text) is not None


def labelled_words(doc) -> tuple[list[str], list[bool]]:  # type: ignore[no-untyped-def]
    """Lower-cased word tokens of a segmented (punctuated) doc and whether each opens an utterance."""
    words, starts = [], []
    pending = False
    for tok in doc:
        if tok.is_sent_start:
            pending = True
        if is_word(tok.text):
            words.append(tok.lower_)
            starts.append(pending or not words[:-1])
            pending = False
    return words, starts


def caption_variant(words: list[str], starts: list[bool], rng: random.Random) -> tuple[list[str], list[bool]]:
    """A caption-style copy: fillers inserted, words repeated (false starts) and dropped, as ASR text has."""
    out_w, out_s = [], []
    for w, s in zip(words, starts):
        r = rng.random()
        if r < 0.04 and not s:
            continue  # a dropped word
        if r > 0.95:
            out_w.append(rng.choice(("um", "uh", "like", "you know")).split()[0])
            out_s.append(s)
            s = False
        out_w.append(w)
        out_s.append(s)
        if rng.random() < 0.03:
            out_w.append(w)  # a repeated word
            out_s.append(False)
    if out_s:
        out_s[0] = True
    return out_w, out_s


def training_rows(sequences: Iterable[tuple[list[str], list[bool]]]) -> tuple[list[list[int]], list[int]]:
    """Hashed feature ids and labels of every gap."""
    X, y = [], []
    for words, starts in sequences:
        for i in range(1, len(words)):
            X.append(sorted({_hash(f) for f in gap_features(words, i)}))
            y.append(int(starts[i]))
    return X, y


def train_boundary_model(sequences: Sequence[tuple[list[str], list[bool]]], C: float = 1.0,
                         threshold: float = THRESHOLD) -> BoundaryModel:
    """Fit logistic regression on the gaps of (words, starts) sequences."""
    import scipy.sparse as sp
    from sklearn.linear_model import LogisticRegression

    ids, y = training_rows(sequences)
    indptr = np.cumsum([0] + [len(r) for r in ids])
    X = sp.csr_matrix((np.ones(indptr[-1]), np.concatenate(ids) if ids else np.zeros(0, int), indptr),
                      shape=(len(ids), DIM))
    model = LogisticRegression(C=C, max_iter=2000, solver="liblinear").fit(X, np.array(y))
    return BoundaryModel(model.coef_[0], float(model.intercept_[0]), threshold)


def boundary_scores(reference: Sequence[Sequence[bool]], predicted: Sequence[Sequence[bool]]) -> dict[str, float]:
    """Precision, recall and F1 of utterance starts inside turns (the first word of a turn is not counted)."""
    tp = fp = fn = 0
    for ref, pred in zip(reference, predicted):
        for r, p in zip(ref[1:], pred[1:]):
            tp += r and p
            fp += p and not r
            fn += r and not p
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(float(precision), 3), "recall": round(float(recall), 3), "f1": round(float(f1), 3),
            "boundaries": int(tp + fn)}


def question_recall(reference: Sequence[Sequence[bool]], predicted: Sequence[Sequence[bool]],
                    is_question: Sequence[Sequence[bool]]) -> float | None:
    """Share of reference question utterances that come out whole: a predicted boundary at both their edges
    (the turn's edges count), so the question is neither swallowed by nor split from its neighbours."""
    kept = total = 0
    for ref, pred, questions in zip(reference, predicted, is_question):
        starts = [i for i, r in enumerate(ref) if r] + [len(ref)]
        for k, (a, b) in enumerate(zip(starts[:-1], starts[1:])):
            if not questions[k]:
                continue
            total += 1
            kept += bool(pred[a] and (b == len(ref) or pred[b]))
    return round(kept / total, 3) if total else None
