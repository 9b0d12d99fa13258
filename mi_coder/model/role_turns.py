"""Role clarification over a turn: a second stage that decides each element of an utterance from the detectors'
scores of that utterance and of the other utterances of the same practitioner turn.

Practitioners seldom explain an element in one tidy sentence. "The point of these meetings is to get you
through the year without a violation." may be followed, in the same turn, by "That's the whole reason you're
sitting in that chair." and "Say you lose your job, I'd want to hear it from you first.": the later utterances
carry the element only because of the first. The first-stage detectors read one utterance at a time (with the
other speaker's turns around it); ``TurnStage`` is a logistic regression per element over ``turn_features``,
trained on out-of-fold detector scores, so it learns how far a neighbour's score in the same turn should
carry.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EDGE = 1e-3  # probabilities are clipped to [EDGE, 1 - EDGE] before the logit; a missing neighbour reads as EDGE


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, EDGE, 1 - EDGE)
    return np.log(p / (1 - p))


def turn_features(p_yes: np.ndarray, turn_keys: np.ndarray, sessions: np.ndarray | None = None) -> np.ndarray:
    """Rows: practitioner utterances in transcript order, ``turn_keys`` naming each one's turn (equal keys are
    one turn and must be adjacent); columns, per element: the logit of the utterance's own score, of the
    previous and the next utterance's in the same turn, of the highest score among the turn's other utterances;
    then whether the turn holds more than one utterance. With ``sessions`` (each row's session), also the logits
    of the previous and the next practitioner utterance in the session, across turns (an explanation the
    client cut into goes on in the practitioner's next turn)."""
    n, k = p_yes.shape
    before, after, others = np.full((n, k), EDGE), np.full((n, k), EDGE), np.full((n, k), EDGE)
    multi = np.zeros((n, 1))
    if n:
        keys = np.asarray(turn_keys)
        new_turn = np.r_[True, keys[1:] != keys[:-1]]
        same = ~new_turn[1:]  # row i + 1 is in row i's turn
        before[1:][same], after[:-1][same] = p_yes[:-1][same], p_yes[1:][same]
        starts = np.flatnonzero(new_turn)
        block = np.cumsum(new_turn) - 1
        size = np.diff(np.r_[starts, n])[block]
        # the best of the turn's other utterances: the turn's best, or its second best for the row that holds it
        # (unless another row ties with it)
        top = np.maximum.reduceat(p_yes, starts, axis=0)[block]
        at_top = p_yes >= top
        n_top = np.add.reduceat(at_top.astype(int), starts, axis=0)[block]
        second = np.maximum.reduceat(np.where(at_top, -np.inf, p_yes), starts, axis=0)[block]
        multi_rows = size > 1
        others[multi_rows] = np.where(at_top & (n_top == 1), second, top)[multi_rows]
        multi[multi_rows] = 1.0
    parts = [_logit(p_yes), _logit(before), _logit(after), _logit(others), multi]
    if sessions is not None:
        sess = np.asarray(sessions)
        prev_any, next_any = np.full((n, k), EDGE), np.full((n, k), EDGE)
        same = sess[1:] == sess[:-1]
        prev_any[1:][same], next_any[:-1][same] = p_yes[:-1][same], p_yes[1:][same]
        parts += [_logit(prev_any), _logit(next_any)]
    return np.hstack(parts)


@dataclass
class TurnStage:
    """One logistic regression per element (rows of ``coef``) over ``turn_features``."""

    coef: np.ndarray
    intercept: np.ndarray

    @classmethod
    def fit(cls, X: np.ndarray, y: np.ndarray, C: float = 1.0) -> "TurnStage":
        """Fit on out-of-fold features ``X`` and yes/no labels ``y`` (one column per element). The classes keep
        their frequencies, so the probabilities can be decided at 0.5 (``model.coder.role_decisions``): a stage
        weighted as balanced as the first-stage detectors said yes far too often in a first quick check."""
        from sklearn.linear_model import LogisticRegression

        models = [LogisticRegression(C=C, max_iter=2000).fit(X, y[:, j]) for j in range(y.shape[1])]
        return cls(np.vstack([m.coef_[0] for m in models]), np.array([m.intercept_[0] for m in models]))

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Each element's yes-probability (rows of X, one column per element)."""
        return 1.0 / (1.0 + np.exp(-(X @ self.coef.T + self.intercept)))

    @staticmethod
    def n_features(n_elements: int) -> int:
        """Columns of ``turn_features`` (within the turn) for this many elements."""
        return 4 * n_elements + 1

    def to_dict(self) -> dict:
        return {"coef": self.coef.round(6).tolist(), "intercept": self.intercept.round(6).tolist()}

    @classmethod
    def from_dict(cls, data: dict) -> "TurnStage":
        return cls(np.asarray(data["coef"], dtype=float), np.asarray(data["intercept"], dtype=float))
