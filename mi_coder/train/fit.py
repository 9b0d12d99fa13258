"""Fitting a Coder: training data from files, the linear models, and a saved model folder."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..codes import (
    ALL_CODES,
    CLIENT_CODES,
    PRACTITIONER_CODES,
    ROLE_ELEMENTS,
    TURN_CLASSES,
)
from ..errors import InputError, ModelError, UsageError
from ..io.base import ReadOptions
from ..io.delimited import _header
from ..model.coder import SUBTYPE_PAIRS, Coder, subtype_model_key
from ..model.features import TARGET_WORDS, FeatureSpace, StaticVectors, strip_punctuation
from ..model.linear import LinearModel
from ..records import CLIENT, PRACTITIONER
from .annomi import (
    transcript_fingerprints,
    annomi_examples,
    annomi_turn_examples,
    is_annomi_layout,
    load_annomi_turns,
)
from .examples import (
    coded_table_examples,
    coded_turn_examples,
    is_session_corpus,
    is_team_corpus,
    load_session_corpus,
    load_team_corpus,
    session_fingerprint,
    single_utterance_turns,
    training_fingerprints,
    with_own_prev_text,
)


def augment_unpunctuated(examples, weight: float = 0.5):  # type: ignore[no-untyped-def]
    """Add a lower-case, unpunctuated copy of every example (automatic captions look like this)."""
    import pandas as pd

    copy = examples.copy()
    copy["text"] = copy["text"].map(strip_punctuation)
    copy["prev_text"] = copy["prev_text"].map(strip_punctuation)
    if "next_text" in copy:
        copy["next_text"] = copy["next_text"].map(strip_punctuation)
    if "own_prev_text" in copy:
        copy["own_prev_text"] = copy["own_prev_text"].map(strip_punctuation)
    copy["weight"] = copy["weight"] * weight
    copy["unpunctuated"] = True
    copy = copy[copy["text"].str.len() > 0]
    return pd.concat([examples.assign(unpunctuated=False), copy], ignore_index=True)


def without_context(examples, weight: float):  # type: ignore[no-untyped-def]
    """Add, for every practitioner example with the other speaker's turn before it, a copy with no turn before or
    after it (``prev_text``, ``next_text`` empty), at ``weight`` times its weight; copies are marked
    ``context_dropped``."""
    import pandas as pd

    has = (examples["role"] == PRACTITIONER) & (examples["prev_text"].fillna("").astype(str).str.strip() != "")
    copy = examples[has].copy()
    copy["prev_text"] = ""
    copy["next_text"] = ""
    copy["weight"] = copy["weight"].astype(float) * weight
    return pd.concat([examples.assign(context_dropped=False), copy.assign(context_dropped=True)], ignore_index=True)


ROLE_SOURCES = ("team_sessions", "coded")  # sources whose practitioner rows carry role-clarification labels
TEAM_SOURCES = ("team", "team_sessions")  # sources written with every MITI code (AnnoMI lacks AF/SEEK/EA/CON)
GAP_CODES = ("AF", "SEEK", "EA", "CON")


def drop_gap_examples(examples, threshold: float = 0.5, C: float = 1.0):  # type: ignore[no-untyped-def]
    """Leave out AnnoMI practitioner examples that are probably a code AnnoMI does not label.

    AnnoMI has no AF, SEEK, EA or CON labels, so an affirmation inside a turn it labels "reflection" would
    teach that affirmations are reflections. A model trained on the team corpus alone (which has those
    codes) reads every AnnoMI practitioner example; those it gives a gap code with probability of at least
    ``threshold`` are left out. Returns the examples unchanged when there is no AnnoMI or no team data.
    """
    from ..model.estimator import LinearClassifier

    team = examples[examples["source"].isin(TEAM_SOURCES) & (examples["role"] == PRACTITIONER)]
    annomi = (examples["source"] == "annomi") & (examples["role"] == PRACTITIONER) & examples["code"].notna()
    if "recoded" in examples:  # re-coded one by one (``train.annomi.apply_utterance_codes``): their code stands
        annomi &= ~examples["recoded"].fillna(False).astype(bool)
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
                output_temperature: float = 1.0, behaviour: bool = False, lengths: bool = False,
                permission: bool = False, form: bool = False,
                source_weights: dict[str, float] | None = None, balance: float = 1.0, role_balance: float = 1.0,
                drop_gaps: bool = True, role_models: bool = True, max_iter: int = 3000,
                unsure: dict[str, float] | None = None, client_turn_weight: float | None = None,
                client_balance: float | None = None, split_client_turn_weight: float = 1.0,
                code_turn_weights: dict[str, float] | None = None, class_first: bool = False,
                question_second_codes: bool = False, permission_advice: bool = False,
                caption_questions: bool = False, client_turn_mix: float = 0.0, bare_turn_mix: float = 0.0,
                role_behaviour: bool = True,
                lsa: int = 0, role_own_words: bool = False,
                role_only_batches: Sequence[str] = (), role_turn_stage: bool = False,
                negation: bool = False, augment_weight: float = 0.5, nb_mix: float = 0.0,
                bare_turn_models: bool = False, answer: bool = False, vectors: str | None = None,
                min_term_groups: int = 1, target_words: bool = False,
                subtype_turn_models: bool | Sequence[str] = False,
                subtype_turn_mix: float = 0.0,
                encoder: bool = False, context_dropout: float = 0.0) -> Coder:
    """Fit a Coder on utterance examples (``train.examples.EXAMPLE_COLUMNS``) with a known code.

    ``turn_examples`` (whole turns labelled question/reflection/therapist_input/other or CT/ST/FN) add
    the turn models that choose each turn's main code; without them the main code follows a fixed priority.
    ``behaviour`` adds the behaviour feature block (``model.features.behaviour_features``), ``lengths`` the
    lengths of the other speaker's turns around the utterance (``model.features.length_features``),
    ``permission`` whether leave to advise was asked, granted or advice requested before the utterance
    (``model.features.permission_features``), ``form`` backchannels, echoes, cut-off fragments, answers to
    the client's question and generic "you" (``model.features.form_features``);
    ``source_weights`` multiplies example weights by source ("annomi", "team_sessions", "team", "coded"), or by
    source and role ("team_sessions:practitioner"; a source-and-role key wins over its source's);
    ``balance`` is the power of the inverse class frequency in the weights of the code and turn models (1:
    balanced, 0: as found), ``client_balance`` the same for the client utterance and turn models if set;
    ``role_balance`` the same for the yes/no role-clarification detectors, whose
    "yes" is rare (about one practitioner utterance in sixty) and whose misses a supervisor's checklist pays for;
    ``lsa`` K > 0 adds K latent semantic components of the word block, for the utterance and its preceding
    turn (``model.features.FeatureSpace``); ``role_own_words`` adds the speaker's own words before each
    utterance (their previous turn and the turn's earlier utterances) as a word block that only the role
    detectors read (the code and turn models are trained with it at zero); ``role_behaviour`` False trains
    those detectors with the behaviour block's columns at zero, so that their weights there are zero and they
    read words, context and shape only (the code models still read the block). ``role_only_batches`` (letters
    of team corpus batches, ``data/corpus/sessions/<batch>_utterances.csv``) train the role detectors and the
    feature space only: their rows (groups ``team:<batch>-...``) are left out of the code and turn models.
    ``role_turn_stage`` adds a second stage that decides each element of an utterance from the detectors'
    scores of it and of the other utterances of its turn (``model.role_turns``), fitted on the detectors'
    out-of-fold scores (5 folds grouped by session) on the labelled rows. ``negation`` adds the words in a
    negation's scope as a block of their own (``model.features.negated_tokens``). ``target_words`` reads the words
    that name a target behaviour (``model.features.TARGET_WORDS``: alcohol, smoking, drugs...) as one token in every
    block (an option, E68). ``augment_weight`` is the
    weight of each example's unpunctuated copy (``augment_unpunctuated``) relative to the example. ``nb_mix``
    blends complement naive Bayes weights into the code and turn models (``model.estimator``; 0: off).
    ``bare_turn_models`` adds turn models trained on the unpunctuated copies alone, which the coder uses for
    turns without punctuation (``model.coder.UNPUNCTUATED_TURN_MODELS``). ``answer`` adds how the other speaker's
    next turn opens and how long it is, for the last utterance of each turn (``model.features.answer_tokens``).
    ``vectors`` (a table written by ``scripts/build_static_vectors.py``) adds static word vectors of the utterance
    and its preceding turn, and their cosine (``model.features.StaticVectors``); the table goes into the model.
    ``encoder`` adds the same from a sentence encoder run at coding time (``model.encoder``; a measurement only).
    ``context_dropout`` w > 0 adds, for every practitioner example (and turn example) that has the other speaker's
    turn before it, a copy without the turns around it (``prev_text`` and ``next_text`` empty) at w times its weight
    (``without_context``), so that the words themselves carry the code where the context is missing (a session's
    practitioner-only stretch, a table of a counsellor's sentences) rather than "no turn before" meaning an
    opening (E73).
    ``unsure`` are MITI's decision rules for an unsure coder, applied when coding (``model.coder.apply_unsure``);
    ``client_turn_weight`` the weight of the client turn model in decoding client utterances (None: as practitioner).
    ``code_turn_weights`` (practitioner code -> exponent of its class's turn probability, instead of
    ``turn_weight``), ``class_first``, ``question_second_codes``, ``permission_advice``, ``caption_questions``,
    ``client_turn_mix`` and ``bare_turn_mix`` are decoding settings
    (``model.coder.Coder``).
    ``split_client_turn_weight`` multiplies the weight of client utterances that carry a whole turn's label
    (AnnoMI client turns of several utterances: a change-talk turn often holds neutral utterances, which MISC
    codes one by one); 0 leaves them to the turn model alone.
    ``subtype_turn_models`` adds turn models of a question's and a reflection's subtype (OQ/CQ, SR/CR), trained
    on AnnoMI's whole therapist turns with their subtype labels (``subcode``): True for both, or the pairs to train
    by name ("OQ_CQ", "SR_CR"; 2.16 trains "OQ_CQ", E72); ``subtype_turn_mix`` is the decoding setting that uses
    them (``model.coder.Coder``).
    ``min_term_groups`` k > 1 keeps in the vocabularies only terms found in at least k groups (sessions, AnnoMI
    videos, corpus lines): names and phrases of one session alone stay out of the model (``FeatureSpace.fit``).
    """
    import pandas as pd

    from ..errors import UsageError
    from ..model.estimator import LinearClassifier

    def usable(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame[frame["code"].notna() & (frame["code"] != "")]
        frame = frame.assign(next_text=frame["next_text"].fillna("") if "next_text" in frame else "")
        if context_dropout > 0:
            frame = without_context(frame, context_dropout)
        return augment_unpunctuated(frame, augment_weight) if augment else frame

    def weighted(frame: pd.DataFrame) -> pd.DataFrame:
        if split_client_turn_weight != 1.0 and "n_in_turn" in frame:
            split = ((frame["source"] == "annomi") & (frame["role"] == CLIENT)
                     & (frame["n_in_turn"].astype(int) > 1)).to_numpy()
            frame = frame.assign(weight=np.where(split, frame["weight"].astype(float) * split_client_turn_weight,
                                                 frame["weight"].astype(float)))
        if not source_weights:
            return frame
        factor = [source_weights.get(f"{s}:{r}", source_weights.get(s, 1.0))  # "team:practitioner", then "team"
                  for s, r in zip(frame["source"], frame["role"])]
        return frame.assign(weight=frame["weight"].astype(float) * np.asarray(factor, dtype=float))

    if permission or role_own_words:  # the speaker's own words before each row, read before any row is left out
        examples = with_own_prev_text(examples)
        if turn_examples is not None and len(turn_examples):
            turn_examples = with_own_prev_text(turn_examples)
    data = usable(weighted(drop_gap_examples(examples, C=C) if drop_gaps else examples))
    turns = usable(weighted(turn_examples)) if turn_examples is not None and len(turn_examples) else None
    plan = [(PRACTITIONER, data, PRACTITIONER_CODES, calibration_folds),
            (CLIENT, data, CLIENT_CODES, calibration_folds)]
    if turns is not None:
        # Turn models choose classes; their confidences are not shown, so no calibration folds.
        plan += [("practitioner_turn", turns, TURN_CLASSES, 0), ("client_turn", turns, CLIENT_CODES, 0)]
        if bare_turn_models and augment:
            bare = turns[turns["unpunctuated"]]
            plan += [("practitioner_turn_bare", bare, TURN_CLASSES, 0), ("client_turn_bare", bare, CLIENT_CODES, 0)]
        if subtype_turn_models and "subcode" in turns:
            named = None if subtype_turn_models is True else {str(n) for n in subtype_turn_models}
            unknown = (named or set()) - {"_".join(p) for p in SUBTYPE_PAIRS}
            if unknown:
                raise UsageError(f"subtype_turn_models: unknown pair(s) {', '.join(sorted(unknown))} "
                                 f"(the pairs are {', '.join('_'.join(p) for p in SUBTYPE_PAIRS)})")
            for pair in (p for p in SUBTYPE_PAIRS if named is None or "_".join(p) in named):
                labelled = turns[turns["subcode"].isin(pair)]
                plan.append((subtype_model_key(pair), labelled.assign(code=labelled["subcode"]), pair, 0))
    parts = []
    role_only = tuple(f"team:{b}-" for b in role_only_batches)
    for key, frame, labels, folds in plan:
        role = PRACTITIONER if key.startswith(PRACTITIONER) else CLIENT
        part = frame[(frame["role"] == role) & frame["code"].isin(labels) & (frame["weight"].astype(float) > 0)]
        if role_only:
            part = part[~part["group"].astype(str).str.startswith(role_only)]
        if part["code"].nunique() < 2:
            found = ", ".join(sorted(map(str, part["code"].unique()))) or "none"
            raise UsageError(f"training data has fewer than two {role} codes for the {key} model (found: {found}); "
                             f"the coded tables need at least two different {role} codes to train it")
        parts.append((key, part, folds))
    every = pd.concat([data, turns]) if turns is not None else data
    features = FeatureSpace.fit(every["text"].tolist(), every["prev_text"].tolist(), every["next_text"].tolist(),
                                behaviour=behaviour, lengths=lengths, permission=permission,
                                form=form, lsa=lsa, negation=negation, answer=answer,
                                vectors=vector_table(vectors) if vectors else None, encoder=encoder,
                                own_texts=every["own_prev_text"].tolist() if role_own_words else None,
                                groups=every["group"].astype(str).tolist() if min_term_groups > 1 else None,
                                min_groups=min_term_groups, targets=TARGET_WORDS if target_words else None)
    if role_models and "role_elements" in data:
        # Role-clarification detectors: one yes/no model per element, on the practitioner utterances of
        # sources that label the elements (the team sessions); other sources cannot say "no".
        labelled = data[(data["role"] == PRACTITIONER) & data["role_elements"].notna()
                        & data["source"].isin(ROLE_SOURCES)]
        if "context_dropped" in labelled:  # the detectors learn from each utterance once, as it was said
            labelled = labelled[~labelled["context_dropped"].fillna(False).astype(bool)]
        for element in ROLE_ELEMENTS:
            has = labelled["role_elements"].fillna("").str.split(";").map(lambda xs, e=element: e in xs)
            if has.sum() >= 5:
                parts.append((f"role_{element}", labelled.assign(code=np.where(has, "yes", "no")), 0))
    models: dict[str, LinearModel] = {}
    no_behaviour = features.block_columns("behaviour") if not role_behaviour else np.arange(0)
    own_words = features.block_columns("own")

    role_X: list = []  # (rows, matrix): the role detectors train on the same labelled rows, featurized once

    def design(key: str, part: pd.DataFrame) -> tuple:
        """Feature rows (with the columns this model must not read set to zero), labels and class-balanced
        weights (mean 1)."""
        if key.startswith("role_") and role_X and role_X[0][0].equals(part.index):
            X = role_X[0][1]
        else:
            X = features.transform_frame(part)
            hidden = no_behaviour if key.startswith("role_") else own_words
            if len(hidden):
                keep = np.ones(X.shape[1])
                keep[hidden] = 0.0
                X = (X @ sp.diags(keep)).tocsr()
            if key.startswith("role_") and not role_X:
                role_X.append((part.index, X))
        y = part["code"].to_numpy()
        w = part["weight"].to_numpy(dtype=float)
        # Class weights: inverse class frequency (by weight) to the power ``balance``, mean weight kept at 1.
        totals = pd.Series(w).groupby(y).sum()
        power = role_balance if key.startswith("role_") else (
            client_balance if client_balance is not None and key in (CLIENT, "client_turn") else balance)
        factor = (totals.sum() / (len(totals) * totals)) ** power
        w = w * factor.reindex(y).to_numpy()
        return X, y, w / w.mean()

    role_rows: dict[str, tuple] = {}
    class_priors: dict[str, dict[str, float]] = {}
    for key, part, folds in parts:
        X, y, w = design(key, part)
        if key in (PRACTITIONER, CLIENT):  # the class shares the model is fitted to (``Coder.prior_adaptation``)
            shares = pd.Series(w).groupby(y).sum()
            class_priors[key] = {str(c): round(float(v / shares.sum()), 6) for c, v in shares.items()}
        estimator = LinearClassifier(C=C, calibration_folds=folds, class_weight=None, max_iter=max_iter,
                                     nb_mix=0.0 if key.startswith("role_") else nb_mix)
        estimator.fit(X, y, w, groups=part["group"].to_numpy())
        models[key] = estimator.to_linear_model()
        if role_turn_stage and key.startswith("role_"):  # kept for the stage's out-of-fold scores
            role_rows[key] = (X, y, w, part)
    coder = Coder(features, models, meta=meta, turn_weight=turn_weight, output_temperature=output_temperature,
                  unsure=unsure, client_turn_weight=client_turn_weight, code_turn_weights=code_turn_weights,
                  class_first=class_first)
    coder.class_priors = class_priors
    coder.question_second_codes = question_second_codes
    coder.permission_advice = permission_advice
    coder.caption_questions = caption_questions
    coder.client_turn_mix = float(client_turn_mix)
    coder.bare_turn_mix = float(bare_turn_mix)
    coder.subtype_turn_mix = float(subtype_turn_mix)
    if role_turn_stage and role_rows:
        coder.role_stage = fit_role_turn_stage(role_rows, C=C, max_iter=max_iter)
    return coder


def vector_table(path: str) -> StaticVectors:
    """A static vector table (``scripts/build_static_vectors.py``) by path: as given, else relative to the
    project's root (``data/vectors/...`` from any working directory of a checkout)."""
    found = Path(path)
    if not found.is_absolute() and not found.exists():
        found = Path(__file__).resolve().parents[2] / path
    if not found.is_file():
        raise UsageError(f"{path}: no static vector table there")
    return StaticVectors.load(str(found))


def fit_role_turn_stage(role_rows: dict, *, C: float = 1.0, max_iter: int = 3000, folds: int = 5):  # type: ignore[no-untyped-def]
    """The second stage of the role-clarification detectors (``model.role_turns.TurnStage``), fitted on their
    out-of-fold yes-probabilities: ``role_rows`` maps each detector (``role_<element>``, in the coder's order)
    to its training rows (X, yes/no labels, weights, frame). Every detector trains on the same labelled rows,
    a session's rows together and in order (unpunctuated copies follow as rows of their own)."""
    from sklearn.model_selection import GroupKFold

    from ..model.estimator import LinearClassifier
    from ..model.role_turns import TurnStage, turn_features

    keys = list(role_rows)
    frame = role_rows[keys[0]][3]
    groups = frame["group"].to_numpy()
    oof = np.zeros((len(frame), len(keys)))
    for train, test in GroupKFold(folds).split(frame, groups=groups):
        for j, key in enumerate(keys):
            X, y, w, _ = role_rows[key]
            if len(np.unique(y[train])) < 2:
                continue
            est = LinearClassifier(C=C, calibration_folds=0, class_weight=None, max_iter=max_iter)
            est.fit(X[train], y[train], w[train])
            oof[test, j] = est.predict_proba(X[test])[:, list(est.classes_).index("yes")]
    yes = np.column_stack([role_rows[k][1] == "yes" for k in keys])
    turn_keys = (frame["session_id"].astype(str) + "#" + frame["turn_id"].astype(str)).to_numpy()
    return TurnStage.fit(turn_features(oof, turn_keys), yes, C=C)


@dataclass
class TrainingData:
    """Utterance examples, turn examples, AnnoMI turns (for the turn-level tasks) and where each came from."""

    examples: pd.DataFrame
    turn_examples: pd.DataFrame
    annomi_turns: pd.DataFrame | None = None
    sources: list[dict] = field(default_factory=list)
    # AnnoMI utterances re-coded one by one (``train.annomi.read_utterance_codes``): ``annomi_codes`` are the
    # cross-validation folds' reference, ``annomi_train_codes`` those of them that are also training labels; both
    # are applied to every set of AnnoMI examples built from ``annomi_turns`` (the folds rebuild them).
    annomi_codes: pd.DataFrame | None = None
    annomi_train_codes: pd.DataFrame | None = None
    # where the client models' examples came from when the tables had no client codes (``with_client_corpus``)
    client_corpus: dict | None = None

    def with_annomi_codes(self, codes: pd.DataFrame, train: bool = True,
                          reference: pd.DataFrame | None = None) -> "TrainingData":
        """``codes`` as training labels (``train``) and reference; ``reference``: more codes, reference only."""
        from .annomi import apply_utterance_codes

        examples = apply_utterance_codes(self.examples, codes, strict=True) if train else self.examples
        every = codes if reference is None else pd.concat([codes, reference], ignore_index=True)
        return TrainingData(examples, self.turn_examples, self.annomi_turns, self.sources, every,
                            codes if train else None, self.client_corpus)


# The team corpus's whole coded sessions that the default model's code models learn from (its other batches are
# openings written for the role-clarification detectors, or hold-outs); shipped in the package as mi_coder.corpus.
CLIENT_CORPUS_BATCHES = tuple("abcdefghijk")
# the group names of the corpus's rows added by ``with_client_corpus``: cross-validation trains every fold on them
# and never holds them out (``client_corpus_rows``)
CLIENT_CORPUS_GROUP = "client-corpus:"


def client_corpus_rows(frame: pd.DataFrame) -> pd.Series:
    """Which rows of an examples or turn-examples frame ``with_client_corpus`` added."""
    if "group" not in frame:
        return pd.Series(False, index=frame.index)
    return frame["group"].astype(str).str.startswith(CLIENT_CORPUS_GROUP)


def shipped_session_corpus() -> list[Path]:
    """The team corpus's coded-session files of ``CLIENT_CORPUS_BATCHES``: inside the installed package
    (``mi_coder/corpus``), or ``data/corpus/sessions`` of a source checkout."""
    package = Path(__file__).resolve().parents[1]  # mi_coder/
    for folder in (package / "corpus", package.parent / "data" / "corpus" / "sessions"):
        files = [folder / f"{b}_utterances.csv" for b in CLIENT_CORPUS_BATCHES]
        if all(f.exists() for f in files):
            return files
    raise ModelError("the team corpus shipped with mi-coder (mi_coder/corpus) is not installed; reinstall mi-coder")


def with_client_corpus(data: TrainingData, progress: Callable[[str], None] | None = None) -> TrainingData:
    """``data`` unchanged where it holds client codes; else with the client utterances and turns of the team
    corpus's coded sessions (``shipped_session_corpus``) added, so that tables coded with MITI 4.2.1, which codes
    no client talk, still train a whole coder: the practitioner models learn from the tables alone, the client
    models from the corpus (recorded in ``client_corpus``; the model card says so)."""
    examples = data.examples
    # reviewed codes (``train --add``) add to what the tables teach: a review of a few client utterances must not
    # take the place of the corpus's thousands
    reviewed = examples["source"] == "reviewed" if "source" in examples else pd.Series(False, index=examples.index)
    client_codes = examples[(examples["role"] == CLIENT) & examples["code"].isin(CLIENT_CODES) & ~reviewed]
    if len(client_codes) or data.annomi_turns is not None or data.client_corpus:
        return data
    from ..model.store import sha256

    files = shipped_session_corpus()
    corpus = load_session_corpus(files)
    turns = coded_turn_examples(corpus)
    # the corpus's client rows, with the tables' columns only (its role-clarification labels and second codes are
    # the practitioner's, and would read as columns the tables left empty)
    corpus = corpus.loc[corpus["role"] == CLIENT, [c for c in corpus.columns if c in examples.columns]]
    turns = turns.loc[turns["role"] == CLIENT, [c for c in turns.columns if c in data.turn_examples.columns]]
    corpus = corpus.assign(group=CLIENT_CORPUS_GROUP + corpus["group"].astype(str))
    if "group" in turns:
        turns = turns.assign(group=CLIENT_CORPUS_GROUP + turns["group"].astype(str))
    record = {"why": "the training tables hold no client code (MITI 4.2.1 codes none)",
              "source": "mi-coder team corpus, coded sessions " + ", ".join(CLIENT_CORPUS_BATCHES),
              "sessions": int(corpus["session_id"].nunique()), "client_utterances": int(len(corpus)),
              "files": {f.name: sha256(f) for f in files}}
    if progress:
        progress(f"note: no client codes in the training tables (MITI 4.2.1 codes none): the client models learn from "
                 f"mi-coder's team corpus ({record['client_utterances']} client utterances of {record['sessions']} "
                 "written sessions), the practitioner models from your tables alone; the model card says so")
    return TrainingData(pd.concat([examples, corpus], ignore_index=True),
                        pd.concat([data.turn_examples, turns], ignore_index=True), data.annomi_turns, data.sources,
                        data.annomi_codes, data.annomi_train_codes, record)


def splitter() -> Callable[[str], list[tuple[int, int]]]:
    from ..segment import build_pipeline, split_text

    nlp = build_pipeline()
    return lambda text: split_text(text, nlp)


def load_training_data(paths: Sequence[str | Path], options: ReadOptions | None = None,
                       exclude_annomi: set[str] | None = None, scheme: str = "miti") -> TrainingData:
    """Read training files by layout: AnnoMI (turn labels), team corpus, or coded table (utterance codes; with
    ``scheme="misc"`` MISC 2.5 codes, mapped to MITI 4.2.1)."""
    split = splitter()
    utt, turns, sources = [], [], []
    annomi_parts = []
    for path in map(Path, paths):
        columns = _header(path)  # InputError when there is no such file
        if is_annomi_layout(columns):
            if not {"question_subtype", "reflection_subtype"} <= set(columns):
                raise InputError(path, "AnnoMI's simple layout (main behaviour only: no open/closed or simple/complex "
                                       "labels) cannot train the coder; train on AnnoMI-full (AnnoMI-full.dev.csv). "
                                       "It can be evaluated against (mi-coder evaluate)")
            t = load_annomi_turns(path)
            t["transcript_id"] = t["transcript_id"].astype(str)
            if exclude_annomi:
                t = t[~t["transcript_id"].isin(exclude_annomi)].reset_index(drop=True)
            annomi_parts.append(t)
            utt.append(annomi_examples(t, split))
            turns.append(annomi_turn_examples(t))
            sources.append({"file": path.name, "layout": "AnnoMI", "transcripts": int(t["transcript_id"].nunique()),
                            "turns": len(t)})
        elif is_session_corpus(columns):
            ex = load_session_corpus([path])
            utt.append(ex)
            turns.append(coded_turn_examples(ex))
            sources.append({"file": path.name, "layout": "team coded sessions", "utterances": len(ex),
                            "sessions": int(ex["session_id"].nunique())})
        elif is_team_corpus(columns):
            ex = load_team_corpus([path])
            utt.append(ex)
            turns.append(single_utterance_turns(ex))
            sources.append({"file": path.name, "layout": "team corpus", "utterances": len(ex)})
        else:
            ex = coded_table_examples(path, options, scheme)
            utt.append(ex)
            turns.append(coded_turn_examples(ex))
            layout = "coded table" if scheme == "miti" else f"coded table ({scheme.upper()} codes mapped to MITI 4.2.1)"
            sources.append({"file": path.name, "layout": layout, "utterances": len(ex),
                            "sessions": int(ex["session_id"].nunique())})
    if not utt:
        raise UsageError("no training files given")
    from ..model.store import sha256

    for source, path in zip(sources, map(Path, paths)):  # what exactly was read: `train --base` checks it again
        source["sha256"] = sha256(path)
    annomi = pd.concat(annomi_parts, ignore_index=True) if annomi_parts else None
    examples, turn_examples = _one_group_per_session(pd.concat(utt, ignore_index=True),
                                                     pd.concat(turns, ignore_index=True))
    return TrainingData(examples, turn_examples, annomi, sources)


def _one_group_per_session(examples: pd.DataFrame, turn_examples: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Coded tables' sessions that appear in more than one file (a copy, or a second coder's codes of the same
    session: the same session id or the same words) share one cross-validation group, so that no fold tests a
    session whose copy it trained on. Groups are per file and session until then."""
    coded = examples[examples["source"] == "coded"]
    if coded.empty:
        return examples, turn_examples
    import warnings

    # A session given twice with the same words and the same codes (the same file named twice, a copy) is one session:
    # its copies are left out, or each fold would train on it twice and the figures count it twice (a researcher's
    # audit: n 441 + 22). A second coder's codes of the same words stay (one group with the first, below).
    seen_copies: dict[tuple, str] = {}
    copies = []
    for group, rows in coded.groupby("group", sort=False):
        key = (session_fingerprint(rows["text"]), tuple(rows["code"].fillna("").astype(str)),
               tuple(rows["code2"].fillna("").astype(str)) if "code2" in rows else ())
        if key in seen_copies:
            copies.append(group)
        else:
            seen_copies[key] = group
    if copies:
        warnings.warn(f"{len(copies)} coded session(s) are given twice with the same words and codes (the same file "
                      "named twice, or a copy): each copy is left out, so that no session counts twice", stacklevel=3)
        examples = examples[~examples["group"].isin(copies)]
        turn_examples = turn_examples[~turn_examples["group"].isin(copies)] if "group" in turn_examples else \
            turn_examples
        coded = examples[examples["source"] == "coded"]

    parent: dict[str, str] = {}

    def find(g: str) -> str:
        while parent.setdefault(g, g) != g:
            g = parent[g]
        return g

    first: dict[tuple[str, str], str] = {}
    for group, rows in coded.groupby("group", sort=False):
        for key in (("id", str(rows["session_id"].iloc[0])), ("words", session_fingerprint(rows["text"]))):
            if key in first:
                parent[find(group)] = find(first[key])
            else:
                first[key] = group
    merged = {g: find(g) for g in coded["group"].unique()}
    shared = len(merged) - len(set(merged.values()))
    if not shared:
        return examples, turn_examples
    warnings.warn(f"{shared} coded session(s) appear in more than one file (the same session id or the same words): "
                  "each is kept in one cross-validation group with its copies, so no fold tests a session it "
                  "trained on; the model trains on every copy", stacklevel=3)
    # Sessions of one id in several files stay apart as sessions (each file's "1" and "2", numbered per site): their
    # rows take their file's group as id, or a held-out fold rebuilt them as one session of interleaved turns.
    per_file = coded.groupby("session_id")["group"].nunique()
    shared_ids = set(per_file[per_file > 1].index)

    def regroup(frame: pd.DataFrame) -> pd.DataFrame:
        own = (frame["source"] == "coded") & frame["session_id"].isin(shared_ids)
        return frame.assign(session_id=frame["session_id"].where(~own, frame["group"]),
                            group=frame["group"].map(lambda g: merged.get(g, g)))

    return regroup(examples), regroup(turn_examples)


def train_from_files(paths: Sequence[str | Path], out_dir: str | Path, *, name: str | None = None,
                     version: str = "1.0", metrics: dict | None = None, options: ReadOptions | None = None,
                     progress: Callable[[str], None] | None = None, C: float = 1.0,
                     data: TrainingData | None = None, train_kwargs: dict | None = None,
                     boundary: object | None = None, added: list[dict] | None = None,
                     base: str | Path | None = None, annomi_codes: Sequence[str | Path] = (),
                     decoding_profiles: dict | None = None, output_temperature: float | None = None,
                     carried: dict | None = None) -> Path:
    """Train a coder on files and save it as a model folder.

    ``metrics`` (for example ``evaluate.crossval.training_metrics``) go into ``meta.json`` and the model
    card; ``data`` is the already loaded ``load_training_data(paths)``, to avoid reading it twice;
    ``train_kwargs`` go to ``train_coder``; ``boundary`` (a ``boundary.BoundaryModel``) ships in the folder.
    ``annomi_codes``: the AnnoMI re-code files in ``data``, recorded in ``run.json`` with the training files (each
    also relative to the model folder) so that ``train --base`` can repeat the recipe. ``decoding_profiles``
    go into meta.json; ``output_temperature`` is used when ``metrics`` fit none (a base model's); ``carried``
    says in the card what came from a ``base`` model.
    """
    from ..model.store import remember_trusted, save_coder

    say = progress or (lambda msg: None)
    if data is None:
        data = load_training_data(paths, options)
    data = with_client_corpus(data, say)
    coded_rows = data.examples[data.examples["source"] == "coded"] if "source" in data.examples else data.examples[:0]
    if data.client_corpus:  # tables that code no client talk: their client rows are not "left without a code"
        coded_rows = coded_rows[coded_rows["role"] != CLIENT]
    uncoded = int(coded_rows["code"].isna().sum())
    say(f"training data: {int(data.examples['code'].notna().sum())} coded utterance examples, "
        f"{len(data.turn_examples)} turn examples")
    if uncoded:  # as evaluate and score say it: rows without a code do not count
        import warnings

        warnings.warn(f"{', '.join(str(p) for p in paths)}: {uncoded} utterance(s) without a code are not trained on",
                      stacklevel=2)
    metrics = dict(metrics or {})
    temperature = metrics.get("annomi_cv", {}).get("output_temperature", output_temperature or 1.0)
    coder = train_coder(data.examples, data.turn_examples, C=C, output_temperature=temperature, **(train_kwargs or {}))
    coder.boundary = boundary
    labelled = data.examples[data.examples["code"].notna()]
    missing = [c for c in ALL_CODES if not (labelled["code"] == c).any()]
    if missing:  # a code never seen is a code the model never gives: its counts would read as a finding
        import warnings

        seek = " (SEEK still comes as a second code on a question that asks leave, by rule)" if "SEEK" in missing \
            else ""
        warnings.warn(f"{', '.join(str(p) for p in paths)}: no utterance is coded {', '.join(missing)} as its first "
                      "code, so the model will never give " + ("it" if len(missing) == 1 else "them") + " as one (a "
                      "session score built on such a code, e.g. change talk on CT, would always read 0)" + seek,
                      stacklevel=2)
    # how much the tables give to learn from: without the corpus's client rows where those were added
    own = labelled[~client_corpus_rows(labelled)]
    rare = {c: int((own["code"] == c).sum()) for c in PRACTITIONER_CODES if 0 < (own["code"] == c).sum() < 10} \
        if data.client_corpus else \
        {c: int((labelled["code"] == c).sum()) for c in ALL_CODES if 0 < (labelled["code"] == c).sum() < 10}
    sessions = own["group"].nunique() if "group" in own else 0
    if data.annomi_turns is None and (len(own) < 1000 or rare):
        import warnings

        few = f"; under 10 examples of {', '.join(f'{c} ({n})' for c, n in rare.items())}" if rare else ""
        warnings.warn(f"{', '.join(str(p) for p in paths)}: little to learn from ({len(own)} coded utterances in "
                      f"{sessions} session(s)" + few + "): expect such codes to be given rarely and "
                      "wrongly; measure the model with --folds before using it, and compare it with the shipped "
                      "model on your codes (mi-coder evaluate TABLE), which may do better", stacklevel=2)
    fitted = any(abs(float(getattr(m, "temperature", 1.0)) - 1.0) > 1e-9 for m in coder.models.values())
    power = (train_kwargs or {}).get("balance", 1.0)
    detectors = " (role detectors balanced)" if any(k.startswith("role_") for k in coder.models) else ""
    balanced = ("classes balanced" if power == 1.0 else "classes as found" if power == 0.0 else
                f"class weights the inverse class frequency to the power {power}{detectors}")
    meta = {
        "name": name or Path(out_dir).name,
        "version": version,
        "description": "MITI 4.2.1 practitioner codes and MISC client codes for utterances of counselling and "
                       "supervision sessions: word/character n-grams, head and tail words, the other speaker's "
                       "preceding and next turns, and position features; "
                       "multinomial logistic regression with temperature-scaled confidences; turn models choose "
                       "each turn's main code.",
        "labels": {"practitioner": list(PRACTITIONER_CODES), "client": list(CLIENT_CODES)},
        "training": {
            **({"codes_never_given": missing} if missing else {}),
            "files": data.sources,
            **({"client_corpus": data.client_corpus} if data.client_corpus else {}),
            # whole training sessions by their words: `evaluate` warns about any it is given, whatever the file
            # the corpus's sessions whole (its client rows alone would never match a session given to evaluate)
            "session_fingerprints": sorted(set(training_fingerprints(data.examples))
                                           | (set(training_fingerprints(load_session_corpus(shipped_session_corpus())))
                                              if data.client_corpus else set())),
            # the AnnoMI transcripts trained on (the hold-out left out), by their words: only these are warned about
            **({"annomi_fingerprints": sorted(set(transcript_fingerprints(data.annomi_turns).values()))}
               if data.annomi_turns is not None else {}),
            "utterance_examples": int(len(labelled)),
            "examples_per_code": {c: int((labelled["code"] == c).sum()) for c in ALL_CODES},
            "turn_examples": int(len(data.turn_examples)),
            "protocol": (("AnnoMI turn labels become utterance labels by the rules in mi_coder.train.annomi "
                          "(see data/corpus/DATA_CARD.md); " if data.annomi_turns is not None else
                          "the coded tables' utterance codes train the utterance models, each turn's main code "
                          "the turn models; ")
                         + "every example also trains as a lower-cased, "
                        f"unpunctuated copy at half weight (automatic-caption robustness); {balanced}; "
                        + (f"confidences temperature-scaled on {min(3, sessions) if sessions else 3} grouped folds"
                           if fitted else
                           "confidences not temperature-scaled (too few sessions for held-out folds to fit a "
                           "temperature on)")
                        + ("; AnnoMI utterances that a team-corpus "
                           "model reads as AF/SEEK/EA/CON are left out (AnnoMI does not label those codes)"
                           + (", except AnnoMI utterances re-coded one by one (the re-code files among the files), "
                              "which carry their own code" if _recoded(data.examples) else "")
                           if data.annomi_turns is not None else "")
                        + "; utterance and turn probabilities decoded jointly, then "
                        + ("re-scaled by an output temperature fitted on the out-of-fold codes "
                           "of the AnnoMI cross-validation" if "output_temperature" in metrics.get("annomi_cv", {})
                           else f"re-scaled by the base model's output temperature ({temperature:.3g}), fitted on "
                           "its own AnnoMI cross-validation, not on this data" if temperature != 1.0
                           else "not re-scaled (no AnnoMI cross-validation to fit an output temperature on)")
                        + "." + _decoding_protocol(train_kwargs, roles=any(k.startswith("role_") for k in coder.models),
                                                   models=set(coder.models))),
            "output_temperature": round(temperature, 3),
            "C": C,
            "settings": dict(train_kwargs or {}),
            **({"base_model": Path(base).name} if base else {}),
            **({"carried_from_base": carried} if base and carried else {}),
            **({"added_reviewed": added} if added else {}),
        },
        "metrics": metrics,
        **({"decoding_profiles": decoding_profiles} if decoding_profiles else {}),
    }
    if metrics and "command" not in metrics:
        meta["metrics"]["command"] = ("mi-coder train " + " ".join(str(p) for p in paths)  # as given: folders kept
                                      + f" --out {out_dir} --folds {metrics.get('folds', '')}")
    saved = save_coder(coder, out_dir, meta, run=run_record(out_dir, paths, annomi_codes))
    remember_trusted(saved / "meta.json")
    return saved


def run_record(out_dir: str | Path, paths: Sequence[str | Path], annomi_codes: Sequence[str | Path] = ()) -> dict:
    """run.json's record of the training files: absolute (links resolved), and relative to the model folder as
    the paths were given (links kept), so that data reached through a linked folder next to the checkout
    (``../shared``) is found next to another checkout too, not at the link's target on the training machine."""
    import os

    folder = os.path.abspath(out_dir)
    out: dict = {}
    for key, files in (("training_paths", paths), ("annomi_code_paths", annomi_codes)):
        if files or key == "training_paths":
            out[key] = [str(Path(p).resolve()) for p in files]
            out[f"{key}_from_model"] = [_relative(Path(os.path.abspath(p)), Path(folder)) for p in files]
    return out


def _relative(path: Path, folder: Path) -> str | None:
    import os

    try:
        return os.path.relpath(path, folder)
    except ValueError:  # another drive (Windows): no relative path
        return None


def _recoded(examples: pd.DataFrame) -> bool:
    return "recoded" in examples and bool(examples["recoded"].fillna(False).astype(bool).any())


_UNSURE_WORDS = {"CR": "MITI: unsure between SR and CR, SR", "PER": "MITI: unsure between PER and GI, GI",
                 "CT": "unsure whether change talk: FN", "ST": "unsure whether sustain talk: FN"}


def _decoding_protocol(train_kwargs: dict | None, roles: bool = True, models: set[str] | None = None) -> str:
    """The protocol's sentences on decoding settings (MITI unsure rules, turn weights, client turn weight) and on
    what the role-clarification detectors read, if any. ``models``: the model's own models, where known, so that a
    setting carried from a base (``train --base``) is described only where the model has what it uses (a subtype
    turn model needs AnnoMI's subtype labels: a card had described one that was never trained)."""
    kw = dict(train_kwargs or {})
    if models is not None and kw.get("subtype_turn_models"):
        trained = [pair for pair in (["OQ_CQ", "SR_CR"] if kw["subtype_turn_models"] is True
                                     else list(kw["subtype_turn_models"]))
                   if subtype_model_key(pair.split("_")) in models]
        kw["subtype_turn_models"] = trained
    out = ""
    if kw.get("unsure"):
        rules = "; ".join(f"{_UNSURE_WORDS.get(code, f'unsure whether {code}: the likeliest other code')} "
                          f"({code} x{factor})" for code, factor in kw["unsure"].items())
        out += (f" Decision rules for an unsure coder ({rules}): where the code wins but not at odds of 1/factor "
                "against its fallback, the two are exchanged.")
    if kw.get("code_turn_weights"):
        weights = ", ".join(f"{w:g} for {code}" for code, w in kw["code_turn_weights"].items())
        out += (f" In joint decoding the turn model's class probability has exponent {weights} (1 for the other "
                "codes), so those codes are coded only where the turn as a whole reads as their class.")
    if kw.get("class_first"):
        out += " Each practitioner utterance's behaviour class is decided before its code."
    if kw.get("question_second_codes"):
        out += (" A question the code model codes SEEK or EA is coded as the question it is (OQ or CQ, the likelier), "
                "with SEEK or EA as its second code, as the coding guide double-codes it.")
    if kw.get("permission_advice"):
        out += (" Advice after the practitioner asked leave to give it (or the client asked for it) is coded Persuade "
                "with Permission: an utterance the model codes PER, or GI that is advice by its form.")
    if kw.get("client_turn_mix"):
        out += (" A client turn's main code (the turn task) is the client turn model's CT/ST/FN probabilities times, to "
                f"the power {kw['client_turn_mix']:g}, what its utterances say (some utterance CT, some ST, all FN).")
    if kw.get("bare_turn_mix"):
        out += (" A practitioner turn without any punctuation mark (automatic captions; in a punctuated transcript a turn "
                "such as \"Mm-hmm\") takes its main code's class from the turn model's probabilities times, to the power "
                f"{kw['bare_turn_mix']:g}, what its utterances say; a turn with punctuation is decoded as before.")
    if kw.get("subtype_turn_mix") and kw.get("subtype_turn_models"):
        pairs = kw["subtype_turn_models"]
        which = ("question turn's main code (open or closed)" if pairs == ["OQ_CQ"]
                 else "reflection turn's main code (simple or complex)" if pairs == ["SR_CR"]
                 else "question or reflection turn's main code (open or closed, simple or complex)")
        out += (f" A {which} is its utterances' likeliest code of the class times, to the power "
                f"{kw['subtype_turn_mix']:g}, what a turn model of the subtype reads in the whole turn (trained on AnnoMI's "
                "therapist turns and their subtype labels); utterance codes are unchanged.")
    if kw.get("caption_questions"):
        from ..model.coder import UNPUNCTUATED_WORDS_PER_MARK

        out += (" In a turn without sentence punctuation of a session that reads as unpunctuated speech (fewer "
                f"sentence ends than one per {UNPUNCTUATED_WORDS_PER_MARK} words), an utterance that opens as a "
                "question by inversion (\"did i get that right\") and that the code model reads as a statement is "
                "coded OQ or CQ, the likelier.")
    if not roles:  # settings carried from a base describe detectors this model has not got (no role labels)
        kw = {k: v for k, v in kw.items() if not k.startswith("role_")}
    if kw.get("role_own_words"):
        out += (" The role-clarification detectors also read the practitioner's own words before each utterance "
                "(their previous turn and the turn's earlier utterances); the code models do not.")
    if kw.get("role_behaviour") is False:
        out += (" The role-clarification detectors are trained without the behaviour block (its weights are zero):"
                " they read words, context and position.")
    if kw.get("role_only_batches"):
        out += (f" Team corpus batches {', '.join(kw['role_only_batches'])} (openings written for role clarification) "
                "train the role-clarification detectors and the feature space only, not the code and turn models.")
    if kw.get("role_turn_stage"):
        out += (" A second stage decides each role-clarification element of an utterance from the detectors' scores "
                "of it and of the other utterances of its turn (fitted on the detectors' out-of-fold scores, 5 folds "
                "grouped by session), so that an explanation carried over several utterances is found in each.")
    if kw.get("client_turn_weight") is not None:
        out += (f" Client utterances are decoded with their turn's label at weight {kw['client_turn_weight']} "
                "(MISC codes each utterance; the turn model still gives the turn's main code).")
    return out


@dataclass
class BaseRecipe:
    """What ``mi-coder train --base MODEL`` carries from a model folder into the new one."""

    paths: list[str]  # training files: the ones named, else the base's own (run.json), found on this machine
    own_files: bool  # True when ``paths`` are the base's own training files
    settings: dict  # train_coder settings
    C: float | None
    boundary: object | None = None  # the base's boundary model for unpunctuated speech (hash-checked)
    profiles: dict = field(default_factory=dict)  # its decoding profiles (meta.json "decoding_profiles")
    output_temperature: float | None = None  # its fitted output temperature (used when training runs no CV)
    exclude_annomi: set[str] = field(default_factory=set)  # AnnoMI transcripts it left out (own files only)
    annomi_codes: list[str] = field(default_factory=list)  # its AnnoMI re-code files (own files only)

    def carried(self) -> dict:
        """For the new model's meta.json: what came from the base besides its settings."""
        out: dict = {}
        if self.boundary is not None:
            out["boundary model"] = "the base model's boundary.npz"
        if self.profiles:
            out["decoding profiles"] = ", ".join(sorted(self.profiles))
        if self.output_temperature not in (None, 1.0):
            out["output temperature"] = (f"{self.output_temperature:g}, fitted on the base's own AnnoMI "
                                         "cross-validation (used unless this training fits one: --folds with AnnoMI)")
        if self.own_files and self.exclude_annomi:
            out["AnnoMI transcripts left out"] = len(self.exclude_annomi)
        if self.own_files and self.annomi_codes:
            out["AnnoMI re-code files"] = ", ".join(Path(p).name for p in self.annomi_codes)
        return out


def _recorded_paths(base: Path, run: dict, key: str) -> tuple[list[str], list[str]]:
    """A run.json list of training files as found on this machine: each at its path relative to the model folder
    (``<key>_from_model``) when that exists, else at its recorded absolute path. The relative path comes first so
    that a model inside a source checkout reads that checkout's files, not those of another checkout of the same
    project that happens to sit at the recorded absolute path. Returns (found, missing)."""
    absolute = run.get(key, [])
    relative = run.get(f"{key}_from_model", [None] * len(absolute))
    found, missing = [], []
    for path, rel in zip(absolute, relative):
        for candidate in ((base / rel).resolve() if rel else None, Path(path)):
            if candidate is not None and candidate.exists():
                found.append(str(candidate))
                break
        else:
            missing.append(path)
    return found, missing


def read_base(base: str | Path, paths: Sequence[str | Path], trust: bool = False) -> BaseRecipe:
    """A base model's recipe (``BaseRecipe``): its settings, C, boundary model, decoding profiles and output
    temperature, and its training files (from its ``run.json``, with the AnnoMI transcripts it left out and its
    AnnoMI re-code files) unless ``paths`` are given. Raises UsageError when no data is given and a base file is
    not on this machine."""
    import json

    from ..model.store import RUN_FILE, load_boundary, model_folder, verify

    base = model_folder(base)
    meta = verify(base, trust=trust)
    training = meta.get("training", {})
    if not isinstance(training, dict) or not isinstance(training.get("settings", {}), dict) \
            or not isinstance(training.get("files", []), list):
        raise ModelError(f"{base}: meta.json's 'training' is not the record mi-coder writes (an object with its "
                         "settings and files); it cannot be a --base")
    recipe = BaseRecipe(paths=[str(p) for p in paths], own_files=not paths, settings=dict(training.get("settings", {})),
                        C=training.get("C"), boundary=load_boundary(base, trust=True),  # verified just above
                        profiles=dict(meta.get("decoding_profiles") or {}),
                        output_temperature=training.get("output_temperature"))
    if paths:
        return recipe
    try:
        run = json.loads((base / RUN_FILE).read_text()) if (base / RUN_FILE).exists() else {}
    except (ValueError, RecursionError):
        raise UsageError(f"{base}: its {RUN_FILE} is not valid JSON; name the training data as DATA") from None
    _check_run_record(base, run, training.get("files", []))
    recorded, missing = _recorded_paths(base, run, "training_paths")
    codes, missing_codes = _recorded_paths(base, run, "annomi_code_paths")
    if not recorded or missing or missing_codes:
        raise UsageError(f"{base}: its training files are not on this machine "
                         f"({', '.join(missing + missing_codes) or 'none recorded'}); name the training data as DATA")
    recipe.paths, recipe.annomi_codes = recorded, codes
    recipe.exclude_annomi = {str(t) for t in training.get("annomi_holdout_excluded", [])}
    _warn_changed(base, recorded, training.get("files", []))
    return recipe


def _check_run_record(base: Path, run: object, files: Sequence[dict]) -> None:
    """run.json is not hash-pinned (it records where the files were, which differs from machine to machine), so
    every training file it names must be one that the hash-checked meta.json lists; a run.json edited to train on
    other files is refused (models that record no files, from before mi-coder listed them, are not checked)."""
    named: list[str] = []
    for key in ("training_paths", "annomi_code_paths"):
        value = run.get(key, []) if isinstance(run, dict) else None
        if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
            raise UsageError(f"{base}: its run.json is not a record mi-coder wrote ({key}); name the training data "
                             "as DATA")
        named += value
    listed = {f.get("file") for f in files if isinstance(f, dict)}
    strays = [Path(p).name for p in named if Path(p).name not in listed]
    if listed and strays:
        raise UsageError(f"{base}: its run.json names training files that its meta.json does not list "
                         f"({', '.join(strays)}); name the training data as DATA")
    left = sorted(listed - {Path(p).name for p in named} - {None})
    if listed and left:  # a run.json cut down to some of the files would train on those alone, without a word
        raise UsageError(f"{base}: its run.json leaves out training files that its meta.json lists "
                         f"({', '.join(left[:3])}{', ...' if len(left) > 3 else ''}); name the training data as DATA")


def _warn_changed(base: Path, paths: Sequence[str], files: Sequence[dict]) -> None:
    """A warning for each training file whose SHA-256 differs from the one the base model's meta.json (itself
    hash-checked) recorded: the new model trains on the file as it is now, not as the base read it. Models
    trained before mi-coder recorded these hashes (the shipped 2.9 among them) are not checked."""
    import warnings

    from ..model.store import sha256

    recorded = {f.get("file"): f.get("sha256") for f in files if isinstance(f, dict) and f.get("sha256")}
    changed = [Path(p).name for p in paths  # by name: run.json's order is not meta.json's
               if Path(p).name in recorded and sha256(Path(p)) != recorded[Path(p).name]]
    if changed:
        warnings.warn(f"{base}: {', '.join(changed)} changed since the base model read them (SHA-256 differs); "
                      "the new model trains on them as they are now", stacklevel=3)


def with_annomi_code_files(data: TrainingData, paths: Sequence[str | Path]) -> TrainingData:
    """``data`` with AnnoMI re-code files (``train.annomi.read_utterance_codes``) as training labels and
    reference, each listed among its sources with its SHA-256."""
    from ..model.store import sha256
    from .annomi import read_utterance_code_files, read_utterance_codes

    if not paths:
        return data
    data = data.with_annomi_codes(read_utterance_code_files(paths))
    data.sources.extend({"file": Path(p).name, "layout": "AnnoMI utterance re-codes (keys and codes)",
                         "utterances": len(read_utterance_codes(p)), "sha256": sha256(Path(p))} for p in paths)
    return data


def add_reviewed(data: TrainingData, paths: Sequence[str | Path], weight: float = 3.0,
                 options: ReadOptions | None = None) -> list[dict]:
    """Add reviewed codes (the report's "Download reviewed codes" CSV, or any coded table) to ``data`` in place.

    Only utterances a reviewer confirmed or changed (a non-empty ``reviewed_code``) are added, each with
    ``weight``; where the file has no ``reviewed_code`` column every coded utterance is. The whole session
    still gives each utterance its context. Returns what was added, per file, for the model card.
    """
    import pandas as pd

    from ..io.delimited import _header

    out = []
    added: dict[tuple, tuple[str, str, str]] = {}  # each reviewed utterance (session, turn, place): file, code, words
    for path in map(Path, paths):
        if "reviewed_code" in _header(path):  # each utterance's own flag, whatever the order of the rows
            examples = coded_table_examples(path, options, reviewed=True)
            examples = examples[examples.pop("reviewed")]
        else:
            examples = coded_table_examples(path, options)
        examples = examples[examples["code"].notna()].assign(source="reviewed", weight=weight)
        if not len(examples):
            raise UsageError(f"{path}: holds no reviewed utterances to add")
        # A page downloaded twice ("visit.reviewed.csv", "visit.reviewed (1).csv") holds the same utterances: each
        # is added once, not at twice the weight (nor twice because its words were edited in one copy); two reviews
        # that code one utterance differently are refused: which is right is the reviewer's call, not the order of
        # the files (the first file's code had silently won)
        keys = list(zip(examples["session_id"].astype(str), examples["turn_id"].astype(str),
                        examples["position"].astype(str)))
        codes = examples["code"].astype(str).tolist()
        texts = examples["text"].astype(str).tolist()
        clash = [(k, c) for k, c in zip(keys, codes) if k in added and added[k][1] != c]
        if clash:
            (sid, tid, _), code = clash[0]
            raise UsageError(f"{path}: {len(clash)} reviewed utterance(s) are also in {added[clash[0][0]][0]} with "
                             f"another code (the first: session {sid}, turn {tid}: {added[clash[0][0]][1]} there, "
                             f"{code} here); give one review of each session, the one to keep")
        again = [k for k in keys if k in added]
        if again:
            import warnings

            edited = sum(added[k][2] != t for k, t in zip(keys, texts) if k in added)
            warnings.warn(f"{path}: {len(again)} of its {len(keys)} reviewed utterances are also in "
                          f"{added[again[0]][0]} with the same codes (the same page downloaded twice?)"
                          + (f", {edited} of them with other words (edited text?)" if edited else "")
                          + "; each is added once, as that file has it", stacklevel=2)
            examples = examples[[k not in added for k in keys]]
            texts = [t for k, t in zip(keys, texts) if k not in added]
            codes = [c for k, c in zip(keys, codes) if k not in added]
            keys = [k for k in keys if k not in added]
            if not len(examples):
                continue
        added.update({k: (path.name, c, t) for k, c, t in zip(keys, codes, texts)})
        # A session already in the training data keeps its group, so grouped folds never split it between
        # training (its reviewed codes) and testing (its original codes).
        known = data.examples.drop_duplicates("session_id").set_index("session_id")["group"]
        examples["group"] = examples["session_id"].map(known).fillna(examples["group"])
        data.examples = pd.concat([data.examples, examples], ignore_index=True)
        data.turn_examples = pd.concat([data.turn_examples, coded_turn_examples(examples)], ignore_index=True)
        out.append({"file": path.name, "utterances": int(len(examples)), "sessions": int(examples["session_id"].nunique()),
                    "weight": weight, **_machine_models(path)})
    return out


def _machine_models(path: Path) -> dict:
    """``{"machine_model": ...}``: the coder(s) of a review download's machine codes, from the column the review
    page writes (``model``), for the card; empty for a table without one."""
    import pandas as pd

    try:
        column = pd.read_csv(path, dtype=str, keep_default_na=False, usecols=lambda c: str(c).strip() == "model")
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError):  # read as it was for training; only the card's note
        return {}
    models = sorted({v.strip() for v in column.get("model", []) if v.strip()})
    return {"machine_model": ", ".join(models)} if models else {}
