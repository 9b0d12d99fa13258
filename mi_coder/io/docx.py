"""Word documents (.docx): paragraphs and table rows as lines of text, then read as text."""

from __future__ import annotations

from pathlib import Path

from ..errors import InputError
from .base import _TIME


def read_docx_text(path: Path) -> str:
    """The paragraphs and table rows of a .docx file as lines of text, in the document's order."""
    try:
        import docx  # python-docx
    except ImportError as exc:  # pragma: no cover - a core dependency
        raise InputError(path, "reading .docx needs python-docx (pip install python-docx)") from exc
    try:
        document = docx.Document(str(path))
    except Exception as exc:  # python-docx raises zipfile/KeyError/ValueError subclasses
        raise InputError(path, _not_docx(path, exc)) from exc
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    lines: list[str] = []
    for child in document.element.body.iterchildren():  # paragraphs and tables in the order of the document
        kind = child.tag.rsplit("}", 1)[-1]
        if kind == "p":
            lines.extend(Paragraph(child, document).text.split("\n"))
        elif kind == "tbl":  # some exports put speaker/time/text in a table
            for row in Table(child, document).rows:
                cells = [c.text.strip() for c in row.cells]
                if len(cells) >= 2 and cells[-1]:
                    time = next((c for c in cells[1:-1] if _TIME.match(c)), None)  # speaker | time | text
                    lines.append(f"{cells[0]} ({time}): {cells[-1]}" if time else f"{cells[0]}: {cells[-1]}")
    return "\n".join(lines)


def _not_docx(path: Path, exc: Exception) -> str:
    """Why a zip-based file is not a readable .docx: an Excel workbook or another archive, or a broken .docx."""
    import zipfile

    if Path(path).suffix.lower() in (".xlsx", ".xlsm", ".xls", ".ods"):
        return "a spreadsheet workbook, not a transcript file: save the sheet as CSV and read that"
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return f"not a readable .docx file ({type(exc).__name__})"
    if "xl/workbook.xml" in names:
        return "an Excel workbook, not a transcript file: save the sheet as CSV and read that"
    if "word/document.xml" not in names:
        return "a zip archive, not a transcript (.docx, text, captions, CSV or JSON)"
    return f"not a readable .docx file ({type(exc).__name__})"
