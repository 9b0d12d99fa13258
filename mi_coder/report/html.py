"""Coaching reports: one self-contained HTML page per coded session, and an overview of many.

Everything is inline (CSS, a few lines of JavaScript for filtering and sorting, charts drawn by matplotlib
as SVG), so a report works offline and as an email attachment. Colours are the Okabe-Ito palette, which
stays distinguishable with the common colour-vision deficiencies; every colour also has a text label.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from ..codes import CODE_NAMES
from ..records import CLIENT, PRACTITIONER, Session
from ..scoring import DEFAULT_THRESHOLDS, MIN_PRACTITIONER_UTTERANCES
from .charts import _plt, _svg, elaboration_chart, scores_chart, timeline_chart
from .coaching import COACHING_CONFIDENCE, coaching_examples, is_person_name
from .review import _review_js, review_data, review_section
from .style import (
    CODE_COLOURS,
    CSS,
    FILTER_JS,
    LOW_CONFIDENCE,
    SORT_JS,
    TEXT_ON,
    _e,
    _fmt,
)


def _reading(value: Any, good: str, poor: str, threshold: float, higher_is_better: bool = True) -> str:
    if value is None:
        return "not measurable in this session"
    ok = value >= threshold if higher_is_better else value <= threshold
    return good if ok else poor


def engagement_section(session: Session, scores: dict) -> list[str]:
    """The "Engagement and relationship building" section: role-clarification checklist with links, the
    elaboration curve, and one-line readings of the listening and "safe to say more" indicators."""
    from ..codes import ROLE_ELEMENT_NAMES, ROLE_ELEMENTS

    found = dict(item.split(":", 1) for item in (scores.get("role_clarification_turns") or "").split())
    parts = ["<h2 id='engagement'>Engagement and relationship building</h2>",
             "<h3>Role clarification in the opening</h3><ul class='checklist'>"]
    for element in ROLE_ELEMENTS:
        if element in found:
            parts.append(f"<li>&#10003; {_e(ROLE_ELEMENT_NAMES[element])}: "
                         f"<a href='#turn-{_e(found[element])}'>turn {_e(found[element])}</a></li>")
        else:
            parts.append(f"<li>&#10007; {_e(ROLE_ELEMENT_NAMES[element])}: not found in the opening</li>")
    parts.append("</ul>")
    order = scores.get("role_clarification_in_order")
    if order is not None:
        parts.append("<p>" + ("The elements came in the practice model's order." if order else
                              "The elements did not come in the practice model's order (purpose, then both roles, "
                              "then how the client wants to take part).") + "</p>")
    parts.append("<h3>Does the client feel safe to say more?</h3>")
    parts.append(f"<div class='chart' id='elaboration-chart'>{elaboration_chart(session)}</div>")
    change = scores.get("client_words_per_turn_change")
    readings = [
        ("Client elaboration over the session", change,
         _reading(change, "the client says more as the session goes on", "the client says less as the session goes on",
                  0.0), "words/turn"),
        ("Client turns bringing new content unprompted", scores.get("client_new_content_pct"),
         _reading(scores.get("client_new_content_pct"), "the client often brings things up without being asked",
                  "the client mostly answers what is asked", 0.3), "%"),
        ("Change talk after reflections / after questions",
         f"{_fmt(scores.get('change_talk_after_reflection'), True)} / {_fmt(scores.get('change_talk_after_question'), True)}",
         "reflections draw more change talk than questions" if (scores.get("change_talk_after_reflection") or 0)
         > (scores.get("change_talk_after_question") or 0) else "questions draw as much change talk as reflections",
         ""),
        ("Client words per turn after the first reflection or affirmation (change)",
         scores.get("disclosure_after_first_reflection"),
         _reading(scores.get("disclosure_after_first_reflection"), "the client opened up once heard",
                  "no opening up after the first reflection or affirmation", 0.0), "words/turn"),
        ("Client share of words in the opening", scores.get("opening_client_talk_share"),
         _reading(scores.get("opening_client_talk_share"), "the client talks from the start",
                  "the practitioner does most of the talking in the opening", 0.4), "%"),
        ("Interruptions", scores.get("interruptions"),
         _reading(scores.get("interruptions"), "few interruptions", "frequent interruptions", 5, False), ""),
        ("Longest practitioner stretch without the client (words)", scores.get("longest_practitioner_monologue"),
         _reading(scores.get("longest_practitioner_monologue"), "no long monologues",
                  "a long monologue left little room for the client", 150, False), ""),
    ]
    parts.append("<table id='engagement-readings'><tbody>")
    for label, value, reading, unit in readings:
        shown = value if isinstance(value, str) else _fmt(value, unit == "%")
        parts.append(f"<tr><th>{_e(label)}</th><td>{_e(shown)}</td><td>{_e(reading)}</td></tr>")
    parts.append("</tbody></table>")
    return parts


def render_session(session: Session, scores: dict, model_name: str = "", thresholds: dict | None = None) -> str:
    """The self-contained HTML report of one coded, scored session."""
    thresholds = thresholds or DEFAULT_THRESHOLDS
    starts = [t.start for t in session.turns if t.start is not None]
    ends = [t.end or t.start for t in session.turns if (t.end or t.start) is not None]
    duration = f"{(max(ends) - min(starts)) / 60:.0f} min" if starts and ends else ""
    practitioner = session.meta.get("practitioner_id") or next(
        (t.speaker for t in session.turns if t.role == PRACTITIONER), "")
    facts = [f"Practitioner: <b>{_e(practitioner)}</b>" if practitioner else "",
             f"Date: {_e(session.meta['date'])}" if session.meta.get("date") else "",
             f"Duration: {duration}" if duration else "", f"{len(session.turns)} turns",
             f"Source: {_e(Path(session.source).name)}", f"Coded by {_e(model_name or 'mi-coder')}"]
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>MI coaching report: {_e(session.id)}</title><style>{CSS}</style><script>{FILTER_JS}</script>",
        "</head><body>",
        f"<h1>MI coaching report: {_e(session.id)}</h1>",
        f"<p class='meta'>{' &middot; '.join(f for f in facts if f)}</p>",
        "<div class='guide'><b>How to read this report.</b> Each practitioner utterance was coded by a machine "
        "with a MITI 4.2.1 behaviour code, and each client utterance as change talk, sustain talk or neutral. "
        "The scores summarise those codes; bars are shaded red (below), yellow (fair) and green (good) at the "
        "MITI thresholds. Codes are suggestions: those marked <span class='review'>review</span> have low "
        "confidence and deserve a human look. Use the examples to start a conversation, not as a verdict.</div>",
    ]
    if not scores.get("scores_reliable", True):
        parts.append(f"<p class='warning' id='short-warning'>This session has fewer than "
                     f"{MIN_PRACTITIONER_UTTERANCES} coded practitioner utterances: the scores are too unstable to "
                     "judge the practitioner by. Read them as anecdotes.</p>")
    parts += ["<h2 id='scores'>MITI summary scores</h2>", "<div class='cards'>"]
    for label, key, pct in (("Reflections per question (R:Q)", "r_q", False), ("Complex reflections (%CR)", "pct_cr", True),
                            ("Open questions (%OQ)", "pct_oq", True)):
        band = scores.get(f"{key}_band") or ""
        parts.append(f"<div class='card'><div>{label}</div><div class='v band-{band}'>{_fmt(scores.get(key), pct)}</div>"
                     f"<div>{band or 'undefined'}</div></div>")
    parts.append(f"<div class='card'><div>MI-adherent (AF+SEEK+EA)</div><div class='v'>{_fmt(scores.get('mi_adherent'))}</div>"
                 f"<div>MI-non-adherent (PER+CON): {_fmt(scores.get('mi_nonadherent'))}</div></div></div>")
    parts.append(f"<div class='chart' id='score-chart'>{scores_chart(scores, thresholds)}</div>")
    parts += ["<h2 id='indices'>Engagement, empathy and fidelity</h2>", "<div class='cards'>"]
    for label, key, text in (
        ("Engagement", "engagement_index", "Is the client talking, elaborating and voicing change?"),
        ("Empathy", "empathy_index", "Reflections, complex reflections, and listening at key moments."),
        ("MI fidelity", "fidelity_index", "Overall MI consistency: R:Q, %CR, %OQ, little persuading."),
    ):
        value = scores.get(key)
        parts.append(f"<div class='card'><div>{label} index</div><div class='v'>{_fmt(round(value) if value is not None else None)}"
                     f"<small>/100</small></div><div>{text}</div></div>")
    parts.append("</div><table><tbody>")
    for label, key, pct in (("Client share of words", "client_talk_share", True),
                            ("Change talk among change + sustain talk", "change_talk_pct", True),
                            ("Practitioner turns in question runs", "question_run_pct", True),
                            ("Reflections answering change/sustain talk", "responsive_reflection_pct", True),
                            ("Longest practitioner monologue (words)", "longest_practitioner_monologue", False)):
        parts.append(f"<tr><th>{label}</th><td>{_e(_fmt(scores.get(key), pct))}</td></tr>")
    parts.append("</tbody></table>")
    parts += engagement_section(session, scores)
    parts += ["<h2 id='timeline'>Timeline</h2>", f"<div class='chart'>{timeline_chart(session)}</div>", _legend()]
    parts.append("<h2 id='examples'>Coaching examples</h2>")
    parts.append(f"<p class='meta'>Examples are taken only from codes the machine gave with at least "
                 f"{COACHING_CONFIDENCE:.0%} confidence; suggested rewordings are templates to start a conversation.</p>")
    for title, items in coaching_examples(session).items():
        parts.append(f"<h3>{_e(title)}</h3>")
        if not items:
            parts.append("<p class='meta'>None found with enough confidence in this session.</p>")
        for turn, text, suggestion in items:
            tip = f"<br><small>{_e(suggestion)}</small>" if suggestion else ""
            parts.append(f"<p class='example'>&ldquo;{_e(text)}&rdquo; <a href='#turn-{_e(turn.id)}'>turn {_e(turn.id)}</a>"
                         f"{tip}</p>")
    data, page_rows = review_data(session, model_name)
    parts += review_section(data)
    parts += ["<h2 id='transcript-heading'>Transcript</h2>", "<div class='filters noprint'>Show: "]
    present = sorted({u.code for _, u in session.utterances() if u.code}, key=list(CODE_COLOURS).index)
    for code in present:
        parts.append(f"<label><input type='checkbox' value='{code}' checked> {code}</label>")
    parts.append("</div><table id='transcript'><thead><tr><th>turn</th><th>speaker</th><th>code</th><th>conf.</th>"
                 "<th>utterance</th></tr></thead><tbody>")
    from ..codes import CLIENT_CODES, PRACTITIONER_CODES

    first = {}
    for turn, u, uid in page_rows:
        first.setdefault(turn.id, uid)
    for turn, u, uid in page_rows:
        k = 0 if first[turn.id] == uid else 1
        low = u.confidence is not None and u.confidence < LOW_CONFIDENCE
        code = u.code or ""
        badge = (f"<span class='code{' lowconf' if low else ''}' style='background:{CODE_COLOURS.get(code, '#eee')};"
                 f"color:{TEXT_ON.get(code, '#000')}' title='{_e(CODE_NAMES.get(code, ''))}'>{_e(code or '-')}</span>")
        review = " <span class='review'>review</span>" if low else ""
        valid = PRACTITIONER_CODES if turn.role == PRACTITIONER else CLIENT_CODES if turn.role == CLIENT else ()
        editor = ""
        if code and valid:
            options = "".join(f"<option value='{c}'{' selected' if c == code else ''}>{c}</option>" for c in valid)
            editor = (f"<select class='rv-code noprint' aria-label='code'>{options}</select>"
                      "<label class='noprint'><input type='checkbox' class='rv-done'> reviewed</label>")
        cls = ("turn-start " if k == 0 else "") + ("client" if turn.role == CLIENT else "")
        anchor = f" data-turn='{_e(turn.id)}'" + (f" id='utt-{uid}'" if code and valid else "")
        turn_anchor = f"<a id='turn-{_e(turn.id)}'></a>" if k == 0 else ""
        parts.append(f"<tr class='{cls}' data-code='{_e(code)}'{anchor}><td>{turn_anchor}{_e(turn.id) if k == 0 else ''}</td>"
                     f"<td>{_e(turn.speaker) if k == 0 else ''}</td><td>{badge}{review}{editor}</td>"
                     f"<td>{_fmt(u.confidence, True) if u.confidence is not None else ''}</td><td>{_e(u.text)}"
                     "</td></tr>")
    parts += ["</tbody></table>", _legend(), f"<script>{_review_js()}</script>", "</body></html>"]
    return "\n".join(parts)


def _legend() -> str:
    spans = "".join(f"<span><span class='code' style='background:{c};color:{TEXT_ON[k]}'>{k}</span> "
                    f"{CODE_NAMES[k]}</span>" for k, c in CODE_COLOURS.items())
    return f"<p class='legend'>{spans}</p>"


def render_index(rows: Sequence[dict], links: dict[str, str]) -> str:
    """The overview page: a sortable table of sessions, score distributions, and trends per practitioner."""
    plt = _plt()
    keys = [("r_q", "R:Q"), ("pct_cr", "%CR"), ("engagement_index", "engagement"), ("empathy_index", "empathy"),
            ("fidelity_index", "fidelity")]
    fig, axes = plt.subplots(1, len(keys), figsize=(11, 2))
    for ax, (key, label) in zip(axes, keys):
        values = [r[key] for r in rows if r.get(key) is not None]
        ax.hist(values, bins=10, color="#0072B2")
        if key in DEFAULT_THRESHOLDS:
            for t in DEFAULT_THRESHOLDS[key].values():
                ax.axvline(t, color="#D55E00", linestyle="--")
        ax.set_title(label)
    fig.tight_layout()
    parts = ["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>MI sessions overview</title>",
             f"<style>{CSS}</style><script>{SORT_JS}</script></head><body>", "<h1>MI sessions overview</h1>",
             f"<p class='meta'>{len(rows)} sessions. Click a column to sort.</p>",
             "<table class='sortable' id='sessions'><thead><tr><th>session</th><th>practitioner</th><th>R:Q</th>"
             "<th>%CR</th><th>%OQ</th><th>engagement</th><th>empathy</th><th>fidelity</th><th>reliable</th></tr>"
             "</thead><tbody>"]
    for r in rows:
        cells = [f"<td><a href='{_e(links.get(r['session_id'], '#'))}'>{_e(r['session_id'])}</a></td>",
                 f"<td>{_e(r.get('practitioner', ''))}</td>"]
        for key, pct in (("r_q", False), ("pct_cr", True), ("pct_oq", True)):
            band = r.get(f"{key}_band") or ""
            v = r.get(key)
            cells.append(f"<td data-v='{'' if v is None else v}' class='band-{band}'>{_fmt(v, pct)} {band}</td>")
        for key in ("engagement_index", "empathy_index", "fidelity_index"):
            v = r.get(key)
            cells.append(f"<td data-v='{'' if v is None else v}'>{'n/a' if v is None else round(v)}</td>")
        cells.append(f"<td>{_fmt(r.get('scores_reliable'))}</td>")
        parts.append("<tr>" + "".join(cells) + "</tr>")
    parts += ["</tbody></table>", "<h2>Distributions</h2>", f"<div class='chart'>{_svg(fig)}</div>"]
    by_practitioner: dict[str, list[dict]] = {}
    for r in rows:  # trends only for a named person (or --practitioner-id), never across a role label
        by_practitioner.setdefault(r.get("practitioner") or "", []).append(r)
    series = {p: rs for p, rs in by_practitioner.items() if p and len(rs) >= 2}  # rows name a person or ""
    if series:
        parts.append("<h2>Trends by practitioner</h2>")
        for practitioner, rs in series.items():
            rs = sorted(rs, key=lambda r: (str(r.get("date") or ""), r["session_id"]))
            fig, ax = plt.subplots(figsize=(8, 2.2))
            for key, label in keys[2:]:
                ax.plot(range(len(rs)), [r.get(key) for r in rs], marker="o", label=label)
            ax.set_xticks(range(len(rs)))
            ax.set_xticklabels([r["session_id"] for r in rs], rotation=30, ha="right", fontsize=7)
            ax.set_ylim(0, 100)
            ax.legend(fontsize=7)
            ax.set_title(practitioner)
            fig.tight_layout()
            parts.append(f"<div class='chart'>{_svg(fig)}</div>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_reports(sessions: Sequence[Session], out_dir: str | Path, model_name: str = "",
                  thresholds: dict | None = None) -> list[Path]:
    """Write ``<session>.html`` for each coded session, and ``index.html`` when there are several."""
    import re

    from ..scoring import session_scores

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    rows = []
    links = {}
    for s in sessions:
        scores = session_scores(s, thresholds)
        name = re.sub(r"[^\w.-]+", "_", s.id) + ".html"
        tmp = out / f".{name}.part"
        tmp.write_text(render_session(s, scores, model_name, thresholds), encoding="utf-8")
        tmp.replace(out / name)
        written.append(out / name)
        links[s.id] = name
        # An explicit id (--practitioner-id) names the practitioner; a speaker label does only if it is a name.
        speaker = next((t.speaker for t in s.turns if t.role == PRACTITIONER), "")
        practitioner = s.meta.get("practitioner_id") or (speaker if is_person_name(speaker) else "")
        rows.append({"session_id": s.id, "practitioner": practitioner, "date": s.meta.get("date"), **scores})
    if len(sessions) > 1:
        tmp = out / ".index.html.part"
        tmp.write_text(render_index(rows, links), encoding="utf-8")
        tmp.replace(out / "index.html")
        written.append(out / "index.html")
    return written
