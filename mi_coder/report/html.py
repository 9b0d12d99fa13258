"""Coaching reports: one self-contained HTML page per coded session, and an overview of many.

Everything is inline (CSS, a few lines of JavaScript for filtering and sorting, charts drawn by matplotlib
as SVG), so a report works offline and as an email attachment. Colours are the Okabe-Ito palette, which
stays distinguishable with the common colour-vision deficiencies; every colour also has a text label.
The markup is in Jinja2 templates (``templates/``, autoescaped); this module gathers the values they show.
"""

from __future__ import annotations

import math

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from markupsafe import Markup

from ..codes import CODE_NAMES
from ..records import CLIENT, OTHER, PRACTITIONER, Session, Turn, time_goes_back
from ..scoring import (DEFAULT_THRESHOLDS, MIN_FOR_BAND, MIN_PRACTITIONER_UTTERANCES, MIN_SIDE, second_code,
                       unreliable_because, unreliable_reason)
from .charts import (
    RATIO_OVER,
    distributions_chart,
    elaboration_chart,
    scores_chart,
    timeline_chart,
    trend_chart,
    trend_order,
)
from .coaching import COACHING_CONFIDENCE, coaching_examples, is_person_name, person, unsure_codes
from .review import review_context, review_data, review_js
from .style import CODE_COLOURS, LOW_CONFIDENCE, TEXT_ON, _fmt, _fmt_banded, clock, display_number
from .templating import render


WORDS_PER_TURN_MARGIN = 2.0  # a change in words per client turn smaller than this reads as no change


def _reading(value: Any, good: str, poor: str, threshold: float, higher_is_better: bool = True,
             level: str | None = None, margin: float = 0.0) -> str:
    """``good`` or ``poor`` against ``threshold``; ``level`` (if given) for a value within ``margin`` of it (a
    change of a fraction of a word per turn is no change), which is neither."""
    if value is None:
        return "not measurable in this session"
    if level is not None and abs(value - threshold) <= margin:
        return level
    ok = value >= threshold if higher_is_better else value <= threshold
    return good if ok else poor


def _after_reading(after_reflection: float | None, after_question: float | None) -> str:
    """Which draws more change talk, reflections or questions; only what both sides measure."""
    if after_reflection is None or after_question is None:
        return (f"not measurable in this session (fewer than {MIN_SIDE} client turns right after " + (
            "a turn with a reflection" if after_reflection is None
            else "a turn that asked a question without reflecting") + ")")
    if after_reflection == 0 and after_question == 0:
        return "no change talk followed either: nothing to compare"
    if abs(after_reflection - after_question) < 0.05:
        return "change talk follows reflections and questions about as often"
    return ("change talk follows reflections more often than questions" if after_reflection > after_question
            else "change talk follows questions more often than reflections")


# What each reading's indicator showed when computed from AnnoMI's human codes against the transcripts' high/low
# MI-quality label (python scripts/validate_indicators.py; the README's table under "Engagement and relationship
# building"): True, it separated them (95% interval above chance); False, it did not (a description of this
# session, not a verdict on the practitioner).
INDICATOR_SEPARATES: dict[str, bool] = {
    "client_words_per_turn_change": False, "client_new_content_pct": False, "change_talk_after_question": False,
    "change_talk_after_reflection": False, "disclosure_after_first_reflection": True,
    "opening_client_talk_share": False, "interruptions": False, "longest_practitioner_monologue": False,
    "opening_reflection_rate": True, "opening_question_run_pct": False, "responsive_reflection_pct": True,
}
# Where a reading of the listening indicators turns: between the medians of AnnoMI dev's high- and low-quality
# sessions from human codes (opening reflections per practitioner turn 0.26 and 0.00; reflections answering change
# or sustain talk 0.32 and 0.05).
OPENING_REFLECTION_CUT = 0.2
RESPONSIVE_REFLECTION_CUT = 0.25


def _evidence(*keys: str) -> str:
    if all(INDICATOR_SEPARATES[k] for k in keys):
        return "separated good from poor MI sessions in validation"
    if any(INDICATOR_SEPARATES[k] for k in keys):
        validated = ", ".join(k for k in keys if INDICATOR_SEPARATES[k])
        return f"partly validated: {validated} separated good from poor MI sessions"
    return "a description of this session: did not separate good from poor MI sessions in validation"


def engagement_context(session: Session, scores: dict) -> dict:
    """The values of the "Engagement and relationship building" section: role-clarification checklist with
    links, the elaboration curve, and one-line readings of the listening and "safe to say more" indicators, each
    with how it is computed and whether it separated good from poor MI sessions in validation. A session too
    short to score (``scores_reliable`` false) keeps its values and gets no readings."""
    from ..codes import ROLE_ELEMENT_NAMES, ROLE_ELEMENTS
    from ..scoring import COLUMNS

    formulas = {name: col.formula for col in COLUMNS for name in col.name.split(" / ")}
    found = dict(item.split(":", 1) for item in (scores.get("role_clarification_turns") or "").split())
    later = dict(item.split(":", 1) for item in (scores.get("role_clarification_later") or "").split())
    reliable = scores.get("scores_reliable", True)
    change = scores.get("client_words_per_turn_change")
    opening_talk = ("the practitioner does most of the talking in the opening"
                    + (" (expected in part while roles are explained)"
                       if (scores.get("role_clarification_elements") or 0) >= 2 else ""))
    readings = [
        ("Client elaboration over the session", change,
         _reading(change, "the client says more as the session goes on", "the client says less as the session goes on",
                  0.0, level="the client says about as much late in the session as early on",
                  margin=WORDS_PER_TURN_MARGIN), "words/turn", ("client_words_per_turn_change",)),
        ("Client turns bringing new content unprompted", scores.get("client_new_content_pct"),
         _reading(scores.get("client_new_content_pct"), "the client often brings things up without being asked",
                  "the client mostly answers what is asked", 0.3), "%", ("client_new_content_pct",)),
        ("Change talk after reflections / after questions",
         f"{_fmt(scores.get('change_talk_after_reflection'), True)} / {_fmt(scores.get('change_talk_after_question'), True)}",
         _after_reading(scores.get("change_talk_after_reflection"), scores.get("change_talk_after_question")),
         "", ("change_talk_after_reflection", "change_talk_after_question")),
        ("Client words per turn after the first reflection or affirmation (change)",
         scores.get("disclosure_after_first_reflection"),
         _reading(scores.get("disclosure_after_first_reflection"), "the client said more after the first reflection or affirmation",
                  "the client said less after the first reflection or affirmation", 0.0,
                  level="the client says about as much after the first reflection or affirmation as before",
                  margin=WORDS_PER_TURN_MARGIN), "words/turn", ("disclosure_after_first_reflection",)),
        ("Client share of words in the opening (its first 20% of turns, or ten minutes)",
         scores.get("opening_client_talk_share"),
         _reading(scores.get("opening_client_talk_share"), "the client talks from the start", opening_talk, 0.4), "%",
         ("opening_client_talk_share",)),
        ("Reflections per practitioner turn in the opening", scores.get("opening_reflection_rate"),
         _reading(scores.get("opening_reflection_rate"), "the practitioner reflects from the start",
                  "few reflections in the opening: mostly asking or telling", OPENING_REFLECTION_CUT), "",
         ("opening_reflection_rate",)),
        ("Practitioner turns in question runs in the opening", scores.get("opening_question_run_pct"),
         _reading(scores.get("opening_question_run_pct"), "few turns in runs of three or more questions with no "
                  "reflection between them (a turn asking several questions at once is one turn)",
                  "the opening is mostly runs of questions without reflection", 0.5, False), "%",
         ("opening_question_run_pct",)),
        ("Change and sustain talk answered with a reflection", scores.get("responsive_reflection_pct"),
         _reading(scores.get("responsive_reflection_pct"), "the practitioner often reflects what the client says "
                  "about change", "the client's talk about change is seldom reflected", RESPONSIVE_REFLECTION_CUT),
         "%", ("responsive_reflection_pct",)),
        ("Cut-off turns (either speaker; crosstalk noted, or overlaps where timed)", scores.get("interruptions"),
         _reading(None if scores.get("interruptions") is None or not session.turns
                  else 100 * scores["interruptions"] / len(session.turns),
                  "few cut-off turns", "frequent cut-off turns (more than 5 in 100 turns): check who cuts in", 5, False),
         "", ("interruptions",)),
        ("Longest practitioner stretch without the client (words)", scores.get("longest_practitioner_monologue"),
         _reading(scores.get("longest_practitioner_monologue"), "no long monologues",
                  "a long monologue left little room for the client", 150, False), "",
         ("longest_practitioner_monologue",)),
    ]
    too_short = f"not read: {unreliable_because(scores)}"
    return {
        "role_elements": [{"name": ROLE_ELEMENT_NAMES[element], "turn": found.get(element), "later": later.get(element)}
                          for element in ROLE_ELEMENTS],
        "reliable": reliable,
        "unreliable_because": (f"{unreliable_because(scores)} (a short session, or the roles the other way round: "
                               "check who is the practitioner)"
                               if unreliable_reason(scores) == "short" else unreliable_because(scores)),
        "roles_assessed": "role_clarification" not in scores or scores.get("role_clarification") is not None,
        "in_order": scores.get("role_clarification_in_order"),
        # Safe: matplotlib's SVG writer escapes all text it draws, and the chart draws no text from the session.
        "chart": Markup(elaboration_chart(session)),
        "readings": [{"label": label, "value": value if isinstance(value, str) else _fmt(value, unit == "%")
                      + (f" {unit}" if unit not in ("", "%") and value is not None else ""),
                      "reading": reading if reliable else too_short,
                      "how": " / ".join(formulas[k] for k in keys), "evidence": _evidence(*keys)}
                     for label, value, reading, unit, keys in readings],
    }


def _transcript_rows(page_rows: list[tuple[Turn, Any, int]]) -> list[dict]:
    """One dict per utterance of the transcript table, in page order."""
    from ..codes import CLIENT_CODES, PRACTITIONER_CODES

    first = {}
    for turn, _, uid in page_rows:
        first.setdefault(turn.id, uid)
    rows = []
    for turn, u, uid in page_rows:
        code = u.code or ""
        code2 = second_code(turn, u)
        valid = PRACTITIONER_CODES if turn.role == PRACTITIONER else CLIENT_CODES if turn.role == CLIENT else ()
        rows.append({
            "uid": uid, "turn_id": turn.id, "speaker": turn.speaker, "first": first[turn.id] == uid,
            # where the turn starts in the recording (captions, ASR, timed tables), to find the moment in it
            "time": clock(turn.start),
            "client": turn.role == CLIENT, "code": code, "code_name": CODE_NAMES.get(code, ""),
            "colour": CODE_COLOURS.get(code, "#eee"), "text_colour": TEXT_ON.get(code, "#000"),
            "low_confidence": u.confidence is not None and u.confidence < LOW_CONFIDENCE,
            # the second code MITI gives the utterance (SEEK on a permission question...): counted, so shown
            "code2": code2, "code2_name": CODE_NAMES.get(code2, ""), "code2_colour": CODE_COLOURS.get(code2, "#eee"),
            "code2_text_colour": TEXT_ON.get(code2, "#000"),
            "valid_codes": list(valid) if code else [],  # a code editor only where there is a code to correct
            # a second code (as scoring.second_code counts one; not coded and neutral say nothing as a second code)
            "valid_second": [c for c in valid if c not in ("NC", "FN")] if code else [],
            "confidence": _fmt(u.confidence, True) if u.confidence is not None else "", "text": u.text,
        })
    return rows


def _legend(present: set[str] | frozenset[str] = frozenset()) -> list[dict]:
    """The codes' colours; Q (a question of unknown form, from a human-coded table) only where the page has one."""
    return [{"code": k, "colour": c, "text_colour": TEXT_ON[k], "name": CODE_NAMES[k]} for k, c in CODE_COLOURS.items()
            if k != "Q" or k in present]


def render_session(session: Session, scores: dict, model_name: str = "", thresholds: dict | None = None,
                   codes_given: bool = False) -> str:
    """The self-contained HTML report of one coded, scored session."""
    thresholds = thresholds or DEFAULT_THRESHOLDS
    starts = [t.start for t in session.turns if t.start is not None]
    ends = [t.end or t.start for t in session.turns if (t.end or t.start) is not None]
    practitioner = session.meta.get("practitioner_id") or next(
        (t.speaker for t in session.turns if t.role == PRACTITIONER), "")
    unsure = unsure_codes(session)
    speakers = {role: list(dict.fromkeys(t.speaker for t in session.turns if t.role == role))
                for role in (PRACTITIONER, CLIENT, OTHER)}
    data, page_rows = review_data(session, model_name, thresholds)
    index_cards = []
    for label, key, text in (
        ("Engagement", "engagement_index", "Is the client talking, elaborating and voicing change?"),
        ("Empathy", "empathy_index", "Reflections, complex reflections, and listening at key moments."),
        ("MI fidelity", "fidelity_index", "Overall MI consistency: R:Q, %CR, %OQ, little persuading."),
    ):
        value = scores.get(key)
        index_cards.append({"label": f"{label} index", "value": "n/a" if value is None else display_number(value, 0),
                            "scale": "100", "text": text})
    partnership = scores.get("partnership_global")
    index_cards.append({"label": "Partnership (estimate of the MITI global)", "scale": "5",
                        "value": "n/a" if partnership is None else display_number(partnership, 1),
                        "text": "R:Q, affirming, seeking collaboration and autonomy support, against persuading "
                                "and confronting."})
    return render(
        "session.html.j2",
        session_id=session.id,
        practitioner=practitioner,
        # several practitioners or clients are counted together; speakers of neither role are not coded: both said
        practitioners=speakers[PRACTITIONER] if len(speakers[PRACTITIONER]) > 1 else [],
        clients=speakers[CLIENT] if len(speakers[CLIENT]) > 1 else [],
        others=speakers[OTHER],
        roles_inferred=session.meta.get("roles_inferred") or "",
        date=session.meta.get("date"),
        duration=(f"{(max(ends) - min(starts)) / 60:.0f} min"
                  if starts and ends and time_goes_back(session.turns) is None else ""),
        n_turns=len(session.turns),
        source=Path(session.source).name,
        model_name=model_name,
        codes_given=codes_given,  # a table's codes (``mi-coder score --report``), not the model's: said so
        scores_reliable=scores.get("scores_reliable", True),
        unreliable_because=unreliable_because(scores),
        not_english=unreliable_reason(scores) == "not_english",
        min_practitioner_utterances=MIN_PRACTITIONER_UTTERANCES,
        score_cards=_score_cards(scores, thresholds),
        mi_adherent=_fmt(scores.get("mi_adherent")),
        mi_nonadherent=_fmt(scores.get("mi_nonadherent")),
        # Safe: matplotlib's SVG writer escapes all text it draws; this chart's text is labels and numbers.
        score_chart=Markup(scores_chart(scores, thresholds)),
        index_cards=index_cards,
        indicators=[{"label": label, "value": _fmt(scores.get(key), pct)} for label, key, pct in (
            ("Client share of words", "client_talk_share", True),
            ("Change talk among change + sustain talk", "change_talk_pct", True),
            ("Practitioner turns in question runs", "question_run_pct", True),
            ("Reflections answering change/sustain talk", "responsive_reflection_pct", True))],
        engagement=engagement_context(session, scores),
        # Safe: matplotlib's SVG writer escapes all text it draws; this chart's text is codes and axis labels.
        timeline_chart=Markup(timeline_chart(session)),
        # turns of other speakers (a supervisor looking in, an interpreter) are kept but not drawn: said, so that the
        # chart's count of turns and the header's agree
        timeline_others=sum(1 for t in session.turns if t.role not in (PRACTITIONER, CLIENT)),
        legend=_legend({u.code for _, u in session.utterances() if u.code}),
        coaching_confidence=f"{COACHING_CONFIDENCE:.0%}",
        threshold_source=("the MITI thresholds" if thresholds == DEFAULT_THRESHOLDS
                          else "the thresholds given for this report (not MITI's own)"),
        # Where several speakers are the practitioner (a supervisor sitting in, co-facilitators), each example names
        # who said it: an observer's warning was shown as the officer's.
        examples=[(title, [{"turn": turn.id, "text": text, "suggestion": suggestion,
                            "quote": title != "Runs of questions without reflection",  # a run is described, not quoted
                            "speaker": turn.speaker if len(speakers[PRACTITIONER]) > 1 else ""}
                           for turn, text, suggestion in items],
                   # codes the examples leave out for their confidence, which the cards count: their turns, to check
                   # floored, so that 0.598 under a 60% line reads 59%, not a rounded 60% (a trainer's audit)
                   [{"turn": turn.id, "code": code, "confidence": f"{math.floor(conf * 100 + 1e-9)}%"}
                    for turn, code, conf in unsure.get(title, [])[:12]], len(unsure.get(title, [])))
                  for title, items in coaching_examples(session).items()],
        review=review_context(data),
        codes_present=sorted({c for t, u in session.utterances() for c in (u.code, second_code(t, u)) if c},
                             key=list(CODE_COLOURS).index),
        code_names=CODE_NAMES,
        rows=_transcript_rows(page_rows),
        review_js=review_js(),
    )


def _score_cards(scores: dict, thresholds: dict) -> list[dict]:
    """The three MITI summary score cards: value, band, and what the ratio is over; a ratio over fewer than
    ``MIN_FOR_BAND`` reflections or questions keeps its value but no band (one miscoded utterance is 0% or 100%)."""
    reflections = (scores.get("SR") or 0) + (scores.get("CR") or 0)
    questions = (scores.get("OQ") or 0) + (scores.get("CQ") or 0)
    all_questions = questions + (scores.get("Q") or 0)  # R:Q counts a question of unknown form (MITI 4.2.1's Q)
    cards = []
    for label, key, pct, n, over in (("Reflections per question (R:Q)", "r_q", False, all_questions,
                                      f"{_counted(reflections, 'reflection')} / {_counted(all_questions, 'question')} "
                                      "(volleys: once per turn)"),
                                     ("Complex reflections (%CR)", "pct_cr", True, reflections,
                                      f"of {_counted(reflections, 'reflection')} (volleys)"),
                                     ("Open questions (%OQ; MITI 3.1.1, not a 4.2.1 summary score)", "pct_oq", True,
                                      questions, f"of {_counted(questions, 'question')} (volleys)")):
        band = scores.get(f"{key}_band") or ""
        few = scores.get(key) is not None and n < MIN_FOR_BAND
        cards.append({"label": label, "band": "" if few else band, "over": over,
                      "value": _fmt_banded(scores.get(key), pct, thresholds.get(key)),
                      "note": f"too few to judge (under {MIN_FOR_BAND})" if few else band or "undefined"})
    return cards


def _counted(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _index_score(row: dict, key: str, pct: bool, over: tuple[str, ...], thresholds: dict | None) -> dict:
    """A summary score's cell of the overview, banded as the session page's card is: a ratio over fewer than
    ``MIN_FOR_BAND`` volleys keeps its value, says "too few" and gets no band."""
    value = row.get(key)
    few = value is not None and sum(int(row.get(c) or 0) for c in over) < MIN_FOR_BAND
    shown = _fmt_banded(value, pct, (thresholds or DEFAULT_THRESHOLDS).get(key))
    return {"value": value, "band": "" if few else row.get(f"{key}_band") or "",
            "shown": f"{shown} (too few)" if few else shown}


def _no_trend(by_practitioner: dict[str, list[dict]]) -> str:
    """Why the overview draws no trend, where it has several sessions: each name has one session, or none is named."""
    named = {p: len(rs) for p, rs in by_practitioner.items() if p}
    if not named:
        return ("No trends: no session names its practitioner as a person (the speaker labels are roles such as "
                "'PO' or 'Counsellor'); give each practitioner's files --practitioner-id NAME.")
    found = ", ".join(f"{p} ({n})" for p, n in sorted(named.items()))
    return (f"No trends: a trend needs two or more sessions under one practitioner's name, and each name here has one "
            f"({found}). Write the practitioner's name the same way in every transcript, or give each practitioner's "
            "files --practitioner-id NAME.")


def render_index(rows: Sequence[dict], links: dict[str, str], thresholds: dict | None = None) -> str:
    """The overview page: a sortable table of sessions, score distributions, and trends per practitioner."""
    table = []
    for r in rows:
        table.append({
            "session_id": r["session_id"], "link": links.get(r["session_id"], "#"),
            "practitioner": r.get("practitioner", ""), "date": r.get("date") or "",
            "scores": [_index_score(r, key, pct, RATIO_OVER[key], thresholds)  # the counts the distributions use
                       for key, pct in (("r_q", False), ("pct_cr", True), ("pct_oq", True))],
            "indices": [{"value": r.get(key), "shown": "n/a" if r.get(key) is None else display_number(r[key], 0)}
                        for key in ("engagement_index", "empathy_index", "fidelity_index")],
            "reliable": _fmt(r.get("scores_reliable")),
        })
    by_practitioner: dict[str, list[dict]] = {}
    for r in rows:  # trends only for a named person (or --practitioner-id), never across a role label
        by_practitioner.setdefault(r.get("practitioner") or "", []).append(r)
    series = {p: rs for p, rs in by_practitioner.items() if p and len(rs) >= 2}  # rows name a person or ""
    return render(
        "index.html.j2",
        rows=table,
        dated=any(r.get("date") for r in rows),
        trend_orders=[f"{p}: {trend_order(rs)[1]}" for p, rs in series.items()],
        no_trend=_no_trend(by_practitioner) if not series and len(rows) >= 2 else "",
        threshold_source=("the MITI thresholds" if thresholds in (None, DEFAULT_THRESHOLDS)
                          else "the thresholds given for this report (not MITI's own): " + "; ".join(
                              f"{key} fair {t['fair']:g}, good {t['good']:g}" for key, t in thresholds.items())),
        # Safe: matplotlib's SVG writer escapes all text it draws (titles and tick labels are numbers and names).
        distributions_chart=Markup(distributions_chart(rows, thresholds)),
        # Safe: as above; practitioner names and session ids in these charts are escaped by matplotlib.
        trend_charts=[Markup(trend_chart(practitioner, rs)) for practitioner, rs in series.items()],
    )


class ReportWriter:
    """Coaching reports written one coded session at a time (``add``), and ``index.html`` when there were
    several (``finish``): memory holds the session being written and one row of scores per session.

    Pages join the folder's manifest (``io.writer.MANIFEST``) as the tables do: a file of the same name that
    mi-coder did not write is never overwritten (the page takes the next free name, with a warning), and pages an
    earlier run wrote that this run did not (sessions no longer coded, an overview of a run that now has one
    session) are removed when the run finishes."""

    RECORD_EVERY = 100  # pages between manifest updates (a run stopped midway leaves at most this many unlisted)

    def __init__(self, out_dir: str | Path, model_name: str = "", thresholds: dict | None = None,
                 codes_given: bool = False) -> None:
        from ..io.writer import written_before

        self.out = Path(out_dir)  # created with the first page
        self.model_name = model_name
        self.codes_given = codes_given  # the pages show a table's own codes (``score --report``), not a model's
        self.thresholds = thresholds
        self.written: list[Path] = []
        self.rows: list[dict] = []
        self.links: dict[str, str] = {}
        self._ours = written_before(self.out)
        self._recorded = 0  # pages of self.written already in the manifest

    def _free_name(self, stem: str, reserved: set[str]) -> str:
        """``<stem>.html``, or ``<stem>-2.html``... when the name is taken this run (``reserved``) or by a file
        mi-coder did not write."""
        import warnings

        name, k = f"{stem}.html", 2
        theirs = []
        while name in reserved or ((self.out / name).exists() and name not in self._ours):
            if name not in reserved:
                theirs.append(name)
            name, k = f"{stem}-{k}.html", k + 1
        if theirs:
            warnings.warn(f"{self.out / theirs[0]} exists and was not written by mi-coder; it is left as it is and "
                          f"this report is {name}", stacklevel=3)
        return name

    def _file_name(self, session_id: str) -> str:
        """``<session>.html``, safe on every file system: other characters become ``_``, a long id is cut (with a
        hash of the whole id), and an id that cleans to a name already written this run gets ``-2``, ``-3``...;
        ``index.html`` is kept for the overview."""
        import hashlib
        import re

        stem = re.sub(r"[^\w.-]+", "_", session_id).lstrip(".") or "session"
        if len(stem.encode("utf-8")) > 100:
            digest = hashlib.sha256(session_id.encode("utf-8")).hexdigest()[:10]
            stem = stem.encode("utf-8")[:80].decode("utf-8", "ignore") + "-" + digest
        return self._free_name(stem, {p.name for p in self.written} | {"index.html"})

    def add(self, session: Session) -> Path:
        """Write ``<session>.html`` (``_file_name``) for one coded session."""
        from ..io.writer import write_atomic
        from ..scoring import session_scores

        scores = session_scores(session, self.thresholds)
        self.out.mkdir(parents=True, exist_ok=True)
        name = self._file_name(session.id)
        page = render_session(session, scores, self.model_name, self.thresholds, self.codes_given)
        write_atomic(self.out / name, page)
        self.written.append(self.out / name)
        if len(self.written) - self._recorded >= self.RECORD_EVERY:
            self.record()
        self.links[session.id] = name
        # An explicit id (--practitioner-id) names the practitioner; a speaker label does only if it is a name.
        speaker = next((t.speaker for t in session.turns if t.role == PRACTITIONER), "")
        practitioner = session.meta.get("practitioner_id") or (person(speaker) if is_person_name(speaker) else "")
        self.rows.append({"session_id": session.id, "practitioner": practitioner, "date": session.meta.get("date"),
                          **scores})
        return self.out / name

    def record(self) -> None:
        """List the pages written since the last call in the folder's manifest: every ``RECORD_EVERY`` pages, and
        when a run is stopped midway (the CLI calls it on the way out), so that a later run can remove them."""
        from ..io.writer import record_written

        if len(self.written) > self._recorded:
            record_written(self.out, [p.name for p in self.written[self._recorded:]])
            self._recorded = len(self.written)

    def finish(self) -> list[Path]:
        """Write ``index.html`` when there were several sessions, remove the pages of earlier runs that this one
        did not write, and list the pages in the manifest; returns every file written."""
        from ..io.writer import record_written, remove_stale, write_atomic

        if len(self.rows) > 1:
            name = self._free_name("index", {p.name for p in self.written})
            write_atomic(self.out / name, render_index(self.rows, self.links, self.thresholds))
            self.written.append(self.out / name)
        if self.out.is_dir():
            names = {p.name for p in self.written}
            remove_stale(self.out, sorted(n for n in self._ours if n.endswith(".html") and n not in names))
            record_written(self.out, names)
            self._recorded = len(self.written)
        return self.written


def write_reports(sessions: Sequence[Session], out_dir: str | Path, model_name: str = "",
                  thresholds: dict | None = None) -> list[Path]:
    """Write ``<session>.html`` for each coded session, and ``index.html`` when there are several."""
    writer = ReportWriter(out_dir, model_name, thresholds)
    for s in sessions:
        writer.add(s)
    return writer.finish()
