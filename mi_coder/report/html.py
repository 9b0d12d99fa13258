"""Coaching reports: one self-contained HTML page per coded session, and an overview of many.

Everything is inline (CSS, a few lines of JavaScript for filtering and sorting, charts drawn by matplotlib
as SVG), so a report works offline and as an email attachment. Colours are the Okabe-Ito palette, which
stays distinguishable with the common colour-vision deficiencies; every colour also has a text label.
"""

from __future__ import annotations

import html
import io
import json
import re
from pathlib import Path
from typing import Any, Sequence

from ..codes import CODE_NAMES
from ..records import CLIENT, PRACTITIONER, Session, Turn
from ..scoring import DEFAULT_THRESHOLDS, MIN_PRACTITIONER_UTTERANCES, question_runs

# One distinct colour per code, from the colour-blind-safe Okabe-Ito and Paul Tol palettes; every colour is
# also shown with its code label, and text on a dark colour is white (TEXT_ON).
CODE_COLOURS = {
    "OQ": "#0072B2", "CQ": "#56B4E9", "SR": "#44AA99", "CR": "#117733", "AF": "#E69F00", "SEEK": "#CC79A7",
    "EA": "#AA4499", "GI": "#999933", "PWP": "#F0E442", "PER": "#D55E00", "CON": "#882255", "NC": "#BBBBBB",
    "CT": "#332288", "ST": "#CC6677", "FN": "#F2F2F2",
}
DARK = {"OQ", "CR", "EA", "CON", "CT", "PER"}
TEXT_ON = {code: ("#fff" if code in DARK else "#000") for code in CODE_COLOURS}
LOW_CONFIDENCE = 0.5
COACHING_CONFIDENCE = 0.6  # coaching examples only from codes at least this confident (stated on the page)
_MI_CLOSED = re.compile(
    r"\b(?:scale|one to ten|1 to 10|zero to ten|0 to 10|how (?:important|confident|ready)|"
    r"(?:can|could|may) i (?:ask|share|tell|give|offer|suggest|mention)|would it be (?:ok|okay|alright|all right)|"
    r"do you mind|is it (?:ok|okay|alright) if|would you like (?:me to|some|to hear)|did i (?:get|miss)|"
    r"is that (?:right|fair|about right)|am i (?:right|close|getting)|does that (?:sound|fit|seem) right|"
    r"have i got|what did i miss|did i leave)\b", re.I)

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0 auto;max-width:1100px;padding:1.5rem;
color:#222;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{border-bottom:2px solid #eee;padding-bottom:.2rem;margin-top:2rem}
.meta{color:#555}.guide{background:#f6f8fa;border-left:4px solid #0072B2;padding:.6rem 1rem}
.warning{background:#fff4e5;border-left:4px solid #D55E00;padding:.6rem 1rem;font-weight:600}
.cards{display:flex;flex-wrap:wrap;gap:1rem}.card{border:1px solid #ddd;border-radius:6px;padding:.6rem 1rem;
min-width:180px;flex:1}.card .v{font-size:1.6rem;font-weight:700}.band-good{color:#00704F}
.band-fair{color:#8a6d00}.band-below{color:#D55E00}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #eee;padding:.3rem .4rem;
text-align:left;vertical-align:top}th{background:#fafafa;cursor:pointer}
.code{display:inline-block;min-width:3.2em;text-align:center;border-radius:3px;padding:0 .3em;font-size:.85em;
font-weight:600;color:#000}.lowconf{outline:2px dashed #D55E00}.review{color:#D55E00;font-size:.8em}
.legend span{margin-right:.8rem;white-space:nowrap}.client td{background:#fcfcfc}
tr.turn-start td{border-top:2px solid #ddd}.example{margin:.4rem 0}.example a{font-size:.85em}
.filters label{margin-right:.6rem;white-space:nowrap}svg{max-width:100%;height:auto}
.rv-bar{position:sticky;top:0;background:#fff;border-bottom:2px solid #0072B2;padding:.4rem 0;z-index:2}
.rv-bar button{margin-right:.5rem}.rv-changed td{background:#fff8e1}.rv-reviewed td:nth-child(3){box-shadow:inset 3px 0 #117733}
tr.rv-current td{outline:2px solid #0072B2}select.rv-code{font-size:.8em;margin-left:.3em}
@media print{.rv-bar,select.rv-code,input.rv-done{display:none}.filters,.noprint{display:none}body{max-width:none;padding:0}a{color:#000;text-decoration:none}
h2{page-break-after:avoid}tr{page-break-inside:avoid}}
"""

FILTER_JS = """
function applyFilter(){var on={};document.querySelectorAll('.filters input').forEach(function(c){on[c.value]=c.checked;});
document.querySelectorAll('#transcript tbody tr').forEach(function(r){var c=r.getAttribute('data-code');
r.style.display=(!c||on[c]!==false)?'':'none';});}
document.addEventListener('DOMContentLoaded',function(){document.querySelectorAll('.filters input').forEach(function(c){
c.addEventListener('change',applyFilter);});});
"""

SORT_JS = """
function sortTable(t,col){var tb=t.tBodies[0],rows=Array.prototype.slice.call(tb.rows),asc=t.getAttribute('data-col')!=col||t.getAttribute('data-dir')=='desc';
rows.sort(function(a,b){var x=a.cells[col].getAttribute('data-v')||a.cells[col].textContent,y=b.cells[col].getAttribute('data-v')||b.cells[col].textContent;
var nx=parseFloat(x),ny=parseFloat(y);if(!isNaN(nx)&&!isNaN(ny)){return asc?nx-ny:ny-nx;}return asc?x.localeCompare(y):y.localeCompare(x);});
rows.forEach(function(r){tb.appendChild(r);});t.setAttribute('data-col',col);t.setAttribute('data-dir',asc?'asc':'desc');}
document.addEventListener('DOMContentLoaded',function(){document.querySelectorAll('table.sortable th').forEach(function(th,i){
th.addEventListener('click',function(){sortTable(th.closest('table'),i);});});});
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _fmt(value: Any, pct: bool = False) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{100 * value:.0f}%" if pct else f"{value:.2f}"
    return str(value)


def _svg(fig) -> str:  # type: ignore[no-untyped-def]
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]


def _plt():  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 9, "svg.fonttype": "none"})
    return plt


def scores_chart(scores: dict, thresholds: dict) -> str:
    """Bars for R:Q, %CR and %OQ against their fair and good thresholds."""
    plt = _plt()
    items = [("R:Q", "r_q", 3.0), ("%CR", "pct_cr", 1.0), ("%OQ", "pct_oq", 1.0)]
    fig, axes = plt.subplots(1, 3, figsize=(8, 1.9))
    for ax, (label, key, top) in zip(axes, items):
        value = scores.get(key)
        fair, good = thresholds[key]["fair"], thresholds[key]["good"]
        ax.axvspan(0, fair, color="#fbe3d6")
        ax.axvspan(fair, good, color="#fdf3c4")
        ax.axvspan(good, max(top, good * 1.2), color="#d5efe3")
        if value is not None:
            ax.barh([0], [min(value, top)], color="#0072B2", height=0.45)
            inside = value >= 0.8 * top  # a label inside the dark bar is white, outside it is black
            ax.text(min(value, top), 0, (f" {value:.2f} " if key == "r_q" else f" {100 * value:.0f}% "), va="center",
                    ha="right" if inside else "left", color="#fff" if inside else "#000", fontweight="bold")
        else:
            ax.text(0.02, 0, "undefined", va="center")
        ax.set_xlim(0, max(top, good * 1.2))
        ax.set_yticks([])
        ax.set_title(f"{label} (fair {fair:g}, good {good:g})", fontsize=9)
    fig.tight_layout()
    return _svg(fig)


def timeline_chart(session: Session) -> str:
    """Turns over time (or turn index), practitioner above, client below, coloured by main code."""
    from ..model.coder import main_code

    plt = _plt()
    turns = [t for t in session.turns if t.role in (PRACTITIONER, CLIENT)]
    use_time = all(t.start is not None for t in turns) and turns
    fig, ax = plt.subplots(figsize=(10, 2.2))
    for k, t in enumerate(turns):
        x = (t.start / 60.0) if use_time else k
        code = main_code(t) or "NC"
        y = 1 if t.role == PRACTITIONER else 0
        height = 0.8 if code in ("CT", "ST") else 0.6
        width = max(len(t.text.split()) / 150.0, 0.08) if use_time else 0.9
        ax.bar(x, height, bottom=y - height / 2, width=width, color=CODE_COLOURS.get(code, "#999"), align="edge")
        if code in ("CT", "ST"):
            ax.text(x, y + 0.45, code, fontsize=6, color=CODE_COLOURS[code])
    ax.set_yticks([0, 1])
    ax.set_yticklabels(["client", "practitioner"])
    ax.set_xlabel("minutes" if use_time else "turn")
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return _svg(fig)


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


def elaboration_chart(session: Session) -> str:
    """"Safe to say more": words per client turn across the session (a moving mean over five client turns)."""
    plt = _plt()
    client = [(k, len(t.text.split())) for k, t in enumerate(session.turns) if t.role == CLIENT]
    fig, ax = plt.subplots(figsize=(8, 1.8))
    if client:
        xs = [k for k, _ in client]
        ys = [w for _, w in client]
        smooth = [sum(ys[max(0, i - 4):i + 1]) / len(ys[max(0, i - 4):i + 1]) for i in range(len(ys))]
        ax.bar(xs, ys, color="#BBBBBB", width=0.8, label="words in each client turn")
        ax.plot(xs, smooth, color="#0072B2", linewidth=2, label="moving mean (5 client turns)")
        ax.legend(fontsize=7, loc="upper left")
    ax.set_xlabel("turn")
    ax.set_ylabel("client words")
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return _svg(fig)


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


def _review_js() -> str:
    return Path(__file__).with_name("review.js").read_text(encoding="utf-8")


def review_data(session: Session, model_name: str) -> tuple[dict, list[tuple[Turn, Any, int]]]:
    """The JSON the review mode works on, and (turn, utterance, uid) of every utterance in page order."""
    import hashlib

    from ..scoring import review_rules

    turns, utterances, rows = [], [], []
    for turn in session.turns:
        ids = []
        for u in turn.utterances:
            uid = len(utterances)
            ids.append(uid)
            rows.append((turn, u, uid))
            utterances.append({"uid": uid, "turn_id": turn.id, "utterance_id": u.id, "speaker": turn.speaker,
                               "role": turn.role, "text": u.text, "code": u.code or "",
                               "confidence": None if u.confidence is None else round(u.confidence, 4)})
        turns.append({"id": turn.id, "role": turn.role, "text": turn.text, "utterances": ids})
    digest = hashlib.sha256(json.dumps([model_name, utterances], sort_keys=True).encode()).hexdigest()[:16]
    return {"session_id": session.id, "digest": digest, "rules": review_rules(), "turns": turns,
            "utterances": utterances}, rows


def review_section(data: dict) -> list[str]:
    """The review toolbar and the live scores (computed in the page from the codes shown)."""
    from ..scoring import DEFAULT_THRESHOLDS  # noqa: F401 (thresholds live in the static cards above)

    blob = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    live = "".join(f"<th>{_e(label)}</th><td data-live='{key}'></td>" for label, key in (
        ("R:Q", "r_q"), ("%CR", "pct_cr"), ("%OQ", "pct_oq"), ("MI-adherent", "mi_adherent"),
        ("MI-non-adherent", "mi_nonadherent"), ("engagement", "engagement_index"), ("empathy", "empathy_index"),
        ("fidelity", "fidelity_index")))
    return [
        "<h2 id='review'>Review and correct</h2>",
        "<p class='meta noprint'>Change any code from the list of valid codes for its speaker and tick it as reviewed. "
        "<b>Review next</b> walks you through the least certain codes first. Your work is kept in this browser "
        "(it survives a reload); <b>Download reviewed codes</b> saves a CSV that <code>mi-coder score</code>, "
        "<code>mi-coder evaluate --agreement</code> and <code>mi-coder train --add</code> read. The scores below are "
        "recomputed from the codes on this page, as <code>mi-coder score</code> computes them from that CSV.</p>",
        f"<script type='application/json' id='mi-review-data'>{blob}</script>",
        "<div class='rv-bar noprint'><label>Reviewer: <input id='rv-reviewer' size='14'></label> "
        "<button id='rv-next' type='button'>Review next</button> <span><span id='rv-left'></span> left</span> "
        "<button id='rv-download' type='button'>Download reviewed codes</button> "
        "<button id='rv-reset' type='button'>Reset</button></div>",
        f"<table id='live-scores'><tbody><tr>{live}</tr></tbody></table>",
    ]


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
    series = {p: rs for p, rs in by_practitioner.items() if p and is_person_name(p) and len(rs) >= 2}
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
        practitioner = s.meta.get("practitioner_id") or next((t.speaker for t in s.turns if t.role == PRACTITIONER), "")
        practitioner = practitioner if is_person_name(practitioner) else ""
        rows.append({"session_id": s.id, "practitioner": practitioner, "date": s.meta.get("date"), **scores})
    if len(sessions) > 1:
        tmp = out / ".index.html.part"
        tmp.write_text(render_index(rows, links), encoding="utf-8")
        tmp.replace(out / "index.html")
        written.append(out / "index.html")
    return written
