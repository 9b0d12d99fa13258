"""Coaching examples with suggestions, and who counts as a named practitioner."""

from __future__ import annotations

import re

from ..codes import ASK_PERMISSION
from ..records import PRACTITIONER, Session, Turn
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
    r"have i got|what did i miss|did i leave)\b|" + ASK_PERMISSION.pattern, re.I)


def _open_rewording(text: str) -> str:
    """A template open rewording of a closed question (a suggestion, shown as one)."""
    low = text.strip().rstrip("?").lower()
    for pattern, template in ((r"^(?:so |and |okay |um |uh )*(?:did|have|has) you (.+)", "What happened when you {}?"),
                              (r"^(?:so |and |okay |um |uh )*(?:are|were) you (.+)", "How are you feeling about {}?"),
                              (r"^(?:so |and |okay |um |uh )*(?:do|does|would|will|can|could) you (.+)",
                               "What would it look like to {}?"),
                              (r"^(?:so |and |okay |um |uh )*(?:is|was) (?:it|that|there) (.+)", "What's {} like for you?")):
        m = re.match(pattern, low)
        if m:
            return template.format(m.group(1))
    return "Tell me more about that. / What's that been like for you?"


def coaching_examples(session: Session, confidence: float = COACHING_CONFIDENCE) -> dict[str, list[tuple[Turn, str, str]]]:
    """Moments worth discussing, as (turn, text, suggestion): strongest complex reflections, affirmations,
    closed questions that could have been open (never scaling rulers, permission requests or summaries with a
    check), runs of questions without a reflection, persuading without permission. Only codes at least
    ``confidence`` confident, and never fragments (under four words)."""
    practitioner = [t for t in session.turns if t.role == PRACTITIONER]
    utts = [(t, u) for t in practitioner for u in t.utterances
            if u.code and (u.confidence is None or u.confidence >= confidence) and len(u.text.split()) >= 4]

    def top(code: str, n: int = 3, keep=lambda u: True) -> list:  # type: ignore[no-untyped-def]
        chosen = [(t, u) for t, u in utts if u.code == code and keep(u)]
        return sorted(chosen, key=lambda tu: -(tu[1].confidence or 0))[:n]

    closed = [(t, u.text, f"Suggestion (a template): \u201c{_open_rewording(u.text)}\u201d")
              for t, u in top("CQ", 4, lambda u: not _MI_CLOSED.search(u.text) and u.meta.get("code2") != "SEEK")]
    runs = []
    for run in question_runs(session.turns)[:4]:
        last = run[-1]
        runs.append((run[0], f"{len(run)} questions in a row without a reflection (turns {run[0].id}-{last.id})",
                     f"Suggestion: after the client's answer to turn {run[0].id}, reflect what you heard before "
                     "asking the next question."))
    persuade = [(t, u.text, "Suggestion (a template): ask first, \u201cWould it be okay if I shared a thought about "
                 "that?\u201d, and leave the decision with the client, \u201c...but you know best what fits.\u201d")
                for t, u in top("PER", 4)]
    return {
        "Strongest complex reflections": [(t, u.text, "") for t, u in top("CR")],
        "Affirmations": [(t, u.text, "") for t, u in top("AF")],
        "Closed questions that could have been open": closed,
        "Runs of questions without reflection": runs,
        "Persuading without permission": persuade,
    }


def is_person_name(label: str) -> bool:
    """Whether a speaker label names a person (trends are drawn per person, never per role label)."""
    from ..roles import role_from_label

    text = (label or "").strip()
    if not text or role_from_label(text) or re.fullmatch(r"(?i)(speaker|spk|person|participant|voice)[ _-]?\w{0,3}", text):
        return False
    return bool(re.search(r"[A-Za-z]{2,}", text))
