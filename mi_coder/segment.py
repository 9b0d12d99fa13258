"""Splitting turns into utterances with a spaCy pipeline (``spacy.blank("en")`` + our component).

The ``mi_utterance_splitter`` component sets sentence starts for spoken transcripts:

* sentence punctuation (``. ? ! ;`` and ellipses before a new capitalised sentence) ends an utterance;
* ``--`` interruptions end an utterance when a new capitalised sentence follows a non-trivial fragment
  ("It looks like you put-- You drink four times a week"), but not a false start ("I was-- I was");
* a stretch that is only fillers or backchannels ("Okay.", "Mm-hmm.", "So, um,") joins the utterance
  that follows it in the same turn, and a trailing fragment ("and-") joins the one before;
* a turn with no sentence punctuation (automatic captions, ASR) is split by the trained boundary model of
  ``mi_coder.boundary`` (shipped in the default model folder) when one is loaded: ``captions="auto"``
  (default) uses it exactly then, ``"on"`` for every turn, ``"off"`` never; without a model, long
  unpunctuated stretches are split before clause openers ("so", "but", "what", "do you"...).

Utterance texts are exact slices of the turn text: segmentation never loses or reorders characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable

import numpy
from spacy.attrs import ORTH, SENT_START, SPACY

from .errors import UsageError
from .records import Session, Utterance, as_sessions

FILLERS = frozenset(
    """um uh uhm erm er hmm mm mhm mm-hmm uh-huh hm ah oh okay ok alright right yeah yes yep so well
    like and but anyway now see alrighty huh""".split()
)
_OPENING_MARKS = frozenset({"(", "[", "{", "<", "-", "\u00bf", "\u00a1"})  # begin the next utterance: "¿Qué...?"
SENT_END = frozenset({".", "?", "!", ";", "?!", "!?", "…"})
ELLIPSES = frozenset({"...", "…", "....", ". . ."})
QUOTES = frozenset({"\"", "'", "\u201c", "\u201d", "\u2018", "\u2019", "``", "''"})  # a spaced one after an end mark opens a quotation
# Words that often open a new clause in unpunctuated speech.
STRONG_OPENERS = frozenset(
    "so but okay ok alright now anyway what how why tell sounds seems".split()
)
QUESTION_PAIRS = frozenset(
    """do you|did you|are you|were you|have you|can you|could you|would you|will you|is it|is that|is there
    |was it|does it|does that|would it|what do|how do|how are|why do|when do|where do|i wonder|it sounds
    |sounds like|you know what|i think|i guess|i mean|i don't|i can't|i want|i just|i feel|you feel|you're
    |you've|you said|you don't|you want|you can""".replace("\n", "").split("|")
)
# A clause opener right after these words continues the clause ("I don't know | what to do" is one).
NO_SPLIT_AFTER = frozenset(
    """and but so or i you that if to the a an of like know wonder sure about is was matter asked tell see
    remember understand ask think what how decide figure out just because cause do did does can could would
    will are were have has""".split()
)
WEAK_OPENERS = frozenset("and i you it then because cause my we they he she well".split())

# A stretch of this many words or more without a sentence mark, comma, colon or dash, in a turn that has a
# sentence mark, is read as unpunctuated speech (ASR text with a stray full stop: one mark in a 500-word turn had
# switched the boundary model off for the whole turn). 7 of AnnoMI's 7,423 punctuated dev turns hold one.
SPARSE_WORDS = 40
_CLAUSE_MARKS = frozenset({",", ";", ":", "--", "\u2014", "\u2013"})  # and "-" with a space by it (not "sixty-three")
DEFAULT_CONFIG = {"max_words": 22, "min_words": 4, "punctuated_max_words": 45, "captions": "auto"}
CAPTION_MODES = ("auto", "on", "off")


_ALNUM = re.compile(r"[^\W_]")


def _word_like(text: str) -> bool:
    return _ALNUM.search(text) is not None


@dataclass
class _TurnStarts:
    """One turn's tokens while the splitter decides its utterance starts."""

    lows: list[str]
    wordy: list[bool]  # tokens that are words (not punctuation)
    texts: list[str]
    starts: list[bool]
    use_model: bool  # no sentence punctuation: the boundary model decides
    word_index: list[int]  # token indices of the words the boundary model reads
    punctuated: bool
    # where the turn has sentence marks: the token indices of the words of each stretch of SPARSE_WORDS or more
    # words without one (ASR text with a stray full stop), inside which the boundary model adds starts
    stretches: list[list[int]] = field(default_factory=list)
    glued: list[bool] = field(default_factory=list)  # a token right after the previous, no space


class UtteranceSplitter:
    """spaCy component: marks utterance starts (``token.is_sent_start``) for spoken transcripts."""

    def __init__(self, max_words: int = 22, min_words: int = 4, punctuated_max_words: int = 45,
                 captions: str = "auto") -> None:
        self.max_words = max_words
        self.min_words = min_words
        self.punctuated_max_words = punctuated_max_words
        self.captions = captions
        self.boundary = None  # a mi_coder.boundary.BoundaryModel, set by build_pipeline

    def __call__(self, doc):  # type: ignore[no-untyped-def]
        return next(iter(self.pipe([doc])))

    def pipe(self, stream, batch_size: int = 256):  # type: ignore[no-untyped-def]
        """spaCy's batch hook: the boundary model scores the unpunctuated turns of a batch together."""
        batch = []
        for doc in stream:
            batch.append(doc)
            if len(batch) >= batch_size:
                yield from self._split_batch(batch)
                batch = []
        if batch:
            yield from self._split_batch(batch)

    def _split_batch(self, docs: list):  # type: ignore[no-untyped-def]
        states = [self._punctuation_starts(doc) for doc in docs]
        need = [st for st in states if st is not None and st.use_model]
        sparse = [(st, stretch) for st in states if st is not None for stretch in st.stretches]
        if need or sparse:  # the unpunctuated turns and stretches: the boundary model decides, all in one call
            decided = self.boundary.starts_many([[st.lows[i] for i in st.word_index] for st in need]
                                                + [[st.lows[i] for i in stretch] for st, stretch in sparse])
            for st, words in zip(need, decided):
                st.starts[1:] = [False] * (len(st.starts) - 1)
                for i, start in zip(st.word_index, words):
                    st.starts[i] = start and not st.glued[i]  # never inside a word ("sixty-" | "three")
                st.starts[0] = True
            for (st, stretch), words in zip(sparse, decided[len(need):]):
                for i, start in zip(stretch[1:], words[1:]):  # the stretch's own start is the punctuation's
                    st.starts[i] = st.starts[i] or (start and not st.glued[i])
        for doc, st in zip(docs, states):
            if st is None:
                yield doc
                continue
            self._merge_fillers(st.lows, st.wordy, st.texts, st.starts)
            if not st.use_model:
                limit = self.punctuated_max_words if st.punctuated else self.max_words
                self._split_long(st.lows, st.wordy, st.starts, limit, st.punctuated)
            # One vectorised write (setting token.is_sent_start one by one re-checks the whole doc each time).
            doc.from_array([SENT_START], numpy.array([1 if x else -1 for x in st.starts], dtype="int64")
                           .astype("uint64").reshape(-1, 1))
            yield doc

    def _punctuation_starts(self, doc) -> "_TurnStarts | None":  # type: ignore[no-untyped-def]
        """Starts from punctuation, and whether the boundary model decides this turn instead (with the indices
        of its word tokens); None for an empty doc."""
        n = len(doc)
        if n == 0:
            return None
        texts = [t.text for t in doc]
        # a quote after a space opens, one right after a mark closes (one array read: no Token objects made again)
        spaced = doc.to_array(SPACY).astype(bool).tolist()
        lows = [t.lower() for t in texts]
        wordy = [_word_like(t) for t in texts]
        starts = [False] * n
        starts[0] = True
        punctuated = False
        for i in range(n - 1):
            text = texts[i]
            nxt = texts[i + 1]
            if text in ELLIPSES:
                punctuated = True
                if nxt[:1].isupper() and nxt != "I" and _words_since(starts, wordy, i) >= 3:
                    starts[i + 1] = True
            elif text in SENT_END or (text.endswith((".", "?", "!")) and len(text) > 1 and text[-2] in "?!"):
                punctuated = True
                if not wordy[i + 1] and nxt not in _OPENING_MARKS and not (nxt in QUOTES and spaced[i]):
                    continue  # closing quote or bracket: the boundary comes after it
                starts[i + 1] = True
            elif text.endswith(("--", "\u2014")) or (text.endswith("-") and len(text) > 1 and text[-2].isalpha()):
                if nxt[:1].isupper() and nxt != "I" and _words_since(starts, wordy, i) >= 4:
                    starts[i + 1] = True
            elif (not wordy[i] and wordy[i + 1] and i > 0 and texts[i - 1] in SENT_END
                  and not (text in QUOTES and spaced[i - 1])):
                starts[i + 1] = True  # after a closing quote that followed an end mark
            elif text == ",":
                punctuated = True
        punctuated = punctuated or texts[-1] in SENT_END
        sentence_marks = any(t in SENT_END or t in ELLIPSES or t.endswith(("?", "!")) for t in texts)
        use_model = self.boundary is not None and (self.captions == "on"
                                                   or (self.captions == "auto" and not sentence_marks))
        index = [i for i, w in enumerate(wordy) if w] if use_model else []
        stretches = []
        glued = [False] + [not spaced[i] for i in range(n - 1)]
        if self.boundary is not None and self.captions == "auto" and sentence_marks:
            for a, b in _segments(starts):
                words = [i for i in range(a, b) if wordy[i]]
                if len(words) >= SPARSE_WORDS and not any(
                        texts[i] in _CLAUSE_MARKS or (texts[i] == "-" and (spaced[i] or not glued[i]))
                        for i in range(a, b)):
                    stretches.append(words)
        return _TurnStarts(lows, wordy, texts, starts, use_model, index, punctuated, stretches, glued)

    def _merge_fillers(self, lows: list[str], wordy: list[bool], texts: list[str], starts: list[bool]) -> None:
        segs = _segments(starts)
        for k, (a, b) in enumerate(segs):
            words = [lows[i] for i in range(a, b) if wordy[i]]
            if k + 1 < len(segs) and len(words) <= 4 and all(w in FILLERS or w.strip("-") in FILLERS for w in words):
                starts[segs[k + 1][0]] = False  # fillers and backchannels join the next utterance
            elif k > 0 and k == len(segs) - 1 and len(words) <= 2 and texts[b - 1] not in SENT_END:
                starts[a] = False  # a trailing fragment joins the previous utterance

    def _split_long(self, lows: list[str], wordy: list[bool], starts: list[bool], limit: int,
                    punctuated: bool) -> None:
        min_words = self.min_words if not punctuated else max(self.min_words, 8)
        for a, b in _segments(starts):
            if sum(wordy[a:b]) <= limit:
                continue
            since = 0
            for i in range(a, b):
                if not wordy[i]:
                    continue
                if i > a and since >= min_words:
                    low = lows[i]
                    pair = f"{low} {lows[i + 1]}" if i + 1 < b else low
                    prev = lows[i - 1]
                    strong = (low in STRONG_OPENERS or pair in QUESTION_PAIRS) and prev not in NO_SPLIT_AFTER
                    weak = low in WEAK_OPENERS and since >= limit // 2 + 2 and prev not in NO_SPLIT_AFTER
                    forced = since >= limit + 8
                    if strong or (not punctuated and (weak or forced)):
                        starts[i] = True
                        since = 0
                since += 1


def _words_since(starts: list[bool], wordy: list[bool], i: int) -> int:
    count = 0
    for j in range(i, -1, -1):
        count += wordy[j]
        if starts[j]:
            break
    return count


def _segments(starts: list[bool]) -> list[tuple[int, int]]:
    idx = [i for i, s in enumerate(starts) if s] + [len(starts)]
    return list(zip(idx[:-1], idx[1:]))


def make_utterance_splitter(nlp, name: str, max_words: int, min_words: int,  # type: ignore[no-untyped-def]
                            punctuated_max_words: int, captions: str) -> UtteranceSplitter:
    """Factory for the ``mi_utterance_splitter`` component (registered on import of this module)."""
    return UtteranceSplitter(max_words=max_words, min_words=min_words, punctuated_max_words=punctuated_max_words,
                             captions=captions)


def _register() -> None:
    from spacy.language import Language

    if not Language.has_factory("mi_utterance_splitter"):
        Language.factory("mi_utterance_splitter", default_config=DEFAULT_CONFIG)(make_utterance_splitter)


LOWER_ABBREVIATIONS = ("dr.", "mr.", "mrs.", "ms.", "st.", "jr.", "sr.", "prof.", "mt.", "ft.", "vs.", "lt.", "sgt.",
                       "det.", "capt.", "rev.", "gov.", "ave.", "blvd.", "rd.")


@lru_cache(maxsize=8)
def build_pipeline(max_words: int = 22, min_words: int = 4, captions: str = "auto",  # type: ignore[no-untyped-def]
                   boundary=None):
    """The default segmentation pipeline: ``spacy.blank("en")`` plus ``mi_utterance_splitter``.

    ``captions``: when to use the boundary model for unpunctuated speech (``CAPTION_MODES``). ``boundary``:
    a ``BoundaryModel``; by default the one in the shipped model folder (hash-checked), if it has one.
    Needs no download. Cached: building it once per process is enough.
    """
    import spacy

    from .errors import UsageError

    if captions not in CAPTION_MODES:
        raise UsageError(f"--captions must be one of {', '.join(CAPTION_MODES)}, not {captions!r}")
    _register()
    nlp = spacy.blank("en")
    # spaCy refuses texts over 1,000,000 characters by default (a guard for parsers and NER, which this pipeline
    # has not: a tokenizer and our splitter, linear in the text). One turn of an unsegmented recording can be
    # longer; memory per character is small here, so the limit is lifted.
    nlp.max_length = 10 ** 9
    # Title and place abbreviations in lower case, as captions write them ("dr. patel", "st. louis"): spaCy knows
    # "Dr." and "St." but cuts "dr." into "dr" and a full stop, which reads as the end of a sentence and, in a turn
    # without other punctuation, keeps the boundary model for unpunctuated speech away from the whole turn.
    for abbreviation in LOWER_ABBREVIATIONS:
        nlp.tokenizer.add_special_case(abbreviation, [{ORTH: abbreviation}])
    splitter = nlp.add_pipe("mi_utterance_splitter",
                            config={"max_words": max_words, "min_words": min_words, "captions": captions})
    if captions != "off":
        splitter.boundary = boundary if boundary is not None else _default_boundary()
    return nlp


@lru_cache(maxsize=1)
def _default_boundary():  # type: ignore[no-untyped-def]
    from .model.store import load_boundary

    return load_boundary()


def split_text(text: str, nlp=None) -> list[tuple[int, int]]:  # type: ignore[no-untyped-def]
    """Character spans ``(start, end)`` of the utterances in one turn's text."""
    nlp = nlp or build_pipeline()
    return _spans(nlp(text), text)


def _spans(doc, text: str) -> list[tuple[int, int]]:  # type: ignore[no-untyped-def]
    spans = []
    for sent in doc.sents:
        a, b = sent.start_char, sent.end_char
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if b > a:
            spans.append((a, b))
    return spans


def segment(sessions: Iterable[Session], nlp=None, batch_size: int = 512,  # type: ignore[no-untyped-def]
            boundary=None, keep_split: bool = False) -> list[Session]:
    """Split every turn of every session into utterances, in place; returns the sessions.

    Turns whose utterances were given by the input (``--utterances given``) are left as they are, and with
    ``keep_split`` every turn that already has utterances. Without ``nlp``, each session's ``meta["captions"]``
    (``CAPTION_MODES``, default "auto") picks the pipeline, with ``boundary`` (default: the shipped boundary model;
    a coder's own is ``coder.boundary``) for unpunctuated turns.
    """
    sessions = as_sessions(sessions, "segment")
    if nlp is not None and not hasattr(nlp, "pipe"):
        raise UsageError(f"segment: nlp must be a spaCy pipeline (segment.build_pipeline()), not {nlp!r}")
    by_mode: dict[str, list] = {}
    for s in sessions:
        mode = "auto" if nlp is not None else s.meta.get("captions") or "auto"
        by_mode.setdefault(mode, []).extend(t for t in s.turns if not t.meta.get("utterances_given")
                                            and not (keep_split and t.utterances))
    for mode, todo in by_mode.items():
        pipe = nlp or build_pipeline(captions=mode, boundary=boundary)
        for turn, doc in zip(todo, pipe.pipe((t.text for t in todo), batch_size=batch_size)):
            turn.utterances = [
                Utterance(id=f"{turn.id}.{k}", text=turn.text[a:b], start_char=a, end_char=b)
                for k, (a, b) in enumerate(_spans(doc, turn.text), start=1)
            ]
    return sessions
