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
    _check_inflated_size(path)
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


# The most a .docx's parts may hold unpacked. A three-hour transcript's word/document.xml is a few MB; a small file
# that unpacks to hundreds of MB (a zip bomb) would take gigabytes of memory as an XML tree before anything is read.
MAX_UNPACKED_BYTES = 20_000_000


def _check_inflated_size(path: Path) -> None:
    """An InputError for a .docx whose parts unpack to more than ``MAX_UNPACKED_BYTES`` (by the sizes the archive
    declares, and python-docx's zip reader stops at the declared size); an unreadable zip is left to the reader's
    own error."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            size = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return
    if size > MAX_UNPACKED_BYTES:
        raise InputError(path, f"unpacks to {size / 1e6:,.0f} MB, more than a transcript's "
                               f"{MAX_UNPACKED_BYTES / 1e6:,.0f} MB (a damaged or hostile .docx): save it as plain "
                               "text and read that")


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
