"""The coder: two calibrated linear classifiers (practitioner codes, client codes) over utterance features.

``RoleClassifier`` is a scikit-learn estimator (``fit``/``predict_proba``) over a DataFrame of utterances
with their context. ``Coder`` holds one per role and codes Sessions in place. ``train_coder`` builds a
Coder from training examples (``training_data.EXAMPLE_COLUMNS``).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted

from .features import UtteranceFeatures, strip_punctuation
from .records import CLIENT, PRACTITIONER, Session
from .training_data import CLIENT_CODES, FOUR_CLASS, PRACTITIONER_CODES


class RoleClassifier(ClassifierMixin, BaseEstimator):
    """Utterance features + multinomial logistic regression + temperature scaling for honest confidences.

    ``temperature_`` is fitted on held-out folds of the training data (``calibration_folds``), so that
    the confidence of the predicted code matches how often it is right.
    """

    def __init__(self, C: float = 4.0, class_weight: str | None = "balanced", calibration_folds: int = 3,
                 max_iter: int = 3000, random_state: int = 0) -> None:
        self.C = C
        self.class_weight = class_weight
        self.calibration_folds = calibration_folds
        self.max_iter = max_iter
        self.random_state = random_state

    def _fit_once(self, X: pd.DataFrame, y: np.ndarray, w: np.ndarray):  # type: ignore[no-untyped-def]
        features = UtteranceFeatures().fit(X)
        model = LogisticRegression(C=self.C, class_weight=self.class_weight, max_iter=self.max_iter,
                                   random_state=self.random_state)
        model.fit(features.transform(X), y, sample_weight=w)
        return features, model

    def fit(self, X: pd.DataFrame, y: Sequence[str], sample_weight: Sequence[float] | None = None,
            groups: Sequence[Any] | None = None) -> "RoleClassifier":
        y = np.asarray(y)
        w = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        X = X.reset_index(drop=True)
        self.features_, self.model_ = self._fit_once(X, y, w)
        self.classes_ = self.model_.classes_
        self.temperature_ = 1.0
        if self.calibration_folds and self.calibration_folds > 1:
            self.temperature_ = self._fit_temperature(X, y, w, groups)
        return self

    def _fit_temperature(self, X, y, w, groups) -> float:  # type: ignore[no-untyped-def]
        from sklearn.model_selection import GroupKFold

        groups = np.arange(len(y)) if groups is None else np.asarray(groups)
        logits = np.zeros((len(y), len(self.classes_)))
        for train, test in GroupKFold(n_splits=self.calibration_folds).split(X, y, groups):
            features, model = self._fit_once(X.iloc[train], y[train], w[train])
            raw = _logits(model, features.transform(X.iloc[test]))
            cols = [list(self.classes_).index(c) for c in model.classes_]
            block = np.full((len(test), len(self.classes_)), -30.0)
            block[:, cols] = raw
            logits[test] = block
        index = {c: k for k, c in enumerate(self.classes_)}
        truth = np.array([index[c] for c in y])
        best_t, best_nll = 1.0, np.inf
        for t in np.linspace(0.3, 3.0, 55):
            p = _softmax(logits / t)
            nll = -np.average(np.log(p[np.arange(len(y)), truth] + 1e-12), weights=w)
            if nll < best_nll:
                best_t, best_nll = float(t), nll
        return best_t

    def decision_function(self, X: pd.DataFrame) -> np.ndarray:
        check_is_fitted(self, "model_")
        return _logits(self.model_, self.features_.transform(X))

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return _softmax(self.decision_function(X) / self.temperature_)

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.classes_[np.argmax(self.decision_function(X), axis=1)]


def _logits(model: LogisticRegression, features) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Decision values as one column per class (a binary model's single column becomes two)."""
    raw = model.decision_function(features)
    if raw.ndim == 1:
        raw = np.column_stack([np.zeros_like(raw), raw])
    return raw


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def augment_unpunctuated(examples: pd.DataFrame, weight: float = 0.5) -> pd.DataFrame:
    """Add a lower-case, unpunctuated copy of every example (automatic captions look like this)."""
    copy = examples.copy()
    copy["text"] = copy["text"].map(strip_punctuation)
    copy["prev_text"] = copy["prev_text"].map(strip_punctuation)
    copy["weight"] = copy["weight"] * weight
    copy = copy[copy["text"].str.len() > 0]
    return pd.concat([examples, copy], ignore_index=True)


class Coder:
    """Codes utterances: practitioner utterances with MITI codes, client utterances with CT/ST/FN."""

    def __init__(self, practitioner: RoleClassifier, client: RoleClassifier,
                 practitioner_turn: RoleClassifier | None = None, client_turn: RoleClassifier | None = None,
                 meta: dict | None = None) -> None:
        self.practitioner = practitioner
        self.client = client
        self.practitioner_turn = practitioner_turn
        self.client_turn = client_turn
        self.meta = meta or {}

    @property
    def name(self) -> str:
        return f"{self.meta.get('name', 'mi-coder')} {self.meta.get('version', '')}".strip()

    def predict_frame(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
        """Codes, confidences and the full probability table for utterance rows with a ``role`` column."""
        codes = np.full(len(frame), "", dtype=object)
        conf = np.full(len(frame), np.nan)
        probs = pd.DataFrame(0.0, index=frame.index, columns=list(PRACTITIONER_CODES + CLIENT_CODES))
        frame = frame.reset_index(drop=True)
        probs = probs.reset_index(drop=True)
        for role, model in ((PRACTITIONER, self.practitioner), (CLIENT, self.client)):
            mask = (frame["role"] == role).to_numpy()
            if not mask.any():
                continue
            p = model.predict_proba(frame.loc[mask])
            best = p.argmax(axis=1)
            codes[mask] = model.classes_[best]
            conf[mask] = p[np.arange(len(best)), best]
            probs.loc[mask, list(model.classes_)] = p
        return codes, conf, probs

    def code(self, sessions: Sequence[Session] | Session) -> list[Session]:
        """Segment (where needed) and code every practitioner and client utterance, in place."""
        from .segment import segment

        if isinstance(sessions, Session):
            sessions = [sessions]
        sessions = list(sessions)
        need = [s for s in sessions if any(not t.utterances and t.text for t in s.turns)]
        if need:
            segment(need)
        frame, refs = session_frame(sessions)
        if len(frame):
            codes, conf, probs = self.predict_frame(frame)
            for utt, code, c in zip(refs, codes, conf):
                utt.code = code or None
                utt.confidence = None if np.isnan(c) else float(c)
            self.choose_main_codes(sessions, probs, {id(u): k for k, u in enumerate(refs)})
        return sessions

    def choose_main_codes(self, sessions: Sequence[Session], probs: pd.DataFrame, row_of: dict[int, int]) -> None:
        """Set ``turn.meta['main_code']`` with the turn models (when the coder has them).

        A practitioner turn's class (question, reflection, therapist input, other) comes from the turn
        model; the main code is the code of that class with the highest probability in any of the turn's
        utterances. A client turn's main code is the client turn model's CT/ST/FN.
        """
        if self.practitioner_turn is None or self.client_turn is None:
            return
        tframe, turns = turn_frame(sessions)
        if not len(tframe):
            return
        classes = np.full(len(tframe), "", dtype=object)
        for role, model in ((PRACTITIONER, self.practitioner_turn), (CLIENT, self.client_turn)):
            mask = (tframe["role"] == role).to_numpy()
            if mask.any():
                classes[mask] = model.predict(tframe.loc[mask])
        for turn, cls in zip(turns, classes):
            if turn.role == CLIENT:
                turn.meta["main_code"] = cls
                continue
            candidates = [c for c, group in FOUR_CLASS.items() if group == cls]
            rows = [row_of[id(u)] for u in turn.utterances if id(u) in row_of]
            if not rows:
                continue
            sub = probs.loc[rows, candidates].max(axis=0)
            turn.meta["main_code"] = str(sub.idxmax())


def session_frame(sessions: Sequence[Session]) -> tuple[pd.DataFrame, list]:
    """Utterances of practitioner and client turns with their context, and the Utterance objects."""
    rows = []
    refs = []
    for s in sessions:
        prev = {PRACTITIONER: "", CLIENT: ""}
        for turn in s.turns:
            if turn.role in prev:
                n = len(turn.utterances)
                other = prev[CLIENT] if turn.role == PRACTITIONER else prev[PRACTITIONER]
                for k, u in enumerate(turn.utterances):
                    rows.append((turn.role, u.text, other, k, n))
                    refs.append(u)
                prev[turn.role] = turn.text
    frame = pd.DataFrame(rows, columns=["role", "text", "prev_text", "position", "n_in_turn"])
    return frame, refs


def turn_frame(sessions: Sequence[Session]) -> tuple[pd.DataFrame, list]:
    """Practitioner and client turns (whole text) with the other speaker's preceding turn, and the Turns."""
    rows = []
    refs = []
    for s in sessions:
        prev = {PRACTITIONER: "", CLIENT: ""}
        for turn in s.turns:
            if turn.role in prev:
                other = prev[CLIENT] if turn.role == PRACTITIONER else prev[PRACTITIONER]
                if turn.utterances:
                    rows.append((turn.role, turn.text, other, 0, 1))
                    refs.append(turn)
                prev[turn.role] = turn.text
    return pd.DataFrame(rows, columns=["role", "text", "prev_text", "position", "n_in_turn"]), refs


def _fit_role(data: pd.DataFrame, role: str, labels: Sequence[str], what: str, **params: Any) -> RoleClassifier:
    part = data[(data["role"] == role) & data["code"].isin(labels)]
    if part["code"].nunique() < 2:
        from .errors import UsageError

        raise UsageError(f"training data has fewer than two {role} {what} labels; cannot train the {role} {what} model")
    model = RoleClassifier(**params)
    return model.fit(part, part["code"].to_numpy(), part["weight"].to_numpy(), groups=part["group"].to_numpy())


def train_coder(examples: pd.DataFrame, turn_examples: pd.DataFrame | None = None, *, augment: bool = True,
                C: float = 4.0, calibration_folds: int = 3, meta: dict | None = None) -> Coder:
    """Fit a Coder on utterance examples (``training_data.EXAMPLE_COLUMNS``) with a known code.

    ``turn_examples`` (whole turns labelled question/reflection/therapist_input/other or CT/ST/FN) add
    the turn models that choose each turn's main code; without them the main code follows a fixed priority.
    """
    def usable(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame[frame["code"].notna() & (frame["code"] != "")]
        return augment_unpunctuated(frame) if augment else frame

    data = usable(examples)
    params = {"C": C, "calibration_folds": calibration_folds}
    practitioner = _fit_role(data, PRACTITIONER, PRACTITIONER_CODES, "utterance", **params)
    client = _fit_role(data, CLIENT, CLIENT_CODES, "utterance", **params)
    if turn_examples is None or not len(turn_examples):
        return Coder(practitioner, client, meta=meta)
    turns = usable(turn_examples)
    # Turn models choose among classes, not confidences shown to users: no calibration folds needed.
    p_turn = _fit_role(turns, PRACTITIONER, sorted(set(FOUR_CLASS.values())), "turn", C=C, calibration_folds=0)
    c_turn = _fit_role(turns, CLIENT, CLIENT_CODES, "turn", C=C, calibration_folds=0)
    return Coder(practitioner, client, p_turn, c_turn, meta=meta)
