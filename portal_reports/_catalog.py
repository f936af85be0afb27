"""Babel extractor for report notebooks: the Markdown prose of ``notebooks/*.ipynb``.

Notebooks whose metadata says ``portal_reports.report = false`` are skipped.

Used by ``make catalogs`` (``babel.cfg``): each paragraph and heading of a Markdown cell is a
message, cut exactly as :func:`portal_reports.i18n.translate_markdown` cuts it when a report
is exported in another language. Code cells are not read (their text comes from the package,
which ``_()`` marks).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any

from .i18n import markdown_messages


def extract_notebook(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: dict[str, Any]
) -> Iterator[tuple[int, None, str, list[str]]]:
    """Yield ``(lineno, None, msgid, comments)`` for the Markdown of a notebook; ``lineno``
    is the cell's number (1-based), as the ``.po`` file's ``#:`` references show."""
    nb = json.loads(fileobj.read().decode(options.get("encoding") or "utf-8"))
    if ((nb.get("metadata") or {}).get("portal_reports") or {}).get("report") is False:
        return  # not a report (e.g. the attributes explorer): its prose is never exported
    for number, cell in enumerate(nb.get("cells") or [], start=1):
        if cell.get("cell_type") != "markdown":
            continue
        source = cell.get("source") or ""
        source = "".join(source) if isinstance(source, list) else str(source)
        for _block, msgid in markdown_messages(source):
            yield number, None, msgid, [f"notebook cell {number}"]
