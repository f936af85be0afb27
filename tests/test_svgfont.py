"""Chart text stays text: SVGs carry the chart font, the PDF gets it once, metrics match."""

from __future__ import annotations

import base64
import re

import pytest
from conftest import MONTH, SECRET
from fontTools.ttLib import TTFont

from portal_reports.data.month import fetch_month
from portal_reports.portal.client import PortalClient
from portal_reports.reports import charts, svgfont

GLYPH_OUTLINE = re.compile(r'<use xlink:href="#DejaVuSans')


@pytest.fixture(scope="module")
def month_data(sandbox):
    with PortalClient(base_url=sandbox.url, secret=SECRET, progress=False) as client:
        return fetch_month(MONTH, "acme-dental", client=client)


def test_chart_svg_keeps_text_and_embeds_the_font(month_data):
    fig = charts.sessions_leads_by_day(month_data)
    svg = charts.figure_svg(fig)
    assert "<text" in svg and not GLYPH_OUTLINE.search(svg)
    assert "Sessions and leads by day" in svg
    assert svg.count("@font-face{font-family:'DejaVu Sans'") == 2  # regular and bold
    assert "font-family: 'DejaVu Sans', sans-serif" in svg
    assert "font-family: 'DejaVu Sans';" not in svg  # every label has the fallback
    again = charts.figure_svg(charts.sessions_leads_by_day(month_data))
    assert again == svg  # same data, same bytes
    width, height = (float(v) for v in re.findall(r'(?:width|height)="([\d.]+)pt"', svg)[:2])
    assert (width, height) == tuple(72 * v for v in fig.get_size_inches())  # the whole figure


@pytest.mark.parametrize("weight", sorted(svgfont.FACES))
def test_shipped_subsets_have_matplotlibs_metrics(weight):
    """The browser must lay out each label as wide as matplotlib measured it."""
    ttf, woff = svgfont.FACES[weight]
    original = TTFont(svgfont.matplotlib_font(ttf))
    subset = TTFont(svgfont.FONTS_DIR / woff)
    assert subset.flavor == "woff"
    full_map, sub_map = original.getBestCmap(), subset.getBestCmap()
    wanted = [
        cp for low, high in svgfont.SUBSET_RANGES for cp in range(low, high + 1) if cp in full_map
    ]
    assert len(wanted) > 400
    missing = [hex(cp) for cp in wanted if cp not in sub_map]
    assert not missing
    widths, sub_widths = original["hmtx"], subset["hmtx"]
    for cp in wanted:
        assert sub_widths[sub_map[cp]][0] == widths[full_map[cp]][0], hex(cp)
    assert original["head"].unitsPerEm == subset["head"].unitsPerEm
    assert "Bitstream" in subset["name"].getDebugName(0)  # the copyright stays with the font


def _data_uri(svg: bytes) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def test_pdf_html_loses_the_embedded_font_and_nothing_else(month_data):
    chart = charts.figure_svg(charts.asr_by_day(month_data)).encode("utf-8")
    logo = b'<svg xmlns="http://www.w3.org/2000/svg"><style type="text/css">*{}</style></svg>'
    html = f'<img src="{_data_uri(chart)}"><p>text</p><img src="{_data_uri(logo)}">'
    stripped = svgfont.without_embedded_font(html)
    uris = re.findall(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", stripped)
    assert len(uris) == 2 and "<p>text</p>" in stripped
    chart_for_pdf, logo_for_pdf = (base64.b64decode(u) for u in uris)
    assert b"@font-face" not in chart_for_pdf
    assert chart_for_pdf == chart.replace(svgfont.font_face_css(), b"", 1)
    assert logo_for_pdf == logo
    assert svgfont.without_embedded_font(stripped) == stripped
    assert "@font-face" in svgfont.pdf_font_css() and "file://" in svgfont.pdf_font_css()


def test_embed_font_leaves_other_svgs_alone():
    other = b'<svg xmlns="http://www.w3.org/2000/svg"><text>x</text></svg>'
    assert svgfont.embed_font(other) == other
