"""Charts: every Axes titled and labelled, empty months drawn, no pyplot state left behind."""

from __future__ import annotations

import io
import sys

from matplotlib.figure import Figure
from PIL import Image
from test_metrics import _info, _month

from portal_reports.reports import charts


def _check_labelled(name: str, fig: Figure) -> None:
    assert isinstance(fig, Figure), name
    assert fig.axes, name
    for ax in fig.axes:
        assert ax.get_title(loc="left") or ax.get_title(), f"{name}: axes without title"
        assert ax.get_xlabel().strip(), f"{name}: no x label"
        assert ax.get_ylabel().strip(), f"{name}: no y label"
    width, height = fig.get_size_inches()
    assert 6.0 <= width <= 7.5 and 1.2 <= height <= 6.0, name


def _texts(fig: Figure) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def test_every_chart_is_titled_and_labelled(month_data):
    figures = charts.all_figures(month_data)
    assert len(figures) >= 8
    for name, fig in figures.items():
        _check_labelled(name, fig)
        assert charts.EMPTY_TEXT not in _texts(fig), name
        fig.savefig(io.BytesIO(), format="svg")  # renders without error


def test_charts_carry_the_data(month_data):
    fig = charts.sessions_leads_by_day(month_data)
    (ax,) = fig.axes
    heights = [p.get_height() for p in ax.patches]
    assert len(heights) == 30 and sum(heights) == len(month_data.sessions)
    assert ax.get_ylabel() == "Sessions per day" and ax.get_xlabel() == "Date"
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert "Sep 1" in labels and len(labels) <= 6
    asr = charts.asr_by_day(month_data).axes[0]
    assert asr.get_ylabel() == "ASR amount per day"
    revenue = charts.hours_split_chart(month_data, ("revenue",)).axes[0]
    assert revenue.get_ylabel() == "Revenue"


def test_empty_month_says_so():
    data = _month(_info({}), _info({2: (3, 1)}), [])
    for name, fig in charts.all_figures(data).items():
        _check_labelled(name, fig)
        assert any(t.startswith("No sessions") for t in _texts(fig)), name
        fig.savefig(io.BytesIO(), format="png")


def test_key_chart_png(tmp_path, month_data):
    path = charts.key_chart_png(month_data, tmp_path / "chart.png")
    assert [p.name for p in tmp_path.iterdir()] == ["chart.png"]
    with Image.open(path) as img:
        assert img.format == "PNG"
        assert img.size[0] >= 1000 and img.size[0] > img.size[1]


def test_no_pyplot_state():
    data = _month(_info({2: (3, 1)}), _info({}), [])
    charts.all_figures(data)
    if "matplotlib.pyplot" in sys.modules:
        import matplotlib.pyplot as plt

        assert plt.get_fignums() == []
    import matplotlib

    assert matplotlib.rcParams["axes.spines.top"] is True  # house style not leaked globally


def test_month_ticks_never_put_two_years_side_by_side():
    ticks = charts._month_ticks  # in the default (English) language
    assert ticks(["2025-10", "2025-11", "2025-12", "2026-01"]) == ["O\n2025", "N", "D", "J\n2026"]
    assert ticks(["2025-12", "2026-01", "2026-02"]) == ["D", "J\n2026", "F"]
    assert ticks(["2025-11", "2025-12", "2026-01"]) == ["N", "D", "J\n2026"]
    assert ticks(["2026-01", "2026-02"]) == ["J\n2026", "F"]
    assert ticks(["2025-12"]) == ["D\n2025"]
