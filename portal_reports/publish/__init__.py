"""From notebooks to documents: the runner (papermill), the export (nbconvert, WeasyPrint) and
the manifest."""

from .._lazy import defer_import

# nbformat imports jsonschema, which imports rfc3987_syntax for its IRI check if installed:
# a Lark grammar compiled on import, ~1 s of CPU in every process that loads nbformat.
defer_import("rfc3987_syntax", ("is_valid_syntax",))
