"""Colours, styles and small formatters shared by the report pages."""

from __future__ import annotations

import html
from typing import Any

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
