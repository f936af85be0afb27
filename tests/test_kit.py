"""The notebook setup call: Lab styling scoped to report notebooks, demo data announced."""

from __future__ import annotations

from portal_reports.reports.kit import LAB_MARKER, LAB_SCOPE, _lab_header, scoped_css


def test_report_styles_never_reach_labs_own_interface_or_other_notebooks():
    css = scoped_css(
        ":root { --ink: #000 } .kpi, table th { color: red } "
        "@media (max-width: 600px) { .kpis { display: block } } "
        "@page { size: A4 } @font-face { font-family: x; src: url(a.woff) }"
    )
    rules = [line for line in css.splitlines() if line]
    assert rules[0] == f".jp-Notebook:has(.{LAB_MARKER}) {{--ink: #000}}"
    assert rules[1] == f"{LAB_SCOPE} .kpi, {LAB_SCOPE} table th {{color: red}}"
    assert rules[2] == f"@media (max-width: 600px) {{{LAB_SCOPE} .kpis {{display: block}}}}"
    assert rules[3] == "@font-face {font-family: x; src: url(a.woff)}"
    assert "@page" not in css


def test_lab_header_marks_the_notebook_and_announces_sandbox_data(month_data):
    import dataclasses

    html = _lab_header(dataclasses.replace(month_data, data_source="sandbox"))
    assert f'<div class="{LAB_MARKER}" hidden></div>' in html
    assert '<div class="sandbox-banner">Demo data from the built-in sandbox' in html
    assert "<style>" in html and ".kpi" in html  # the export template's components.css
    real = _lab_header(dataclasses.replace(month_data, data_source="portal"))
    assert 'class="sandbox-banner"' not in real
