"""The Jinja2 environment the report pages are rendered with; the templates are in ``templates/``.

Templates autoescape every value; values arrive as plain strings and numbers. The only values marked safe
(``Markup``) are the charts' SVG, the review data block and review.js, each with a comment saying why it is safe.
"""

from __future__ import annotations

import html
from functools import lru_cache
from typing import Any

import jinja2
from markupsafe import Markup

TEMPLATE_PACKAGE = "mi_coder.report"
TEMPLATE_FOLDER = "templates"


def _escape(value: Any) -> Any:
    """Escape a value the way the pages always have (``html.escape``: ``&#x27;`` and ``&quot;``), None as "".

    Runs as the environment's ``finalize`` on every ``{{ ... }}``, before autoescaping, so the pages keep the
    entities they had before the templates (MarkupSafe alone writes ``&#39;`` and ``&#34;``). Values already
    marked safe, such as a macro's output, pass through unchanged.
    """
    if hasattr(value, "__html__"):
        return value
    return Markup(html.escape("" if value is None else str(value)))  # Safe: escaped on this line.


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The one Jinja2 environment of the reports (built on first use, then cached)."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader(TEMPLATE_PACKAGE, TEMPLATE_FOLDER),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        finalize=_escape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,  # a page ends at </html>, without the template file's final newline
        auto_reload=False,
    )


def render(template: str, **context: Any) -> str:
    """Render one template of ``templates/`` with plain values (escaped by the template)."""
    return environment().get_template(template).render(**context)
