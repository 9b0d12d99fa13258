"""The coder: calibrated linear classifiers over one shared feature space, and the rule for a turn's main code.

Four models share the ``FeatureSpace``:

* ``practitioner``: MITI 4.2.1 code of each practitioner utterance (OQ CQ SR CR AF SEEK EA GI PWP PER CON NC);
* ``client``: MISC code of each client utterance (CT ST FN);
* ``practitioner_turn``: the class of a whole practitioner turn (question, reflection, therapist_input,
  other), which picks the turn's main code;
* ``client_turn``: CT, ST or FN for a whole client turn (its main code);
* ``role_<element>`` (models from 2.0 on): yes/no role-clarification detectors on practitioner utterances
  (``codes.ROLE_ELEMENTS``), applied to the same features as the practitioner model.

Each is trained (``mi_coder.train.fit``) as an ``estimator.LinearClassifier`` (multinomial logistic
regression plus a temperature fitted on held-out folds, so that confidences mean what they say). After
training only its arrays are kept (``linear.LinearModel``), so coding needs NumPy and SciPy but not
scikit-learn, and a saved model holds no pickle.
"""

from __future__ import annotations

import re
from typing import Iterable, Sequence

import numpy as np

from ..codes import ADVICE, ASK_PERMISSION, CLIENT_ASKS, CLIENT_CODES, FOUR_CLASS, PRACTITIONER_CODES, TURN_CLASSES
from ..records import (CLIENT, PRACTITIONER, Session, Turn, as_sessions, other_role_context, own_previous_turn,
                       own_words_before)
from ..scoring import client_main_code, second_code
from .features import FeatureSpace
from .linear import LinearModel
from .role_turns import turn_features

CHUNK_ROWS = 8192  # rows featurized at once: bounds the sparse matrix of a large file




def role_decisions(p_yes: np.ndarray) -> np.ndarray:
    """Which role-clarification elements each utterance carries, from the detectors' yes-probabilities (rows:
    utterances, columns: elements): at most one, the likeliest, when it reaches 0.5. An utterance states one
    thought; in the team training sessions 2 of 488 labelled utterances carry two elements, and deciding each
    element on its own also reads descriptions of the practitioner's part or of the purpose as the client's
    part. A quick grouped 5-fold CV of the detectors alone on the team sessions (features fitted on the
    training folds' sessions; ``python scripts/role_decision_cv.py --no-behaviour``, ``models/role_decisions.json``),
    exclusive against independent decisions: client's role F1 0.696 -> 0.760, purpose 0.884 -> 0.912,
    practitioner's role 0.800 -> 0.831, participation 0.709 either way."""
    if not p_yes.size:
        return np.zeros(p_yes.shape, dtype=bool)
    best = p_yes.argmax(axis=1)
    return (p_yes >= 0.5) & (np.arange(p_yes.shape[1])[None, :] == best[:, None])


# MI-adherent codes that the coding guide gives beside a question's own code ("Where would you like to start?" =
# OQ + SEEK): with ``question_second_codes``, a question the model codes as one of these is coded as the question it
# is, the adherent code second, as the permission rule (``second_code_for``) and the team corpus's writers code it.
QUESTION_SECOND_CODES = ("SEEK", "EA")
# A question's opening in unpunctuated speech. Not the feature space's _WH_START/_AUX_START: those are model inputs
# (changing them changes every trained model), and a decision rule needs when/where/who and not "any".
_QUESTION_FORM = re.compile(
    r"^(?:(?:so|and|but|okay|ok|um|uh|well|now|then)[ ,]+)*(?:what|how|why|when|where|who|which|tell me|in what|do|"
    r"does|did|are|is|was|were|can|could|would|will|have|has|had|should|shall|may|might)\b")


def is_question_form(text: str) -> bool:
    """A question by its form: it ends with a question mark, or, in speech without sentence punctuation
    (captions), it opens as a question does ("would you like to start with the cravings")."""
    stripped = text.strip()
    if stripped.endswith("?"):
        return True
    return not re.search(r"[.!?]", stripped) and bool(_QUESTION_FORM.match(stripped.lower()))


# A question by its opening in speech without punctuation (captions): an auxiliary before its subject ("did i get that
# right", "are you still at your mom's") or a question word, an auxiliary and a subject ("where do the drug tests fit
# in"). A reflection opens with neither ("what you're saying is", "when you drink", "how hard that is").
_INVERTED_QUESTION = re.compile(
    r"^(?:(?:so|and|but|okay|ok|um|uh|well|now|then|yeah|right|alright|all right)[ ,]+)*"
    r"(?:(?:do|does|did|are|is|was|were|can|could|would|will|have|has|had|should)\s+(?:i|you|we|they|he|she|it|that|"
    r"this|there|your|my)\b|(?:what|how|where|when|why|who|which)\s+(?:do|does|did|would|could|can|will|should|have|"
    r"has|are|were)\s+(?:i|you|we|they|he|she|it|that|this|there|the|your|my|people)\b)")
# A sentence's end in written text: a mark before a space or the end (not "3.5" or "e.g"), closing quotes and brackets
# allowed between.
_SENTENCE_END = re.compile(r"(?:[.?!]|\u2026)+[\"')\]\u201d\u2019]*(?=\s|$)")
# Sessions with fewer sentence ends than one per this many words are read as unpunctuated speech (captions, ASR):
# written transcripts end a sentence every 10-15 words; ASR text can hold a stray mark.
UNPUNCTUATED_WORDS_PER_MARK = 100


def unpunctuated_turns(turns: Iterable[Turn]) -> bool:
    """Whether turns read as unpunctuated speech: they hold fewer sentence ends than one per
    ``UNPUNCTUATED_WORDS_PER_MARK`` words (none at all in automatic captions). Reads them once, in order."""
    words = marks = 0
    for turn in turns:
        words += len(turn.text.split())
        marks += len(_SENTENCE_END.findall(turn.text))
    return words > 0 and marks * UNPUNCTUATED_WORDS_PER_MARK < words


def unpunctuated_session(session: Session) -> bool:
    """``unpunctuated_turns`` of the session's turns, or the decision made for the whole session before it was
    coded in parts (``session.meta["_unpunctuated"]``, set by ``pipeline.coded_chunks``: a part alone may read
    otherwise)."""
    decided = session.meta.get("_unpunctuated")
    return bool(decided) if decided is not None else unpunctuated_turns(session.turns)


def caption_question_rows(sessions: Sequence[Session]) -> list[bool]:
    """For each row of ``utterance_rows(sessions)``: a practitioner utterance that opens as a question by inversion
    (``_INVERTED_QUESTION``), in a turn without sentence punctuation of a session that reads as unpunctuated speech
    (``unpunctuated_session``; E79: in punctuated transcripts, the writer's unmarked turns are theirs to call).
    Client rows: False."""
    out: list[bool] = []
    for s in sessions:
        speech = unpunctuated_session(s)
        for turn in s.turns:
            if turn.role not in (PRACTITIONER, CLIENT):
                continue
            bare = speech and turn.role == PRACTITIONER and not _SENTENCE_END.search(turn.text)  # "4.5 hours": bare
            out.extend(bare and bool(_INVERTED_QUESTION.match(u.text.strip().lower())) for u in turn.utterances)
    return out


def permission_context(sessions: Sequence[Session]) -> list[bool]:
    """For each row of ``utterance_rows(sessions)``: whether a practitioner utterance has leave to advise, that is
    the practitioner asked for it (``codes.ASK_PERMISSION``) in their previous turn or earlier in this turn, or the
    client's turn before it asks for advice (``codes.CLIENT_ASKS``). Client rows: False."""
    out: list[bool] = []
    for s in sessions:
        asked_before = False  # the practitioner's previous turn asked leave
        client_asks = False  # the client's latest turn asks for advice
        for turn in s.turns:
            if turn.role == CLIENT:
                client_asks = bool(CLIENT_ASKS.search(turn.text))
                out.extend(False for _ in turn.utterances)
            elif turn.role == PRACTITIONER:
                asked = asked_before or client_asks
                for u in turn.utterances:
                    out.append(asked)
                    asked = asked or bool(ASK_PERMISSION.search(u.text))
                asked_before = bool(ASK_PERMISSION.search(turn.text))
    return out


def second_code_for(code: str | None, text: str) -> str:
    """The machine's second code of a practitioner utterance: SEEK on a question that asks permission ("Would it
    be okay if I shared...?", ``codes.ASK_PERMISSION``), as the coding guide double-codes it; "" otherwise. A rule,
    not a model: on the team corpus's 2,512 questions it fires on 178, 176 of them coded SEEK as second code by
    the writers (recall 176 of 795: questions that seek collaboration in other words are not found)."""
    return "SEEK" if code in ("OQ", "CQ") and ASK_PERMISSION.search(text) else ""


class Coder:
    """Codes utterances: practitioner utterances with MITI codes, client utterances with CT/ST/FN."""

    def __init__(self, features: FeatureSpace, models: dict[str, LinearModel], meta: dict | None = None,
                 turn_weight: float = 1.0, output_temperature: float = 1.0,
                 unsure: dict[str, float] | None = None, client_turn_weight: float | None = None,
                 class_first: bool = False, code_turn_weights: dict[str, float] | None = None) -> None:
        self.features = features
        self.models = models
        self.meta = meta or {}
        self.turn_weight = turn_weight  # exponent of the turn model's class probabilities in joint decoding
        # The same for client turns (None: ``turn_weight``). A client turn's label says what the turn as a whole
        # is; MISC codes each utterance, and a change-talk turn often holds neutral utterances.
        self.client_turn_weight = client_turn_weight
        # Temperature of the jointly decoded probabilities, fitted on out-of-fold codes (``calibrate``).
        self.output_temperature = output_temperature
        # MITI's "when unsure" rules (``apply_unsure``): practitioner code -> factor on its probability.
        self.unsure = dict(unsure or {})
        self.boundary = None  # the boundary model for unpunctuated speech shipped with this model, if any
        # Decide a practitioner utterance's behaviour class (question, reflection, information, other) first,
        # then the code within it (``class_first_choice``), instead of the likeliest code outright.
        self.class_first = class_first
        # Per practitioner code, an exponent of the turn model's probability of the code's class that replaces
        # ``turn_weight``: {"SR": 2, "CR": 2} codes a reflection only where the turn as a whole reads as
        # reflective (lecturing "you" statements inside an information turn are not).
        self.code_turn_weights = dict(code_turn_weights or {})
        # A question coded SEEK or EA keeps its question code first and the adherent code as ``code2``
        # (``QUESTION_SECOND_CODES``), so that the question counts as one, as the guide double-codes it.
        self.question_second_codes = False
        # A client turn's main code (the turn task AnnoMI's turn labels measure) from the client turn model's
        # probabilities times, to this power, what its utterances say: P(some utterance is CT), P(some is ST),
        # P(all are FN), from the utterance model (``client_turn_evidence``). 0: the turn model alone.
        self.client_turn_mix = 0.0
        # A practitioner turn with no punctuation at all (captions) takes its class (question, reflection, input,
        # other) from the practitioner turn model's probabilities times, to this power, what its utterances say:
        # P(some utterance is of the class), from the utterance model, which reads each utterance's opening words
        # ("what", "do you") where the turn model, without a question mark, reads the turn's first and last words
        # only (``practitioner_turn_evidence``; E69). 0: the turn model alone. A turn with any punctuation mark is
        # never affected; in a punctuated transcript a turn without one ("Mm-hmm") is read as a caption turn is.
        self.bare_turn_mix = 0.0
        # The same for a practitioner turn with punctuation (E70): its class from the turn model's probabilities
        # times, to this power, P(some utterance is of the class). 0: the turn model alone.
        self.turn_mix = 0.0
        # A question's or reflection's main code (OQ or CQ, SR or CR: the turn tasks' subtype) from its utterances'
        # probabilities times, to this power, the subtype turn model's (trained on whole AnnoMI turns, E71), where the
        # model has them. 0: the utterances alone.
        self.subtype_turn_mix = 0.0
        # The client turn model's weight on each utterance of a turn of n coded utterances divided by n to this
        # power: the turn's label says some utterance is change or sustain talk, not each (a 44-utterance client
        # turn came out 42 CT/ST, the same sentences on their own lines 37 FN). 0: the same weight at any length.
        self.client_turn_length_power = 0.0
        # Advice given with leave to give it is Persuade with Permission (MITI 4.2.1), which the utterance's own
        # words seldom show: a practitioner utterance coded PER, or GI that is advice by its form
        # (``codes.ADVICE``), after the practitioner asked leave (``permission_context``) is coded PWP.
        self.permission_advice = False
        # In a turn without sentence punctuation of a session without it (captions), an utterance that opens as a
        # question by inversion (``caption_question_rows``) and that the model codes as a statement (SR, CR, GI, NC)
        # is coded OQ or CQ, whichever is likelier: without its "?" the code model reads "did i get that right" as
        # part of a reflection.
        self.caption_questions = False
        self.profile: str | None = None  # a named decoding profile in use (``use_profile``), if any
        # Second stage of the role-clarification detectors over the scores of a turn's utterances
        # (``model.role_turns.TurnStage``), if the model has one.
        self.role_stage = None
        # Each session's own base rates (``adapt_to_session``): the strength, in utterances, of the training
        # prior against the session's own evidence; 0 leaves the probabilities as the model gives them.
        self.prior_adaptation = 0.0
        # Class shares the code models were fitted to (role -> code -> share, with the class weights), which the
        # adaptation needs; recorded by training.
        self.class_priors: dict[str, dict[str, float]] = dict((self.meta or {}).get("class_priors", {}))

    @property
    def boundary_threshold(self) -> float | None:
        """P(start) at which the boundary model opens an utterance in unpunctuated speech (None: no model)."""
        return None if self.boundary is None else self.boundary.threshold

    @boundary_threshold.setter
    def boundary_threshold(self, value: float | None) -> None:
        if value is not None and self.boundary is not None:
            self.boundary = self.boundary.with_threshold(value)

    # Decoding settings a profile may set (``use_profile``); the weights never change.
    PROFILE_KEYS = ("turn_weight", "unsure", "client_turn_weight", "class_first", "code_turn_weights",
                    "prior_adaptation", "question_second_codes", "permission_advice", "caption_questions",
                    "client_turn_mix", "client_turn_length_power", "bare_turn_mix", "turn_mix",
                    "subtype_turn_mix")

    @property
    def name(self) -> str:
        base = f"{self.meta.get('name', 'mi-coder')} {self.meta.get('version', '')}".strip()
        return f"{base}, {self.profile} profile" if self.profile else base

    def use_profile(self, name: str, settings: dict) -> None:
        """Decode with a named profile's settings (a model's ``decoding_profiles``), in place of its own: for
        example ``{"code_turn_weights": {"SR": 3, "CR": 3}}`` for session indicators. Settings not named keep
        the model's values; unknown ones are an error."""
        unknown = set(settings) - set(self.PROFILE_KEYS) - {"purpose"}
        if unknown:
            raise ValueError(f"decoding profile {name!r} sets unknown settings: {', '.join(sorted(unknown))}")
        if "turn_weight" in settings:
            self.turn_weight = float(settings["turn_weight"])
        if "unsure" in settings:
            self.unsure = {str(k): float(v) for k, v in settings["unsure"].items()}
        if "client_turn_weight" in settings:
            value = settings["client_turn_weight"]
            self.client_turn_weight = None if value is None else float(value)
        if "class_first" in settings:
            self.class_first = bool(settings["class_first"])
        if "code_turn_weights" in settings:
            self.code_turn_weights = {str(k): float(v) for k, v in settings["code_turn_weights"].items()}
        if "question_second_codes" in settings:
            self.question_second_codes = bool(settings["question_second_codes"])
        if "caption_questions" in settings:
            self.caption_questions = bool(settings["caption_questions"])
        if "permission_advice" in settings:
            self.permission_advice = bool(settings["permission_advice"])
        if "client_turn_mix" in settings:
            self.client_turn_mix = float(settings["client_turn_mix"])
        if "client_turn_length_power" in settings:
            self.client_turn_length_power = float(settings["client_turn_length_power"])
        if "bare_turn_mix" in settings:
            self.bare_turn_mix = float(settings["bare_turn_mix"])
        if "turn_mix" in settings:
            self.turn_mix = float(settings["turn_mix"])
        if "subtype_turn_mix" in settings:
            self.subtype_turn_mix = float(settings["subtype_turn_mix"])
        if "prior_adaptation" in settings:
            self.prior_adaptation = float(settings["prior_adaptation"])
            if self.prior_adaptation > 0 and not self.class_priors:
                raise ValueError(f"decoding profile {name!r} adapts to each session's base rates, but the model "
                                 "does not record the class shares it was fitted to (retrain it)")
        self.profile = name

    def predict_rows(self, roles: Sequence[str], texts: Sequence[str], prev_texts: Sequence[str],
                     positions: Sequence[int], n_in_turn: Sequence[int], next_texts: Sequence[str] | None = None,
                     own_prev_texts: Sequence[str] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Codes, confidences and probabilities (columns ``PRACTITIONER_CODES + CLIENT_CODES``) of utterance rows."""
        codes, conf, probs, _ = self._predict(roles, texts, prev_texts, positions, n_in_turn, next_texts,
                                              own_prev_texts)
        if self.unsure or self.class_first:
            rows = self._apply_unsure_rows(probs, roles) if self.unsure else \
                np.flatnonzero(np.isin(np.asarray(roles, dtype=object), [PRACTITIONER, CLIENT]))
            labels = np.array(PRACTITIONER_CODES + CLIENT_CODES, dtype=object)
            best = self._choose(probs[rows], np.asarray(roles, dtype=object)[rows])
            codes[rows] = labels[best]
            conf[rows] = probs[rows, best]
        return codes, conf, probs

    def _choose(self, probs: np.ndarray, roles: np.ndarray) -> np.ndarray:
        """The column each row is coded with: the likeliest code, or with ``class_first`` the likeliest
        practitioner code of the likeliest class."""
        best = probs.argmax(axis=1)
        if self.class_first:
            prac = np.flatnonzero(roles == PRACTITIONER)
            best[prac] = class_first_choice(probs[prac][:, :len(PRACTITIONER_CODES)])
        return best

    def _apply_unsure_rows(self, probs: np.ndarray, roles: Sequence[str]) -> np.ndarray:
        """Apply the unsure rules to each role's rows of a probability matrix in place; returns the coded rows."""
        labels = list(PRACTITIONER_CODES + CLIENT_CODES)
        roles_arr = np.asarray(roles, dtype=object)
        for role, codes in ((PRACTITIONER, PRACTITIONER_CODES), (CLIENT, CLIENT_CODES)):
            cols = [labels.index(c) for c in codes]
            rows = np.flatnonzero(roles_arr == role)
            probs[np.ix_(rows, cols)] = apply_unsure(probs[np.ix_(rows, cols)], codes, self.unsure)
        return np.flatnonzero(np.isin(roles_arr, [PRACTITIONER, CLIENT]))

    def _predict(self, roles: Sequence[str], texts: Sequence[str], prev_texts: Sequence[str],
                 positions: Sequence[int], n_in_turn: Sequence[int], next_texts: Sequence[str] | None = None,
                 own_prev_texts: Sequence[str] | None = None,
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[int, list[str]]]:
        """``predict_rows`` plus the role-clarification elements detected on practitioner rows (row -> elements);
        each row is featurized once for the code model and every role detector."""
        if next_texts is None:
            next_texts = [""] * len(texts)
        if own_prev_texts is None:
            own_prev_texts = [""] * len(texts)
        labels = list(PRACTITIONER_CODES + CLIENT_CODES)
        n = len(texts)
        codes = np.full(n, "", dtype=object)
        conf = np.full(n, np.nan)
        probs = np.zeros((n, len(labels)))
        roles_arr = np.asarray(roles, dtype=object)
        role_keys = [k for k in self.models if k.startswith("role_")]
        found: dict[int, list[str]] = {}
        for role in (PRACTITIONER, CLIENT):
            idx = np.flatnonzero(roles_arr == role)
            if not len(idx):
                continue
            model = self.models[role]
            extra = role_keys if role == PRACTITIONER else []
            p, *detected = self._proba_many([model] + [self.models[k] for k in extra], idx, texts, prev_texts,
                                            positions, n_in_turn, next_texts, own_prev_texts)
            best = p.argmax(axis=1)
            codes[idx] = model.classes[best]
            conf[idx] = p[np.arange(len(idx)), best]
            cols = [labels.index(c) for c in model.classes]
            probs[np.ix_(idx, cols)] = p
            if extra:
                found = {int(i): [] for i in idx}
                p_yes = np.column_stack([q[:, list(self.models[k].classes).index("yes")]
                                         for k, q in zip(extra, detected)])
                if self.role_stage is not None:
                    # a practitioner turn's utterances are consecutive rows; each turn starts at position 0
                    turn_index = np.cumsum(np.asarray(positions)[idx] == 0)
                    p_yes = self.role_stage.predict_proba(turn_features(p_yes, turn_index))
                yes = role_decisions(p_yes)
                for j, key in enumerate(extra):
                    for i in idx[yes[:, j]]:
                        found[int(i)].append(key[len("role_"):])
        return codes, conf, probs, found

    def _proba(self, model: LinearModel, idx: np.ndarray, texts: Sequence[str], prev_texts: Sequence[str],
               positions: Sequence[int], n_in_turn: Sequence[int], next_texts: Sequence[str],
               own_prev_texts: Sequence[str]) -> np.ndarray:
        """``model``'s probabilities for rows ``idx``, featurized in chunks so memory stays flat on large files."""
        return self._proba_many([model], idx, texts, prev_texts, positions, n_in_turn, next_texts,
                                own_prev_texts)[0]

    def _proba_many(self, models: Sequence[LinearModel], idx: np.ndarray, texts: Sequence[str],
                    prev_texts: Sequence[str], positions: Sequence[int], n_in_turn: Sequence[int],
                    next_texts: Sequence[str], own_prev_texts: Sequence[str]) -> list[np.ndarray]:
        """Each model's probabilities for rows ``idx``; every chunk of rows is featurized once for all of them."""
        outs = [np.empty((len(idx), len(m.classes))) for m in models]
        for start in range(0, len(idx), CHUNK_ROWS):
            part = idx[start:start + CHUNK_ROWS]
            X = self.features.transform([texts[i] for i in part], [prev_texts[i] for i in part],
                                        [positions[i] for i in part], [n_in_turn[i] for i in part],
                                        [next_texts[i] for i in part], [own_prev_texts[i] for i in part])
            for out, model in zip(outs, models):
                out[start:start + len(part)] = model.predict_proba(X)
        return outs

    def predict_frame(self, frame):  # type: ignore[no-untyped-def]
        """Codes, confidences and a probability DataFrame for a DataFrame of utterance rows."""
        import pandas as pd

        codes, conf, probs = self.predict_rows(frame["role"].tolist(), frame["text"].tolist(),
                                               frame["prev_text"].tolist(), frame["position"].tolist(),
                                               frame["n_in_turn"].tolist(),
                                               frame["next_text"].tolist() if "next_text" in frame else None,
                                               frame["own_prev_text"].tolist() if "own_prev_text" in frame else None)
        return codes, conf, pd.DataFrame(probs, columns=list(PRACTITIONER_CODES + CLIENT_CODES))

    def code(self, sessions: Sequence[Session] | Session) -> list[Session]:
        """Segment (where needed) and code every practitioner and client utterance, in place."""
        sessions = self._segmented(as_sessions(sessions, "Coder.code"))
        self.code_segmented(sessions)
        return sessions

    def _segmented(self, sessions: list[Session]) -> list[Session]:
        """``sessions`` with every turn that has words but no utterances segmented (in place)."""
        need = [s for s in sessions if any(not t.utterances and t.text for t in s.turns)]
        if need:
            from ..segment import segment

            segment(need, boundary=self.boundary, keep_split=True)  # utterances you gave a turn stay yours
        return sessions

    def probabilities(self, sessions: Sequence[Session] | Session):  # type: ignore[no-untyped-def]
        """Code ``sessions`` (as ``code``) and return every practitioner and client utterance's probability of
        each code as a pandas DataFrame: ``session_id, turn_id, utterance_id, role``, then one column per code
        (``PRACTITIONER_CODES + CLIENT_CODES``; a practitioner row's client columns are 0 and the other way
        round), the probabilities the chosen code and its confidence come from (where the most probable is SEEK
        or EA on a question, the code is the question and SEEK or EA its second code, as MITI double-codes it)."""
        import pandas as pd

        sessions = self._segmented(as_sessions(sessions, "Coder.probabilities"))
        probs = self.code_segmented(sessions)
        keys = [(s.id, t.id, u.id, t.role) for s in sessions for t in s.turns if t.role in (PRACTITIONER, CLIENT)
                for u in t.utterances]  # utterance_rows' order
        frame = pd.DataFrame(keys, columns=["session_id", "turn_id", "utterance_id", "role"])
        return pd.concat([frame, pd.DataFrame(probs, columns=list(PRACTITIONER_CODES + CLIENT_CODES))], axis=1)

    def code_segmented(self, sessions: Sequence[Session]) -> np.ndarray:
        """Code already segmented sessions in place; returns the (adjusted) probability matrix.

        Rows follow ``utterance_rows(sessions)``; columns are ``PRACTITIONER_CODES + CLIENT_CODES``.
        """
        rows, refs = utterance_rows(sessions, own=self.features.reads_own_words)
        if not refs:
            return np.zeros((0, len(PRACTITIONER_CODES + CLIENT_CODES)))
        codes, conf, probs, found = self._predict(*rows)
        turn_of = {id(u): k for k, u in enumerate(refs)}
        if self.prior_adaptation > 0 and self.class_priors:
            probs = self._adapt_sessions(sessions, probs, rows[0], turn_of)
            labels = np.array(PRACTITIONER_CODES + CLIENT_CODES, dtype=object)
            coded = np.flatnonzero(np.isin(np.asarray(rows[0], dtype=object), [PRACTITIONER, CLIENT]))
            best = probs[coded].argmax(axis=1)
            codes[coded] = labels[best]
            conf[coded] = probs[coded, best]
        joint = "practitioner_turn" in self.models and "client_turn" in self.models
        if joint:
            probs = self._decode_jointly(sessions, probs, turn_of)
        elif self.unsure:
            self._apply_unsure_rows(probs, rows[0])
        if joint or self.unsure or self.class_first:
            best = self._choose(probs, np.asarray(rows[0], dtype=object))
            labels = np.array(PRACTITIONER_CODES + CLIENT_CODES, dtype=object)
            codes = labels[best]
            conf = probs[np.arange(len(best)), best]
        labels = list(PRACTITIONER_CODES + CLIENT_CODES)
        oq, cq = labels.index("OQ"), labels.index("CQ")
        leave = permission_context(sessions) if self.permission_advice else [False] * len(refs)
        asks = caption_question_rows(sessions) if self.caption_questions else [False] * len(refs)
        for k, (utt, code, c, role) in enumerate(zip(refs, codes, conf, rows[0])):
            code2 = ""
            if (role == PRACTITIONER and self.question_second_codes and code in QUESTION_SECOND_CODES
                    and is_question_form(utt.text)):  # the confidence stays that of the adherent code
                code, code2 = ("OQ" if probs[k, oq] >= probs[k, cq] else "CQ"), code
            if leave[k] and (code == "PER" or (code == "GI" and ADVICE.search(utt.text))):
                code = "PWP"  # the confidence stays that of the code the model gave
            if asks[k] and code in ("SR", "CR", "GI", "NC"):
                code = "OQ" if probs[k, oq] >= probs[k, cq] else "CQ"
            utt.code = code or None
            utt.confidence = None if np.isnan(c) else float(c)
            if role == PRACTITIONER:  # the machine's second code replaces any a source file carried
                utt.meta["code2"] = code2 or second_code_for(utt.code, utt.text)
        # How likely each practitioner utterance reflects and asks: the session scorer's expected counts
        # (``scoring.SessionScorer``: ``r_q_expected``), a steadier session R:Q than counting the chosen codes.
        labels = list(PRACTITIONER_CODES + CLIENT_CODES)
        p_reflection = probs[:, labels.index("SR")] + probs[:, labels.index("CR")]
        p_question = probs[:, labels.index("OQ")] + probs[:, labels.index("CQ")]
        for k in np.flatnonzero(np.asarray(rows[0], dtype=object) == PRACTITIONER):
            if not np.isnan(p_reflection[k]) and not np.isnan(p_question[k]):
                refs[k].meta["p_reflection"] = float(p_reflection[k])
                refs[k].meta["p_question"] = float(p_question[k])
        for i, elements in found.items():  # role-clarification detections (models with role_<element> detectors)
            refs[i].meta["role_elements"] = elements
        for k in np.flatnonzero(np.asarray(rows[0], dtype=object) == PRACTITIONER):
            if int(k) not in found:  # no detectors: no machine labels, and none a source file carried either
                refs[k].meta.pop("role_elements", None)
        return probs

    def _adapt_sessions(self, sessions: Sequence[Session], probs: np.ndarray, roles: Sequence[str],
                        row_of: dict[int, int]) -> np.ndarray:
        """Each session's practitioner and client code probabilities adapted to the session's own base rates
        (``adapt_to_session``, strength ``prior_adaptation``)."""
        labels = list(PRACTITIONER_CODES + CLIENT_CODES)
        out = probs.copy()
        for session in sessions:
            rows = np.array([row_of[id(u)] for _, u in session.utterances() if id(u) in row_of], dtype=int)
            for role, shares in self.class_priors.items():
                mine = rows[np.asarray([roles[i] for i in rows], dtype=object) == role] if len(rows) else rows
                codes = [c for c in shares if c in labels]
                if not len(mine) or len(codes) < 2:
                    continue
                cols = [labels.index(c) for c in codes]
                prior = np.array([shares[c] for c in codes], dtype=float)
                out[np.ix_(mine, cols)] = adapt_to_session(out[np.ix_(mine, cols)], prior, self.prior_adaptation)
        return out

    def _decode_jointly(self, sessions: Sequence[Session], probs: np.ndarray, row_of: dict[int, int]) -> np.ndarray:
        """Combine each utterance's code probabilities with its turn's class probabilities; set main codes.

        P(code | utterance, turn) is proportional to P(code | utterance) x P(class of code | turn) ^ w: a
        statement inside a turn the turn model reads as advice is less likely a reflection, and so on. A
        practitioner turn's main code is the most probable code, over its utterances, of the turn's most
        probable class; a client turn's main code is the client turn model's CT/ST/FN.
        """
        labels = list(PRACTITIONER_CODES + CLIENT_CODES)
        out = probs.copy()
        roles, texts, prevs, nexts, owns, turns = turn_rows(sessions)
        roles_arr = np.asarray(roles, dtype=object)
        for role, key in ((PRACTITIONER, "practitioner_turn"), (CLIENT, "client_turn")):
            idx = np.flatnonzero(roles_arr == role)
            if not len(idx):
                continue
            model = self.models[key]
            bare_model = self.models.get(UNPUNCTUATED_TURN_MODELS[key])
            # turns without any punctuation mark (captions): the unpunctuated turn models and ``bare_turn_mix`` read them
            unpunctuated = (np.array([not _PUNCTUATION.search(texts[i]) for i in idx], dtype=bool)
                            if bare_model is not None or (role == PRACTITIONER and (self.bare_turn_mix or self.turn_mix))
                            else np.zeros(len(idx), dtype=bool))
            bare = unpunctuated if bare_model is not None else np.zeros(len(idx), dtype=bool)
            turn_probs = np.empty((len(idx), len(model.classes)))
            subtypes = {pair: self.models[subtype_model_key(pair)] for pair in SUBTYPE_PAIRS
                        if role == PRACTITIONER and self.subtype_turn_mix and subtype_model_key(pair) in self.models}
            sub_probs = {pair: np.empty((len(idx), 2)) for pair in subtypes}
            for rows, which in ((~bare, model), (bare, bare_model)):
                if rows.any():
                    p, *ps = self._proba_many([which, *subtypes.values()], idx[rows], texts, prevs, [0] * len(texts),
                                              [1] * len(texts), nexts, owns)
                    turn_probs[rows] = p[:, [list(which.classes).index(c) for c in model.classes]]
                    for (pair, sub_model), q in zip(subtypes.items(), ps):
                        sub_probs[pair][rows] = q[:, [list(sub_model.classes).index(c) for c in pair]]
            classes = list(model.classes)
            # A class the turn model never saw in training (small training data) has turn probability 0: the
            # extra zero column at the end of ``padded``.
            padded = np.hstack([turn_probs, np.zeros((len(idx), 1))])
            column = lambda c: classes.index(c) if c in classes else len(classes)  # noqa: E731
            if role == PRACTITIONER:
                codes = list(PRACTITIONER_CODES)
                code_class = [column(FOUR_CLASS[c]) for c in codes]
                exponents = np.array([self.code_turn_weights.get(c, self.turn_weight) for c in codes])
            else:
                codes = list(CLIENT_CODES)
                code_class = [column(c) for c in codes]
            cols = [labels.index(c) for c in codes]
            # Every turn's utterances at once: the operations below are row by row, so a turn's rows come out as
            # they would on their own (and the shipped codes are unchanged); only the main codes need the turns.
            utt_rows = [[row_of[id(u)] for u in turns[t].utterances if id(u) in row_of] for t in idx]
            kept = np.array([k for k, r in enumerate(utt_rows) if r], dtype=np.int64)
            if not len(kept):
                continue
            lengths = np.array([len(utt_rows[k]) for k in kept], dtype=np.int64)
            rows = np.fromiter((r for k in kept for r in utt_rows[k]), dtype=np.int64, count=int(lengths.sum()))
            of_turn = np.repeat(np.arange(len(kept)), lengths)
            weight = self.turn_weight if role == PRACTITIONER or self.client_turn_weight is None \
                else self.client_turn_weight
            turn_class = padded[np.ix_(kept, code_class)]
            if role == CLIENT and self.client_turn_length_power:
                prior = np.vstack([turn_class[j] ** (weight / n ** self.client_turn_length_power)
                                   for j, n in enumerate(lengths.tolist())])
            else:
                prior = turn_class ** (weight if role == CLIENT or not self.code_turn_weights else exponents)
            alone = out[np.ix_(rows, cols)]
            block = alone * prior[of_turn]
            total = block.sum(axis=1, keepdims=True)
            block = np.where(total > 0, block / np.where(total > 0, total, 1.0), alone)  # no mass left: as alone
            if self.output_temperature != 1.0:
                block = temper(block, self.output_temperature)
            if self.unsure:
                block = apply_unsure(block, codes, self.unsure)
            out[np.ix_(rows, cols)] = block
            starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
            if role == CLIENT:
                for j, k in enumerate(kept):
                    decided = turn_probs[k]
                    if self.client_turn_mix:
                        evidence = client_turn_evidence(alone[starts[j]:starts[j] + lengths[j]], codes)
                        decided = decided * np.array([evidence[codes.index(c)] if c in codes else 1.0
                                                      for c in classes]) ** self.client_turn_mix
                    turn = turns[idx[k]]
                    turn.meta["main_code"] = classes[int(decided.argmax())]
                    # kept for measurements that combine them with another model (scripts/finetune_probe.py)
                    turn.meta["_turn_probs"] = dict(zip(classes, turn_probs[k].tolist()))
            else:
                # the most probable code, over the turn's utterances, of the turn's most probable class
                decided = turn_probs[kept]
                bare_rows = unpunctuated[kept]
                if (self.bare_turn_mix and bare_rows.any()) or (self.turn_mix and not bare_rows.all()):
                    evidence = practitioner_turn_evidence(alone, starts, codes, classes)
                    power = np.where(bare_rows, self.bare_turn_mix, self.turn_mix)[:, None]
                    decided = decided * evidence ** power
                best_cls = decided.argmax(axis=1)
                peaks = np.maximum.reduceat(block, starts, axis=0)
                for pair, q in sub_probs.items():  # within the class, the subtype as the whole turn reads too
                    cols_of = [codes.index(c) for c in pair]
                    peaks[:, cols_of] = peaks[:, cols_of] * q[kept] ** self.subtype_turn_mix
                # ``code_class`` gives a code of a class the turn model lacks the padding column, never a best class
                peaks = np.where(np.asarray(code_class)[None, :] == best_cls[:, None], peaks, -np.inf)
                for k, c in zip(kept, peaks.argmax(axis=1)):
                    turns[idx[k]].meta["main_code"] = codes[int(c)]
        return out


# Turn models trained on unpunctuated copies alone (``train_coder(bare_turn_models=True)``; an option): used for
# turns whose text has no punctuation at all (automatic captions, ASR), where a model that learned punctuated
# text leans on question marks that are not there.
# Turn models of a question's and a reflection's subtype (``train_coder(subtype_turn_models=True)``; E71).
SUBTYPE_PAIRS = (("OQ", "CQ"), ("SR", "CR"))


def subtype_model_key(pair: Sequence[str]) -> str:
    return f"practitioner_turn_{pair[0]}_{pair[1]}"


UNPUNCTUATED_TURN_MODELS = {"practitioner_turn": "practitioner_turn_bare", "client_turn": "client_turn_bare"}
_PUNCTUATION = re.compile(r"[.?!,;:]")

_CLASS_OF = np.array([TURN_CLASSES.index(FOUR_CLASS[c]) for c in PRACTITIONER_CODES])


def adapt_to_session(probs: np.ndarray, train_prior: np.ndarray, strength: float, iterations: int = 100,
                     tol: float = 1e-6) -> np.ndarray:
    """Posteriors re-weighted to a session's own class base rates, estimated from the session itself.

    The expectation-maximization of Saerens, Latinne and Decaestecker (2002, "Adjusting the outputs of a
    classifier to new a priori probabilities"): the session's prior ``q`` and the posteriors
    ``p(y|x) q(y) / train_prior(y)`` (renormalized) are re-estimated in turn, here with a Dirichlet prior that
    pulls ``q`` towards ``train_prior`` with the weight of ``strength`` utterances, so that a short session
    moves little. A lecturing session's many information utterances then make an ambiguous "you ..." statement
    in it likelier information than reflection. Rows of ``probs`` sum to 1; returns the adapted rows."""
    p = np.asarray(probs, dtype=float)
    base = np.clip(np.asarray(train_prior, dtype=float), 1e-9, None)
    base = base / base.sum()
    if not len(p) or strength <= 0:
        return p
    q = base.copy()
    adapted = p
    for _ in range(iterations):
        adapted = p * (q / base)
        adapted /= np.clip(adapted.sum(axis=1, keepdims=True), 1e-300, None)
        new = (adapted.sum(axis=0) + strength * base) / (len(p) + strength)
        done = np.abs(new - q).max() < tol
        q = new
        if done:
            break
    return adapted


def class_first_choice(probs: np.ndarray) -> np.ndarray:
    """Column of the likeliest code within the likeliest behaviour class (``codes.FOUR_CLASS``), per row of
    practitioner code probabilities (columns ``PRACTITIONER_CODES``).

    The likeliest code outright favours classes whose probability sits on few codes: a lecturing "you"
    statement at reflection 0.45 (SR 0.25, CR 0.20) and information 0.55 (GI, PER, CON, PWP 0.20 or less each)
    comes out SR. A coder first decides what the utterance does (asks, reflects, informs or persuades, other),
    then how.
    """
    if not len(probs):
        return np.zeros(0, dtype=int)
    mass = np.zeros((len(probs), len(TURN_CLASSES)))
    for k in range(len(TURN_CLASSES)):
        mass[:, k] = probs[:, _CLASS_OF == k].sum(axis=1)
    cls = mass.argmax(axis=1)
    within = np.where(_CLASS_OF[None, :] == cls[:, None], probs, -1.0)
    return within.argmax(axis=1)


# MITI 4.2.1's decision rules for an unsure coder: the code to give instead. AF, SEEK, EA ("unsure whether
# MI-adherent or another code: the other code") fall back to the likeliest practitioner code that is not
# MI-adherent; codes not listed, to the likeliest other code. Client language follows the same logic: change or
# sustain talk only when the coder is sure it leans toward or away from the change, otherwise follow/neutral
# (MISC's FN is "everything else").
MI_ADHERENT = ("AF", "SEEK", "EA")
_NOT_ADHERENT = tuple(c for c in PRACTITIONER_CODES if c not in MI_ADHERENT)
UNSURE_FALLBACK = {"CR": ("SR",), "PER": ("GI",), "CT": ("FN",), "ST": ("FN",),
                   **{c: _NOT_ADHERENT for c in MI_ADHERENT}}


def apply_unsure(probs: np.ndarray, codes: Sequence[str], unsure: dict[str, float]) -> np.ndarray:
    """MITI 4.2.1's decision rules for an unsure coder, on probability rows (columns ``codes``).

    The manual: unsure between SR and CR, code SR; between Persuade and GI, GI; whether MI-adherent or another
    code, the other code; for client language, change or sustain talk fall back to FN (an option, off in the
    shipped models). ``unsure`` maps a code that needs certainty to a factor f below one: where that code
    is the likeliest but f times its probability does not beat its fallback (``UNSURE_FALLBACK``), the two
    probabilities are exchanged, so the fallback is coded and every other code keeps its probability (a
    reflection stays a reflection). ``{"CR": 0.7}``: CR only at odds of 1/0.7 = 1.43 or more against SR.
    Returns ``probs`` unchanged without rules.
    """
    if not unsure:
        return probs
    out = probs.copy()
    index = {c: i for i, c in enumerate(codes)}
    best = out.argmax(axis=1)
    for code, factor in unsure.items():
        if code not in index:
            continue
        c = index[code]
        fallback = [index[f] for f in UNSURE_FALLBACK.get(code, [x for x in codes if x != code]) if f in index]
        if not fallback:
            continue
        rows = np.flatnonzero(best == c)
        alt = np.asarray(fallback)[out[np.ix_(rows, fallback)].argmax(axis=1)]
        fire = out[rows, c] * factor <= out[rows, alt]
        rows, alt = rows[fire], alt[fire]
        out[rows, c], out[rows, alt] = out[rows, alt], out[rows, c].copy()
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


def utterance_rows(sessions: Sequence[Session], own: bool = False,
                   ) -> tuple[tuple[list, list, list, list, list, list, list], list]:
    """(roles, texts, prev_texts, positions, n_in_turn, next_texts, own_prev_texts) of practitioner and client
    utterances, and the Utterances. ``prev_text`` and ``next_text`` are the other role's turns around the
    utterance's turn (``records.other_role_context``); ``own_prev_text`` the speaker's words before the
    utterance (``records.own_words_before``) when ``own`` (``FeatureSpace.reads_own_words``: building it costs
    time quadratic in a turn's utterances), else "".
    """
    roles: list[str] = []
    texts: list[str] = []
    prevs: list[str] = []
    positions: list[int] = []
    counts: list[int] = []
    nexts: list[str] = []
    owns: list[str] = []
    refs = []
    for s in sessions:
        turn_roles, turn_texts = [t.role for t in s.turns], [t.text for t in s.turns]
        before, after = other_role_context(turn_roles, turn_texts)
        mine = own_previous_turn(turn_roles, turn_texts) if own else [""] * len(s.turns)
        for turn, prev, following, mine_before in zip(s.turns, before, after, mine):
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
                owns.append(own_words_before(mine_before, [e.text for e in turn.utterances[:k]]) if own else "")
                refs.append(u)
    return (roles, texts, prevs, positions, counts, nexts, owns), refs


def turn_rows(sessions: Sequence[Session]) -> tuple[list[str], list[str], list[str], list[str], list[str], list]:
    """Roles, texts, preceding and next other-role turns and the same role's previous turn of practitioner and
    client turns with utterances, and the Turns."""
    roles, texts, prevs, nexts, owns, refs = [], [], [], [], [], []
    for s in sessions:
        turn_roles, turn_texts = [t.role for t in s.turns], [t.text for t in s.turns]
        before, after = other_role_context(turn_roles, turn_texts)
        mine = own_previous_turn(turn_roles, turn_texts)
        for turn, prev, following, own in zip(s.turns, before, after, mine):
            if turn.role in (PRACTITIONER, CLIENT) and turn.utterances:
                roles.append(turn.role)
                texts.append(turn.text)
                prevs.append(prev)
                nexts.append(following)
                owns.append(own)
                refs.append(turn)
    return roles, texts, prevs, nexts, owns, refs


# Which code stands for a practitioner turn when it holds several, as the turn models learn it from coded
# sessions (``train.examples.coded_turn_examples``) and the turn tasks read it without turn models: persuasion
# and confrontation first, then reflections (AnnoMI's turn label for a reflection that also affirms), the
# MI-adherent codes, questions, information, not coded. Part of the training recipe: changing it changes models.
PRACTITIONER_PRIORITY = ["CON", "PER", "PWP", "CR", "SR", "AF", "EA", "SEEK", "OQ", "CQ", "GI", "NC"]
# Which code a turn shows (``turns.csv``'s main_code, the report's timeline): the rarer, more telling behaviours
# first, as the README says: MI-non-adherent, then MI-adherent, reflections, questions, information, not coded, so
# that an affirmation or autonomy support inside a reflecting turn is seen on the timeline.
SHOWN_PRIORITY = ["CON", "PER", "PWP", "AF", "EA", "SEEK", "CR", "SR", "OQ", "CQ", "GI", "NC"]


def client_turn_evidence(probs: np.ndarray, codes: Sequence[str]) -> np.ndarray:
    """What a client turn's utterances say of the turn as a whole, from their CT/ST/FN probabilities (rows of
    ``probs``, columns ``codes``): the chance that some utterance is change talk, that some is sustain talk, and
    that all are neutral, normalized to sum to one. A turn of one utterance gives that utterance's probabilities."""
    p = np.clip(probs / np.maximum(probs.sum(axis=1, keepdims=True), 1e-12), 1e-9, 1.0)
    some = 1.0 - np.prod(1.0 - p, axis=0)
    out = np.array([np.prod(p[:, k]) if c == "FN" else some[k] for k, c in enumerate(codes)])
    return out / out.sum()


def practitioner_turn_evidence(probs: np.ndarray, starts: np.ndarray, codes: Sequence[str],
                               classes: Sequence[str]) -> np.ndarray:
    """What each practitioner turn's utterances say of the turn's class: for each turn (its rows of ``probs``, columns
    ``codes``, begin at ``starts``) and each of ``classes`` (question, reflection, therapist_input, other), the chance
    that some utterance is of that class, normalized over the classes. A turn of one utterance gives that
    utterance's class probabilities."""
    p = probs / np.maximum(probs.sum(axis=1, keepdims=True), 1e-12)
    in_class = np.column_stack([p[:, [j for j, c in enumerate(codes) if FOUR_CLASS[c] == cls]].sum(axis=1)
                                for cls in classes])
    none = np.exp(np.add.reduceat(np.log(np.clip(1.0 - in_class, 1e-9, 1.0)), starts, axis=0))
    some = np.clip(1.0 - none, 1e-9, 1.0)
    return some / some.sum(axis=1, keepdims=True)


def main_code(turn: Turn) -> str:
    """The one code that stands for a turn ('' when uncoded), as the turn tasks measure it.

    A coder with turn models sets ``turn.meta['main_code']`` and that is used. Otherwise: client turns,
    change or sustain talk wins over neutral (when both occur, the higher summed confidence wins);
    practitioner turns, the highest-priority code of PRACTITIONER_PRIORITY. Tables and reports show
    ``shown_code`` instead: the turn model's label need not be a code any of the turn's utterances has.
    """
    codes = [u for u in turn.utterances if u.code]
    if not codes:
        return ""
    if turn.meta.get("main_code"):
        return turn.meta["main_code"]
    if turn.role == CLIENT:
        weight = {"CT": 0.0, "ST": 0.0}
        for u in codes:
            if u.code in weight:
                weight[u.code] += u.confidence if u.confidence is not None else 1.0
        if weight["CT"] == weight["ST"] == 0.0:
            return "FN"
        return "CT" if weight["CT"] >= weight["ST"] else "ST"
    present = {u.code for u in codes}
    for code in PRACTITIONER_PRIORITY:
        if code in present:
            return code
    return codes[0].code or ""


def shown_code(turn: Turn) -> str:
    """The code that stands for a turn in ``turns.csv`` and a report's timeline, read from the utterance codes
    as shown ('' when uncoded): a client turn by the scores' rule (``scoring.client_main_code``: CT or ST when
    either occurs, the more frequent, else FN), a practitioner turn by SHOWN_PRIORITY over its codes and
    second codes (a permission question, CQ + SEEK, stands as SEEK, as it counts). So the turn table,
    the timeline and the score cards agree, and ``score`` on ``code``'s own tables gives the same column; the
    turn models' label (``main_code``) shaped the utterance codes but is not shown, since it can name a code no
    utterance of the turn has."""
    codes = [u.code for u in turn.utterances if u.code]
    if not codes:
        return ""
    if turn.role == CLIENT:
        return client_main_code(codes)
    codes += [c for c in (second_code(turn, u) for u in turn.utterances) if c]  # counted as MITI counts both
    return next((c for c in SHOWN_PRIORITY if c in codes), codes[0])
