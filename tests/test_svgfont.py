"""Chart text stays text: SVGs carry the chart font, the PDF gets it once, metrics match."""

from __future__ import annotations

import base64
import io
import os
import re
import subprocess
import sys
import textwrap

import pypdf
import pytest
from fontTools.ttLib import TTFont
from matplotlib.figure import Figure

from portal_reports.reports import charts, svgfont

GLYPH_OUTLINE = re.compile(r'<use xlink:href="#DejaVuSans')


def _labelled(label: str) -> Figure:
    fig = Figure(figsize=(4, 2), layout="constrained")
    ax = fig.subplots()
    ax.bar([0, 1], [3, 5])
    ax.set_title(label, fontweight="bold")
    ax.set_xlabel("x")
    return fig


def test_chart_svg_keeps_text_and_embeds_the_font(month_data):
    fig = charts.sessions_leads_by_day(month_data)
    svg = charts.figure_svg(fig)
    assert "<text" in svg and not GLYPH_OUTLINE.search(svg)
    assert "Sessions and leads by day" in svg
    assert svg.count("@font-face{font-family:'DejaVu Sans'") == 2  # regular and bold
    assert svgfont.font_face_css("latin").decode() in svg
    assert "font-family: 'DejaVu Sans', sans-serif" in svg
    assert "font-family: 'DejaVu Sans';" not in svg  # every label has the fallback
    again = charts.figure_svg(charts.sessions_leads_by_day(month_data))
    assert again == svg  # same data, same bytes
    width, height = (float(v) for v in re.findall(r'(?:width|height)="([\d.]+)pt"', svg)[:2])
    assert (width, height) == tuple(72 * v for v in fig.get_size_inches())  # the whole figure


def test_greek_or_cyrillic_labels_get_the_extended_subset():
    assert svgfont.subset_for(charts.figure_svg(_labelled("Zoë Müller – 12 €")).encode()) == (
        "latin"
    )
    for label in ("Κρατήσεις", "Бронирование"):
        svg = charts.figure_svg(_labelled(label))
        assert svgfont.font_face_css("extended").decode() in svg, label
        assert label in svg


def test_label_text_is_never_rewritten():
    label = "font-family: 'DejaVu Sans'"
    svg = charts.figure_svg(_labelled(label))
    assert f">{label}<" in svg  # only style attributes get the fallback


def test_figures_without_layout_engine_are_cropped():
    fig = Figure(figsize=(6, 4))
    fig.add_subplot().plot([0, 1], [0, 1])
    svg = charts.figure_svg(fig)
    width = float(re.search(r'width="([\d.]+)pt"', svg).group(1))
    assert width < 6 * 72


@pytest.mark.parametrize("subset", sorted(svgfont.SUBSETS))
@pytest.mark.parametrize("weight", sorted(svgfont.FACES))
def test_shipped_subsets_have_matplotlibs_metrics(subset, weight):
    """The browser must lay out each label as wide as matplotlib measured it."""
    original = TTFont(svgfont.matplotlib_font(svgfont.FACES[weight]))
    shipped = TTFont(svgfont.subset_file(subset, weight))
    assert shipped.flavor == "woff2"
    full_map, sub_map = original.getBestCmap(), shipped.getBestCmap()
    wanted = [
        cp for low, high in svgfont.SUBSETS[subset] for cp in range(low, high + 1) if cp in full_map
    ]
    assert len(wanted) > 350
    assert not [hex(cp) for cp in wanted if cp not in sub_map]
    widths, sub_widths = original["hmtx"], shipped["hmtx"]
    for cp in wanted:
        assert sub_widths[sub_map[cp]][0] == widths[full_map[cp]][0], hex(cp)
    assert original["head"].unitsPerEm == shipped["head"].unitsPerEm
    assert "Bitstream" in shipped["name"].getDebugName(0)  # the copyright stays with the font


def _img(svg: bytes) -> str:
    return '<img src="data:image/svg+xml;base64,' + base64.b64encode(svg).decode() + '">'


def test_pdf_html_loses_the_embedded_font_and_nothing_else(month_data):
    chart = charts.figure_svg(charts.asr_by_day(month_data)).encode("utf-8")
    logo = b'<svg xmlns="http://www.w3.org/2000/svg"><style type="text/css">*{}</style></svg>'
    prose = '<p>data:image/svg+xml;base64,abc is text, and so is src="data:image/svg+xml;base64,abc"</p>'
    page = _img(chart) + prose + _img(logo) + '<img src="data:image/svg+xml;base64,abc">'
    stripped = svgfont.without_embedded_font(page)
    assert prose in stripped and stripped.endswith('<img src="data:image/svg+xml;base64,abc">')
    uris = re.findall(r'src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', stripped)
    chart_for_pdf, logo_for_pdf = (base64.b64decode(uris[i]) for i in (0, 2))
    assert b"@font-face" not in chart_for_pdf
    assert chart_for_pdf == chart.replace(svgfont.font_face_css("latin"), b"", 1)
    assert logo_for_pdf == logo
    assert svgfont.without_embedded_font(stripped) == stripped


def test_embed_font_leaves_other_svgs_alone():
    other = b'<svg xmlns="http://www.w3.org/2000/svg"><text>x</text></svg>'
    assert svgfont.embed_font(other) == other


def test_pdf_draws_chart_text_from_matplotlibs_files_without_system_fonts(tmp_path):
    """With no font installed at all, the PDF's chart labels still come out in DejaVu Sans:
    WeasyPrint loaded matplotlib's files through the export's ``@font-face`` rules."""
    (tmp_path / "fonts").mkdir()
    (tmp_path / "fonts.conf").write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        f"<dir>{tmp_path / 'fonts'}</dir><cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>"
    )
    code = textwrap.dedent(
        f"""
        from matplotlib.figure import Figure
        from portal_reports.publish.export import html_to_pdf
        from portal_reports.reports.blocks import figure_html
        fig = Figure(figsize=(4, 2), layout="constrained")
        fig.subplots().set_title("Chart title only", fontweight="bold")
        page = "<html><body>" + figure_html(fig, "chart") + "</body></html>"
        open({str(tmp_path / "out.pdf")!r}, "wb").write(html_to_pdf(page))
        """
    )
    env = {**os.environ, "FONTCONFIG_FILE": str(tmp_path / "fonts.conf")}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=120)
    reader = pypdf.PdfReader(io.BytesIO((tmp_path / "out.pdf").read_bytes()))
    assert "Chart title only" in reader.pages[0].extract_text()
    fonts = set()
    for page in reader.pages:
        for xobject in (page["/Resources"].get("/XObject") or {}).values():
            resources = xobject.get_object().get("/Resources") or {}
            fonts |= {
                str(f.get_object()["/BaseFont"]) for f in (resources.get("/Font") or {}).values()
            }
        fonts |= {
            str(f.get_object()["/BaseFont"])
            for f in (page["/Resources"].get("/Font") or {}).values()
        }
    assert any("DejaVu-Sans-Bold" in f for f in fonts), fonts
