"""Features of an utterance for the coder: its words, its shape, its place in the turn, and the turn it answers.

``UtteranceFeatures`` is a scikit-learn transformer over a DataFrame with the columns ``text``,
``prev_text`` (the other speaker's preceding turn), ``position`` (0-based index in its turn) and
``n_in_turn``. Punctuation and casing are folded away from the word features and kept only as a few
explicit flags, so the same features exist for unpunctuated automatic captions (training adds
unpunctuated copies, see ``strip_punctuation``).
"""

from __future__ import annotations

import re

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.utils.validation import check_is_fitted

_NON_WORD = re.compile(r"[^a-z0-9' ]+")
_SPACES = re.compile(r"\s+")
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


def shape_features(text: str, prev_text: str, position: int, n_in_turn: int) -> list[float]:
    """Dense features: overlap with the turn answered, question form, length, place in turn."""
    low = normalize(text)
    words = low.split()
    n = len(words)
    mine = content_words(text)
    theirs = content_words(prev_text) if prev_text else set()
    overlap = len(mine & theirs) / len(mine) if mine else 0.0
    has_punct = any(ch in text for ch in ".?!,")
    return [
        overlap,
        float(bool(mine & theirs)),
        np.log1p(n) / 4.0,
        float(n <= 3),
        float(text.rstrip().endswith("?")),
        float(not has_punct),
        float(bool(_WH_START.match(low))),
        float(bool(_AUX_START.match(low))),
        float(bool(_REFLECT_OPENERS.match(low))),
        float(n_in_turn == 1),
        float(position == 0 and n_in_turn > 1),
        float(position == n_in_turn - 1 and n_in_turn > 1),
        np.log1p(n_in_turn) / 3.0,
        float(not prev_text),
    ]


N_SHAPE = 14


class UtteranceFeatures(TransformerMixin, BaseEstimator):
    """Word and character n-grams of the utterance, words of the preceding turn, and shape features."""

    def __init__(self, max_word_features: int = 60000, max_char_features: int = 60000,
                 max_context_features: int = 8000, context_weight: float = 0.5, shape_weight: float = 1.0) -> None:
        self.max_word_features = max_word_features
        self.max_char_features = max_char_features
        self.max_context_features = max_context_features
        self.context_weight = context_weight
        self.shape_weight = shape_weight

    def _columns(self, X):  # type: ignore[no-untyped-def]
        text = [normalize(t) for t in X["text"]]
        prev = [normalize(t) for t in X["prev_text"]]
        return text, prev

    def fit(self, X, y=None):  # type: ignore[no-untyped-def]
        text, prev = self._columns(X)
        self.words_ = TfidfVectorizer(ngram_range=(1, 3), min_df=2, max_features=self.max_word_features,
                                      sublinear_tf=True, token_pattern=r"(?u)\b[\w']+\b", dtype=np.float32)
        self.chars_ = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=3,
                                      max_features=self.max_char_features, sublinear_tf=True, dtype=np.float32)
        self.context_ = TfidfVectorizer(ngram_range=(1, 1), min_df=2, max_features=self.max_context_features,
                                        sublinear_tf=True, token_pattern=r"(?u)\b[\w']+\b", dtype=np.float32)
        self.words_.fit(text)
        self.chars_.fit(text)
        self.context_.fit(prev)
        self.n_features_in_ = 4
        return self

    def transform(self, X):  # type: ignore[no-untyped-def]
        check_is_fitted(self, "words_")
        text, prev = self._columns(X)
        shapes = np.array([
            shape_features(t, p, int(pos), int(n))
            for t, p, pos, n in zip(X["text"], X["prev_text"], X["position"], X["n_in_turn"])
        ], dtype=np.float32).reshape(len(text), N_SHAPE)
        return sp.hstack([
            self.words_.transform(text),
            self.chars_.transform(text) * 0.7,
            self.context_.transform(prev) * self.context_weight,
            sp.csr_matrix(shapes * self.shape_weight),
        ], format="csr")
