"""The font chart text is set in, so chart SVGs can keep their text as text.

Charts are saved with ``svg.fonttype="none"``: labels are ``<text>`` elements, not glyph
outlines. That makes the SVGs a third of the size, their text selectable, and WeasyPrint
draws them about three times faster (outlines were most of a PDF's time). Text needs its
font wherever it is drawn, so:

- every chart SVG carries a Latin subset of DejaVu Sans (the font matplotlib measured the
  labels with) as an ``@font-face`` (WOFF, ~40 KB base64): browsers, JupyterLab and mail
  clients draw the same glyphs whatever fonts the viewer has, falling back to their
  ``sans-serif`` only for characters outside the subset;
- the PDF export takes that rule out again (:func:`without_embedded_font`) and gives
  WeasyPrint the full DejaVu Sans files that ship with matplotlib once per document
  (:func:`pdf_font_css`), which is cheaper than one font per chart and covers every script
  DejaVu has.

The subsets are made once, at development time, by ``python -m portal_reports.reports.svgfont``
(fontTools); the package ships them in ``fonts/`` with DejaVu's licence.
"""

from __future__ import annotations

import base64
import functools
import io
import re
from pathlib import Path

import matplotlib

FAMILY = "DejaVu Sans"
FONTS_DIR = Path(__file__).resolve().parent / "fonts"
#: weight -> (matplotlib's font file, the shipped subset)
FACES = {
    400: ("DejaVuSans.ttf", "DejaVuSans-latin.woff"),
    700: ("DejaVuSans-Bold.ttf", "DejaVuSans-Bold-latin.woff"),
}
#: What the subsets hold: Latin-1 and Latin Extended-A (western and central European
#: languages), general punctuation, currency signs and the minus sign matplotlib uses.
SUBSET_RANGES = ((0x20, 0x7E), (0xA0, 0x17F), (0x2000, 0x206F), (0x20A0, 0x20C0), (0x2212, 0x2212))

_MARK = b'<style type="text/css">'
_FAMILY_DECL = f"font-family: '{FAMILY}'".encode()
_SVG_DATA_URI = re.compile(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)")


def matplotlib_font(name: str) -> Path:
    """One of the DejaVu files that ship with matplotlib (what charts are measured with)."""
    return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / name


@functools.cache
def font_face_css() -> bytes:
    """The ``@font-face`` rules that embed the shipped subsets (the same bytes every time)."""
    rules = []
    for weight, (_, subset) in FACES.items():
        data = base64.b64encode((FONTS_DIR / subset).read_bytes()).decode("ascii")
        rules.append(
            f"@font-face{{font-family:'{FAMILY}';font-weight:{weight};"
            f"src:url(data:font/woff;base64,{data}) format('woff')}}"
        )
    return "".join(rules).encode("ascii")


def embed_font(svg: bytes) -> bytes:
    """A matplotlib SVG (text as ``<text>``) with the chart font embedded in its style sheet,
    and ``sans-serif`` as the fallback for characters the subset lacks."""
    if _MARK not in svg:  # not matplotlib's layout: leave it as it is
        return svg
    svg = svg.replace(_MARK, _MARK + font_face_css(), 1)
    return svg.replace(_FAMILY_DECL, _FAMILY_DECL + b", sans-serif")


def without_embedded_font(html: str) -> str:
    """``html`` with the embedded chart font taken out of its SVG images (for the PDF,
    where :func:`pdf_font_css` supplies the font once for the whole document)."""
    css = font_face_css()

    def strip(match: re.Match[str]) -> str:
        svg = base64.b64decode(match.group(1))
        if css not in svg:
            return match.group(0)
        svg = svg.replace(css, b"", 1)
        return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")

    return _SVG_DATA_URI.sub(strip, html)


@functools.cache
def pdf_font_css() -> str:
    """``@font-face`` rules naming matplotlib's own DejaVu Sans files, for WeasyPrint."""
    return "".join(
        f"@font-face{{font-family:'{FAMILY}';font-weight:{weight};"
        f"src:url({matplotlib_font(ttf).as_uri()})}}"
        for weight, (ttf, _) in FACES.items()
    )


def make_subsets(out_dir: Path = FONTS_DIR) -> list[Path]:
    """Write the WOFF subsets of matplotlib's DejaVu Sans into ``out_dir`` (development time;
    needs fontTools, which WeasyPrint brings)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    unicodes = [cp for low, high in SUBSET_RANGES for cp in range(low, high + 1)]
    written = []
    for ttf, name in FACES.values():
        options = subset.Options()
        options.flavor = "woff"
        options.hinting = False  # browsers scale outlines; hints only add bytes
        options.notdef_outline = True
        options.name_IDs = [0, 1, 2, 3, 4, 5, 6]  # copyright and names stay with the font
        options.drop_tables += ["FFTM"]
        font = TTFont(matplotlib_font(ttf))
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=unicodes)
        subsetter.subset(font)
        buf = io.BytesIO()
        font.flavor = "woff"
        font.save(buf)
        path = out_dir / name
        path.write_bytes(buf.getvalue())
        written.append(path)
    return written


if __name__ == "__main__":  # pragma: no cover - development tool
    for written_path in make_subsets():
        print(written_path, written_path.stat().st_size, "bytes")
