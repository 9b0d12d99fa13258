"""Role clarification in sequence: a second stage that decides each element from the detectors' scores of an
utterance, of the practitioner utterances around it, and its place in the session.

Practitioners clarify roles in a run of utterances early in a session, in an order (purpose, their own role,
the client's, how the client wants to take part). An utterance that says what the client brings ("a lot of
this rides on what you tell me") is read as the client's role more surely when the one before explained the
practitioner's part. ``SequenceStage`` is a logistic regression per element over ``sequence_features``,
trained on out-of-fold detector scores (so it learns how far to trust them on sessions they never saw).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EDGE = 1e-3  # probabilities are clipped to [EDGE, 1 - EDGE] before the logit; no neighbour reads as EDGE


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, EDGE, 1 - EDGE)
    return np.log(p / (1 - p))


def sequence_features(p_yes: np.ndarray, sessions: np.ndarray, turns: np.ndarray) -> np.ndarray:
    """Rows: practitioner utterances in session order (``sessions`` their session ids, ``turns`` the 1-based
    number of their turn in the session); columns: the logits of the utterance's own scores, of the previous
    and the next practitioner utterance's in the session, the highest score of each element so far in the
    session (before this utterance), and its place (turn within the first 10, the first 20, log turn)."""
    n, k = p_yes.shape
    before, after, so_far = np.full((n, k), EDGE), np.full((n, k), EDGE), np.full((n, k), EDGE)
    sessions = np.asarray(sessions)
    starts = np.flatnonzero(np.r_[True, sessions[1:] != sessions[:-1]]) if n else np.arange(0)
    for lo, hi in zip(starts, np.r_[starts[1:], n].astype(int)):
        block = p_yes[lo:hi]
        before[lo + 1:hi], after[lo:hi - 1] = block[:-1], block[1:]
        if hi - lo > 1:
            so_far[lo + 1:hi] = np.maximum(np.maximum.accumulate(block[:-1], axis=0), EDGE)
    turns = np.asarray(turns, dtype=float)
    place = np.column_stack([turns <= 10, turns <= 20, np.log1p(turns) / 5]).astype(float)
    return np.hstack([_logit(p_yes), _logit(before), _logit(after), so_far, place])


@dataclass
class SequenceStage:
    """One logistic regression per element (rows of ``coef``) over ``sequence_features``."""

    coef: np.ndarray
    intercept: np.ndarray

    @classmethod
    def fit(cls, X: np.ndarray, y: np.ndarray, C: float = 1.0) -> "SequenceStage":
        """Fit on out-of-fold features ``X`` and yes/no labels ``y`` (one column per element)."""
        from sklearn.linear_model import LogisticRegression

        models = [LogisticRegression(C=C, max_iter=2000).fit(X, y[:, j]) for j in range(y.shape[1])]
        return cls(np.vstack([m.coef_[0] for m in models]), np.array([m.intercept_[0] for m in models]))

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Each element's yes-probability (rows of X, one column per element)."""
        return 1.0 / (1.0 + np.exp(-(X @ self.coef.T + self.intercept)))
