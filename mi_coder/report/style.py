"""Colours and small formatters shared by the report pages (the CSS is ``templates/_report.css``)."""

from __future__ import annotations

import math
from typing import Any

from ..records import clock  # noqa: F401  (the report's name for it)

# One distinct colour per code, from the colour-blind-safe Okabe-Ito and Paul Tol palettes; every colour is
# also shown with its code label, and text on a dark colour is white (TEXT_ON).
CODE_COLOURS = {
    "OQ": "#0072B2", "CQ": "#56B4E9", "SR": "#44AA99", "CR": "#117733", "AF": "#E69F00", "SEEK": "#CC79A7",
    "EA": "#AA4499", "GI": "#999933", "PWP": "#F0E442", "PER": "#D55E00", "CON": "#882255", "NC": "#BBBBBB",
    "CT": "#332288", "ST": "#CC6677", "FN": "#F2F2F2",
    # MITI 4.2.1's Question without its form: only in a human coder's table read by `score --report`
    "Q": "#88CCEE",
}


DARK = {"OQ", "CR", "EA", "CON", "CT"}  # PER (#D55E00) reads at 5.4:1 in black, 3.9:1 in white


TEXT_ON = {code: ("#fff" if code in DARK else "#000") for code in CODE_COLOURS}


LOW_CONFIDENCE = 0.5


def display_number(value: float, decimals: int) -> str:
    """``value`` to ``decimals`` places, halves rounded up on its exact binary value: what JavaScript's
    ``toFixed`` does, so the report's cards and tables and its review page (``review.js``) show the same digits
    (Python's own formatting rounds halves to even: 0.125 would read "0.12" here and "0.13" there)."""
    from decimal import ROUND_HALF_UP, Decimal

    return str(Decimal(value).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


def _fmt(value: Any, pct: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return display_number(100 * value, 0) + "%" if pct else display_number(value, 2)
    return str(value)


def _fmt_banded(value: Any, pct: bool, thresholds: dict[str, float] | None) -> str:
    """A score as ``_fmt`` shows it, with as many more decimals (up to three) as it takes for the number shown to
    sit on the same side of every threshold as the value itself: 0.696 against a 0.70 threshold is "69.6%", not
    "70%" next to the band "fair". ``review.js`` (``fmtScore``) shows the review page's scores the same way."""
    shown = _fmt(value, pct)
    if not thresholds or not isinstance(value, float) or math.isnan(value):
        return shown
    scale = 100 if pct else 1
    base = 0 if pct else 2
    for decimals in range(base, base + 4):
        text = display_number(scale * value, decimals)
        if all((float(text) / scale >= t) == (value >= t) for t in thresholds.values()):
            return text + "%" if pct else text
    return shown
