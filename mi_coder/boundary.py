"""Utterance boundaries in unpunctuated speech (automatic captions, ASR): a trained linear model.

When a turn carries no sentence punctuation, the splitter cannot see where one thought ends and the next
begins. This model reads the words around every gap between two words and says whether a new utterance
starts there (MITI: a new utterance when the speaker moves to a new thought or code; a question always
ends one). Features are the words around the gap (three on each side, and the pairs and triples across
it), the position in the turn, and whether the next words have question form; they are hashed into a
fixed-size space (``DIM``), so the model is one weight vector with no vocabulary file. Each gap is
decided on its own, and a question by inversion inside the run of words (``question_starts``) opens an
utterance whatever the weights say (models since 2.17, ``question_rule``; yes/no questions too since 2.18;
without level 2's false starts in statements since 2.19).

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

# Hashing space: on the first AnnoMI fold, 2^20 buckets gave boundary F1 0.485 and whole questions 0.732
# against 0.473 and 0.713 for 2^18 (fewer collisions among the word pairs and triples).
DIM = 1 << 20
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


# The words around a gap, as offsets from the word after it (b0): a3 a2 a1 | b0 b1 b2 b3. Each template is a
# feature: the words at its offsets (one, a pair or a triple) hashed together with the template's number.
TEMPLATES: tuple[tuple[str, tuple[int, ...]], ...] = (
    ("a1", (-1,)), ("b0", (0,)), ("b1", (1,)), ("a2", (-2,)), ("b2", (2,)), ("a3", (-3,)), ("b3", (3,)),
    ("a1b0", (-1, 0)), ("b0b1", (0, 1)), ("a2a1", (-2, -1)), ("a1b0b1", (-1, 0, 1)), ("b0b1b2", (0, 1, 2)),
    ("a2a1b0", (-2, -1, 0)), ("a1_b1", (-1, 1)),
    ("a1|aux_pron", (-1,)),  # the word before an inverted question ("... | do you"), only where there is one
)
_PAD = 3
_MULT = np.uint64(0x9E3779B97F4A7C15)  # odd 64-bit constants: multiplicative hashing, top bits kept
_STEP = np.uint64(0xC2B2AE3D27D4EB4F)
_SHIFT = np.uint64(64 - DIM.bit_length() + 1)
# Flag features (no words): their ids, fixed once.
_FLAGS = ("bias", "b0=wh", "b0b1=aux_pron", "a1=filler", "b0=filler", "repeat")


@lru_cache(maxsize=1 << 17)  # words repeat a lot across gaps and turns
def _word_hash(word: str) -> int:
    data = word.encode("utf-8")
    return zlib.crc32(data) | (zlib.crc32(b"#" + data) << 32)


def _mix(values: np.ndarray, salt: int) -> np.ndarray:
    """Hash ids in [0, DIM) of 64-bit word hashes combined (rows: the words of one feature) with a salt."""
    h = np.full(values.shape[1:], (salt * int(_STEP)) & 0xFFFFFFFFFFFFFFFF, dtype=np.uint64)
    for row in values:
        h = (h ^ row) * _MULT
    return (h >> _SHIFT).astype(np.int64) & (DIM - 1)


# Word classes (optional): a word's class (k-means over static word vectors, ``word_classes``) stands in for the
# word in these templates, so that a gap between words never seen together is decided by words like them.
CLASS_TEMPLATES: tuple[tuple[int, ...], ...] = ((-1,), (0,), (1,), (-2,), (-1, 0), (0, 1), (-2, -1), (-1, 0, 1))
_CLASS_SALT = 300
_NO_CLASS = "\x00none"


def class_hashes(classes: dict[str, int] | None) -> dict[str, int] | None:
    """Each word's class as the 64-bit hash its templates combine (``gap_ids_many``'s ``classes``)."""
    if not classes:
        return None
    return {w: _word_hash(f"\x00class{c}") for w, c in classes.items()}


_FLAG_IDS = np.array([int(_mix(np.array([[0]], dtype=np.uint64), 1000 + k)[0]) for k in range(len(_FLAGS))])
_BUCKET_BASE = 2000


def gap_ids(words: Sequence[str], classes: dict[str, int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Hashed feature ids of every gap of ``words`` (lower-cased word tokens), the gap before word i for i >= 1:
    an (n - 1, F) id matrix and a same-shaped 0/1 mask (a flag feature is absent where its condition fails).

    Features: the three words each side of the gap, the pairs and triples across it, the position in the turn
    and the words left (bucketed), question form of the next words (a question word; an auxiliary before a
    pronoun, also paired with the word before it), fillers on either side and repeats (false starts)."""
    return gap_ids_many([words], classes)


def gap_ids_many(turns: Sequence[Sequence[str]],
                 classes: dict[str, int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``gap_ids`` of several turns at once, their gaps stacked in order (a turn of n words has n - 1 gaps);
    featurizing a batch of turns together keeps NumPy's per-call cost off every turn. ``classes``: each word's
    class hash (``class_hashes``), for the class templates; None: none."""
    lengths = np.fromiter((len(t) for t in turns), dtype=np.int64, count=len(turns))
    words = [w for t in turns for w in t]
    n = len(words)
    hashes = np.fromiter((_word_hash(w) for w in words), dtype=np.uint64, count=n)
    first = np.repeat(np.cumsum(lengths) - lengths, lengths)  # each word's turn start
    pos = np.arange(n) - first  # place in its turn
    size = np.repeat(lengths, lengths)
    g = np.flatnonzero(pos >= 1)  # b0 of every gap
    gpos, gsize = pos[g], size[g]
    start_pad, end_pad = np.uint64(_word_hash("<s>")), np.uint64(_word_hash("</s>"))

    def at(offset: int) -> np.ndarray:
        k = gpos + offset
        vals = hashes[np.clip(g + offset, 0, max(n - 1, 0))]
        return np.where(k < 0, start_pad, np.where(k >= gsize, end_pad, vals))

    near = {o: at(o) for o in range(-_PAD, _PAD + 1)}
    cols = [_mix(np.stack([near[o] for o in offsets]), t + 1) for t, (_, offsets) in enumerate(TEMPLATES)]
    n_class = 0
    if classes is not None:
        none, word_hashes = _word_hash(_NO_CLASS), hashes
        hashes = np.fromiter((classes.get(w, none) for w in words), dtype=np.uint64, count=n)  # what at() reads
        near = {o: at(o) for o in range(-2, 2)}
        cols += [_mix(np.stack([near[o] for o in offsets]), _CLASS_SALT + t)
                 for t, offsets in enumerate(CLASS_TEMPLATES)]
        hashes = word_hashes
        n_class = len(CLASS_TEMPLATES)
    member = lambda vocab: np.fromiter((w in vocab for w in words), dtype=bool, count=n)  # noqa: E731
    wh, aux, pron, filler = member(_QUESTION_WORDS), member(_AUX), member(_PRONOUNS), member(_FILLERS)
    has_b1 = gpos + 1 < gsize
    aux_pron = aux[g] & has_b1 & pron[np.clip(g + 1, 0, max(n - 1, 0))]
    one = np.ones(len(g), dtype=bool)
    masks = [one] * (len(TEMPLATES) - 1) + [aux_pron] + [one] * n_class
    flags = (one, wh[g], aux_pron, filler[g - 1], filler[g], hashes[g - 1] == hashes[g])
    for k, flag in enumerate(flags):
        cols.append(np.full(len(g), _FLAG_IDS[k]))
        masks.append(flag)
    for salt, counts in ((0, gpos), (50, gsize - gpos)):  # position in the turn, words left
        buckets = np.searchsorted(np.asarray(_BUCKETS), counts)  # index of the first bucket >= count
        cols.append(_mix(buckets[None, :].astype(np.uint64), _BUCKET_BASE + salt))
        masks.append(one)
    return np.stack(cols, axis=1), np.stack(masks, axis=1).astype(np.float32)


# A question by inversion inside a run of words ("... pretty worn out | how many beers are we talking about"): a
# question word, at most three words and no subject among them (a quantity, a noun: "how many beers", "what kind
# of"), then an auxiliary before a subject pronoun. Embedded questions and subordinate clauses do not invert ("i
# know what you did", "better when i do it", "what it is they want"), so the inversion marks a
# direct question, which MITI always makes an utterance of its own; the start goes back over the discourse markers
# and fillers before it ("so um | what do you think": the start is at "so"), as the reference's does.
_Q_SUBJECT = frozenset("you i we they he she it there".split())
_Q_LEAD = _FILLERS | frozenset("and but or".split())
_Q_BETWEEN = _PRONOUNS - {"your"}  # a subject between the question word and the auxiliary
QUESTION_RULE_MIN_WORDS = 2  # words of the turn before the question's start: a shorter lead-in joins it
# Level 2 (E78): yes/no questions by inversion and "how was the hearing". Subjects of a yes/no inversion ("it" and
# "that" left out: "have it come back", "is that" closes as often as it opens); words after which an auxiliary and a
# pronoun are in declarative order ("than i", "to have you", "not have you"; "so" is listed but is also a filler,
# which the check lets through, so "and so do i" starts an utterance: measured so in E78); forms of be and "had",
# which after a noun are a copula ("the thing is you"); who and which, which open relative clauses ("people who").
_YN_SUBJECT = frozenset("you i we they he she there".split())
_YN_NOT_AFTER = (frozenset("so neither nor as than if that this it i you we they he she there to not n't 's 're 've "
                           "'d 'll 'm".split()) | _AUX | _QUESTION_WORDS)
_YN_COPULA = frozenset("is was are were am had".split())
_WH_DET_WORDS = frozenset("what how where why when".split())
_DETERMINERS = frozenset("your the that this those these his her their my our a an any some".split())
# Level 3 (E81): level 2 without the false starts a review of it found in statements. An auxiliary agrees with its
# subject ("like my brother does i guess": "does i" opens nothing); "so" before "do i" or "am we" with no verb after
# is an echo ("and so do i and then"); a question word right after a copula or a verb of telling or knowing opens a
# clause ("that's what is the hard part", "i know what do they want": the reference runs them on), but not after
# the filler "you know" ("you know | where did you go") or a possessive ("at your mom's | where are you sleeping").
_AGREES = {"does": frozenset("he she there".split()), "is": frozenset("he she there".split()),
           "has": frozenset("he she there".split()), "am": frozenset({"i"}),
           "are": frozenset("you we they there".split()), "were": frozenset("you we they there".split()),
           "was": frozenset("i he she there".split()), "do": frozenset("i you we they".split()),
           "have": frozenset("i you we they".split())}
_ECHO_SUBJECT = frozenset("i we".split())
_ECHO_AFTER = frozenset("and but or so too either yeah then because cause i we you they he she it that".split())
_WH_NOT_AFTER = frozenset("is was be see wonder wondering tell told about remember understand asked ask".split())
_WH_NOT_AFTER_KNOW = frozenset("know knew knows".split())  # not after "you": the filler "you know"
_CLAUSE_SUBJECT = frozenset("that it this what here there".split())  # "that 's | what": a copula, not a possessive
QUESTION_RULE_LEVELS = (0, 1, 2, 3)  # off; question words (model 2.17); and yes/no inversion and "how was the
# hearing" (2.18); and without level 2's false starts in statements


def _lead_in(words: Sequence[str], i: int) -> int:
    """Where a question opening at ``words[i]`` starts: moved back over the markers and fillers (and a repeated
    opening word) that lead into it."""
    j = i
    while j - 1 >= 1:
        if words[j - 1] in _Q_LEAD or words[j - 1] == words[i]:
            j -= 1
        elif j - 2 >= 1 and (words[j - 2], words[j - 1]) in (("i", "mean"), ("you", "know")):
            j -= 2
        else:
            break
    return j


def _yes_no_inverted(words: Sequence[str], i: int, level: int = 2) -> bool:
    """Whether an auxiliary at ``words[i]`` opens a yes/no question ("... since the hearing | would you be willing"):
    followed by a subject pronoun and more words (not "you know", "i mean"), not in a question word's reach (the
    wh-rule's "how long | have you"), not after a word that makes the order declarative ("to have you", "what it is
    you want"; not "so", a filler: "and so do i" opens one), and a form of be or "had" only after a marker or filler
    ("the idea is you would" is a copula). Level 3 also asks that the auxiliary agree with its subject, and after
    "so" with "i" or "we" that more than a conjunction or pronoun follow ("and so do i and then" echoes)."""
    n = len(words)
    if words[i] not in _AUX or i + 2 >= n or words[i + 1] not in _YN_SUBJECT or words[i + 2] in ("know", "mean"):
        return False
    prev = words[i - 1]
    if prev in _YN_NOT_AFTER and prev not in _FILLERS:
        return False
    if words[i] in _YN_COPULA and prev not in _Q_LEAD:
        return False
    if level >= 3:
        if words[i] in _AGREES and words[i + 1] not in _AGREES[words[i]]:
            return False
        if prev == "so" and words[i + 1] in _ECHO_SUBJECT and words[i + 2] in _ECHO_AFTER:
            return False
    return not any(w in _QUESTION_WORDS for w in words[max(0, i - 4):i])


def _wh_in_clause(words: Sequence[str], i: int) -> bool:
    """Level 3: whether the question word at ``words[i]`` (i >= 1) opens a clause of a statement, after a copula or a
    verb of telling or knowing ("that 's | what is the hard part", "i know what do they want")."""
    prev = words[i - 1]
    before = words[i - 2] if i >= 2 else ""
    return (prev in _WH_NOT_AFTER or (prev in _WH_NOT_AFTER_KNOW and before != "you")
            or (prev == "'s" and before in _CLAUSE_SUBJECT))


def question_starts(words: Sequence[str], level: int = 1) -> list[int]:
    """Indices of the words that open a question by inversion after at least ``QUESTION_RULE_MIN_WORDS`` words of
    the turn (``words`` lower-cased), each moved back over the markers and fillers (and a repeated question word)
    that lead into it. ``level`` 1: a question word then an auxiliary before a subject pronoun (model 2.17);
    2: also an auxiliary opening a yes/no question, and what/how/where/why/when with an auxiliary before a
    determiner or possessive ("... | how was the hearing", "| what are the hard parts"); 3: level 2 without its
    false starts in statements (``_yes_no_inverted``, ``_wh_in_clause``)."""
    out: list[int] = []
    n = len(words) if level >= 1 else 0  # level 0: the rule is off
    for i in range(1, n):
        if words[i] in _QUESTION_WORDS:
            if level >= 3 and _wh_in_clause(words, i):
                continue
            inverted = next((k for k in range(i + 1, min(i + 5, n - 1))
                             if words[k] in _AUX and words[k + 1] in _Q_SUBJECT), None)
            # declarative order, a subject before the verb ("when i do it", "what it is they want", "why i was
            # there"), is a clause inside a statement, not a question
            opens = inverted is not None and not any(w in _Q_BETWEEN for w in words[i + 1:inverted])
            if not opens and level >= 2:
                opens = (words[i] in _WH_DET_WORDS and i + 2 < n and words[i + 1] in _AUX
                         and words[i + 2] in _DETERMINERS)
        else:
            opens = level >= 2 and _yes_no_inverted(words, i, level)
        if not opens:
            continue
        j = _lead_in(words, i)
        if j >= QUESTION_RULE_MIN_WORDS and (not out or out[-1] != j):
            out.append(j)
    return out


class BoundaryModel:
    """Weights over hashed gap features; ``starts(words)`` marks the words that open an utterance.

    ``question_rule``: also start an utterance where a question by inversion opens inside the run of words
    (``question_starts``), whatever the weights say: MITI makes every question an utterance of its own, and a
    question straight after a reflection ("... worn out how many beers are we ...") is where the weights alone run
    two utterances together most often. Level 1 since model 2.17 (E77), level 2 since 2.18 (E78), level 3 since 2.19
    (E81)."""

    def __init__(self, coef: np.ndarray, intercept: float = 0.0, threshold: float = THRESHOLD,
                 classes: dict[str, int] | None = None, question_rule: int = 0) -> None:
        self.coef = np.asarray(coef, dtype=np.float32)
        self.intercept = float(intercept)
        self.threshold = float(threshold)
        self.classes = classes or None  # word -> class (``word_classes``), read by the class templates
        self._class_hashes = class_hashes(self.classes)
        self._margin = float(np.log(threshold / (1 - threshold)))
        if question_rule not in QUESTION_RULE_LEVELS or isinstance(question_rule, float):  # True, False: 1, 0
            raise ValueError(f"a question rule level is one of {QUESTION_RULE_LEVELS}, not {question_rule!r}")
        self.question_rule = int(question_rule)

    def with_threshold(self, threshold: float) -> "BoundaryModel":
        """The same weights deciding at another P(start)."""
        if not 0 < threshold < 1:
            raise ValueError(f"a boundary threshold is a probability strictly between 0 and 1, not {threshold}")
        return BoundaryModel(self.coef, self.intercept, threshold, self.classes, self.question_rule)

    def with_question_rule(self, level: int = 1) -> "BoundaryModel":
        """The same weights, deciding with the question-by-inversion rule at this level (0: without it; see
        ``question_starts``)."""
        return BoundaryModel(self.coef, self.intercept, self.threshold, self.classes, level)

    def starts(self, words: Sequence[str]) -> list[bool]:
        return self.starts_many([words])[0]

    def starts_many(self, turns: Sequence[Sequence[str]]) -> list[list[bool]]:
        """``starts`` of several turns, featurized and scored together (the hot path on captions)."""
        ids, mask = gap_ids_many(turns, self._class_hashes)
        decided = ((self.coef[ids] * mask).sum(axis=1) + self.intercept > self._margin).tolist()
        out, k = [], 0
        for words in turns:
            m = max(len(words) - 1, 0)
            starts = ([True] if words else []) + decided[k:k + m]
            if self.question_rule:
                for j in question_starts(words, self.question_rule):
                    starts[j] = True
            out.append(starts)
            k += m
        return out

    def to_arrays(self) -> dict[str, np.ndarray]:
        out = {"boundary__coef": self.coef, "boundary__intercept": np.array([self.intercept, self.threshold])}
        if self.question_rule:  # absent in the models before the rule: off
            out["boundary__question_rule"] = np.array([self.question_rule], dtype=np.int8)
        if self.classes:
            out["boundary__class_terms"] = np.array(list(self.classes))
            out["boundary__class_ids"] = np.array(list(self.classes.values()), dtype=np.int32)
        return out

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> "BoundaryModel":
        coef = arrays["boundary__coef"]
        if coef.shape != (DIM,):
            raise ValueError(f"boundary weights have shape {coef.shape}, expected ({DIM},)")
        intercept, threshold = (float(x) for x in arrays["boundary__intercept"])
        classes = None
        if "boundary__class_terms" in arrays:
            terms, ids = arrays["boundary__class_terms"], arrays["boundary__class_ids"]
            if terms.dtype.kind != "U" or ids.dtype.kind not in "iu" or terms.shape != ids.shape or terms.ndim != 1:
                raise ValueError("boundary word classes are malformed (expected a string array and an integer "
                                 "array of the same length)")
            classes = dict(zip(terms.tolist(), ids.tolist()))
        rule = arrays.get("boundary__question_rule")
        if rule is not None and (rule.shape != (1,) or rule.dtype.kind not in "iu"
                                 or int(rule[0]) not in QUESTION_RULE_LEVELS):
            raise ValueError(f"the boundary question rule flag is malformed (expected one integer of "
                             f"{QUESTION_RULE_LEVELS})")
        return cls(coef, intercept, threshold, classes, question_rule=0 if rule is None else int(rule[0]))


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


def training_matrix(sequences: Iterable[tuple[list[str], list[bool]]],  # type: ignore[no-untyped-def]
                    classes: dict[str, int] | None = None):
    """The hashed features (a sparse gap x ``DIM`` matrix, ``gap_ids``) and labels of every gap."""
    import scipy.sparse as sp

    rows, labels = [], []
    hashed = class_hashes(classes)
    for words, starts in sequences:
        if len(words) < 2:
            continue
        ids, mask = gap_ids(words, hashed)
        rows.append(sp.csr_matrix((mask.ravel(), ids.ravel(), np.arange(0, ids.size + 1, ids.shape[1])),
                                  shape=(len(ids), DIM)))
        labels.extend(int(x) for x in starts[1:])
    X = sp.vstack(rows, format="csr") if rows else sp.csr_matrix((0, DIM))
    X.sum_duplicates()
    X.eliminate_zeros()
    return X, np.array(labels, dtype=int)


def train_boundary_model(sequences: Sequence[tuple[list[str], list[bool]]], C: float = 1.0,
                         threshold: float = THRESHOLD, classes: dict[str, int] | None = None) -> BoundaryModel:
    """Fit logistic regression on the gaps of (words, starts) sequences (``classes``: word classes, read by the
    class templates as well as the words)."""
    from sklearn.linear_model import LogisticRegression

    X, y = training_matrix(sequences, classes)
    model = LogisticRegression(C=C, max_iter=2000, solver="liblinear").fit(X, y)
    return BoundaryModel(model.coef_[0], float(model.intercept_[0]), threshold, classes)


def word_classes(vectors_path: str, k: int = 256, seed: int = 0) -> dict[str, int]:
    """Word classes for the boundary model: k-means over a static word-vector table's unit-length rows
    (``data/vectors``; its ``terms`` and ``table`` arrays, no pickle)."""
    from sklearn.cluster import KMeans

    with np.load(vectors_path, allow_pickle=False) as z:
        terms, table = z["terms"].tolist(), z["table"].astype(np.float32)
    table /= np.maximum(np.linalg.norm(table, axis=1, keepdims=True), 1e-9)
    labels = KMeans(n_clusters=k, random_state=seed, n_init=1).fit_predict(table)
    return dict(zip(terms, labels.tolist()))


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
                    is_question: Sequence[Sequence[bool]], whole: bool = False) -> float | None:
    """Share of reference question utterances not swallowed: a predicted boundary at both their edges (the
    turn's edges count), so the question is not merged with a neighbour (the issue's "no question swallowed").
    ``whole=True``: and no predicted boundary inside it either (the question is not cut into pieces)."""
    kept = total = 0
    for ref, pred, questions in zip(reference, predicted, is_question):
        starts = [i for i, r in enumerate(ref) if r] + [len(ref)]
        for k, (a, b) in enumerate(zip(starts[:-1], starts[1:])):
            if not questions[k]:
                continue
            total += 1
            edges = bool(pred[a] and (b == len(ref) or pred[b]))
            kept += edges and not (whole and any(pred[a + 1:b]))
    return round(kept / total, 3) if total else None
