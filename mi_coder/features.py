"""Features of an utterance for the coder: its words, its shape, its place in the turn, and the turn it answers.

``FeatureSpace`` turns rows of (text, prev_text, position, n_in_turn) into a sparse matrix:

* TF-IDF of word 1-3-grams and of character 2-5-grams (inside word boundaries) of the utterance;
* TF-IDF of the words of the other speaker's preceding turn (what a reflection answers);
* a few shape features: word overlap with the preceding turn, question form, length, place in the turn.

Punctuation and casing are folded away from the n-grams (``normalize``) and kept only as explicit flags,
so the same features exist for unpunctuated automatic captions (training adds unpunctuated copies).

The vocabularies and IDF weights are learned with scikit-learn's ``TfidfVectorizer`` (``FeatureSpace.fit``),
but transforming needs only NumPy and SciPy: the analyzers below reproduce scikit-learn's ``word`` and
``char_wb`` analyzers, so a saved model is plain arrays and term lists (no pickle) and coding does not
import scikit-learn (fast cold start).
"""

from __future__ import annotations

import math
import re
from typing import Sequence

import numpy as np
import scipy.sparse as sp

_NON_WORD = re.compile(r"[^a-z0-9' ]+")
_SPACES = re.compile(r"\s+")
TOKEN_PATTERN = r"(?u)\b[\w']+\b"
_TOKEN = re.compile(TOKEN_PATTERN)
_STOP = frozenset(
    """a an the and or but so to of in on at for with is are was were be been it that this i you me my your
    we they he she him her them um uh like just really yeah okay ok oh well do did does not no yes have has had
    what how why when where who would could can will im i'm you're it's that's don't""".split()
)
_REFLECT_OPENERS = re.compile(
    r"^(?:so|and|but|okay|um|uh|yeah|mm-hmm|right)?[ ,]*(?:it sounds|sounds like|you're|you are|you've|you feel|"
    r"you want|you don't|part of you|on the one hand|it seems|seems like|you're saying|what i'm hearing|you)\b"
)
_WH_START = re.compile(r"^(?:(?:so|and|but|okay|um|uh|well|now)[ ,]+)*(?:what|how|why|tell me|in what|which)\b")
_AUX_START = re.compile(
    r"^(?:(?:so|and|but|okay|um|uh|well|now)[ ,]+)*(?:do|does|did|are|is|was|were|can|could|would|will|have|has|"
    r"had|should|may|might|any)\b"
)

WORD_NGRAMS = (1, 3)
CHAR_NGRAMS = (2, 5)
N_SHAPE = 14


def normalize(text: str) -> str:
    """Lower case, punctuation folded to spaces (apostrophes kept), '?' kept as the token ``qmark``."""
    low = text.lower().replace("?", " qmark ").replace("’", "'")
    return _SPACES.sub(" ", _NON_WORD.sub(" ", low)).strip()


def strip_punctuation(text: str) -> str:
    """What an automatic caption of ``text`` looks like: lower case, no punctuation."""
    low = text.lower().replace("’", "'")
    return _SPACES.sub(" ", re.sub(r"[^\w' ]+", " ", low)).strip()


def content_words(text: str) -> set[str]:
    return {w for w in normalize(text).split() if w not in _STOP and w != "qmark" and len(w) > 2}


def word_ngrams(doc: str, n_range: tuple[int, int] = WORD_NGRAMS) -> list[str]:
    """scikit-learn's ``word`` analyzer on an already lower-cased document."""
    tokens = _TOKEN.findall(doc)
    out = []
    lo, hi = n_range
    for n in range(lo, min(hi, len(tokens)) + 1):
        out.extend(" ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1))
    return out


def char_wb_ngrams(doc: str, n_range: tuple[int, int] = CHAR_NGRAMS) -> list[str]:
    """scikit-learn's ``char_wb`` analyzer on an already lower-cased document."""
    out = []
    lo, hi = n_range
    for w in _SPACES.sub(" ", doc).split():
        w = f" {w} "
        size = len(w)
        for n in range(lo, hi + 1):
            offset = 0
            out.append(w[offset:offset + n])
            while offset + n < size:
                offset += 1
                out.append(w[offset:offset + n])
            if offset == 0:
                break
    return out


def shape_features(text: str, prev_text: str, position: int, n_in_turn: int) -> list[float]:
    """Dense features: overlap with the turn answered, question form, length, place in turn."""
    low = normalize(text)
    n = len(low.split())
    mine = content_words(text)
    theirs = content_words(prev_text) if prev_text else set()
    overlap = len(mine & theirs) / len(mine) if mine else 0.0
    has_punct = any(ch in text for ch in ".?!,")
    return [
        overlap,
        float(bool(mine & theirs)),
        math.log1p(n) / 4.0,
        float(n <= 3),
        float(text.rstrip().endswith("?")),
        float(not has_punct),
        float(bool(_WH_START.match(low))),
        float(bool(_AUX_START.match(low))),
        float(bool(_REFLECT_OPENERS.match(low))),
        float(n_in_turn == 1),
        float(position == 0 and n_in_turn > 1),
        float(position == n_in_turn - 1 and n_in_turn > 1),
        math.log1p(n_in_turn) / 3.0,
        float(not prev_text),
    ]


class TfidfBlock:
    """One TF-IDF block (sublinear tf, IDF, l2 norm) over a fixed term list; transforms without scikit-learn."""

    def __init__(self, terms: Sequence[str], idf: np.ndarray, analyzer: str) -> None:
        self.terms = list(terms)
        self.index = {t: i for i, t in enumerate(self.terms)}
        self.idf = np.asarray(idf, dtype=np.float64)
        self.analyzer = analyzer

    def _grams(self, doc: str) -> list[str]:
        return char_wb_ngrams(doc) if self.analyzer == "char_wb" else word_ngrams(doc, (1, 3) if self.analyzer ==
                                                                                  "word" else (1, 1))

    def row(self, doc: str) -> tuple[list[int], list[float]]:
        counts: dict[int, int] = {}
        index = self.index
        for g in self._grams(doc):
            j = index.get(g)
            if j is not None:
                counts[j] = counts.get(j, 0) + 1
        if not counts:
            return [], []
        cols = list(counts)
        vals = [(1.0 + math.log(counts[j])) * self.idf[j] for j in cols]
        norm = math.sqrt(sum(v * v for v in vals))
        return cols, [v / norm for v in vals] if norm else vals

    def __len__(self) -> int:
        return len(self.terms)


class FeatureSpace:
    """The coder's feature map: utterance words and characters, preceding-turn words, shape features."""

    def __init__(self, words: TfidfBlock, chars: TfidfBlock, context: TfidfBlock, char_weight: float = 0.7,
                 context_weight: float = 0.5, shape_weight: float = 1.0) -> None:
        self.words = words
        self.chars = chars
        self.context = context
        self.char_weight = char_weight
        self.context_weight = context_weight
        self.shape_weight = shape_weight

    @property
    def n_features(self) -> int:
        return len(self.words) + len(self.chars) + len(self.context) + N_SHAPE

    @classmethod
    def fit(cls, texts: Sequence[str], prev_texts: Sequence[str], max_word_features: int = 40000,
            max_char_features: int = 40000, max_context_features: int = 8000, **weights: float) -> "FeatureSpace":
        """Learn vocabularies and IDF weights with scikit-learn's TfidfVectorizer (training only)."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        norm_texts = [normalize(t) for t in texts]
        norm_prev = [normalize(t) for t in prev_texts]
        blocks = []
        for docs, analyzer, ngram, min_df, cap in (
            (norm_texts, "word", WORD_NGRAMS, 2, max_word_features),
            (norm_texts, "char_wb", CHAR_NGRAMS, 3, max_char_features),
            (norm_prev, "context", (1, 1), 2, max_context_features),
        ):
            extra = {"analyzer": "char_wb"} if analyzer == "char_wb" else {"token_pattern": TOKEN_PATTERN}
            vec = TfidfVectorizer(ngram_range=ngram, min_df=min_df, max_features=cap, sublinear_tf=True,
                                  lowercase=False, **extra)
            vec.fit(docs)
            terms = vec.get_feature_names_out().tolist()
            blocks.append(TfidfBlock(terms, vec.idf_, analyzer))
        return cls(*blocks, **weights)

    def transform(self, texts: Sequence[str], prev_texts: Sequence[str], positions: Sequence[int],
                  n_in_turn: Sequence[int]) -> sp.csr_matrix:
        """Sparse feature rows; the preceding turn's features are computed once per distinct turn."""
        indptr = [0]
        indices: list[int] = []
        data: list[float] = []
        o_chars = len(self.words)
        o_ctx = o_chars + len(self.chars)
        o_shape = o_ctx + len(self.context)
        ctx_cache: dict[str, tuple[list[int], list[float]]] = {}
        for text, prev, pos, n in zip(texts, prev_texts, positions, n_in_turn):
            doc = normalize(text)
            cols, vals = self.words.row(doc)
            indices.extend(cols)
            data.extend(vals)
            cols, vals = self.chars.row(doc)
            indices.extend(c + o_chars for c in cols)
            data.extend(v * self.char_weight for v in vals)
            ctx = ctx_cache.get(prev)
            if ctx is None:
                ctx = ctx_cache[prev] = self.context.row(normalize(prev)) if prev else ([], [])
            indices.extend(c + o_ctx for c in ctx[0])
            data.extend(v * self.context_weight for v in ctx[1])
            for k, v in enumerate(shape_features(text, prev, int(pos), int(n))):
                if v:
                    indices.append(o_shape + k)
                    data.append(v * self.shape_weight)
            indptr.append(len(indices))
        return sp.csr_matrix((np.asarray(data, dtype=np.float64), np.asarray(indices, dtype=np.int64),
                              np.asarray(indptr, dtype=np.int64)), shape=(len(indptr) - 1, self.n_features))

    def transform_frame(self, frame) -> sp.csr_matrix:  # type: ignore[no-untyped-def]
        return self.transform(frame["text"].tolist(), frame["prev_text"].tolist(), frame["position"].tolist(),
                              frame["n_in_turn"].tolist())

    # Saving: term lists as JSON-able lists, numbers as arrays (no pickle).
    def to_parts(self) -> tuple[dict, dict[str, np.ndarray]]:
        terms = {"words": self.words.terms, "chars": self.chars.terms, "context": self.context.terms}
        arrays = {"idf_words": self.words.idf, "idf_chars": self.chars.idf, "idf_context": self.context.idf,
                  "feature_weights": np.array([self.char_weight, self.context_weight, self.shape_weight])}
        return terms, arrays

    @classmethod
    def from_parts(cls, terms: dict, arrays: dict[str, np.ndarray]) -> "FeatureSpace":
        w = arrays["feature_weights"]
        return cls(TfidfBlock(terms["words"], arrays["idf_words"], "word"),
                   TfidfBlock(terms["chars"], arrays["idf_chars"], "char_wb"),
                   TfidfBlock(terms["context"], arrays["idf_context"], "context"),
                   char_weight=float(w[0]), context_weight=float(w[1]), shape_weight=float(w[2]))
