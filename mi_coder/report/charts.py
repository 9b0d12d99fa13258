"""The report's charts: matplotlib figures as inline SVG.

Matplotlib's SVG writer escapes every text it draws (``&``, ``<``, ``>``), so the pages can insert these
strings as they are.
"""

from __future__ import annotations

import html
import io
import re
import statistics
from collections.abc import Sequence

from ..records import CLIENT, PRACTITIONER, Session, time_goes_back
from .style import CODE_COLOURS, _fmt_banded, clock


def _svg(fig, label: str) -> str:  # type: ignore[no-untyped-def]
    """The figure as inline SVG, an image whose accessible name is ``label`` (what the chart shows, in words, for
    a screen reader and for whoever cannot tell its colours apart)."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})  # the same codes, the same page
    import matplotlib.pyplot as plt

    plt.close(fig)
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    # matplotlib numbers its element ids from 1 in every figure ("figure_1", "patch_1"), so the charts of one page
    # repeated each other's ids: each chart's ids (and the references to them) get a prefix of their own, stable
    # for the same chart (the page stays byte-identical); the timeline's "mi-turn-" ids are already unique
    import hashlib

    prefix = "c" + hashlib.sha256(label.encode("utf-8")).hexdigest()[:8] + "-"
    text = re.sub(r'(\bid="|href="#|url\(#)(?!mi-)([^")]+)', lambda m: m.group(1) + prefix + m.group(2), text)
    said = html.escape(label, quote=True)
    head = text.index(">") + 1
    return f'{text[:4]} role="img" aria-label="{said}"{text[4:head]}<title>{said}</title>{text[head:]}'


# Timeline bars are told apart by pattern as well as colour (SR and SEEK, OQ and EA come close for colour-blind
# readers): MI-adherent codes hatched, MI-non-adherent ones crossed; the page's legend says so.
HATCHES = {"AF": "////", "SEEK": "////", "EA": "////", "PER": "xxxx", "CON": "xxxx"}
# Fills under 3:1 against the white page (WCAG 1.4.11: FN 1.1, PWP 1.3, NC 1.9, CQ 2.3, SR 2.8) get a dark edge,
# so that the bar is seen whatever its colour; the CT/ST labels are drawn in colours that read at 4.5:1 or more.
LIGHT = {"FN", "PWP", "NC", "CQ", "SR", "GI"}
LABEL_COLOURS = {"ST": "#A23B52"}


def _counted(codes: Sequence[str]) -> str:
    from collections import Counter

    return ", ".join(f"{n} {c}" for c, n in Counter(codes).most_common()) or "none"


def _plt():  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 9, "svg.fonttype": "none", "svg.hashsalt": "mi-coder"})  # stable element ids
    return plt


def scores_chart(scores: dict, thresholds: dict) -> str:
    """Bars for R:Q, %CR and %OQ against their fair and good thresholds; a ratio the cards call too few to judge
    (no band in ``scores``) is drawn on grey, not in a band's colour."""
    plt = _plt()
    items = [("R:Q", "r_q", 3.0), ("%CR", "pct_cr", 1.0), ("%OQ", "pct_oq", 1.0)]
    fig, axes = plt.subplots(1, 3, figsize=(8, 1.9))
    for ax, (label, key, top) in zip(axes, items):
        value = scores.get(key)
        fair, good = thresholds[key]["fair"], thresholds[key]["good"]
        few = value is not None and f"{key}_band" in scores and not scores[f"{key}_band"]
        ax.axvspan(0, fair, color="#f2f2f2" if few else "#fbe3d6")
        ax.axvspan(fair, good, color="#ebebeb" if few else "#fdf3c4")
        ax.axvspan(good, max(top, good * 1.2), color="#e4e4e4" if few else "#d5efe3")
        if few:
            ax.text(0.98, 0.9, "too few to judge", transform=ax.transAxes, ha="right", va="top", fontsize=7)
        if value is not None:
            ax.barh([0], [min(value, top)], color="#666666" if few else "#0072B2", height=0.45)
            inside = value >= 0.8 * top  # a label inside the dark bar is white, outside it is black
            shown = _fmt_banded(value, key != "r_q", thresholds[key])  # as the card above the chart
            ax.text(min(value, top), 0, f" {shown} ", va="center",
                    ha="right" if inside else "left", color="#fff" if inside else "#000", fontweight="bold")
        else:
            ax.text(0.02, 0, "undefined", va="center")
        ax.set_xlim(0, max(top, good * 1.2))
        ax.set_yticks([])
        if key == "r_q":
            ax.set_title(f"{label} (fair {fair:g}, good {good:g})", fontsize=9)
        else:  # shares read as percentages, as on the cards
            from matplotlib.ticker import PercentFormatter

            ax.xaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=0))
            ax.set_title(f"{label} (fair {100 * fair:g}%, good {100 * good:g}%)", fontsize=9)
    fig.tight_layout()
    said = []
    for label, key, _ in items:
        value, band = scores.get(key), scores.get(f"{key}_band")
        shown = "undefined" if value is None else _fmt_banded(value, key != "r_q", thresholds[key])
        said.append(f"{label} {shown}" + (f" ({band})" if band else " (too few to judge)" if value is not None
                                          and f"{key}_band" in scores else ""))
    return _svg(fig, "MITI summary scores against their thresholds: " + "; ".join(said))


def timeline_chart(session: Session) -> str:
    """Turns over time (or turn index), practitioner above, client below, coloured by main code."""
    from ..model.coder import shown_code

    plt = _plt()
    turns = [t for t in session.turns if t.role in (PRACTITIONER, CLIENT)]
    # by time where every turn has one and they go forward (``time_goes_back``: a restart drew two parts over each
    # other)
    use_time = all(t.start is not None for t in turns) and turns and time_goes_back(turns) is None
    fig, ax = plt.subplots(figsize=(10, 2.2))
    titles: dict[str, str] = {}  # each bar's tooltip, so that a code is told by its name and not by colour alone
    span = max(((t.start / 60.0) if use_time else k) for k, t in enumerate(turns)) if turns else 1.0
    label_gap = 0.02 * max(span, 1.0)  # a two-letter label at 6 pt with a little space, on the 10-inch chart
    label_ends = [float("-inf"), float("-inf")]  # the last label's x on each of two label lines
    for k, t in enumerate(turns):
        x = (t.start / 60.0) if use_time else k
        code = shown_code(t) or "NC"
        y = 1 if t.role == PRACTITIONER else 0
        height = 0.8 if code in ("CT", "ST") else 0.6
        width = max(len(t.text.split()) / 150.0, 0.08) if use_time else 0.9
        bars = ax.bar(x, height, bottom=y - height / 2, width=width, color=CODE_COLOURS.get(code, "#999"), align="edge",
                      hatch=HATCHES.get(code), edgecolor="#222" if code in HATCHES or code in LIGHT else "none",
                      linewidth=0.6 if code in LIGHT else 0)
        bars[0].set_gid(f"mi-turn-{k}")
        at = f" at {clock(t.start)}" if clock(t.start) else ""  # where to find the turn in the recording
        titles[f"mi-turn-{k}"] = f"turn {t.id}{at}, {t.role}: {' '.join(t.codes) or code}"
        if code in ("CT", "ST"):
            # labels of close turns go on a second line instead of printing over each other ("CTST")
            line = 0 if x - label_ends[0] >= label_gap else (1 if x - label_ends[1] >= label_gap else 0)
            label_ends[line] = x
            ax.text(x, y + 0.45 + 0.13 * line, code, fontsize=7, color=LABEL_COLOURS.get(code, CODE_COLOURS[code]))
    ax.set_yticks([0, 1])
    ax.set_yticklabels(["client", "practitioner"])
    ax.set_xlabel("time in the recording (m:ss)" if use_time else "turn")
    if use_time:  # minutes on the axis, read as the transcript table and a media player show times
        from matplotlib.ticker import FuncFormatter, MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(nbins=10, steps=[1, 2, 5, 10]))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: clock(60.0 * x) if x >= 0 else ""))
    else:
        _label_turns(ax, [t.id for t in turns])
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    by_role = {role: [shown_code(t) or "NC" for t in turns if t.role == role] for role in (PRACTITIONER, CLIENT)}
    when = f" from {clock(turns[0].start)} to {clock(turns[-1].start)} in the recording" if use_time else ""
    others = len(session.turns) - len(turns)  # a supervisor looking in, an interpreter: kept, not coded, not drawn
    when += f" ({others} turn{'' if others == 1 else 's'} of other speakers not shown)" if others else ""
    svg = _svg(fig, f"Timeline of {len(turns)} turn{'' if len(turns) == 1 else 's'}{when}, each bar a turn coloured by "
                    f"its main code. Practitioner turns: {_counted(by_role[PRACTITIONER])}. Client turns: "
                    f"{_counted(by_role[CLIENT])}. The transcript table gives every turn's codes in words.")
    for gid, title in titles.items():  # turn ids come from the transcript: escaped
        svg = svg.replace(f'<g id="{gid}">', f'<g id="{gid}"><title>{html.escape(title)}</title>', 1)
    return svg


def _label_turns(ax, ids: Sequence[str]) -> None:  # type: ignore[no-untyped-def]
    """Tick labels are the transcript's own turn ids (as the report's links and examples name turns), not the
    chart's 0-based positions."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(nbins=10, integer=True))
    ax.xaxis.set_major_formatter(FuncFormatter(
        lambda x, _: ids[int(x)] if float(x).is_integer() and 0 <= int(x) < len(ids) else ""))


def elaboration_chart(session: Session) -> str:
    """"Safe to say more": words per client turn across the session (a moving mean over five client turns). Words
    and halves are counted as ``client_words_per_turn_change`` counts them (halves of the session's turns), so the
    chart's two halves give the indicator beside it."""
    from ..scoring import words as count_words

    plt = _plt()
    client = [(k, count_words(t.text)) for k, t in enumerate(session.turns) if t.role == CLIENT]
    fig, ax = plt.subplots(figsize=(8, 1.8))
    if client:
        xs = [k for k, _ in client]
        ys = [w for _, w in client]
        smooth = [sum(ys[max(0, i - 4):i + 1]) / len(ys[max(0, i - 4):i + 1]) for i in range(len(ys))]
        ax.bar(xs, ys, color="#8C8C8C", width=0.8, label="words in each client turn")
        ax.plot(xs, smooth, color="#0072B2", linewidth=2, label="moving mean (5 client turns)")
        ax.legend(fontsize=7, loc="lower left", bbox_to_anchor=(0, 1.0), ncol=2, frameon=False)  # above, off the bars
    ax.set_xlabel("turn")
    _label_turns(ax, [t.id for t in session.turns])
    ax.set_ylabel("client words")
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    words = [w for _, w in client]
    half = len(session.turns) / 2
    mean = lambda xs: f"{sum(xs) / len(xs):.2f}" if xs else "n/a"  # noqa: E731
    return _svg(fig, f"Words in each of {len(words)} client turns: mean {mean(words)}; first half of the session "
                     f"{mean([w for k, w in client if k < half])}, second half "
                     f"{mean([w for k, w in client if k >= half])}")


INDEX_KEYS = [("r_q", "R:Q"), ("pct_cr", "%CR"), ("pct_oq", "%OQ"), ("engagement_index", "engagement"),
              ("empathy_index", "empathy"), ("fidelity_index", "fidelity")]


# The counts a ratio is taken over: a ratio over fewer than ``scoring.MIN_FOR_BAND`` of them gets no band in the
# tables ("(too few)"), and is left out of the distributions too (a trainer's audit: "%CR median 29%" counted them).
RATIO_OVER = {"r_q": ("OQ", "CQ", "Q"), "pct_cr": ("SR", "CR"), "pct_oq": ("OQ", "CQ")}  # as scoring bands them


def _values(rows: Sequence[dict], key: str) -> tuple[list[float], int]:
    """The sessions' values of ``key`` for a distribution, and how many were left out as over too few."""
    from ..scoring import MIN_FOR_BAND

    values, few = [], 0
    for r in rows:
        if r.get(key) is None:
            continue
        over = RATIO_OVER.get(key, ())
        if over and all(c in r for c in over[:2]) and sum(int(r.get(c) or 0) for c in over) < MIN_FOR_BAND:
            few += 1
            continue
        values.append(r[key])
    return values, few


def distributions_chart(rows: Sequence[dict], thresholds: dict | None = None) -> str:
    """Histograms of R:Q, %CR, %OQ and the three indices over many sessions, with the thresholds in use (default: the
    MITI ones) dashed; a ratio over too few questions or reflections is left out (``RATIO_OVER``)."""
    from ..scoring import DEFAULT_THRESHOLDS

    thresholds = thresholds or DEFAULT_THRESHOLDS
    plt = _plt()
    fig, axes = plt.subplots(1, len(INDEX_KEYS), figsize=(13, 2))
    for ax, (key, label) in zip(axes, INDEX_KEYS):
        values, _ = _values(rows, key)
        ax.hist(values, bins=10, color="#0072B2")
        from matplotlib.ticker import MaxNLocator

        ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # sessions are counted whole
        if key in thresholds:
            for t in thresholds[key].values():
                ax.axvline(t, color="#D55E00", linestyle="--")
        if key.startswith("pct_"):
            from matplotlib.ticker import PercentFormatter

            ax.xaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=0))
        ax.set_title(label)
    fig.tight_layout()
    said = []
    for key, label in INDEX_KEYS:
        values, few = _values(rows, key)
        left_out = f" ({few} with too few to judge left out)" if few else ""
        if not values:
            said.append(f"{label}: no session{left_out}")
            continue
        middle = statistics.median(values)
        shown = f"{middle:.0%}" if key.startswith("pct_") else f"{middle:.2f}"
        said.append(f"{label}: {len(values)} session{'s' if len(values) != 1 else ''}, median {shown}{left_out}")
    return _svg(fig, "Distributions over sessions, thresholds dashed. " + "; ".join(said))


def natural(text: str) -> list:
    """A sort key that reads the numbers in ``text`` as numbers (visit2 before visit10)."""
    import re

    return [(0, int(part), "") if part.isdigit() else (1, 0, part.casefold())
            for part in re.split(r"(\d+)", text) if part]


def trend_order(rows: Sequence[dict]) -> tuple[list[dict], str]:
    """A practitioner's sessions in the order a trend draws them, and that order said: by date (``io.dates``: a
    date line above the talk, or a date in the file name) where sessions have one, the others after them by name,
    numbers in names read as numbers (visit2 before visit10: sorted as text, a rise had read as a fall)."""
    ordered = sorted(rows, key=lambda r: (not r.get("date"), str(r.get("date") or ""), natural(str(r["session_id"]))))
    dated = sum(1 for r in rows if r.get("date"))
    if dated == len(rows):
        return ordered, "by date"
    if dated:
        return ordered, f"by date, then the {len(rows) - dated} session(s) without a date by name"
    return ordered, "by session name (no dates found)"


def trend_chart(practitioner: str, rows: Sequence[dict]) -> str:
    """One practitioner's three indices across their sessions, in ``trend_order``."""
    plt = _plt()
    rows, order = trend_order(rows)
    fig, ax = plt.subplots(figsize=(8, 2.2))
    # told apart by marker and line style as well as colour, in colours that read at 3:1 or more on white
    styles = iter([("#0072B2", "o", "-"), ("#B34700", "s", "--"), ("#117733", "^", ":")])
    for key, label in [(k, lab) for k, lab in INDEX_KEYS if k.endswith("_index")]:
        colour, marker, line = next(styles)
        ax.plot(range(len(rows)), [r.get(key) for r in rows], marker=marker, linestyle=line, color=colour, label=label)
    ax.set_xticks(range(len(rows)))
    ax.set_xticklabels([f"{r['session_id']} ({r['date']})" if r.get("date") else r["session_id"] for r in rows],
                       rotation=30, ha="right", fontsize=7)
    ax.set_ylim(0, 100)
    ax.legend(fontsize=7)
    ax.set_title(practitioner)
    fig.tight_layout()
    points = "; ".join(f"{r['session_id']}: " + ", ".join(
        f"{label} {r[key]:.0f}" if r.get(key) is not None else f"{label} n/a"
        for key, label in INDEX_KEYS if key.endswith("_index")) for r in rows)
    return _svg(fig, f"{practitioner}'s indices by session, {order}: {points}")
