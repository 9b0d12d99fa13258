"""Review mode: the data block, toolbar and live scores of a session page (the logic is review.js)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..records import Session, Turn
from .style import _e


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
