"""The font chart text is set in, so chart SVGs can keep their text as text.

Charts are saved with ``svg.fonttype="none"``: labels are ``<text>`` elements, not glyph
outlines, so they are selectable in the PDF and WeasyPrint draws a chart about three times
faster (outlines were most of a PDF's time). Text needs its font wherever it is drawn:

- every chart SVG embeds a subset of DejaVu Sans (the font matplotlib measured the labels
  with) as ``@font-face`` rules (WOFF2): browsers and JupyterLab draw the same glyphs, at the
  widths matplotlib laid out, whatever fonts the reader has. The ``latin`` subset (~37 KB in
  base64) serves western and central European text; a chart with Greek or Cyrillic text gets
  the ``extended`` one (~92 KB). Other characters fall back to the reader's ``sans-serif``;
- the PDF export takes the embedded rules out again (:func:`without_embedded_font`) and gives
  WeasyPrint matplotlib's own full DejaVu Sans files once per document (:func:`pdf_font_css`),
  which is cheaper than a font per chart and covers everything DejaVu has.

The subsets are made at development time by ``python -m portal_reports.reports.svgfont``
(fontTools and brotli); the package ships them in ``fonts/`` with DejaVu's licence.
"""

from __future__ import annotations

import base64
import binascii
import functools
import html
import io
import re
from pathlib import Path

FAMILY = "DejaVu Sans"
FONTS_DIR = Path(__file__).resolve().parent / "fonts"
#: weight -> matplotlib's font file (what charts are measured with)
FACES = {400: "DejaVuSans.ttf", 700: "DejaVuSans-Bold.ttf"}
_PUNCTUATION = (
    (0x2009, 0x200A), (0x2010, 0x2015), (0x2018, 0x201E), (0x2020, 0x2022), (0x2026, 0x2026),
    (0x202F, 0x2030), (0x2032, 0x2033), (0x2039, 0x203A), (0x2044, 0x2044), (0x20A0, 0x20C0),
    (0x2122, 0x2122), (0x2212, 0x2212),
)  # fmt: skip
_LATIN = ((0x20, 0x7E), (0xA0, 0x17F), *_PUNCTUATION)
#: subset name -> the code point ranges it holds (smallest first; a chart gets the first
#: one that has all its characters, else the last)
SUBSETS = {
    "latin": _LATIN,
    "extended": (*_LATIN, (0x180, 0x24F), (0x370, 0x3FF), (0x400, 0x52F)),
}

_STYLE_OPEN = b'<style type="text/css">'
_STYLE_ATTR = re.compile(rb'style="[^"]*"')
_FAMILY_DECL = f"font-family: '{FAMILY}'".encode()
_TAG = re.compile(rb"<[^>]*>")
_SVG_SRC = re.compile(r'src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"')


def matplotlib_font(name: str) -> Path:
    """One of the DejaVu files that ship with matplotlib (imported here, not with the module:
    the batch runner loads the export module only to check the template)."""
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf" / name


def subset_file(subset: str, weight: int) -> Path:
    """The shipped WOFF2 file of one subset and weight."""
    return FONTS_DIR / f"{Path(FACES[weight]).stem}-{subset}.woff2"


@functools.cache
def _covered(subset: str) -> frozenset[str]:
    return frozenset(chr(cp) for low, high in SUBSETS[subset] for cp in range(low, high + 1))


@functools.cache
def font_face_css(subset: str = "latin") -> bytes:
    """The ``@font-face`` rules that embed one shipped subset (the same bytes every time)."""
    rules = []
    for weight in FACES:
        data = base64.b64encode(subset_file(subset, weight).read_bytes()).decode("ascii")
        rules.append(
            f"@font-face{{font-family:'{FAMILY}';font-weight:{weight};"
            f"src:url(data:font/woff2;base64,{data}) format('woff2')}}"
        )
    return "".join(rules).encode("ascii")


def subset_for(svg: bytes) -> str:
    """The smallest subset holding every character the SVG shows (its character data: the
    labels; the rest of matplotlib's SVG is ASCII)."""
    chars = set("".join(html.unescape(_TAG.sub(b"", svg).decode("utf-8")).split()))
    return next((name for name in SUBSETS if chars <= _covered(name)), "extended")


def _with_fallback(match: re.Match[bytes]) -> bytes:
    return match.group(0).replace(_FAMILY_DECL, _FAMILY_DECL + b", sans-serif")


def embed_font(svg: bytes) -> bytes:
    """A matplotlib SVG (text as ``<text>``) with the chart font embedded in its style sheet,
    and ``sans-serif`` as the fallback for characters the subset lacks."""
    if _STYLE_OPEN not in svg:  # not matplotlib's layout: leave it as it is
        return svg
    svg = svg.replace(_STYLE_OPEN, _STYLE_OPEN + font_face_css(subset_for(svg)), 1)
    return _STYLE_ATTR.sub(_with_fallback, svg)  # in style attributes, never in label text


def without_embedded_font(page: str) -> str:
    """``page`` (report HTML) with the embedded chart font taken out of its SVG images, for
    the PDF, where :func:`pdf_font_css` supplies the font once for the whole document."""
    rules = [font_face_css(name) for name in SUBSETS]

    def strip(match: re.Match[str]) -> str:
        try:
            svg = base64.b64decode(match.group(1), validate=True)
        except (binascii.Error, ValueError):  # not ours: leave it to WeasyPrint
            return match.group(0)
        found = next((css for css in rules if css in svg), None)
        if found is None:
            return match.group(0)
        data = base64.b64encode(svg.replace(found, b"", 1)).decode("ascii")
        return f'src="data:image/svg+xml;base64,{data}"'

    return _SVG_SRC.sub(strip, page)


@functools.cache
def pdf_font_css() -> str:
    """``@font-face`` rules naming matplotlib's own DejaVu Sans files, for WeasyPrint."""
    return "".join(
        f"@font-face{{font-family:'{FAMILY}';font-weight:{weight};"
        f"src:url({matplotlib_font(ttf).as_uri()})}}"
        for weight, ttf in FACES.items()
    )


def make_subsets(out_dir: Path = FONTS_DIR) -> list[Path]:
    """Write the WOFF2 subsets of matplotlib's DejaVu Sans into ``out_dir`` (development
    time; needs fontTools, which WeasyPrint brings, and brotli)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    written = []
    for name, ranges in SUBSETS.items():
        unicodes = [cp for low, high in ranges for cp in range(low, high + 1)]
        for weight, ttf in FACES.items():
            options = subset.Options()
            options.flavor = "woff2"
            options.hinting = False  # browsers scale outlines; hints only add bytes
            options.notdef_outline = True
            options.name_IDs = [0, 1, 2, 3, 4, 5, 6]  # copyright and names stay with the font
            options.drop_tables += ["FFTM"]
            font = TTFont(matplotlib_font(ttf))
            subsetter = subset.Subsetter(options)
            subsetter.populate(unicodes=unicodes)
            subsetter.subset(font)
            buf = io.BytesIO()
            font.flavor = "woff2"
            font.save(buf)
            path = out_dir / subset_file(name, weight).name
            path.write_bytes(buf.getvalue())
            written.append(path)
    return written


if __name__ == "__main__":  # pragma: no cover - development tool
    for written_path in make_subsets():
        print(written_path, written_path.stat().st_size, "bytes")
