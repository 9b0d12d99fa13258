"""The coder: calibrated linear classifiers over one shared feature space.

Four models share the ``FeatureSpace``:

* ``practitioner``: MITI 4.2.1 code of each practitioner utterance (OQ CQ SR CR AF SEEK EA GI PWP PER CON NC);
* ``client``: MISC code of each client utterance (CT ST FN);
* ``practitioner_turn``: the class of a whole practitioner turn (question, reflection, therapist_input,
  other), which picks the turn's main code;
* ``client_turn``: CT, ST or FN for a whole client turn (its main code).

Each is trained as an ``estimator.LinearClassifier`` (a scikit-learn estimator: multinomial logistic regression
plus a temperature fitted on held-out folds, so that confidences mean what they say). After training only its
arrays are kept (``linear.LinearModel``), so coding needs NumPy and SciPy but not scikit-learn, and a saved
model holds no pickle.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .features import FeatureSpace, strip_punctuation
from .linear import LinearModel
from .records import CLIENT, PRACTITIONER, Session, other_role_context
from .codes import CLIENT_CODES, FOUR_CLASS, PRACTITIONER_CODES

CHUNK_ROWS = 8192  # rows featurized at once: bounds the sparse matrix of a large file
MODEL_KEYS = ("practitioner", "client", "practitioner_turn", "client_turn")
TURN_CLASSES = ("question", "reflection", "therapist_input", "other")


def augment_unpunctuated(examples, weight: float = 0.5):  # type: ignore[no-untyped-def]
    """Add a lower-case, unpunctuated copy of every example (automatic captions look like this)."""
    import pandas as pd

    copy = examples.copy()
    copy["text"] = copy["text"].map(strip_punctuation)
    copy["prev_text"] = copy["prev_text"].map(strip_punctuation)
    if "next_text" in copy:
        copy["next_text"] = copy["next_text"].map(strip_punctuation)
    copy["weight"] = copy["weight"] * weight
    copy = copy[copy["text"].str.len() > 0]
    return pd.concat([examples, copy], ignore_index=True)


class Coder:
    """Codes utterances: practitioner utterances with MITI codes, client utterances with CT/ST/FN."""

    def __init__(self, features: FeatureSpace, models: dict[str, LinearModel], meta: dict | None = None,
                 turn_weight: float = 1.0, output_temperature: float = 1.0) -> None:
        self.features = features
        self.models = models
        self.meta = meta or {}
        self.turn_weight = turn_weight  # exponent of the turn model's class probabilities in joint decoding
        # Temperature of the jointly decoded probabilities, fitted on out-of-fold codes (``calibrate``).
        self.output_temperature = output_temperature

    @property
    def name(self) -> str:
        return f"{self.meta.get('name', 'mi-coder')} {self.meta.get('version', '')}".strip()

    def predict_rows(self, roles: Sequence[str], texts: Sequence[str], prev_texts: Sequence[str],
                     positions: Sequence[int], n_in_turn: Sequence[int], next_texts: Sequence[str] | None = None,
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Codes, confidences and probabilities (columns ``PRACTITIONER_CODES + CLIENT_CODES``) of utterance rows."""
        if next_texts is None:
            next_texts = [""] * len(texts)
        labels = list(PRACTITIONER_CODES + CLIENT_CODES)
        n = len(texts)
        codes = np.full(n, "", dtype=object)
        conf = np.full(n, np.nan)
        probs = np.zeros((n, len(labels)))
        roles_arr = np.asarray(roles, dtype=object)
        for role in (PRACTITIONER, CLIENT):
            idx = np.flatnonzero(roles_arr == role)
            if not len(idx):
                continue
            model = self.models[role]
            p = self._proba(model, idx, texts, prev_texts, positions, n_in_turn, next_texts)
            best = p.argmax(axis=1)
            codes[idx] = model.classes[best]
            conf[idx] = p[np.arange(len(idx)), best]
            cols = [labels.index(c) for c in model.classes]
            probs[np.ix_(idx, cols)] = p
        return codes, conf, probs

    def _proba(self, model: LinearModel, idx: np.ndarray, texts: Sequence[str], prev_texts: Sequence[str],
               positions: Sequence[int], n_in_turn: Sequence[int], next_texts: Sequence[str]) -> np.ndarray:
        """``model``'s probabilities for rows ``idx``, featurized in chunks so memory stays flat on large files."""
        out = np.empty((len(idx), len(model.classes)))
        for start in range(0, len(idx), CHUNK_ROWS):
            part = idx[start:start + CHUNK_ROWS]
            X = self.features.transform([texts[i] for i in part], [prev_texts[i] for i in part],
                                        [positions[i] for i in part], [n_in_turn[i] for i in part],
                                        [next_texts[i] for i in part])
            out[start:start + len(part)] = model.predict_proba(X)
        return out

    def predict_frame(self, frame):  # type: ignore[no-untyped-def]
        """Codes, confidences and a probability DataFrame for a DataFrame of utterance rows."""
        import pandas as pd

        codes, conf, probs = self.predict_rows(frame["role"].tolist(), frame["text"].tolist(),
                                               frame["prev_text"].tolist(), frame["position"].tolist(),
                                               frame["n_in_turn"].tolist(),
                                               frame["next_text"].tolist() if "next_text" in frame else None)
        return codes, conf, pd.DataFrame(probs, columns=list(PRACTITIONER_CODES + CLIENT_CODES))

    def code(self, sessions: Sequence[Session] | Session) -> list[Session]:
        """Segment (where needed) and code every practitioner and client utterance, in place."""
        if isinstance(sessions, Session):
            sessions = [sessions]
        sessions = list(sessions)
        need = [s for s in sessions if any(not t.utterances and t.text for t in s.turns)]
        if need:
            from .segment import segment

            segment(need)
        self.code_segmented(sessions)
        return sessions

    def code_segmented(self, sessions: Sequence[Session]) -> np.ndarray:
        """Code already segmented sessions in place; returns the (adjusted) probability matrix.

        Rows follow ``utterance_rows(sessions)``; columns are ``PRACTITIONER_CODES + CLIENT_CODES``.
        """
        rows, refs = utterance_rows(sessions)
        if not refs:
            return np.zeros((0, len(PRACTITIONER_CODES + CLIENT_CODES)))
        codes, conf, probs = self.predict_rows(*rows)
        turn_of = {id(u): k for k, u in enumerate(refs)}
        if "practitioner_turn" in self.models and "client_turn" in self.models:
            probs = self._decode_jointly(sessions, probs, turn_of)
            best = probs.argmax(axis=1)
            labels = np.array(PRACTITIONER_CODES + CLIENT_CODES, dtype=object)
            codes = labels[best]
            conf = probs[np.arange(len(best)), best]
        for utt, code, c in zip(refs, codes, conf):
            utt.code = code or None
            utt.confidence = None if np.isnan(c) else float(c)
        return probs

    def _decode_jointly(self, sessions: Sequence[Session], probs: np.ndarray, row_of: dict[int, int]) -> np.ndarray:
        """Combine each utterance's code probabilities with its turn's class probabilities; set main codes.

        P(code | utterance, turn) is proportional to P(code | utterance) x P(class of code | turn) ^ w: a
        statement inside a turn the turn model reads as advice is less likely a reflection, and so on. A
        practitioner turn's main code is the most probable code, over its utterances, of the turn's most
        probable class; a client turn's main code is the client turn model's CT/ST/FN.
        """
        labels = list(PRACTITIONER_CODES + CLIENT_CODES)
        out = probs.copy()
        roles, texts, prevs, nexts, turns = turn_rows(sessions)
        roles_arr = np.asarray(roles, dtype=object)
        for role, key in ((PRACTITIONER, "practitioner_turn"), (CLIENT, "client_turn")):
            idx = np.flatnonzero(roles_arr == role)
            if not len(idx):
                continue
            model = self.models[key]
            turn_probs = self._proba(model, idx, texts, prevs, [0] * len(texts), [1] * len(texts), nexts)
            classes = list(model.classes)
            if role == PRACTITIONER:
                codes = list(PRACTITIONER_CODES)
                code_class = [classes.index(FOUR_CLASS[c]) for c in codes]
            else:
                codes = list(CLIENT_CODES)
                code_class = [classes.index(c) for c in codes]
            cols = [labels.index(c) for c in codes]
            for k, turn_index in enumerate(idx):
                turn = turns[turn_index]
                rows = [row_of[id(u)] for u in turn.utterances if id(u) in row_of]
                if not rows:
                    continue
                prior = turn_probs[k, code_class] ** self.turn_weight
                block = out[np.ix_(rows, cols)] * prior
                block /= block.sum(axis=1, keepdims=True)
                if self.output_temperature != 1.0:
                    block = temper(block, self.output_temperature)
                out[np.ix_(rows, cols)] = block
                if role == CLIENT:
                    turn.meta["main_code"] = classes[int(turn_probs[k].argmax())]
                else:
                    cls = classes[int(turn_probs[k].argmax())]
                    members = [j for j, c in enumerate(codes) if FOUR_CLASS[c] == cls]
                    turn.meta["main_code"] = codes[members[int(block[:, members].max(axis=0).argmax())]]
        return out


def temper(probs: np.ndarray, temperature: float) -> np.ndarray:
    """Probabilities re-scaled by a temperature (rows sum to one)."""
    z = np.log(np.clip(probs, 1e-12, 1.0)) / temperature
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def fit_temperature(probs: np.ndarray, truth: np.ndarray) -> float:
    """The temperature that minimises the log loss of ``probs`` (rows) for the true column indices."""
    best_t, best = 1.0, np.inf
    for t in np.linspace(0.5, 4.0, 71):
        p = temper(probs, t)[np.arange(len(truth)), truth]
        nll = -np.mean(np.log(p + 1e-12))
        if nll < best:
            best_t, best = float(t), nll
    return best_t


def utterance_rows(sessions: Sequence[Session]) -> tuple[tuple[list, list, list, list, list, list], list]:
    """(roles, texts, prev_texts, positions, n_in_turn, next_texts) of practitioner and client utterances, and
    the Utterances. ``prev_text`` and ``next_text`` are the other role's turns around the utterance's turn
    (``records.other_role_context``).
    """
    roles: list[str] = []
    texts: list[str] = []
    prevs: list[str] = []
    positions: list[int] = []
    counts: list[int] = []
    nexts: list[str] = []
    refs = []
    for s in sessions:
        before, after = other_role_context([t.role for t in s.turns], [t.text for t in s.turns])
        for turn, prev, following in zip(s.turns, before, after):
            if turn.role not in (PRACTITIONER, CLIENT):
                continue
            n = len(turn.utterances)
            for k, u in enumerate(turn.utterances):
                roles.append(turn.role)
                texts.append(u.text)
                prevs.append(prev)
                positions.append(k)
                counts.append(n)
                nexts.append(following)
                refs.append(u)
    return (roles, texts, prevs, positions, counts, nexts), refs


def turn_rows(sessions: Sequence[Session]) -> tuple[list[str], list[str], list[str], list[str], list]:
    """Roles, texts, preceding and next other-role turns of practitioner and client turns with utterances,
    and the Turns."""
    roles, texts, prevs, nexts, refs = [], [], [], [], []
    for s in sessions:
        before, after = other_role_context([t.role for t in s.turns], [t.text for t in s.turns])
        for turn, prev, following in zip(s.turns, before, after):
            if turn.role in (PRACTITIONER, CLIENT) and turn.utterances:
                roles.append(turn.role)
                texts.append(turn.text)
                prevs.append(prev)
                nexts.append(following)
                refs.append(turn)
    return roles, texts, prevs, nexts, refs


GAP_CODES = ("AF", "SEEK", "EA", "CON")


def drop_gap_examples(examples, threshold: float = 0.5, C: float = 1.0):  # type: ignore[no-untyped-def]
    """Leave out AnnoMI practitioner examples that are probably a code AnnoMI does not label.

    AnnoMI has no AF, SEEK, EA or CON labels, so an affirmation inside a turn it labels "reflection" would
    teach that affirmations are reflections. A model trained on the team corpus alone (which has those
    codes) reads every AnnoMI practitioner example; those it gives a gap code with probability of at least
    ``threshold`` are left out. Returns the examples unchanged when there is no AnnoMI or no team data.
    """
    from .estimator import LinearClassifier

    team = examples[(examples["source"] == "team") & (examples["role"] == PRACTITIONER)]
    annomi = (examples["source"] == "annomi") & (examples["role"] == PRACTITIONER) & examples["code"].notna()
    if not len(team) or not annomi.any() or not team["code"].isin(GAP_CODES).any():
        return examples
    features = FeatureSpace.fit(team["text"].tolist(), team["prev_text"].tolist())
    model = LinearClassifier(C=C, calibration_folds=0).fit(features.transform_frame(team), team["code"].to_numpy())
    p = model.predict_proba(features.transform_frame(examples[annomi]))
    gap = p[:, [list(model.classes_).index(c) for c in GAP_CODES if c in model.classes_]].sum(axis=1)
    drop = examples.index[annomi][gap >= threshold]
    return examples.drop(index=drop)


def train_coder(examples, turn_examples=None, *, augment: bool = True, C: float = 1.0,  # type: ignore[no-untyped-def]
                calibration_folds: int = 3, meta: dict | None = None, turn_weight: float = 1.0,
                output_temperature: float = 1.0) -> Coder:
    """Fit a Coder on utterance examples (``training_data.EXAMPLE_COLUMNS``) with a known code.

    ``turn_examples`` (whole turns labelled question/reflection/therapist_input/other or CT/ST/FN) add
    the turn models that choose each turn's main code; without them the main code follows a fixed priority.
    """
    import pandas as pd

    from .errors import UsageError
    from .estimator import LinearClassifier

    def usable(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame[frame["code"].notna() & (frame["code"] != "")]
        frame = frame.assign(next_text=frame["next_text"].fillna("") if "next_text" in frame else "")
        return augment_unpunctuated(frame) if augment else frame

    data = usable(drop_gap_examples(examples, C=C))
    turns = usable(turn_examples) if turn_examples is not None and len(turn_examples) else None
    plan = [(PRACTITIONER, data, PRACTITIONER_CODES, calibration_folds),
            (CLIENT, data, CLIENT_CODES, calibration_folds)]
    if turns is not None:
        # Turn models choose classes; their confidences are not shown, so no calibration folds.
        plan += [("practitioner_turn", turns, TURN_CLASSES, 0), ("client_turn", turns, CLIENT_CODES, 0)]
    parts = []
    for key, frame, labels, folds in plan:
        role = PRACTITIONER if key.startswith(PRACTITIONER) else CLIENT
        part = frame[(frame["role"] == role) & frame["code"].isin(labels)]
        if part["code"].nunique() < 2:
            raise UsageError(f"training data has fewer than two labels for the {key} model; cannot train it")
        parts.append((key, part, folds))
    every = pd.concat([data, turns]) if turns is not None else data
    features = FeatureSpace.fit(every["text"].tolist(), every["prev_text"].tolist(), every["next_text"].tolist())
    models: dict[str, LinearModel] = {}
    for key, part, folds in parts:
        X = features.transform_frame(part)
        estimator = LinearClassifier(C=C, calibration_folds=folds)
        estimator.fit(X, part["code"].to_numpy(), part["weight"].to_numpy(), groups=part["group"].to_numpy())
        models[key] = estimator.to_linear_model()
    return Coder(features, models, meta=meta, turn_weight=turn_weight, output_temperature=output_temperature)
