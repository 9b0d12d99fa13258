"""Session scores from codes: MITI 4.2.1 counts and summary scores, engagement and empathy indicators, indices.

Pure functions: a coded Session (or its turns) in, numbers out; no I/O. Every column is documented in
``COLUMNS`` (name -> formula, range, how to read it), which ``docs/SCORES.md`` is generated from.

Counting follows MITI 4.2.1 volley rules (``volleys``): a volley is an uninterrupted stretch of
practitioner speech, and a client backchannel ("yeah", "mm-hmm") that answers no question does not end it.
Per volley each code counts at most once; reflections count once, as CR if any reflection in the volley is
complex; questions count once, as OQ if any question in the volley is open. Utterance counts (MISC style)
are kept too, under ``utt_``.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Sequence

from .codes import CLIENT_CODES, PRACTITIONER_CODES, QUESTION, ROLE_ELEMENTS, SCORED_PRACTITIONER_CODES
from .io.base import OVERLAP
from .io.language import mostly_not_english, not_english
from .records import CLIENT, PRACTITIONER, TIME_SLACK, Session, Turn, time_goes_back

REFLECTIONS = ("SR", "CR")
QUESTIONS = ("OQ", "CQ", QUESTION)  # QUESTION: MITI 4.2.1's Question, its form not coded (coded tables)
QUESTION_RUN_MINIMUM = 3
# The scales of the indices' parts (a part is min(value / scale, 1)); shared with the report's review mode.
INDEX_CAPS: dict[str, float] = {"reflection_rate": 0.5, "pct_cr": 0.5, "r_q": 2.0, "pct_oq": 0.7,
                                "adherent_rate": 0.15, "nonadherent_rate": 0.15, "client_talk_share": 0.5,
                                "client_words_per_turn": 15.0, "nonadherent_share": 0.1}

DEFAULT_THRESHOLDS: dict[str, dict[str, float]] = {
    # score: {"fair": x, "good": y}; MITI 4.2.1 expert-opinion defaults (%OQ from MITI 3.1.1 / MISC).
    "r_q": {"fair": 1.0, "good": 2.0},
    "pct_cr": {"fair": 0.40, "good": 0.50},
    "pct_oq": {"fair": 0.50, "good": 0.70},
}
MIN_PRACTITIONER_UTTERANCES = 10
MIN_FOR_BAND = 3  # a ratio over fewer reflections or questions than this keeps its value and gets no band
MIN_SIDE = 3  # client turns each side of a before/after comparison needs (one greeting turn is not a "before")

BACKCHANNEL_WORDS = frozenset(
    "yeah yes yep yup mm mhm mm-hmm mmhmm uh-huh uh huh hmm right okay ok sure true exactly and so oh ah um uh "
    "alright i see".split()
)

_WORD = re.compile(r"[\w']+")
# Words that carry no content of their own for "new content": English function words (scikit-learn's list) and
# the fillers and contractions of speech.
_SPOKEN_STOP = frozenset("""yeah yep yes okay ok um uh hmm mm mhm oh ah like just really gonna wanna gotta kinda sorta
    know mean thing things stuff whatever guess i'm i've i'll i'd it's that's don't didn't doesn't isn't wasn't can't
    won't wouldn't couldn't you're you've he's she's they're we're there's what's let's""".split())


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    from .stopwords import ENGLISH_STOP_WORDS

    return ENGLISH_STOP_WORDS | _SPOKEN_STOP


def _content_words(text: str) -> set[str]:
    """A turn's content words (lower-cased): three letters or more, not a function word or filler."""
    stop = _stop_words()
    return {w for w in _WORD.findall(text.lower()) if len(w) > 2 and w not in stop}


# Role clarification cues (MI practice model for supervision work): purpose of meeting, the roles of both
# people, and asking how the client wants to take part.
_PURPOSE = re.compile(
    r"\b(purpose of|(?:these|our) (?:meetings?|sessions?|visits?|appointments?) (?:are|is)|what (?:we(?:'ll| will)|"
    r"we're going to|we are going to) (?:do|be doing|talk about|cover)|why we(?:'re| are) (?:here|meeting)|"
    r"the reason (?:we|for)|what (?:this|today)(?:'s| is) (?:about|for)|today we(?:'ll| will| are going to)|"
    r"point of (?:these|this|our))\b", re.I)
_MY_ROLE = re.compile(r"\b(my (?:job|role|part|responsibility|task) (?:is|here|as)|i(?:'m| am) (?:here|required) to|"
                      r"what i do is|as your (?:officer|po|counsel+or|case ?manager|nurse|worker))\b", re.I)
_YOUR_ROLE = re.compile(r"\b(your (?:job|role|part|responsibility)|you(?:'re| are) (?:here|expected|required) to|"
                        r"what(?:'s| is) expected of you|up to you|your choice)\b", re.I)
_HOW_PARTICIPATE = re.compile(
    r"\b(how (?:would|do) you (?:like|want)|what would you like|what do you want (?:to|from|out of)|"
    r"where would you like to start|what would (?:make|be) (?:this|these|it) (?:useful|helpful|worthwhile)|"
    r"what (?:do you|would you) hope|how can (?:i|we) (?:help|make)|what(?:'s| is) important (?:to|for) you)\b", re.I)


# ---------------------------------------------------------------------------------------------------
# Column documentation (the single place each column is described)


@dataclass(frozen=True)
class Column:
    name: str
    formula: str
    range: str
    reading: str


COLUMNS: list[Column] = [
    Column("n_practitioner_utterances", "coded practitioner utterances (NC excluded; an utterance with a second code counts once)", "0..", "how much was coded"),
    Column("n_volleys", "practitioner volleys (a turn of the client or another speaker ends one; backchannels that answer nothing do not)", "0..",
           "units of MITI counting"),
    *[Column(code, {"SR": "reflection volleys whose reflections are all simple (a volley counts one reflection: CR if "
                          "any is complex, else SR; MITI 4.2.1 rules)",
                    "CR": "reflection volleys with a complex reflection (one per volley; MITI 4.2.1 rules)",
                    "OQ": "question volleys with an open question (a volley counts one question: OQ if any is open, "
                          "else CQ; MITI 4.2.1 rules)",
                    "CQ": "question volleys whose questions are all closed (one per volley; MITI 4.2.1 rules)"}.get(
                        code, f"{code} counted once per volley (MITI 4.2.1 rules)"), "0..", "MITI behaviour count")
      for code in PRACTITIONER_CODES if code != "NC"],
    Column(QUESTION, "questions coded Q, MITI 4.2.1's Question without its form (a coded table's), counted once per "
           "volley where the volley holds no OQ or CQ; always 0 in mi-coder's own codes", "0..", "MITI behaviour count"),
    *[Column(f"utt_{code}", f"{code} utterances (MISC style, no volley rule)", "0..", "utterance count")
      for code in SCORED_PRACTITIONER_CODES + CLIENT_CODES],
    Column("r_q", "(SR + CR) / (OQ + CQ + Q), volley counts; empty when no question", "0..",
           "reflections per question: fair >= 1, good >= 2; below 1 means questioning more than listening"),
    Column("pct_cr", "CR / (SR + CR), volley counts; empty when no reflection", "0-1",
           "depth of listening: fair >= 0.40, good >= 0.50"),
    Column("pct_oq", "OQ / (OQ + CQ), volley counts; empty when no question with its form coded (Q)", "0-1",
           "openness of questions: fair >= 0.50, good >= 0.70 (MITI 3.1.1 / MISC)"),
    Column("mi_adherent", "SEEK + AF + EA (volley counts; second codes, `code2`, count too)", "0..", "partnership-building behaviours; no threshold"),
    Column("mi_nonadherent", "PER + CON (volley counts)", "0..", "persuading and confronting; lower is better"),
    Column("utt_r_q / utt_pct_cr / utt_pct_oq", "the same ratios from utterance counts", "as above",
           "for comparison with MISC-style research"),
    Column("r_q_expected", "expected reflection volleys / expected question volleys from the coder's probabilities "
           "(each volley adds the largest P(SR or CR) and the largest P(OQ or CQ) among its utterances); empty for "
           "codes without probabilities (human or imported codes)", "0..",
           "R:Q without committing each utterance to one code: ranks sessions closer to human coders than r_q "
           "(README, Accuracy); read r_q for the counts the report lists"),
    Column("expected_reflections / expected_questions", "the two expected volley counts behind r_q_expected",
           "0..", "for quantification research"),
    Column("r_q_band / pct_cr_band / pct_oq_band", "below | fair | good against the threshold file; empty when "
           f"the score is undefined or rests on fewer than {MIN_FOR_BAND} questions (R:Q, %OQ) or reflections (%CR)",
           "text", "a trainer's traffic light (one miscoded utterance in a handful moves a ratio across every band)"),
    Column("client_talk_share", "client words / (client + practitioner words); empty without client turns", "0-1",
           "balance of talking and listening; MI sessions usually give the client at least half"),
    Column("client_turn_share", "client turns / (client + practitioner turns); empty without client turns", "0-1",
           "balance of turns"),
    Column("client_words_per_turn", "mean words per client turn", "0..", "how much the client elaborates"),
    Column("client_words_per_turn_change", "mean words per client turn in the second half of the session minus "
           "the first half (halves by turn index over all turns; of an odd number, the middle turn is in the first "
           "half)", "any", "positive: the client opened up as the session went on"),
    Column("change_talk_pct", "CT / (CT + ST), client utterances; empty when neither", "0-1",
           "share of change talk among change and sustain talk"),
    Column("question_run_pct", "practitioner turns that ask and reflect nothing, inside runs of 3+ such turns with no "
           "reflection between them (a turn with neither, such as information or advice, does not end a run) / "
           "practitioner turns", "0-1", "the question-answer trap; lower is better"),
    Column("longest_practitioner_monologue", "most words in one practitioner volley", "0..",
           "long monologues leave little room for the client"),
    Column("client_new_content_pct", "client turns that bring new content unprompted (3+ content words, of three "
           "letters or more and not function words or fillers, that the practitioner's turn before did not use, "
           "after a turn with no closed question) / client turns", "0-1",
           "clients feel safe to say more"),
    Column("change_talk_after_reflection", "share of client turns with main code CT (a client turn's main code: "
           "CT or ST, the more frequent of its utterance codes, CT on a tie; else FN) among those right after a "
           f"practitioner turn holding a reflection; empty with fewer than {MIN_SIDE} such client turns", "0-1",
           "reflections that draw change talk"),
    Column("change_talk_after_question", "the same after a practitioner turn holding a question (and no "
           f"reflection); empty with fewer than {MIN_SIDE} such client turns", "0-1",
           "compare with change_talk_after_reflection"),
    Column("disclosure_after_first_reflection", "mean words per client turn after the practitioner's first "
           f"reflection or affirmation minus before it; empty when either side has fewer than {MIN_SIDE} client turns",
           "words",
           "whether the client opens up once heard"),
    Column("interruptions", "turns cut off by the other speaker (text ending in a dash), marked by the transcriber "
           "as overlapping talk ('[crosstalk]', '[overlapping speech]'), or, where the transcript has times, that "
           "start more than half a second before the previous turn ends (caption cues overlap by less in ordinary "
           "turn-taking), unless the turn is a backchannel ('mm-hmm' said while the other talks); each turn counts "
           "once", "0..", "mutual listening"),
    Column("opening_client_talk_share", "client_talk_share in the opening (the first 20% of turns, or the "
           "first ten minutes where the transcript has times, whichever is shorter)", "0-1",
           "a good start: the client talks early"),
    Column("opening_reflection_rate", "reflection_rate in the opening", "0..", "listening from the start"),
    Column("opening_question_run_pct", "question_run_pct in the opening", "0-1",
           "an opening interrogation; lower is better"),
    Column("role_clarification", "all four elements found early in the session (the first third of the turns): the "
           "purpose of the meetings, the practitioner's role (including a dual helping/enforcing role), the "
           "client's role, asking how the client wants to take part; found by the model's role-clarification "
           "detectors (utterances' role_elements), or by phrase cues with models that have none",
           "true/false", "whether roles were clarified early; every role_clarification column is empty when coded "
           "with --no-role-check (a health visit, a meeting after roles were settled)"),
    Column("role_clarification_elements", "how many of the four elements were found in the opening", "0-4",
           "partial clarification"),
    Column("role_clarification_turns", "element:turn id of the first utterance carrying each element found in the "
           "opening (evidence)", "text", "where to listen"),
    Column("role_clarification_later", "element:turn id of the first utterance carrying each element not found in "
           "the opening but later in the session", "text", "roles explained late: still explained, not at the start"),
    Column("role_clarification_in_order", "the elements found came in the practice model's order (purpose, "
           "practitioner's role, client's role, participation); empty when fewer than two were found",
           "true/false", "whether the explanation followed the model"),
    Column("role_clarification_at", "where the first element came: share of the session's turns before it", "0-1",
           "how early roles were clarified"),
    Column("reflection_rate", "(SR + CR utterances) / practitioner turns", "0..", "how often the practitioner reflects"),
    Column("responsive_reflection_pct", "client turns whose main code is CT or ST that the next practitioner "
           "turn answers with a reflection / such client turns", "0-1", "listening at the moments that matter"),
    Column("affirmation_rate", "AF utterances / practitioner turns", "0..", "how often strengths are affirmed"),
    Column("empathy_global", "1 + 4 x mean(min(reflection_rate / 0.5, 1), min(pct_cr / 0.5, 1), "
           "responsive_reflection_pct), defined parts only; without reflections the %CR part is 0", "1-5",
           "estimate of the MITI Empathy global (not fitted to human global ratings: none were available)"),
    Column("partnership_global", "1 + 4 x mean(min(r_q / 2, 1), min(utt(SEEK+EA+AF) / practitioner turns / 0.15, 1), "
           "1 - min(utt(PER+CON) / practitioner turns / 0.15, 1)), defined parts only; reflections without any "
           "question give the R:Q part 1", "1-5",
           "estimate of the MITI Partnership global (not fitted to human global ratings)"),
    Column("engagement_index", "100 x mean(min(client_talk_share / 0.5, 1), change_talk_pct, 1 - question_run_pct, "
           "min(client_words_per_turn / 15, 1)), defined parts only; empty without client turns", "0-100",
           "is the client engaged and talking?"),
    Column("empathy_index", "100 x (empathy_global - 1) / 4", "0-100", "accurate empathy"),
    Column("fidelity_index", "100 x mean(min(r_q / 2, 1), min(pct_cr / 0.5, 1), min(pct_oq / 0.7, 1), "
           "1 - min(utt(PER+CON) / practitioner utterances / 0.1, 1)), defined parts only; without reflections the %CR part "
           "is 0 (empty when nothing but NC was coded), and reflections without any question give the R:Q part 1 (so a reflection added never makes a "
           "part appear that lowers the index)", "0-100",
           "overall MI consistency"),
    Column("not_english_turns", "coded turns of five words or more that do not read as English (too few English "
           "function words, or Spanish, French, German or Portuguese ones)", "count",
           "the coder knows English only: 3 or more, and a tenth of the coded turns, make the scores unreliable"),
    Column("scores_reliable", f"at least {MIN_PRACTITIONER_UTTERANCES} coded practitioner utterances, and the coded "
           "turns read as English (not_english_turns under 3, or under a tenth of them)", "true/false",
           "false: too short to score, or not English; read the numbers as anecdotes"),
]


# ---------------------------------------------------------------------------------------------------
# Helpers


def ratio(num: float, den: float) -> float | None:
    """num / den, or None when den is zero (undefined, never 0 or infinity)."""
    return None if den == 0 else num / den


def band(value: float | None, thresholds: dict[str, float]) -> str:
    """'below', 'fair' or 'good' against {'fair': x, 'good': y}; '' when the value is undefined."""
    if value is None:
        return ""
    if value >= thresholds["good"]:
        return "good"
    if value >= thresholds["fair"]:
        return "fair"
    return "below"


def checked_thresholds(thresholds: Any) -> dict[str, dict[str, float]]:
    """Thresholds given in code (not a file): the defaults, with the scores given replaced; UsageError for anything
    that is not {score: {"fair": number, "good": number}} with a known score, 'fair' not above 'good'."""
    from .errors import InputError, UsageError

    out = {k: dict(v) for k, v in DEFAULT_THRESHOLDS.items()}
    if thresholds is None:
        return out
    if not isinstance(thresholds, dict):
        raise UsageError(f'thresholds must be a dict such as {{"r_q": {{"fair": 1, "good": 2}}}}, not '
                         f"{type(thresholds).__name__}")
    for key, value in thresholds.items():
        if key not in out:
            raise UsageError(f"threshold {key!r} is not a score with thresholds (those are {', '.join(out)})")
        if not isinstance(value, dict) or not {"fair", "good"} <= set(value):
            raise UsageError(f"threshold {key!r} needs both 'fair' and 'good', " 'e.g. {"fair": 1, "good": 2}')
        try:
            out[key] = _fair_good("thresholds", key, value)
        except InputError as exc:
            raise UsageError(exc.problem) from exc
    return out


def load_thresholds(path: str | Path | None = None) -> dict[str, dict[str, float]]:
    """Default thresholds, overridden by a JSON file ``{"r_q": {"fair": 1, "good": 2}, ...}``."""
    from .errors import InputError

    out = {k: dict(v) for k, v in DEFAULT_THRESHOLDS.items()}
    if path is None:
        return out
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise InputError(path, f"cannot read thresholds ({exc})") from exc
    if not isinstance(data, dict):
        raise InputError(path, 'thresholds must be a JSON object, e.g. {"r_q": {"fair": 1, "good": 2}}')
    for key, value in data.items():
        if key not in out:
            raise InputError(path, f"threshold {key!r} is not a score with thresholds (those are {', '.join(out)})")
        if not isinstance(value, dict) or not {"fair", "good"} <= set(value):
            raise InputError(path, f"threshold {key!r} needs both 'fair' and 'good', "
                                   'e.g. {"fair": 1, "good": 2}')
        out[key] = _fair_good(path, key, value)
    return out


def _fair_good(path: str | Path, key: str, value: dict) -> dict[str, float]:
    """One score's thresholds from a thresholds file: two finite numbers, 'fair' not above 'good'."""
    from .errors import InputError

    for level in ("fair", "good"):
        number = value[level]
        if isinstance(number, bool) or not isinstance(number, (int, float)) or not math.isfinite(number):
            raise InputError(path, f"threshold {key!r}: {level!r} must be a number, not {number!r}")
    if value["fair"] > value["good"]:
        raise InputError(path, f"threshold {key!r}: 'fair' ({value['fair']}) is above 'good' ({value['good']})")
    if key.startswith("pct_") and not 0 <= value["fair"] <= value["good"] <= 1:  # 40 for 40% bands every session
        raise InputError(path, f"threshold {key!r}: shares are fractions from 0 to 1 (0.4 for 40%), not "
                               f"{value['fair']} / {value['good']}")
    unknown = sorted(set(value) - {"fair", "good"})
    if unknown:
        raise InputError(path, f"threshold {key!r}: unknown level(s) {', '.join(map(repr, unknown))} (only 'fair' "
                               "and 'good')")
    return {"fair": float(value["fair"]), "good": float(value["good"])}


def words(text: str) -> int:
    return len(_WORD.findall(text))


def second_code(turn: Turn, u) -> str:  # type: ignore[no-untyped-def]
    """An utterance's second code (``meta['code2']``: SEEK or EA on a question or a reflection, EA on PWP, a
    checking question on a reflection; a client's CT and ST in one utterance the coder did not split), counted as
    MITI counts both; only on a coded utterance, and only a code of its speaker's role other than its first."""
    code2 = str(u.meta.get("code2") or "").strip().upper()
    own = {PRACTITIONER: SCORED_PRACTITIONER_CODES, CLIENT: CLIENT_CODES}.get(turn.role, ())
    if not u.code or code2 == u.code or code2 not in own:
        return ""
    return code2


def _codes(turn: Turn) -> list[str]:
    """Every code of the turn's utterances, second codes included (guide: such an utterance "gets both codes")."""
    out = []
    for u in turn.utterances:
        if u.code:
            out.append(u.code)
            code2 = second_code(turn, u)
            if code2:
                out.append(code2)
    return out


def is_backchannel(turn: Turn) -> bool:
    """A short client turn made only of backchannel words ("yeah", "mm-hmm", "right", "okay")."""
    toks = [w.lower() for w in _WORD.findall(turn.text)]
    return 0 < len(toks) <= 4 and all(t in BACKCHANNEL_WORDS for t in toks)


def _ends_volley(turn: Turn, last_practitioner_codes: Sequence[str]) -> bool:
    """A turn of the client's, or of another speaker, ends the practitioner's volley unless it is a backchannel
    that answers no question."""
    return not (is_backchannel(turn) and not any(c in QUESTIONS for c in last_practitioner_codes))


# A practitioner turn's part in a question run (the guide: runs of three or more questions without a
# reflection): a turn that asks and reflects nothing extends the run, a turn with a reflection ends it, and a turn
# with neither (information, advice, an affirmation, a greeting) leaves it open; client turns leave it open too.
NEITHER, ASKS, REFLECTS = 0, 1, 2


def _run_kind(codes: set[str]) -> int:
    """A practitioner turn's part in question runs: ``REFLECTS``, ``ASKS`` or ``NEITHER``."""
    if codes & set(REFLECTIONS):
        return REFLECTS
    return ASKS if codes & set(QUESTIONS) else NEITHER


def _question_run_spans(kinds: Sequence[int], minimum: int = QUESTION_RUN_MINIMUM) -> list[list[int]]:
    """The positions of the asking turns of each run of ``minimum`` or more (``kinds``: one ``_run_kind`` per turn,
    ``NEITHER`` for turns that are not the practitioner's)."""
    runs: list[list[int]] = []
    run: list[int] = []
    for k, kind in enumerate(list(kinds) + [REFLECTS]):
        if kind == ASKS:
            run.append(k)
        elif kind == REFLECTS:
            if len(run) >= minimum:
                runs.append(run)
            run = []
    return runs


def volleys(turns: Sequence[Turn]) -> list[list[Turn]]:
    """Practitioner turns grouped into volleys.

    A turn of anyone else ends the volley (MITI: an uninterrupted sequence of the practitioner's utterances)
    unless it is a backchannel that answers nothing, i.e. the practitioner turn before it asked no question. Other
    speakers count too: in a group, a member left uncoded still breaks the practitioner's sequence (seven volleys
    were counted for twenty facilitator turns).
    """
    out: list[list[Turn]] = []
    current: list[Turn] = []
    for turn in turns:
        if turn.role == PRACTITIONER:
            current.append(turn)
        else:
            if current and not _ends_volley(turn, _codes(current[-1])):
                continue
            if current:
                out.append(current)
            current = []
    if current:
        out.append(current)
    return out


def question_runs(turns: Sequence[Turn], minimum: int = QUESTION_RUN_MINIMUM) -> list[list[Turn]]:
    """Runs of ``minimum`` or more practitioner questions with no reflection between them, as the asking turns
    (practitioner turns that ask and reflect nothing); turns with neither, such as information or advice, do not
    end a run."""
    practitioner = [t for t in turns if t.role == PRACTITIONER]
    spans = _question_run_spans([_run_kind(set(_codes(t))) for t in practitioner], minimum)
    return [[practitioner[k] for k in span] for span in spans]


def volley_counts(turns: Sequence[Turn]) -> dict[str, int]:
    """MITI 4.2.1 behaviour counts: each code at most once per volley; reflections and questions once."""
    scorer = SessionScorer()
    for turn in turns:
        scorer.add(turn)
    scorer.scores()
    return dict(scorer.volley_counts)


def summary_scores(counts: dict[str, int], prefix: str = "") -> dict[str, float | None]:
    """R:Q, %CR, %OQ, MI-adherent and MI-non-adherent from behaviour counts."""
    r = counts["SR"] + counts["CR"]
    q = counts["OQ"] + counts["CQ"]
    return {
        f"{prefix}r_q": ratio(r, q + counts.get(QUESTION, 0)),
        f"{prefix}pct_cr": ratio(counts["CR"], r),
        f"{prefix}pct_oq": ratio(counts["OQ"], q),
        f"{prefix}mi_adherent": counts["SEEK"] + counts["AF"] + counts["EA"],
        f"{prefix}mi_nonadherent": counts["PER"] + counts["CON"],
    }


def _mean_defined(values: Iterable[float | None]) -> float | None:
    vals = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    return sum(vals) / len(vals) if vals else None


def _cap(value: float | None, scale: float) -> float | None:
    return None if value is None else min(value / scale, 1.0)


def _role_elements(turn: Turn) -> list[str] | None:
    """The role-clarification elements a practitioner turn carries: the model's detections when its utterances
    have them, None when the model had no detectors."""
    if not any("role_elements" in u.meta for u in turn.utterances):
        return None
    out: list[str] = []
    for u in turn.utterances:
        out.extend(e for e in u.meta.get("role_elements", []) if e not in out)
    return out


def _role_cues(text: str) -> list[str]:
    """Phrase cues for the four elements (the fallback for models without role-clarification detectors)."""
    cues = (("purpose", _PURPOSE), ("practitioner_role", _MY_ROLE), ("client_role", _YOUR_ROLE),
            ("participation", _HOW_PARTICIPATE))
    return [name for name, pattern in cues if pattern.search(text)]


# ---------------------------------------------------------------------------------------------------
# Indicators and indices


OPENING_SHARE = 0.2  # the opening: the first 20% of turns ...
OPENING_SECONDS = 600.0  # ... or the first ten minutes where there are times, whichever is shorter
OVERLAP_SECONDS = 0.5  # a timed turn interrupts when it starts more than this before the previous one ends


def _opening_length(n_turns: int, n_timed: int | None) -> int:
    """Turns in the opening of a session of ``n_turns``, ``n_timed`` of them in its first ten minutes (None:
    no times); at least one turn."""
    n = max(1, math.ceil(n_turns * OPENING_SHARE))
    return n if n_timed is None else min(n, max(1, n_timed))


def opening(turns: Sequence[Turn]) -> list[Turn]:
    """The opening of a session: the first 20% of turns, or the first ten minutes where there are times,
    whichever is shorter (at least one turn)."""
    timed = None
    if turns and turns[0].start is not None:
        back = time_goes_back(turns)  # times that go back are not read from there (``SessionScorer.add``)
        timed = sum(1 for t in turns[:None if back is None else back[0]]
                    if t.start is not None and t.start - turns[0].start < OPENING_SECONDS)
    return list(turns[:_opening_length(len(turns), timed)])


def session_scores(session: Session, thresholds: dict[str, dict[str, float]] | None = None) -> dict[str, Any]:
    """Every sessions.csv score column for one coded session (see ``COLUMNS``): the session's turns fed in
    order to a ``SessionScorer``, the one implementation of every score. ``thresholds``: some or all of
    ``DEFAULT_THRESHOLDS``' scores with their "fair" and "good" values; the others keep the defaults."""
    from .errors import UsageError

    if not isinstance(session, Session):
        raise UsageError(f"session_scores expects a coded Session (mi_coder.read_transcript, then coder.code), "
                         f"not {type(session).__name__}")
    from .records import as_sessions

    as_sessions(session, "session_scores")  # roles, text and utterance records as the other entry points check them
    own = {PRACTITIONER: SCORED_PRACTITIONER_CODES, CLIENT: CLIENT_CODES}
    for turn in session.turns:  # a code no count knows ("sr", a typo) was dropped from every score without a word
        for u in turn.utterances if turn.role in own else ():
            if u.code and u.code not in own[turn.role]:
                raise UsageError(f"session_scores: session {session.id!r}, utterance {u.id!r}: unknown "
                                 f"{turn.role} code {u.code!r} (the {turn.role}'s codes: "
                                 f"{' '.join(own[turn.role])}; MITI codes are upper case)")
    scorer = SessionScorer(checked_thresholds(thresholds), role_check=session.meta.get("role_check") != "off")
    for turn in session.turns:
        scorer.add(turn)
    return scorer.scores()


def _reflection_parts(summary: dict, n_prac: int) -> tuple[float | None, float | None]:
    """The R:Q and %CR parts of the indices. Where the ratio is undefined the part follows the behaviour, so that
    a reflection added to a session never lowers an index by making a part defined: no reflections give a %CR part
    of 0 (no complex reflection was given; undefined only when nothing was coded), and reflections without any
    question give an R:Q part of 1 (the ratio is above any cap)."""
    pct_cr = summary["pct_cr"]
    pct_cr_part = _cap(pct_cr, INDEX_CAPS["pct_cr"]) if pct_cr is not None else (0.0 if n_prac else None)
    r_q = summary["r_q"]
    r_q_part = _cap(r_q, INDEX_CAPS["r_q"]) if r_q is not None else (1.0 if pct_cr is not None else None)
    return r_q_part, pct_cr_part


def _indices(u: dict[str, int], summary: dict, engagement: dict, empathy: dict, n_prac: int,
             n_turns: int) -> dict[str, Any]:
    """The global estimates and the 0-100 indices from counts and indicators (shared by both scorers)."""
    out: dict[str, Any] = {}
    adherent_rate = ratio(u["SEEK"] + u["EA"] + u["AF"], n_turns)
    nonadherent_rate = ratio(u["PER"] + u["CON"], n_turns)
    caps = INDEX_CAPS
    r_q_part, pct_cr_part = _reflection_parts(summary, n_prac)
    empathy_core = _mean_defined([_cap(empathy["reflection_rate"], caps["reflection_rate"]),
                                  pct_cr_part, empathy["responsive_reflection_pct"]])
    partnership_core = _mean_defined([r_q_part, _cap(adherent_rate, caps["adherent_rate"]),
                                      None if nonadherent_rate is None
                                      else 1 - min(nonadherent_rate / caps["nonadherent_rate"], 1.0)])
    out["empathy_global"] = None if empathy_core is None else 1 + 4 * empathy_core
    out["partnership_global"] = None if partnership_core is None else 1 + 4 * partnership_core
    engagement_core = None if engagement["client_turn_share"] is None else _mean_defined([  # no client: undefined
        _cap(engagement["client_talk_share"], caps["client_talk_share"]), engagement["change_talk_pct"],
        None if engagement["question_run_pct"] is None else 1 - engagement["question_run_pct"],
        _cap(engagement["client_words_per_turn"], caps["client_words_per_turn"])])
    nonadherent_share = ratio(u["PER"] + u["CON"], n_prac)
    fidelity_core = _mean_defined([r_q_part, pct_cr_part, _cap(summary["pct_oq"], caps["pct_oq"]),
                                   None if nonadherent_share is None
                                   else 1 - min(nonadherent_share / caps["nonadherent_share"], 1.0)])
    out["engagement_index"] = None if engagement_core is None else 100 * engagement_core
    out["empathy_index"] = None if empathy_core is None else 100 * empathy_core
    out["fidelity_index"] = None if fidelity_core is None else 100 * fidelity_core
    out["scores_reliable"] = n_prac >= MIN_PRACTITIONER_UTTERANCES
    return out


def unreliable_reason(scores: dict[str, Any]) -> str:
    """Why a session's scores are not to be judged (``scores_reliable`` false): "short" (too few coded practitioner
    utterances), "not_english" (turns that do not read as English), or "" when they are reliable."""
    if scores.get("scores_reliable", True):
        return ""
    n_prac = scores.get("n_practitioner_utterances")
    return "short" if n_prac is None or n_prac < MIN_PRACTITIONER_UTTERANCES else "not_english"


def unreliable_because(scores: dict[str, Any]) -> str:
    """``unreliable_reason`` as a phrase; empty when the scores are reliable."""
    reason = unreliable_reason(scores)
    if reason == "short":
        return f"fewer than {MIN_PRACTITIONER_UTTERANCES} coded practitioner utterances"
    if reason == "not_english":
        return (f"{scores.get('not_english_turns')} coded turns do not read as English, and the coder knows English "
                "only")
    return ""


def _english_enough(out: dict[str, Any], not_english_turns: int, long_turns: int) -> None:
    """``not_english_turns``, and ``scores_reliable`` false where they say the codes mean nothing (a transcript in
    Spanish, an interpreted session's other language): a report showed confident bands for them."""
    out["not_english_turns"] = not_english_turns
    out["scores_reliable"] = bool(out["scores_reliable"]) and not mostly_not_english(not_english_turns, long_turns)


def client_main_code(codes: Sequence[str]) -> str:
    """A client turn's main code for the scores, from its utterance codes as shown and as a reviewer edits them:
    CT or ST when either occurs (the more frequent; CT on a tie), else FN. The same rule as the review page's
    (``report/review.js``), so ``code``, ``score`` on its own tables and the page give the same numbers; the turn
    model's label (``turns.csv``'s ``main_code``) informs the utterance codes when decoding, not the scores."""
    ct, st = codes.count("CT"), codes.count("ST")
    if not ct and not st:
        return "FN"
    return "CT" if ct >= st else "ST"


class SessionScorer:
    """Every session score, one turn at a time: feed every turn of a session in order (``add``), then read
    ``scores()``. ``session_scores`` feeds a whole session; streamed coding feeds sessions too large to hold
    coded, chunk by chunk.

    Each turn is read once, when it is added, and only counts are kept, plus five small numbers per turn
    (role, words, reflections, question flag) and per client turn for the parts measured on a share of the
    session's turns (opening, halves, the first third), whose length is known only at the end.
    """

    def __init__(self, thresholds: dict[str, dict[str, float]] | None = None, role_check: bool = True) -> None:
        from array import array

        self.thresholds = thresholds or DEFAULT_THRESHOLDS
        self.role_check = role_check  # False: the role-clarification columns are empty (not assessed)
        self.n = 0
        self.utt = {c: 0 for c in SCORED_PRACTITIONER_CODES + CLIENT_CODES}  # codes, second codes included
        self.n_prac_utterances = 0  # coded practitioner utterances, NC excluded (an utterance of two codes is one)
        self.volley_counts = {c: 0 for c in SCORED_PRACTITIONER_CODES if c != "NC"}
        self.n_volleys = 0
        self._volley: set[str] | None = None  # codes of the open volley (None: no volley open)
        # Expected reflection and question volleys (``r_q_expected``): the open volley's largest P(reflection) and
        # P(question), the running sums, and whether every coded practitioner utterance carried them.
        self._volley_p = [0.0, 0.0]
        self.expected = [0.0, 0.0]
        self._expected_ok = True
        self._volley_words = 0
        self._last_prac_codes: list[str] = []
        self.longest = 0
        self.p_words = self.c_words = self.p_turns = self.c_turns = 0
        self.roles: dict[str, tuple[int, str]] = {}  # element -> first (turn index, turn id)
        self.client_at = array("q")  # turn index of each client turn
        self.client_words = array("q")
        self.turn_role = array("b")  # per turn: 1 practitioner, 2 client, 0 other
        self.turn_words = array("q")
        self.turn_reflections = array("q")
        self.turn_run_kind = array("b")  # per turn: its part in question runs (_run_kind; NEITHER for a client)
        self.first_start: float | None = None
        self.timed = 0
        self._latest_start: float | None = None
        self.times_go_back = False  # a start went back (``records.time_goes_back``): later times are not read
        self.new_content = 0
        self.after = {"reflection": [0, 0], "question": [0, 0]}
        self._prev_prac: Turn | None = None
        self._prev_prac_words: set[str] = set()
        self._prev_end: float | None = None
        self._prev_start: float | None = None
        self.first_heard: int | None = None
        self.before_words = [0, 0]  # sum, count
        self.after_words = [0, 0]
        self.interruptions = 0
        self.talk = self.answered = 0
        self._pending_talk = 0
        self.long_turns = self.not_english_turns = 0  # coded turns of five words or more; of those, not English

    def add(self, turn: Turn) -> None:
        """Count one coded turn (turns must come in session order)."""
        k = self.n
        self.n += 1
        codes = _codes(turn)
        code_set = set(codes)
        n_words = words(turn.text)
        if turn.role in (PRACTITIONER, CLIENT) and len(turn.text.split()) >= 5:
            self.long_turns += 1
            self.not_english_turns += not_english(turn.text)
        if k == 0:
            self.first_start = turn.start
        if turn.start is not None:
            if self._latest_start is not None and turn.start < self._latest_start - TIME_SLACK:
                self.times_go_back = True  # a restart or a wrong time: the opening by minutes ends with the times
            self._latest_start = turn.start if self._latest_start is None else max(self._latest_start, turn.start)
        if self.first_start is not None and turn.start is not None and not self.times_go_back \
                and turn.start - self.first_start < OPENING_SECONDS:
            self.timed += 1
        # interruptions: a turn that starts well before the previous one ended (caption cues of polite turn-taking
        # overlap by a fraction of a second), but not before it started (times that go back are no overlap), or that
        # breaks off ("--"); a turn counts once
        overlaps = (self._prev_end is not None and turn.start is not None
                    and self._prev_start is not None and turn.start >= self._prev_start - TIME_SLACK
                    and turn.start < self._prev_end - OVERLAP_SECONDS
                    and not is_backchannel(turn))  # "mm-hmm" said over the speaker listens; it does not cut in
        if overlaps or turn.meta.get(OVERLAP) or turn.text.rstrip().endswith(("--", "-", "\u2014")):
            self.interruptions += 1
        self._prev_end = turn.end
        self._prev_start = turn.start
        reflections = 0
        run_kind = NEITHER
        if turn.role not in (PRACTITIONER, CLIENT) and self._volley is not None \
                and _ends_volley(turn, self._last_prac_codes):  # another speaker breaks the sequence (``volleys``)
            self._close_volley()
        if turn.role in (PRACTITIONER, CLIENT):
            for c in codes:
                if c in self.utt:
                    self.utt[c] += 1
                if c in REFLECTIONS:
                    reflections += 1
        if turn.role == PRACTITIONER:
            self.n_prac_utterances += sum(1 for u in turn.utterances if u.code and u.code != "NC")
            self.p_turns += 1
            self.p_words += n_words
            if self._volley is None:
                self._volley, self._volley_words = set(), 0
            self._volley |= code_set
            for u in turn.utterances:
                if not u.code:
                    continue
                pr, pq = u.meta.get("p_reflection"), u.meta.get("p_question")
                if pr is None or pq is None:
                    self._expected_ok = False
                else:
                    self._volley_p = [max(self._volley_p[0], pr), max(self._volley_p[1], pq)]
            self._volley_words += n_words
            self._last_prac_codes = codes
            run_kind = _run_kind(code_set)
            elements = _role_elements(turn)
            for element in (elements if elements is not None else _role_cues(turn.text)):
                self.roles.setdefault(element, (k, turn.id))
            if self.first_heard is None and code_set & {"SR", "CR", "AF"}:
                self.first_heard = k
            if code_set & set(REFLECTIONS):
                self.answered += self._pending_talk
            self._pending_talk = 0
            self._prev_prac = turn
            self._prev_prac_words = _content_words(turn.text)
        elif turn.role == CLIENT:
            self.c_turns += 1
            self.c_words += n_words
            if self._volley is not None and _ends_volley(turn, self._last_prac_codes):
                self._close_volley()
            self.client_at.append(k)
            self.client_words.append(n_words)
            side = self.after_words if self.first_heard is not None else self.before_words
            side[0] += n_words
            side[1] += 1
            prev_codes = set(_codes(self._prev_prac)) if self._prev_prac is not None else set()
            new = _content_words(turn.text) - self._prev_prac_words
            if len(new) >= 3 and "CQ" not in prev_codes:
                self.new_content += 1
            main = client_main_code(codes)
            kind = "reflection" if prev_codes & set(REFLECTIONS) else "question" if prev_codes & set(QUESTIONS) else None
            if kind:
                self.after[kind][1] += 1
                self.after[kind][0] += main == "CT"
            if main in ("CT", "ST"):
                self.talk += 1
                self._pending_talk += 1
        self.turn_role.append(1 if turn.role == PRACTITIONER else 2 if turn.role == CLIENT else 0)
        self.turn_words.append(n_words)
        self.turn_reflections.append(reflections)
        self.turn_run_kind.append(run_kind)

    def _close_volley(self) -> None:
        present = self._volley or set()
        self.n_volleys += 1
        if present & set(REFLECTIONS):
            self.volley_counts["CR" if "CR" in present else "SR"] += 1
        if present & set(QUESTIONS):
            self.volley_counts["OQ" if "OQ" in present else "CQ" if "CQ" in present else QUESTION] += 1
        for code in present - set(REFLECTIONS) - set(QUESTIONS) - {"NC"}:
            if code in self.volley_counts:
                self.volley_counts[code] += 1
        self.expected = [self.expected[0] + self._volley_p[0], self.expected[1] + self._volley_p[1]]
        self._volley_p = [0.0, 0.0]
        self.longest = max(self.longest, self._volley_words)
        self._volley = None

    def _in_runs(self, n: int) -> int:
        """Asking turns inside question runs among the first ``n`` turns."""
        return sum(len(span) for span in _question_run_spans(self.turn_run_kind[:n]))

    def _opening(self) -> dict[str, Any]:
        """Client talk share, reflections per practitioner turn and question-run share in the opening
        (``opening``: the first 20% of turns, or the first ten minutes where there are times)."""
        n = _opening_length(self.n, self.timed if self.n and self.first_start is not None else None)
        p_words = c_words = p_turns = refl = 0
        for k in range(min(n, self.n)):
            role = self.turn_role[k]
            if role == 1:
                p_words += self.turn_words[k]
                p_turns += 1
                refl += self.turn_reflections[k]
            elif role == 2:
                c_words += self.turn_words[k]
                refl += self.turn_reflections[k]
        in_run = self._in_runs(min(n, self.n))
        return {"opening_client_talk_share": ratio(c_words, c_words + p_words),
                "opening_reflection_rate": ratio(refl, p_turns),
                "opening_question_run_pct": ratio(in_run, p_turns)}

    def scores(self) -> dict[str, Any]:
        """Every sessions.csv score column of the turns added so far (as ``session_scores``)."""
        if self._volley is not None:
            self._close_volley()
        u, v = self.utt, self.volley_counts
        n_prac = self.n_prac_utterances
        out: dict[str, Any] = {"n_practitioner_utterances": n_prac, "n_volleys": self.n_volleys}
        out.update(v)
        out.update({f"utt_{c}": u[c] for c in u})
        summary = summary_scores(v)
        out.update(summary)
        out.update({k: val for k, val in summary_scores(u, "utt_").items() if k.endswith(("r_q", "pct_cr", "pct_oq"))})
        known = self._expected_ok and self.n_volleys > 0
        out["expected_reflections"] = self.expected[0] if known else None
        out["expected_questions"] = self.expected[1] if known else None
        out["r_q_expected"] = ratio(self.expected[0], self.expected[1]) if known and self.expected[1] > 0 else None
        over = {"r_q": v["OQ"] + v["CQ"] + v[QUESTION], "pct_cr": v["SR"] + v["CR"], "pct_oq": v["OQ"] + v["CQ"]}
        for key in ("r_q", "pct_cr", "pct_oq"):
            out[f"{key}_band"] = band(summary[key], self.thresholds[key]) if over[key] >= MIN_FOR_BAND else ""
        half = self.n / 2
        first = [w for k, w in zip(self.client_at, self.client_words) if k < half]
        second = [w for k, w in zip(self.client_at, self.client_words) if k >= half]
        early = max(1, math.ceil(self.n / 3))
        found = {e: at for e, at in self.roles.items() if at[0] < early}
        order = [found[e][0] for e in ROLE_ELEMENTS if e in found]
        engagement = {
            # a practitioner-only recording has no client measures (not a client who never spoke: 0)
            "client_talk_share": ratio(self.c_words, self.c_words + self.p_words) if self.c_turns else None,
            "client_turn_share": ratio(self.c_turns, self.c_turns + self.p_turns) if self.c_turns else None,
            "client_words_per_turn": ratio(self.c_words, self.c_turns),
            "client_words_per_turn_change": (sum(second) / len(second) - sum(first) / len(first))
            if first and second else None,
            "change_talk_pct": ratio(u["CT"], u["CT"] + u["ST"]),
            "question_run_pct": ratio(self._in_runs(self.n), self.p_turns),
            "longest_practitioner_monologue": self.longest,
            "role_clarification": len(found) == len(ROLE_ELEMENTS),
            "role_clarification_elements": len(found),
            "role_clarification_turns": " ".join(f"{e}:{found[e][1]}" for e in ROLE_ELEMENTS if e in found),
            "role_clarification_later": " ".join(f"{e}:{self.roles[e][1]}" for e in ROLE_ELEMENTS
                                                 if e in self.roles and e not in found),
            "role_clarification_in_order": (order == sorted(order)) if len(order) >= 2 else None,
            "role_clarification_at": round(min(order) / self.n, 3) if order else None,
        }
        if not self.role_check:  # a setting the practice model's checklist does not fit: not assessed, not "absent"
            engagement.update({key: None for key in engagement if key.startswith("role_clarification")})
        out.update(engagement)
        (bsum, bn), (asum, an) = self.before_words, self.after_words
        out.update({
            "client_new_content_pct": ratio(self.new_content, self.c_turns),
            "change_talk_after_reflection": ratio(*self.after["reflection"]) if self.after["reflection"][1] >= MIN_SIDE
            else None,
            "change_talk_after_question": ratio(*self.after["question"]) if self.after["question"][1] >= MIN_SIDE
            else None,
            "disclosure_after_first_reflection": (asum / an - bsum / bn) if bn >= MIN_SIDE and an >= MIN_SIDE else None,
            "interruptions": self.interruptions,
        })
        out.update(self._opening())
        if not self.c_turns:
            out["opening_client_talk_share"] = None
        empathy = {"reflection_rate": ratio(u["SR"] + u["CR"], self.p_turns),
                   "responsive_reflection_pct": ratio(self.answered, self.talk),
                   "affirmation_rate": ratio(u["AF"], self.p_turns)}
        out.update(empathy)
        out.update(_indices(u, summary, engagement, empathy, n_prac, self.p_turns))
        _english_enough(out, self.not_english_turns, self.long_turns)
        return out


def review_rules() -> dict[str, Any]:
    """What the report's review mode needs to score codes as this module does (serialised into the page)."""
    return {"practitioner_codes": list(PRACTITIONER_CODES), "client_codes": list(CLIENT_CODES),
            "reflections": list(REFLECTIONS), "questions": list(QUESTIONS),
            "backchannel_words": sorted(BACKCHANNEL_WORDS), "question_run_minimum": QUESTION_RUN_MINIMUM,
            "caps": dict(INDEX_CAPS), "min_for_band": MIN_FOR_BAND}


def column_kinds() -> dict[str, str]:
    """Each sessions.csv score column's kind for typed output (Parquet): "bool" (true/false), "text", or "number"
    (every other range in ``COLUMNS``)."""
    kinds = {}
    for col in COLUMNS:
        kind = "bool" if col.range == "true/false" else "text" if col.range == "text" else "number"
        for name in col.name.split(" / "):
            kinds[name.strip()] = kind
    return kinds


def columns_markdown() -> str:
    """docs/SCORES.md: every sessions.csv score column with its formula, range and reading."""
    lines = ["# Session score columns", "",
             "Generated from `mi_coder.scoring.COLUMNS` (the tests check that this file is current). Volley counts "
             "follow MITI 4.2.1; `utt_` columns count utterances (MISC style). Empty cells mean undefined "
             "(for example a ratio with no question), never zero.", "",
             "| column | formula | range | how to read it |", "|---|---|---|---|"]
    for col in COLUMNS:
        lines.append(f"| `{col.name}` | {col.formula} | {col.range} | {col.reading} |")
    lines += ["", "Default thresholds (override with a JSON file, `--thresholds FILE`):", "",
              "| score | fair | good |", "|---|---|---|"]
    for key, value in DEFAULT_THRESHOLDS.items():
        lines.append(f"| `{key}` | {value['fair']} | {value['good']} |")
    return "\n".join(lines) + "\n"
