"""Review mode: the data block and live scores of a session page (markup in templates/_review.html.j2, logic in
review.js)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from markupsafe import Markup

from ..records import Session, Turn

# The live scores above the transcript: (label, score key); review.js fills in the values.
LIVE_SCORES = (("R:Q", "r_q"), ("%CR", "pct_cr"), ("%OQ", "pct_oq"), ("MI-adherent", "mi_adherent"),
               ("MI-non-adherent", "mi_nonadherent"), ("engagement", "engagement_index"),
               ("empathy", "empathy_index"), ("fidelity", "fidelity_index"))


def review_js() -> Markup:
    """The review mode's script (``review.js``, shipped with the package), for a ``<script>`` element."""
    # Safe: a static file of the package, holding no data of any session.
    return Markup(Path(__file__).with_name("review.js").read_text(encoding="utf-8"))


def review_data(session: Session, model_name: str,
                thresholds: dict | None = None) -> tuple[dict, list[tuple[Turn, Any, int]]]:
    """The JSON the review mode works on, and (turn, utterance, uid) of every utterance in page order.
    ``thresholds`` (the report's, default ``scoring.DEFAULT_THRESHOLDS``) let the page show a score near a
    threshold with the decimals the report's cards use."""
    import hashlib

    from ..codes import CODE_NAMES
    from ..scoring import DEFAULT_THRESHOLDS, review_rules, second_code
    from .style import CODE_COLOURS, TEXT_ON

    turns, utterances, rows = [], [], []
    for turn in session.turns:
        ids = []
        for u in turn.utterances:
            uid = len(utterances)
            ids.append(uid)
            rows.append((turn, u, uid))
            utterances.append({"uid": uid, "turn_id": turn.id, "utterance_id": u.id, "speaker": turn.speaker,
                               "role": turn.role, "text": u.text, "code": u.code or "",
                               "code2": second_code(turn, u),
                               # the coder's role-clarification elements, so that the download re-scores as the page
                               "role_elements": ";".join(u.meta.get("role_elements") or []),
                               "confidence": None if u.confidence is None else round(u.confidence, 4)})
        turns.append({"id": turn.id, "role": turn.role, "text": turn.text, "utterances": ids})
    digest = hashlib.sha256(json.dumps([model_name, utterances], sort_keys=True).encode()).hexdigest()[:16]
    from ..evaluate.agreement import ADHERENT_SECOND

    return {"session_id": session.id, "digest": digest, "rules": {**review_rules(),
            # which two codes one utterance takes, and in which order a download writes them, as evaluation reads a
            # pair (evaluate.agreement.paired, first_of_two)
            "adherent_second": list(ADHERENT_SECOND)},
            "model": model_name,  # the coder of the machine codes, written into every row of the download
            "thresholds": thresholds or DEFAULT_THRESHOLDS,
            "colours": {code: [CODE_COLOURS[code], TEXT_ON[code]] for code in CODE_COLOURS},
            # each code list's options are named in full for screen readers ("CR, complex reflection"), by review.js
            # rather than in the markup, which repeats every option on every row
            "names": {code: CODE_NAMES[code] for code in CODE_COLOURS if code in CODE_NAMES}, "turns": turns,
            "utterances": utterances}, rows


def review_context(data: dict) -> dict:
    """The values of the review section (``templates/_review.html.j2``): the data block and the live scores."""
    blob = json.dumps(data, ensure_ascii=False).replace("<", "\\u003c")
    # Safe: JSON in a <script type='application/json'> element with every "<" written "\u003c" (the same
    # string to a JSON parser), so no "</script" or "<!--" in a transcript can close or swallow the element.
    return {"data_json": Markup(blob), "live_scores": LIVE_SCORES}
