"""Word documents (.docx): paragraphs and table rows as lines of text, then read as text."""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError


def read_docx_text(path: Path) -> str:
    """The paragraphs of a .docx file as lines of text."""
    try:
        import docx  # python-docx
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise InputError(path, "reading .docx needs python-docx (pip install python-docx)") from exc
    try:
        document = docx.Document(str(path))
    except Exception as exc:  # python-docx raises zipfile/KeyError/ValueError subclasses
        raise InputError(path, f"not a readable .docx file ({type(exc).__name__})") from exc
    lines: list[str] = []
    for para in document.paragraphs:
        lines.extend(para.text.split("\n"))
    for table in document.tables:  # some exports put speaker/time/text in a table
        for row in table.rows:
            cells = [c.text.strip() for c in row.cells]
            if len(cells) >= 2 and cells[-1]:
                lines.append(f"{cells[0]}: {cells[-1]}")
    return "\n".join(lines)
