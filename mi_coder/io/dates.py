"""A session's date, where a transcript says it: a labelled line above the talk ("Date: 2025-01-14", "Session date:
14 January 2025", "Recorded on Jan 14, 2025") or a date in the session's name ("maria_2025-01-14", "visit_20250114").

The overview's trends put a practitioner's sessions in date order; without a date they fall back to the order of
the session names, which says nothing of when a session was recorded ("pre", "mid", "post" sort as "mid", "post",
"pre": a trainee's progress read as a collapse). Only forms that can be read one way are taken: ISO dates and dates
with the month's name, and day and month in digits where only one order is a date ("14/03/2025"). "01/02/2025" (the
1st of February or the 2nd of January) is not read, and a labelled line holding one is said in a warning.
"""

from __future__ import annotations

import re
from datetime import date

_MONTHS = {m: k for k, names in enumerate(
    (("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
     ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
     ("dec", "december")), start=1) for m in names}
_MONTH = r"(?P<mon>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_ISO = re.compile(r"(?<!\d)(?P<y>(?:19|20)\d\d)[-_/.](?P<m>0?[1-9]|1[0-2])[-_/.](?P<d>0?[1-9]|[12]\d|3[01])(?!\d)")
_COMPACT = re.compile(r"(?<!\d)(?P<y>(?:19|20)\d\d)(?P<m>0[1-9]|1[0-2])(?P<d>0[1-9]|[12]\d|3[01])(?!\d)")
_DAY_MONTH = re.compile(r"(?<![\w])(?P<d>0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?[ \-]+(?:of )?" + _MONTH
                        + r",?[ \-]+(?P<y>(?:19|20)\d\d)(?!\d)", re.I)
_MONTH_DAY = re.compile(r"(?<![\w])" + _MONTH + r"[ \-]+(?P<d>0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?,?[ \-]+"
                        r"(?P<y>(?:19|20)\d\d)(?!\d)", re.I)
_AMBIGUOUS = re.compile(r"(?<!\d)(?P<a>\d{1,2})[/.\-](?P<b>\d{1,2})[/.\-](?P<y>(?:19|20)?\d\d)(?!\d)")
_LABEL = re.compile(r"^\W*(?:session date|date of (?:the )?(?:session|recording|visit|interview)|date|recorded(?: on)?|"
                    r"recording date|visit date|interview date)\s*[:=\-\u2013]\s*(?P<value>.+)$", re.I)


def _valid(y: str, m: str | int, d: str) -> str | None:
    try:
        return date(int(y), int(m), int(d)).isoformat()
    except ValueError:  # 2025-02-30
        return None


def read_date(text: str, names: bool = False) -> str | None:
    """The first date in ``text`` that can be read one way, as ISO ``YYYY-MM-DD``; None if there is none.
    ``names``: ``text`` is a session's or a file's name, where digits run together ("20250114") are a date too."""
    patterns = [_ISO, _DAY_MONTH, _MONTH_DAY] + ([_COMPACT] if names else [])
    found = []
    for m in _AMBIGUOUS.finditer(text):  # "14/03/2025" reads one way (no 14th month); "01/02/2025" two
        if len(m.group("y")) == 4:
            readings = {iso for iso in (_valid(m.group("y"), m.group("b"), m.group("a")),
                                        _valid(m.group("y"), m.group("a"), m.group("b"))) if iso}
            if len(readings) == 1:
                found.append((m.start(), readings.pop()))
    for pattern in patterns:
        for m in pattern.finditer(text):
            month = m.group("mon") if "mon" in pattern.groupindex else m.group("m")
            month = _MONTHS[month.lower()] if isinstance(month, str) and not month.isdigit() else month
            iso = _valid(m.group("y"), month, m.group("d"))
            if iso:
                found.append((m.start(), iso))
    return min(found)[1] if found else None


def session_date(header: list[str] | None, *names: str) -> tuple[str | None, str | None]:
    """A session's date from its header lines (a labelled date line) or else from its names (the session id, the
    file name), and a problem to warn about (a labelled date that can be read two ways, or not at all), or None."""
    for line in header or []:
        m = _LABEL.match(line.strip())
        if not m:
            continue
        value = m.group("value").strip()
        iso = read_date(value)
        if iso:
            return iso, None
        shown = value if len(value) <= 40 else value[:37] + "..."
        digits = _AMBIGUOUS.search(value)
        readings = set()
        if digits and len(digits.group("y")) == 4:
            readings = {iso for iso in (_valid(digits.group("y"), digits.group("b"), digits.group("a")),
                                        _valid(digits.group("y"), digits.group("a"), digits.group("b"))) if iso}
        if len(readings) == 2:
            why = "can be read two ways (day/month or month/day)"
        elif digits and len(digits.group("y")) == 2:
            why = "has a two-digit year (which could be the day or the month)"
        else:
            why = "is not a date read here" if not digits else "is no date on the calendar"
        problem = f"the date line {shown!r} {why} and is not used; write it as 2025-01-14 or 14 January 2025"
        for name in names:
            iso = read_date(name, names=True)
            if iso:
                return iso, None
        return None, problem
    for name in names:
        iso = read_date(name, names=True) if name else None
        if iso:
            return iso, None
    return None, None
