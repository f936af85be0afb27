"""From notebooks to documents: the runner (papermill), the export (nbconvert, WeasyPrint) and
the manifest."""
