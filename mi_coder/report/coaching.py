"""Coaching examples with suggestions, and who counts as a named practitioner."""

from __future__ import annotations

import re

from ..codes import ASK_PERMISSION
from ..records import PRACTITIONER, Session, Turn
from ..roles import is_person_name, person  # noqa: F401  (the report reads them from here)
from ..scoring import question_runs

COACHING_CONFIDENCE = 0.6  # coaching examples only from codes at least this confident (stated on the page)


# Closed questions MI uses on purpose: scaling rulers, permission requests (``codes.ASK_PERMISSION``, plus
# asking leave to ask), and checks on a reflection or summary.
_MI_CLOSED = re.compile(
    r"\b(?:scale|one to ten|1 to 10|zero to ten|0 to 10|how (?:important|confident|ready)|"
    r"(?:can|could|may) i ask|do you mind|did i (?:get|miss)|"
    r"is that (?:right|fair|about right)|am i (?:right|close|getting)|does that (?:sound|fit|seem) right|"
    r"(?:is|would) (?:that|it|this) be (?:al(?:l ?)?right|ok(?:ay)?|fine)(?: with you)?|"
    r"(?:is|would) (?:that|it|this) (?:al(?:l ?)?right|ok(?:ay)?|fine)(?: with you)?|"
    r"(?:are|would) you (?:be )?(?:ok(?:ay)?|al(?:l ?)?right|fine|comfortable) with (?:that|this|it)|"
    r"have i got|what did i miss|did i leave|"
    r"(?:would|are) you (?:be )?(?:open|willing|interested) (?:to|in)|(?:can|could|may|shall) we (?:talk|look|go over)|"
    r"is (?:that|this) something (?:you|we)|does that sound (?:ok|okay|alright|all right|fair)|"
    # offers to share that ``ASK_PERMISSION`` (read by the models' features, so left as trained) does not name
    r"would it (?:help|be (?:of )?(?:any )?(?:help|helpful|useful)) (?:if|for) (?:i|me)|"
    r"(?:do|would) you (?:want|like) me to (?:tell|share|give|go over|explain|say|walk)|"
    r"shall i (?:tell|share|give|go over|explain))\b|"
    + ASK_PERMISSION.pattern, re.I)


_LEAD = re.compile(r"^(?:(?:so|and|but|okay|ok|um+|uh+|well|now|right|alright|mm-hmm|yeah|oh)\b[\s,.-]*)+", re.I)
_GRADABLE = ("worried|concerned|happy|unhappy|satisfied|ready|willing|comfortable|confident|interested|aware|"
             "able|serious|committed|motivated|scared|afraid|nervous|stressed|anxious|upset|angry|frustrated|"
             "hopeful|excited|tired|determined|close|familiar|involved")
_HARD = "hard|difficult|easy|tough|important|helpful|stressful|scary|frustrating|hard work|a struggle"
# (pattern on the question without its leading fillers and "?", template) in order; a template's {rest} keeps the
# practitioner's own words and casing. Every template is a full open question that keeps the closed question's
# topic and asks for the client's view of it; where none fits, a general hint is given instead of a forced rewrite.
# Questions about what the client did or will do ("Did you go to NA?", "Have you missed doses?", "Are you going to
# keep using?", "Do you want to go back to jail?") get the hint: an open frame around them ("What was it like to go
# to NA?") presumes an answer the client may just have denied, or turns a rhetorical warning into a goal (trainers'
# audit, twenty-fifth session).
_REWORDINGS = [
    (r"does (?:that|this|it) make sense(?: to you)?", "What do you make of that?"),
    (r"would you (?:like|want) to (?P<rest>.+)", "What are your thoughts about whether to {rest}?"),
    (r"are you (?:thinking|considering) (?:about|of) (?P<rest>.+)", "What are your thoughts about {rest}?"),
    (r"are you (?:at all |really )?worried about (?P<rest>.+)", "What worries you about {rest}?"),
    (r"are you (?:at all |really )?concerned about (?P<rest>.+)", "What concerns you about {rest}?"),
    (r"are you (?:at all |really )?(?:worried|concerned) that (?P<rest>.+)", "What worries you about the idea that {rest}?"),
    (r"(?:do|did) you (?:think|believe|suppose|reckon|feel like|feel that) "
     r"(?:that (?=(?:you|i|we|he|she|they|it|there|your|my|his|her|their|the|a|an)\b))?(?P<rest>.+)",
     "What are your thoughts on whether {rest}?"),
    (r"do you (?P<v>have|get|see|notice|find) (?:any|some) (?P<noun>\w+s)(?: at all)?(?P<rest>.*)",
     "What {noun}, if any, do you {v}{rest}?"),
    (r"(?:have|did) you (?:ever )?(?:thought|think) (?:about|of) (?P<rest>.+)", "What thoughts have you had about {rest}?"),
    (r"have you (?:ever )?given (?:it )?(?:any|much|some)? ?thought (?:to|about),? (?P<rest>.+)",
     "What thoughts have you had about {rest}?"),
    (r"(?:have|did) you (?:ever )?(?:heard|hear) (?:about|of) (?P<rest>.+)", "What have you heard about {rest}?"),
    (rf"(?:are|were) you (?:really |feeling |at all )?(?P<adj>{_GRADABLE})(?P<rest>(?: .+)?)", "How {adj} are you{rest}?"),
    (rf"(?:is|was) (?P<pron>it|that|this) (?:really |very |too )?(?P<adj>{_HARD})(?P<rest>(?: .+)?)",
     "How {adj} is {pron}{rest}?"),
]
_GENERAL = ""  # no template fits: the page gives ``GENERAL_HINT`` instead of a rewording
GENERAL_HINT = ("Suggestion: ask about the same thing with what or how, so the client answers in their own words "
                "rather than yes or no (\u201cHow has that been going?\u201d, \u201cWhat do you make of it?\u201d).")
# A closed question that already opens with a question word asks for a number or a fact ("How many is a few?",
# "What time did you get home?"): telling the trainee to use what or how would confuse (a trainer's audit).
WH_HINT = ("Suggestion: this asks for a number or a fact; to hear the client's own view, ask what it is like or "
           "what it means to them (\u201cWhat is a usual night like?\u201d, \u201cWhat do you make of that?\u201d).")
_WH_OPENING = re.compile(r"(?:what|how|which|where|when|who|whose|whom)\b", re.I)


def _open_rewording(text: str) -> str:
    """A template open rewording of a closed question (a suggestion, shown as one): the closed question's own
    words in an open frame where a template fits its form (questions of opinion, worry, degree), else "" (the page
    gives ``GENERAL_HINT``). Never a rewrite that breaks the grammar or presumes what the client did."""
    core = _LEAD.sub("", text.strip()).strip().rstrip("?.!").strip()
    core = core.split("--")[-1].strip()  # a restart ("Does she-- Have you talked ...") keeps the last attempt
    for pattern, template in _REWORDINGS:
        m = re.fullmatch(pattern, core, flags=re.I | re.S)
        if not m:
            continue
        # {rest} right after a word ("are you{rest}") keeps its own leading space; elsewhere the template has one
        parts = {k: (v.rstrip(" ,") if k == "rest" and " {rest}" not in template else v.strip(" ,"))
                 for k, v in m.groupdict().items() if v is not None}
        if "about {rest}" in template and parts.get("rest", "").lower().startswith("if "):
            parts["rest"] = "whether " + parts["rest"][3:]  # "thought to, if you'll ..." -> "about whether you'll ..."
        return template.format(**{k: v.lower() if k in ("adj", "noun", "pron", "v") else v for k, v in parts.items()})
    return _GENERAL


# Closed questions that are right as they are, though not MI techniques: greetings and identity checks, arranging
# the next meeting, checks of papers and contact details a supervision visit must make ("Do you have their number?",
# "Did you bring your pay stubs?", "Is this still your address?"), and safety questions (risk of harm is asked
# plainly, never opened up).
_NOT_TO_OPEN = re.compile(
    r"^\W*(?:hi|hello|hey|good (?:morning|afternoon|evening))\b|\bare you (?-i:[A-Z][a-z]+(?: [A-Z][a-z]+)?)\W*$|"
    r"\b(?:do|did) you (?:still )?(?:have|got|bring|sign|fill (?:in|out)|hand in|drop off|submit|send)(?: in| off| us)? "
    r"(?:(?:a|an|the|your|their|his|her|its|that|those|these|any|some|all|of) ){0,3}(?:\w+ ){0,2}(?:(?:phone )?numbers?|"
    r"address|paperwork|papers|pay ?stubs?|forms?|ids?|identification|licen[cs]e|letters?|receipts?|documents?|"
    r"copy|copies|proof|details|contact (?:info\w*|details))\b|"
    r"\b(?:is|are) (?:this|that|these|those) still your (?:current |home |phone |mobile |cell )?(?:address|numbers?|"
    r"phone|details)\b|\bare you still (?:living |staying )?at (?:the same|that|your)\b|"
    r"\b(?:still work|work (?:out |better |best )?for you|suits? you|same time|(?:re)?schedul\w*|book (?:you|it) in|"
    r"a good time|(?:have|got) a (?:minute|moment|second|few minutes))\b|"
    r"\b(?:kill(?:ing)? yourself|suicid\w*|(?:hurt|harm)(?:ing)? (?:yourself|someone|anyone|others)|end your life|"
    r"safe (?:at home|to go home|tonight)|feel safe)\b", re.I)
# Lead-ins to a summary or a reflection, not the reflection ("Let me see if I've got it.").
_LEAD_IN = re.compile(r"^\W*(?:so,? )?(?:let me (?:see|make sure|check|summari[sz]e|just)|i want to make sure|"
                      r"i(?:'m| am) going to (?:summari[sz]e|pull)|let's see if)\b", re.I)


def _fragment(text: str) -> bool:
    """Too short to discuss (under four words), or cut off ("So, being a good friend and-")."""
    return len(text.split()) < 4 or bool(re.search(r"(?:-|--|\u2014|\u2013|\.\.\.)\W{0,2}$", text.strip()))


def coaching_examples(session: Session, confidence: float = COACHING_CONFIDENCE) -> dict[str, list[tuple[Turn, str, str]]]:
    """Moments worth discussing, as (turn, text, suggestion): strongest complex reflections, affirmations,
    autonomy support and seeking collaboration (EA or SEEK, first or second code), closed questions that could have been open (never scaling rulers, permission requests or summaries with a
    check), runs of questions without a reflection, persuading without permission, confronting. Only codes at least
    ``confidence`` confident, and never fragments (under four words, or cut off); no greetings, arrangements or
    safety questions among the closed questions, no lead-in ("Let me see if I've got it") among the
    reflections."""
    practitioner = [t for t in session.turns if t.role == PRACTITIONER]
    utts = [(t, u) for t in practitioner for u in t.utterances
            if u.code and (u.confidence is None or u.confidence >= confidence) and not _fragment(u.text)]

    def top(code: str, n: int = 3, keep=lambda u: True) -> list:  # type: ignore[no-untyped-def]
        chosen = [(t, u) for t, u in utts if u.code == code and keep(u)]
        return _distinct(sorted(chosen, key=lambda tu: -(tu[1].confidence or 0)), n)

    def open_suggestion(text: str) -> str:
        rewording = _open_rewording(text)
        if rewording:
            return f"Suggestion (a template): \u201c{rewording}\u201d"
        return WH_HINT if _WH_OPENING.match(_LEAD.sub("", text.strip())) else GENERAL_HINT

    closed = [(t, u.text, open_suggestion(u.text))
              for t, u in top("CQ", 4, lambda u: not _MI_CLOSED.search(u.text) and not _NOT_TO_OPEN.search(u.text)
                              and u.meta.get("code2") != "SEEK")]
    adherent = _distinct(sorted([(t, u) for t, u in utts if {u.code, u.meta.get("code2")} & {"EA", "SEEK"}],
                                key=lambda tu: -(tu[1].confidence or 0)), 3)
    runs = []
    every_run = question_runs(session.turns)
    for run in every_run[:4]:
        last = run[-1]
        runs.append((run[0], f"{len(run)} questions with no reflection between them (turns {run[0].id}-{last.id})",
                     f"Suggestion: after the client's answer to turn {run[0].id}, reflect what you heard before "
                     "asking the next question."))
    if len(every_run) > 4:  # said, not cut silently: a long session can hold many
        runs.append((every_run[4][0], f"and {len(every_run) - 4} more run(s) of questions, the next at turn "
                                      f"{every_run[4][0].id} (all are counted in question_run_pct)", ""))
    # sessions coded with --no-role-check (health care, counselling) get examples without a court order in them
    supervision = session.meta.get("role_check") != "off"
    requirement = "a condition of the order or the program" if supervision else "a rule of the service or the program"
    consequence = ("\u201cIf the test is positive, the judge will see it. What you do about that is up to you.\u201d"
                   if supervision else "\u201cWith readings this high, the risk of a fall goes up. What you do about "
                   "that is up to you.\u201d")
    persuade = [(t, u.text, "Suggestion (a template): ask first, \u201cWould it be okay if I shared a thought about "
                 "that?\u201d; where the choice is the client's, leave it with them (\u201c...but you know best what "
                 f"fits\u201d); where it is {requirement}, say so plainly, with its reason, "
                 "as information, not as the client's choice.")
                for t, u in top("PER", 4)]
    return {
        "Strongest complex reflections": [(t, u.text, "") for t, u in top("CR", keep=lambda u: not _LEAD_IN.search(u.text))],
        "Affirmations": [(t, u.text, "") for t, u in top("AF")],
        "Autonomy support and seeking collaboration": [(t, u.text, "") for t, u in adherent],
        "Closed questions that could have been open": closed,
        "Runs of questions without reflection": runs,
        "Persuading without permission": persuade,
        "Confronting": [(t, u.text, "Suggestion (a template): say what concerns you without labelling or blaming, "
                                    "give any consequence as plain information, and leave the choice with the client "
                                    f"({consequence}); reflect their side before disagreeing.")
                        for t, u in top("CON", 4)],
    }


# The codes behind each coaching section whose cards count them (MI-adherent, MI-non-adherent) or whose examples a
# reader may look for: their less confident codes are counted in the scores but never shown as examples.
SECTION_CODES = {"Strongest complex reflections": ("CR",), "Affirmations": ("AF",),
                 "Autonomy support and seeking collaboration": ("EA", "SEEK"),
                 "Persuading without permission": ("PER",), "Confronting": ("CON",)}


def unsure_codes(session: Session, confidence: float = COACHING_CONFIDENCE) -> dict[str, list[tuple[Turn, str, float]]]:
    """Per coaching section (``SECTION_CODES``): (turn, code, confidence) of the practitioner's utterances coded so
    (first or second code) below ``confidence``, which the scores count and the examples leave out: a card that
    counts two Confronts beside "none found with enough confidence" is then traceable to its turns."""
    from ..scoring import second_code

    out: dict[str, list[tuple[Turn, str, float]]] = {}
    for title, codes in SECTION_CODES.items():
        found = [(t, c, u.confidence) for t in session.turns if t.role == PRACTITIONER for u in t.utterances
                 for c in (u.code, second_code(t, u)) if c in codes
                 and u.confidence is not None and u.confidence < confidence]
        if found:
            out[title] = found
    return out


def _distinct(ranked: list, n: int) -> list:
    """The first ``n`` of (turn, utterance) pairs whose words differ, one per turn: a question asked four times in a
    long session is one example, not four, and a turn's second affirmation does not take another turn's place."""
    seen, turns, out = set(), set(), []
    for t, u in ranked:
        key = " ".join(re.findall(r"[\w']+", u.text.lower()))
        if key not in seen and id(t) not in turns:
            seen.add(key)
            turns.add(id(t))
            out.append((t, u))
        if len(out) == n:
            break
    return out

