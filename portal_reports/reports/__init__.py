"""What a report shows: figures (numbers), charts, formatting and the HTML blocks notebooks display."""
