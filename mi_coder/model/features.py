"""Features of an utterance for the coder: its words, its shape, its place in the turn, and the turn it answers.

``FeatureSpace`` turns rows of (text, prev_text, position, n_in_turn, next_text) into a sparse matrix:

* TF-IDF of word 1-3-grams and of character 2-5-grams (inside word boundaries) of the utterance;
* TF-IDF of the words of the other speaker's preceding turn (what a reflection answers) and of their next
  turn (how the utterance was taken: a reflection is often confirmed, a question answered, advice
  acknowledged); coding works on whole recorded sessions, so the next turn is known;
* the utterance's head and tail (``head_tokens``): its first words after discourse markers ("so", "okay",
  "um") and its last words, which carry the question form ("what ...", "do you ...", "... is that right");
* a few shape features: word overlap with the preceding turn, question form, length, place in the turn;
  what the utterance does (``behaviour_features``) and how long the other speaker's turns around it are
  (``length_features``).

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

from ..codes import ASK_PERMISSION, CLIENT_ASKS, GRANT

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

_MARKERS = frozenset(
    """so and but okay ok um uh umm uhm er well now yeah yes yep alright right mm hmm mm-hmm uh-huh oh then also
    hey hi great good sure cool anyway""".split()
)

_BACKCHANNEL_WORDS = _MARKERS | frozenset("""all got it i see mhm mmm hm hmm uh-huh mm-hmm gotcha totally exactly
    absolutely true sure fair enough""".split())

WORD_NGRAMS = (1, 3)
CHAR_NGRAMS = (2, 5)
N_SHAPE = 14
ENCODER_DIMS = 384  # model.encoder.DIMS (all-MiniLM-L6-v2), kept here so that coding never imports it
# Shape features, version 2: what the utterance *does*, in words any setting uses (``behaviour_features``).
N_BEHAVIOUR = 10
# Lengths of the turns around the utterance (``length_features``; an option, off in the shipped models: on
# the grouped folds it raised R:Q agreement but cost the fidelity index, E8): the TF-IDF blocks are
# length-normalized, and how much the other speaker said matters (a reflection follows a long client turn
# more often; a closed question gets a short answer, an open one a longer one).
N_LENGTHS = 7
# Permission context (``permission_features``; an option): MITI 4.2.1 codes advice as Persuade with Permission
# when the practitioner asked leave near it, which the utterance's own words seldom show. The practitioner's
# own words before the utterance (their previous turn and the earlier utterances of this turn) and the
# client's reply in between say whether leave was asked, granted, or advice requested.
N_PERMISSION = 3
# Form (``form_features``; an option): what over-reads as a reflection in lecturing and low-quality sessions
# (measured on the out-of-fold AnnoMI sessions: echoed backchannels "All right." after "All right.", the cut-off
# fragments of interrupted turns, answers to the client's own question, generic "when you ..." statements).
N_FORM = 6
_GENERIC_YOU = re.compile(
    r"\b(?:when|if|once|whenever|as soon as|until) you\b|\boften(?:times)?\b|\busually\b|\bgenerally\b|"
    r"\ba lot of (?:the )?times?\b|\bmost (?:people|folks|of us)\b|\b(?:people|folks|anyone|somebody|someone) "
    r"(?:who|that|with)\b|\btends? to\b|\bit's (?:not )?(?:easy|hard|common|normal)\b")
_DIRECTIVE = re.compile(
    r"\b(?:you|ya|u)(?: really| just| still)? (?:need to|needs to|have to|has to|got to|gotta|must|should|"
    r"ought to|better|had better|can't keep|cannot keep)\b|\bmake sure\b|\bi (?:need|want) you to\b|"
    r"\byou(?:'re| are) (?:going to|gonna) (?:have to|need to)\b|\bit's time (?:for you )?to\b|\blet's get you\b")
_IMPERATIVE = re.compile(
    r"^(?:(?:so|and|okay|ok|well|now|look|listen|just|then)[ ,]+)*(?:try|stop|go|call|take|get|quit|start|keep|"
    r"don't|do not|avoid|cut|put|make|think about|remember|bring|show up|stay|tell|write|use|pick|set)\b")
_WARN = re.compile(
    r"\b(?:or else|otherwise you|if you don't|if you do(?:n't| not)?|if you miss|if you keep|if it happens again|"
    r"one more|last chance|going back (?:to|in)|violat|revok|lock(?:ed)? up|jail|prison|warrant|consequences?|"
    r"you'll (?:end up|lose|be back|regret))\b")
_EVALUATIVE = re.compile(
    r"\b(?:courage|courageous|brave|strength|strong|commit(?:ted|ment)|dedicat\w*|determin\w*|effort|hard work|"
    r"worked (?:really |so )?hard|persever\w*|resourceful|smart|creative|honest(?:y|ly)?|guts|impressive|"
    r"admire|credit|progress|proud|grit|resilien\w*|initiative|took (?:a lot|some|real)|stuck with|kept (?:at|up|going)|"
    r"managed to|figured out|pulled (?:it )?off|good (?:job|work|call|for you)|great (?:job|work)|well done|"
    r"nice (?:job|work)|awesome|amazing|fantastic|wonderful|terrific|excellent|glad|appreciate|thank(?:s| you))\b")
_SECOND = re.compile(r"\b(?:you|your|you're|you've|you'd|you'll|yourself|ya)\b")
_FIRST = re.compile(r"\b(?:i|i'm|i've|i'd|i'll|me|my|myself|mine)\b")
_THIRD = re.compile(r"\b(?:he|she|they|it|people|folks|most|research|studies|program|court|judge|clinic|doctor|"
                    r"the \w+ (?:is|are|says|shows))\b")
_DIGITS = re.compile(r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|twenty|thirty|percent|hours?|"
                     r"days?|weeks?|months?)\b")
_AUTONOMY = re.compile(
    r"\b(?:your (?:call|choice|decision|life|body|business|pace|terms)|up to you|you decide|you get to|only you|"
    r"you know (?:yourself|your|best|better)|whatever you (?:decide|choose|pick|land)|it's yours|you're the (?:one|expert|boss)|"
    r"nobody (?:can|else)|no one (?:can|else)|you choose|you pick|on your (?:own )?terms|(?:if|when) you(?:'re)? ready)\b")


def behaviour_features(low: str) -> list[float]:
    """What an utterance does, by how it is said: directives and commands, warnings, evaluative words aimed at
    the client (affirmation) or not (generic praise), autonomy language, and who it is about (you / I / a third
    party with numbers: information). Normalized text in (``normalize``)."""
    toks = low.split()
    n = max(len(toks), 1)
    second = len(_SECOND.findall(low))
    evaluative = bool(_EVALUATIVE.search(low))
    return [
        float(bool(_DIRECTIVE.search(low))),
        float(bool(_IMPERATIVE.match(low))),
        float(bool(_WARN.search(low))),
        float(evaluative and second > 0),
        float(evaluative and second == 0),
        float(bool(_AUTONOMY.search(low))),
        min(second / n * 4, 1.0),
        min(len(_FIRST.findall(low)) / n * 4, 1.0),
        min(len(_THIRD.findall(low)) / n * 4, 1.0),
        float(bool(_DIGITS.search(low))),
    ]


def length_features(prev_words: int, next_words: int) -> list[float]:
    """The preceding and next turn of the other speaker, by length in words (0: none)."""
    return [
        math.log1p(prev_words) / 4.0,
        float(0 < prev_words <= 2),
        float(prev_words > 20),
        math.log1p(next_words) / 4.0,
        float(0 < next_words <= 2),
        float(next_words > 20),
        float(next_words == 0),
    ]


def permission_features(own_low: str, prev_low: str) -> list[float]:
    """Leave to advise: asked in the practitioner's own words before the utterance (``own_low``), granted by
    the client's short reply in between, or advice asked for by the client (``prev_low``). Normalized text in."""
    asked = bool(own_low) and bool(ASK_PERMISSION.search(own_low))
    granted = asked and bool(prev_low) and bool(GRANT.match(prev_low)) and len(prev_low.split()) <= 12
    return [float(asked), float(granted), float(bool(prev_low) and bool(CLIENT_ASKS.search(prev_low)))]


def form_features(text: str, low: str, prev_low: str, prev_words: frozenset[str] | set[str]) -> list[float]:
    """Backchannel, pure echo of the client's words, cut-off start or end, an answer to the client's question,
    generic "you" (``N_FORM``). ``low``/``prev_low``: the normalized utterance and the turn it answers."""
    toks = low.split()
    mine = {w for w in toks if w not in _STOP and w != "qmark" and len(w) > 2}
    stripped = text.strip()
    return [
        float(0 < len(toks) <= 4 and all(w in _BACKCHANNEL_WORDS for w in toks)),
        float(len(toks) <= 5 and bool(mine) and bool(prev_words) and mine <= prev_words),
        float(stripped[:1] in ("-", "—", "–") or stripped.startswith("...")),
        float(stripped.endswith(("-", "—", "–", "..."))),
        float("qmark" in prev_low.split()[-3:]),
        float(bool(_GENERIC_YOU.search(low))),
    ]


def normalize(text: str) -> str:
    """Lower case, punctuation folded to spaces (apostrophes kept), '?' kept as the token ``qmark``."""
    low = text.lower().replace("?", " qmark ").replace("’", "'")
    return _SPACES.sub(" ", _NON_WORD.sub(" ", low)).strip()


# Words that name the behaviour a session is about (alcohol, smoking, other drugs, gambling, exercise and diet,
# medication): with ``FeatureSpace(targets=...)`` (an option, E68) each is read as the one token ``tbeh``, so that
# what the coder learns of "i like drinking" or "cut down on the cigarettes" carries over to a behaviour its
# training sessions were not about. Fixed before E68 ran (docs/PREREGISTRATIONS.md); a model records the list it
# was trained with (``features.json``), so a later change of this list does not change a saved model.
TARGET_WORDS = tuple(sorted(set("""
    alcohol alcoholic alcoholism drink drinks drinking drank drunk beer beers wine wines liquor booze vodka whiskey
    whisky rum gin cider lager pints binge binging hangover hangovers
    smoke smokes smoking smoked smoker smokers cigarette cigarettes cig cigs ciggies tobacco nicotine vape vapes
    vaping vaped cigar cigars
    drug drugs weed marijuana cannabis cocaine heroin meth methamphetamine opioids opioid opiates ecstasy
    gamble gambles gambling gambled gambler betting casino casinos poker slots lottery
    exercise exercises exercising exercised workout workouts gym diet diets dieting calories weight
    medication medications medicine medicines meds insulin inhaler inhalers tablets
""".split())))
TARGET_TOKEN = "tbeh"


def target_masker(words: Sequence[str]):  # type: ignore[no-untyped-def]
    """A function that reads each of ``words`` in a normalized text as ``TARGET_TOKEN``."""
    pattern = re.compile(r"(?<![\w'])(?:" + "|".join(map(re.escape, sorted(words, key=len, reverse=True)))
                         + r")(?![\w'])")
    return lambda doc: pattern.sub(TARGET_TOKEN, doc)


def strip_punctuation(text: str) -> str:
    """What an automatic caption of ``text`` looks like: lower case, no punctuation."""
    low = text.lower().replace("’", "'")
    return _SPACES.sub(" ", re.sub(r"[^\w' ]+", " ", low)).strip()


def content_words(text: str) -> set[str]:
    return {w for w in normalize(text).split() if w not in _STOP and w != "qmark" and len(w) > 2}


def word_ngrams(doc: str, n_range: tuple[int, int] = WORD_NGRAMS) -> list[str]:
    """scikit-learn's ``word`` analyzer on an already lower-cased document."""
    tokens = _TOKEN.findall(doc)
    out: list[str] = []
    lo, hi = n_range
    for n in range(lo, min(hi, len(tokens)) + 1):
        # the same n-grams in the same order; pairs and triples by zip, which is most of coding's feature time
        if n == 1:
            out.extend(tokens)
        elif n == 2:
            out.extend([f"{a} {b}" for a, b in zip(tokens, tokens[1:])])
        elif n == 3:
            out.extend([f"{a} {b} {c}" for a, b, c in zip(tokens, tokens[1:], tokens[2:])])
        else:
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


def head_tokens(doc: str) -> str:
    """Position-anchored tokens of a normalized utterance: first words after discourse markers, last words.

    ``"so um what do you think qmark"`` gives ``h1_what h2_what_do h3_what_do_you t1_think t2_you_think``;
    a question word among the first six words adds ``hq_what``, the first auxiliary-pronoun pair (an inverted
    question: "is there", "do you") adds ``ax_is_there``. The same tokens exist without punctuation.
    """
    toks = [t for t in doc.split() if t != "qmark"]
    i = 0
    while i < len(toks) - 1 and toks[i] in _MARKERS:
        i += 1
    head = toks[i:i + 3]
    out = [f"h{n}_" + "_".join(head[:n]) for n in range(1, len(head) + 1)]
    tail = toks[-2:]
    if tail:
        out.append("t1_" + tail[-1])
    if len(tail) == 2:
        out.append("t2_" + "_".join(tail))
    for w in toks[i:i + 6]:
        if w in _QUESTION_WORDS:
            out.append("hq_" + w)
            break
    for a, b in zip(toks, toks[1:]):
        if a in _AUX and b in _PRONOUNS:
            out.append(f"ax_{a}_{b}")
            break
    return " ".join(out)


def answer_tokens(next_doc: str) -> str:
    """How the other speaker's next turn opens and how long it is, as position-anchored tokens of a normalized
    turn: ``"well um i think it's the money"`` gives ``a1_well a2_well_um alen_6_12``. How a turn is taken says
    what it was, in any wording: a closed question is answered "no" or "yeah" in a few words, an open one with
    "well" or "um" and a story, a reflection is confirmed ("yeah", "exactly"). Empty for no next turn."""
    toks = [t for t in next_doc.split() if t != "qmark"]
    if not toks:
        return ""
    n = len(toks)
    size = "1" if n == 1 else "2_3" if n <= 3 else "4_5" if n <= 5 else "6_12" if n <= 12 else "13_30" if n <= 30 \
        else "31"
    out = [f"a1_{toks[0]}", f"alen_{size}"]
    if n > 1:
        out.append(f"a2_{toks[0]}_{toks[1]}")
    if "qmark" in next_doc.split():
        out.append("aqmark")
    return " ".join(out)


_NEGATORS = frozenset("not no never nothing nobody none neither nor cannot without".split())
_SCOPE_ENDS = frozenset("qmark but and because cause so though although however or if when then".split())
NEGATION_SCOPE = 4


def negated_tokens(doc: str) -> str:
    """The words of a normalized utterance that fall in a negation's scope, marked: ``"i don't really want to
    quit"`` gives ``neg_really neg_want neg_to neg_quit``. A scope opens at a negator ("not", "never", "no",
    any "...n't") and closes after ``NEGATION_SCOPE`` words or at a clause word ("but", "because", "so", a
    question mark); "want to quit" and "don't want to quit" then differ in more than one bigram, which is what
    separates change talk from sustain talk."""
    out: list[str] = []
    left = 0
    for w in doc.split():
        if w in _NEGATORS or w.endswith("n't") or w in ("dont", "cant", "wont", "didnt", "isnt", "aint"):
            left = NEGATION_SCOPE
            continue
        if w in _SCOPE_ENDS:
            left = 0
            continue
        if left:
            out.append("neg_" + w)
            left -= 1
    return " ".join(out)


_QUESTION_WORDS = frozenset("what how why when where who which whether".split())
_AUX = frozenset("do does did are is was were can could would will have has had should shall may might".split())
_PRONOUNS = frozenset("you i we they he she it there that this anyone anything someone something".split())


def shape_features(text: str, prev_text: str, position: int, n_in_turn: int) -> list[float]:
    """Dense features: overlap with the turn answered, question form, length, place in turn."""
    prev_words = content_words(prev_text) if prev_text else frozenset()
    return _shape(text, normalize(text), prev_words, not prev_text, position, n_in_turn)


def _shape(text: str, low: str, prev_words: frozenset[str] | set[str], no_prev: bool, position: int,
           n_in_turn: int) -> list[float]:
    toks = low.split()
    n = len(toks)
    mine = {w for w in toks if w not in _STOP and w != "qmark" and len(w) > 2}
    shared = len(mine & prev_words) if prev_words else 0
    has_punct = any(ch in text for ch in ".?!,")
    return [
        shared / len(mine) if mine else 0.0,
        float(shared > 0),
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
        float(no_prev),
    ]


def _distinct(texts: Sequence[str]) -> tuple[list[int], list[str]]:
    """Each text's row among the distinct texts, and the distinct texts (a turn is the context of all its
    utterances, so it is featurized once)."""
    index: dict[str, int] = {}
    rows = [index.setdefault(t, len(index)) for t in texts]
    return rows, list(index)


class TfidfBlock:
    """One TF-IDF block (sublinear tf, IDF, l2 norm) over a fixed term list; transforms without scikit-learn.

    Character n-grams never cross words (``char_wb``), so each word's n-gram ids are computed once and cached.
    """

    _CACHE_LIMIT = 200_000

    def __init__(self, terms: Sequence[str], idf: np.ndarray, analyzer: str) -> None:
        self.terms = list(terms)
        self.index = {t: i for i, t in enumerate(self.terms)}
        self.idf = np.asarray(idf, dtype=np.float64)
        self.analyzer = analyzer
        self._word_ids: dict[str, list[int]] = {}

    def ids(self, doc: str) -> list[int]:
        """Vocabulary ids of the document's n-grams (with repeats)."""
        get = self.index.get
        if self.analyzer != "char_wb":
            grams = word_ngrams(doc, WORD_NGRAMS if self.analyzer == "word" else (1, 1))
            return [i for i in map(get, grams) if i is not None]
        cache = self._word_ids
        if len(cache) > self._CACHE_LIMIT:
            cache.clear()
        out: list[int] = []
        for w in doc.split():
            found = cache.get(w)
            if found is None:
                found = cache[w] = [i for i in map(get, char_wb_ngrams(w)) if i is not None]
            out.extend(found)
        return out

    _COUNT_ROWS = 1024  # documents counted in one numpy pass: bounds the temporary arrays

    def _count(self, docs: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each document's distinct vocabulary ids with their counts, in the order they first occur in it (the
        order a Counter per document gave, so that sums over a row add up in the same order), and how many each
        document has: counted in one numpy pass instead of a Counter per document."""
        flat: list[int] = []
        lengths: list[int] = []
        ids = self.ids
        for doc in docs:
            found = ids(doc)
            flat.extend(found)
            lengths.append(len(found))
        rows = np.repeat(np.arange(len(docs), dtype=np.int64), lengths)
        columns = np.fromiter(flat, dtype=np.int64, count=len(flat))
        del flat
        _, first, counts = np.unique(rows * max(len(self.terms), 1) + columns, return_index=True,
                                     return_counts=True)
        order = np.argsort(first, kind="stable")
        first, counts = first[order], counts[order]
        return columns[first], counts, np.bincount(rows[first], minlength=len(docs))

    def transform(self, docs: Sequence[str]) -> sp.csr_matrix:
        parts = [self._count(docs[i:i + self._COUNT_ROWS]) for i in range(0, len(docs), self._COUNT_ROWS)]
        indptr = np.zeros(len(docs) + 1, dtype=np.int64)
        if parts:
            np.cumsum(np.concatenate([p[2] for p in parts]), out=indptr[1:])
        X = sp.csr_matrix((np.concatenate([p[1] for p in parts]).astype(np.float64) if parts else np.zeros(0),
                           np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, dtype=np.int64), indptr),
                          shape=(len(docs), len(self.terms)))
        X.data = (1.0 + np.log(X.data)) * self.idf[X.indices]
        norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        return sp.csr_matrix(sp.diags(1.0 / norms) @ X)

    def __len__(self) -> int:
        return len(self.terms)


class StaticVectors:
    """Word vectors distilled from a sentence encoder (``scripts/build_static_vectors.py``: each word encoded on
    its own by all-MiniLM-L6-v2, reduced by PCA), read without the encoder: a text's vector is the weighted mean
    of its words' vectors, at unit length (zero for a text with no known word). The weights are IDF weights
    fitted on the training utterances (``fit_weights``; words the training data never used weigh the most), so
    "that's commendable" and "you've worked hard" land near each other without sharing a word."""

    def __init__(self, terms: Sequence[str], table: np.ndarray, weights: np.ndarray | None = None) -> None:
        self.terms = [str(t) for t in terms]
        self.index = {t: i for i, t in enumerate(self.terms)}
        self.table = np.asarray(table, dtype=np.float32)
        self.weights = (np.ones(len(self.terms), dtype=np.float32) if weights is None
                        else np.asarray(weights, dtype=np.float32))

    @classmethod
    def load(cls, path: str) -> "StaticVectors":
        """A table written by ``scripts/build_static_vectors.py`` (``terms``, ``table``; no pickles)."""
        with np.load(path, allow_pickle=False) as npz:
            return cls(npz["terms"].tolist(), npz["table"])

    @property
    def dims(self) -> int:
        return int(self.table.shape[1])

    def fit_weights(self, docs: Sequence[str]) -> "StaticVectors":
        """IDF weights (smooth, as scikit-learn's) of the vocabulary over normalized documents."""
        df = np.zeros(len(self.terms), dtype=np.float64)
        get = self.index.get
        for doc in docs:
            ids = {i for i in map(get, doc.split()) if i is not None}
            if ids:
                df[list(ids)] += 1
        n = len(docs)
        return StaticVectors(self.terms, self.table, (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32))

    def transform(self, docs: Sequence[str]) -> np.ndarray:
        """Unit-length weighted mean vectors of normalized documents (n x dims)."""
        get = self.index.get
        indptr = [0]
        indices: list[int] = []
        for doc in docs:
            indices.extend(i for i in map(get, doc.split()) if i is not None)
            indptr.append(len(indices))
        ids = np.asarray(indices, dtype=np.int64)
        X = sp.csr_matrix((self.weights[ids].astype(np.float64), ids, np.asarray(indptr, dtype=np.int64)),
                          shape=(len(docs), len(self.terms)))
        dense = np.asarray(X @ self.table, dtype=np.float64).reshape(len(docs), self.dims)
        norms = np.linalg.norm(dense, axis=1, keepdims=True)
        return dense / np.where(norms == 0, 1.0, norms)

    def __len__(self) -> int:
        return len(self.terms)


def _fit_across_groups(vec, docs: Sequence[str], groups: Sequence[str], min_groups: int, cap: int | None):  # type: ignore[no-untyped-def]
    """``vec`` (a TfidfVectorizer) fitted on ``docs`` with only the terms found in at least ``min_groups`` distinct
    groups, the ``cap`` most frequent of those kept (as ``max_features`` keeps the most frequent), IDF over docs."""
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer

    if len(groups) != len(docs):
        raise ValueError(f"{len(groups)} groups for {len(docs)} documents")
    params = vec.get_params()
    counter = TfidfVectorizer(**{**params, "max_features": None, "use_idf": False, "norm": None,
                                 "sublinear_tf": False})
    X = counter.fit_transform(docs)  # term counts, every term reaching min_df
    names, ids = np.unique(np.asarray([str(g) for g in groups], dtype=object), return_inverse=True)
    member = sparse.csr_matrix((np.ones(len(docs)), (ids, np.arange(len(docs)))), shape=(len(names), len(docs)))
    spread = np.asarray(((member @ (X > 0).astype(np.float64)) > 0).sum(axis=0)).ravel()  # groups per term
    total = np.asarray(X.sum(axis=0)).ravel()
    keep = np.flatnonzero(spread >= min_groups)
    if not len(keep):
        raise ValueError("no term is found in enough groups")
    if cap is not None and len(keep) > cap:  # the most frequent, ties by term as scikit-learn breaks them
        terms = counter.get_feature_names_out()
        keep = keep[np.lexsort((terms[keep], -total[keep]))[:cap]]
    vocabulary = sorted(counter.get_feature_names_out()[keep].tolist())
    return TfidfVectorizer(**{**params, "max_features": None, "min_df": 1, "vocabulary": vocabulary}).fit(docs)


class FeatureSpace:
    """The coder's feature map: utterance words, characters and head/tail, preceding- and next-turn words, shape."""

    def __init__(self, words: TfidfBlock, chars: TfidfBlock, context: TfidfBlock, char_weight: float = 0.7,
                 context_weight: float = 0.5, shape_weight: float = 1.0, head: TfidfBlock | None = None,
                 head_weight: float = 0.5, following: TfidfBlock | None = None, next_weight: float = 0.5,
                 behaviour: bool = False, lengths: bool = False, permission: bool = False,
                 form: bool = False, lsa: np.ndarray | None = None, lsa_weight: float = 1.0,
                 own: TfidfBlock | None = None, own_weight: float = 0.5, negation: TfidfBlock | None = None,
                 negation_weight: float = 0.5, answer: TfidfBlock | None = None, answer_weight: float = 0.5,
                 vectors: StaticVectors | None = None, vector_weight: float = 1.0, encoder: bool = False,
                 targets: Sequence[str] | None = None) -> None:
        self.words = words
        # Target-behaviour words read as one token in every block (``TARGET_WORDS``; an option, E68).
        self.targets = tuple(targets) if targets else None
        self._mask = target_masker(self.targets) if self.targets else None
        self.chars = chars
        self.context = context
        self.head = head
        self.head_weight = head_weight
        self.following = following
        self.next_weight = next_weight
        self.char_weight = char_weight
        self.context_weight = context_weight
        self.shape_weight = shape_weight
        self.behaviour = behaviour  # the behaviour_features block (models from 2.0 on)
        self.lengths = lengths  # the length_features block (an option; off in the shipped models)
        self.permission = permission  # the permission_features block (an option)
        self.form = form  # the form_features block (an option)
        # Latent semantic components of the word block (an option): K x len(words), fitted by truncated SVD on the
        # training utterances. The utterance and its preceding turn are projected onto them, so that wordings
        # the training data never used still land near the ones it did.
        self.lsa = None if lsa is None or not len(lsa) else np.asarray(lsa, dtype=np.float32)
        self.lsa_weight = lsa_weight
        # The speaker's own words before the utterance (their previous turn and the earlier utterances of the
        # turn), as words (an option): "So, your end of it." before "I'm gonna lean on you to tell me ...".
        self.own = own
        self.own_weight = own_weight
        # The words in a negation's scope (``negated_tokens``), as a block of their own (an option).
        self.negation = negation
        self.negation_weight = negation_weight
        # How the other speaker's next turn opens and its length (``answer_tokens``), for the last utterance of
        # a turn only (the one the next turn answers; an option).
        self.answer = answer
        self.answer_weight = answer_weight
        # Static word vectors (an option, ``StaticVectors``): the utterance's and the preceding turn's mean
        # vectors, and their cosine (a paraphrase shares meaning with the client's words, not always words).
        self.vectors = vectors
        self.vector_weight = vector_weight
        # A sentence encoder read at coding time (``model.encoder``): a measurement only, never saved.
        self.encoder = encoder

    @property
    def reads_own_words(self) -> bool:
        """Whether ``transform`` reads the speaker's own words before each utterance (permission or own-words
        block): only then must the caller build them."""
        return self.permission or self.own is not None

    @property
    def n_shape(self) -> int:
        return (N_SHAPE + (N_BEHAVIOUR if self.behaviour else 0) + (N_LENGTHS if self.lengths else 0)
                + (N_PERMISSION if self.permission else 0) + (N_FORM if self.form else 0))

    def block_columns(self, name: str) -> np.ndarray:
        """Column indices of one block in ``transform``'s output: a block of the shape features ("shape",
        "behaviour", "lengths", "permission", "form") or the own-words block ("own"); empty when it is off."""
        sizes = [("shape", N_SHAPE, True), ("behaviour", N_BEHAVIOUR, self.behaviour),
                 ("lengths", N_LENGTHS, self.lengths), ("permission", N_PERMISSION, self.permission),
                 ("form", N_FORM, self.form)]
        if name == "own":
            n = len(self.own) if self.own else 0
            return np.arange(self.n_features - n, self.n_features)
        start = len(self.words) + len(self.chars) + len(self.context)
        for block, size, on in sizes:
            if not on:
                continue
            if block == name:
                return np.arange(start, start + size)
            start += size
        return np.arange(0)

    @property
    def n_features(self) -> int:
        return (len(self.words) + len(self.chars) + len(self.context) + self.n_shape
                + (len(self.head) if self.head else 0) + (len(self.following) if self.following else 0)
                + (2 * len(self.lsa) if self.lsa is not None else 0) + (len(self.own) if self.own else 0)
                + (len(self.negation) if self.negation else 0) + (len(self.answer) if self.answer else 0)
                + (2 * self.vectors.dims + 1 if self.vectors is not None else 0)
                + (2 * ENCODER_DIMS + 1 if self.encoder else 0))

    @classmethod
    def fit(cls, texts: Sequence[str], prev_texts: Sequence[str], next_texts: Sequence[str] | None = None,
            max_word_features: int = 40000,
            max_char_features: int = 40000, max_context_features: int = 8000, head: bool = True,
            behaviour: bool = False, lengths: bool = False, permission: bool = False, form: bool = False,
            lsa: int = 0, own_texts: Sequence[str] | None = None, negation: bool = False, answer: bool = False,
            vectors: StaticVectors | None = None, encoder: bool = False, groups: Sequence[str] | None = None,
            min_groups: int = 1, targets: Sequence[str] | None = None, **weights: float) -> "FeatureSpace":
        """Learn vocabularies and IDF weights with scikit-learn's TfidfVectorizer (training only).

        ``groups`` (one per text: the session, or the video, each row comes from) with ``min_groups`` k > 1 keeps only
        terms found in at least k groups: a name, a place or a phrase said in one session alone never enters the
        vocabulary, so a model trained on confidential transcripts does not carry them in ``features.json``, and
        its words are the ones that recur across sessions."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        mask = target_masker(targets) if targets else None
        norm = (lambda t: mask(normalize(t))) if mask else normalize  # noqa: E731
        norm_texts = [norm(t) for t in texts]
        norm_prev = [norm(t) for t in prev_texts]
        # No next turns at all (for example the team corpus alone): no next-turn block.
        norm_next = [norm(t) for t in next_texts] if next_texts is not None and any(next_texts) else None
        blocks = []
        for docs, analyzer, ngram, min_df, cap in (
            (norm_texts, "word", WORD_NGRAMS, 2, max_word_features),
            (norm_texts, "char_wb", CHAR_NGRAMS, 3, max_char_features),
            (norm_prev, "context", (1, 1), 2, max_context_features),
            ([head_tokens(d) for d in norm_texts] if head else None, "head", (1, 1), 3, max_context_features),
            (norm_next, "next", (1, 1), 2, max_context_features),
            ([negated_tokens(d) for d in norm_texts] if negation else None, "negation", (1, 1), 3,
             max_context_features),
            ([answer_tokens(d) for d in norm_next] if answer and norm_next is not None else None, "answer", (1, 1),
             3, max_context_features),
        ):
            if docs is None:
                continue
            extra = {"analyzer": "char_wb"} if analyzer == "char_wb" else {"token_pattern": TOKEN_PATTERN}
            vec = TfidfVectorizer(ngram_range=ngram, min_df=min_df, max_features=cap, sublinear_tf=True,
                                  lowercase=False, **extra)
            try:
                vec = _fit_across_groups(vec, docs, groups, min_groups, cap) if min_groups > 1 and groups is not None \
                    else vec.fit(docs)
            except ValueError:  # no term reaches min_df (for example no preceding turns at all)
                blocks.append(TfidfBlock([], np.zeros(0), analyzer))
                continue
            terms = vec.get_feature_names_out().tolist()
            blocks.append(TfidfBlock(terms, vec.idf_, analyzer))
        named = {b.analyzer: b for b in blocks}
        components = None
        if lsa and len(blocks[0]) > lsa:
            from sklearn.decomposition import TruncatedSVD

            X = blocks[0].transform(sorted(set(norm_texts)))
            components = TruncatedSVD(n_components=lsa, random_state=0).fit(X).components_
        own = None
        if own_texts is not None:
            vec = TfidfVectorizer(min_df=2, max_features=max_context_features, sublinear_tf=True, lowercase=False,
                                  token_pattern=TOKEN_PATTERN)
            try:
                own_docs = [norm(t) for t in own_texts]
                vec = _fit_across_groups(vec, own_docs, groups, min_groups, max_context_features) \
                    if min_groups > 1 and groups is not None else vec.fit(own_docs)
                own = TfidfBlock(vec.get_feature_names_out().tolist(), vec.idf_, "own")
            except ValueError:
                own = TfidfBlock([], np.zeros(0), "own")
        return cls(*blocks[:3], head=named.get("head"), following=named.get("next"), behaviour=behaviour, lsa=components,
                   negation=named.get("negation"), answer=named.get("answer"),
                   own=own, vectors=vectors.fit_weights(sorted(set(norm_texts))) if vectors is not None else None,
                   encoder=encoder, targets=targets,
                   lengths=lengths, permission=permission, form=form, **weights)

    def transform(self, texts: Sequence[str], prev_texts: Sequence[str], positions: Sequence[int],
                  n_in_turn: Sequence[int], next_texts: Sequence[str] | None = None,
                  own_prev_texts: Sequence[str] | None = None) -> sp.csr_matrix:
        """Sparse feature rows; each distinct preceding (and next) turn is featurized once. ``own_prev_texts``
        (the same speaker's words before each utterance) feed the permission and own-words blocks only."""
        norm = (lambda t: self._mask(normalize(t))) if self._mask else normalize  # noqa: E731
        docs = [norm(t) for t in texts]
        prev_row, prev_list = _distinct(prev_texts)
        prev_docs = [norm(p) for p in prev_list]
        prev_words = [frozenset(w for w in d.split() if w not in _STOP and w != "qmark" and len(w) > 2)
                      for d in prev_docs]
        context = self.context.transform(prev_docs)[prev_row]
        if self.following is not None or self.lengths or self.answer is not None:
            next_row, next_list = _distinct(next_texts if next_texts is not None else [""] * len(docs))
            next_docs = [norm(t) for t in next_list]
        else:
            next_row = [0] * len(docs)
        if self.lengths:
            prev_len = [len(d.split()) - d.split().count("qmark") for d in prev_docs]
            next_len = [len(d.split()) - d.split().count("qmark") for d in next_docs]
        if self.reads_own_words:
            own_row, own_list = _distinct(own_prev_texts if own_prev_texts is not None else [""] * len(docs))
            own_docs = [norm(t) for t in own_list]
        shapes = np.array([_shape(t, d, prev_words[r], not prev_list[r], int(pos), int(n))
                           + (behaviour_features(d) if self.behaviour else [])
                           + (length_features(prev_len[r], next_len[q]) if self.lengths else [])
                           + (permission_features(own_docs[o], prev_docs[r]) if self.permission else [])
                           + (form_features(t, d, prev_docs[r], prev_words[r]) if self.form else [])
                           for t, d, r, q, o, pos, n in zip(texts, docs, prev_row, next_row,
                                                            own_row if self.permission else prev_row, positions,
                                                            n_in_turn)],
                          dtype=np.float64).reshape(len(docs), self.n_shape)
        blocks = [self.words.transform(docs), self.chars.transform(docs) * self.char_weight,
                  context * self.context_weight, sp.csr_matrix(shapes * self.shape_weight)]
        if self.head is not None:
            blocks.append(self.head.transform([head_tokens(d) for d in docs]) * self.head_weight)
        if self.following is not None:
            following = self.following.transform(next_docs)[next_row]
            blocks.append(following * self.next_weight)
        if self.negation is not None:
            blocks.append(self.negation.transform([negated_tokens(d) for d in docs]) * self.negation_weight)
        if self.answer is not None:
            answers = self.answer.transform([answer_tokens(d) for d in next_docs])[next_row]
            last = np.array([int(p) == int(n) - 1 for p, n in zip(positions, n_in_turn)], dtype=np.float64)
            blocks.append(sp.diags(last * self.answer_weight) @ answers)
        if self.lsa is not None:
            blocks.append(sp.csr_matrix(self._project(blocks[0]) * self.lsa_weight))
            prev_lsa = self._project(self.words.transform(prev_docs))[prev_row]
            blocks.append(sp.csr_matrix(prev_lsa * (self.lsa_weight * self.context_weight)))
        if self.vectors is not None:  # before the own-words block, which stays last (``block_columns``)
            mine = self.vectors.transform(docs)
            theirs = self.vectors.transform(prev_docs)[prev_row]
            cosine = np.einsum("ij,ij->i", mine, theirs)[:, None]
            blocks.append(sp.csr_matrix(np.hstack([mine * self.vector_weight,
                                                   theirs * (self.vector_weight * self.context_weight),
                                                   cosine * self.shape_weight])))
        if self.encoder:
            from .encoder import encode

            mine = encode(list(texts)).astype(np.float64)
            theirs = encode(prev_list).astype(np.float64)[prev_row]
            cosine = np.einsum("ij,ij->i", mine, theirs)[:, None]
            blocks.append(sp.csr_matrix(np.hstack([mine * self.vector_weight,
                                                   theirs * (self.vector_weight * self.context_weight),
                                                   cosine * self.shape_weight])))
        if self.own is not None:
            blocks.append(self.own.transform(own_docs)[own_row] * self.own_weight)
        return sp.hstack(blocks, format="csr")

    def _project(self, X: sp.csr_matrix) -> np.ndarray:
        """Rows of the word block onto the latent components, unit length (zero rows stay zero)."""
        dense = np.asarray(X @ self.lsa.T, dtype=np.float64).reshape(X.shape[0], len(self.lsa))
        norms = np.linalg.norm(dense, axis=1, keepdims=True)
        return dense / np.where(norms == 0, 1.0, norms)

    def transform_frame(self, frame) -> sp.csr_matrix:  # type: ignore[no-untyped-def]
        nexts = frame["next_text"].tolist() if "next_text" in frame else None
        owns = frame["own_prev_text"].tolist() if "own_prev_text" in frame else None
        return self.transform(frame["text"].tolist(), frame["prev_text"].tolist(), frame["position"].tolist(),
                              frame["n_in_turn"].tolist(), nexts, owns)

    def to_parts(self) -> tuple[dict, dict[str, np.ndarray]]:
        if self.encoder:
            from ..errors import ModelError

            raise ModelError("a coder with the run-time sentence encoder block is a measurement and cannot be saved")
        terms = {"words": self.words.terms, "chars": self.chars.terms, "context": self.context.terms}
        if self.behaviour or self.lengths or self.permission or self.form:
            terms["shape_blocks"] = ["shape"] + (["behaviour"] if self.behaviour else []) \
                + (["lengths"] if self.lengths else []) + (["permission"] if self.permission else []) \
                + (["form"] if self.form else [])
        arrays = {"idf_words": self.words.idf, "idf_chars": self.chars.idf, "idf_context": self.context.idf,
                  "feature_weights": np.array([self.char_weight, self.context_weight, self.shape_weight])}
        if self.head is not None:
            terms["head"] = self.head.terms
            arrays["idf_head"] = self.head.idf
        if self.following is not None:
            terms["next"] = self.following.terms
            arrays["idf_next"] = self.following.idf
        extra = [self.head_weight] if self.head is not None else []
        extra += [self.next_weight] if self.following is not None else []
        arrays["feature_weights"] = np.append(arrays["feature_weights"], extra)
        if self.negation is not None:
            terms["negation"] = self.negation.terms
            arrays["idf_negation"] = self.negation.idf
            arrays["negation_weight"] = np.array([self.negation_weight])
        if self.answer is not None:
            terms["answer"] = self.answer.terms
            arrays["idf_answer"] = self.answer.idf
            arrays["answer_weight"] = np.array([self.answer_weight])
        if self.own is not None:
            terms["own"] = self.own.terms
            arrays["idf_own"] = self.own.idf
            arrays["own_weight"] = np.array([self.own_weight])
        if self.lsa is not None:
            arrays["lsa_components"] = self.lsa
            arrays["lsa_weight"] = np.array([self.lsa_weight])
        if self.targets:
            terms["target_words"] = list(self.targets)
        if self.vectors is not None:
            terms["vector_terms"] = self.vectors.terms
            arrays["vector_table"] = self.vectors.table.astype(np.float16)
            arrays["vector_idf"] = self.vectors.weights
            arrays["vector_weight"] = np.array([self.vector_weight])
        return terms, arrays

    @classmethod
    def from_parts(cls, terms: dict, arrays: dict[str, np.ndarray]) -> "FeatureSpace":
        w = arrays["feature_weights"]
        targets = terms.get("target_words")
        if targets is not None and not (isinstance(targets, list) and all(isinstance(t, str) and t for t in targets)):
            raise ValueError("target_words must be a list of words")
        head = TfidfBlock(terms["head"], arrays["idf_head"], "head") if "head" in terms else None
        following = TfidfBlock(terms["next"], arrays["idf_next"], "next") if "next" in terms else None
        rest = [float(x) for x in w[3:]]
        head_weight = rest.pop(0) if head is not None else 0.5
        next_weight = rest.pop(0) if following is not None else 0.5
        return cls(TfidfBlock(terms["words"], arrays["idf_words"], "word"),
                   TfidfBlock(terms["chars"], arrays["idf_chars"], "char_wb"),
                   TfidfBlock(terms["context"], arrays["idf_context"], "context"),
                   char_weight=float(w[0]), context_weight=float(w[1]), shape_weight=float(w[2]),
                   head=head, head_weight=head_weight, following=following, next_weight=next_weight,
                   behaviour="behaviour" in terms.get("shape_blocks", []),
                   lengths="lengths" in terms.get("shape_blocks", []),
                   permission="permission" in terms.get("shape_blocks", []),
                   form="form" in terms.get("shape_blocks", []),
                   lsa=arrays.get("lsa_components"),
                   lsa_weight=float(arrays["lsa_weight"][0]) if "lsa_weight" in arrays else 1.0,
                   own=TfidfBlock(terms["own"], arrays["idf_own"], "own") if "own" in terms else None,
                   own_weight=float(arrays["own_weight"][0]) if "own_weight" in arrays else 0.5,
                   negation=(TfidfBlock(terms["negation"], arrays["idf_negation"], "negation")
                             if "negation" in terms else None),
                   negation_weight=float(arrays["negation_weight"][0]) if "negation_weight" in arrays else 0.5,
                   answer=TfidfBlock(terms["answer"], arrays["idf_answer"], "answer") if "answer" in terms else None,
                   answer_weight=float(arrays["answer_weight"][0]) if "answer_weight" in arrays else 0.5,
                   vectors=(StaticVectors(terms["vector_terms"], arrays["vector_table"], arrays["vector_idf"])
                            if "vector_terms" in terms else None),
                   vector_weight=float(arrays["vector_weight"][0]) if "vector_weight" in arrays else 1.0,
                   targets=targets)
