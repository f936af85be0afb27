"""Each customer's own month, language, currency and brand.

The customer's month across daylight-saving changes and a half-hour zone; each locale's
formats; the catalogs; every bad customers.toml setting as a one-line error; and a German
customer end to end (real sandbox over HTTP, real kernels, real PDFs read back, the email).
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import re
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import nbformat
import pytest
from conftest import END_MONTH, SECRET
from pypdf import PdfReader

from portal_reports.customers import CustomersConfig, ReportSettings
from portal_reports.dates import format_utc
from portal_reports.errors import ConfigError
from portal_reports.i18n import (
    MINUS,
    Language,
    available_catalogs,
    markdown_messages,
    translate_markdown,
    using,
)
from portal_reports.period import ReportMonth

ROOT = Path(__file__).resolve().parent.parent
NBSP = "\u00a0"
# A 1x1 PNG: the smallest real logo
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="10"><rect width="40" height="10" fill="#123456"/></svg>'


# --------------------------------------------------------------------------- the customer's month


@pytest.mark.parametrize(
    ("month", "zone", "first", "last", "hours"),
    [
        # daylight saving starts on 8 March in New York, 29 March in Berlin: 743-hour months
        ("2026-03", "America/New_York", "2026-03-01T05:00:00Z", "2026-04-01T03:59:59Z", 743),
        ("2026-03", "Europe/Berlin", "2026-02-28T23:00:00Z", "2026-03-31T21:59:59Z", 743),
        # ... and ends on 1 November / 25 October: an hour more
        ("2026-11", "America/New_York", "2026-11-01T04:00:00Z", "2026-12-01T04:59:59Z", 721),
        ("2026-10", "Europe/Berlin", "2026-09-30T22:00:00Z", "2026-10-31T22:59:59Z", 745),
        ("2026-11", "Europe/Berlin", "2026-10-31T23:00:00Z", "2026-11-30T22:59:59Z", 720),
        # a half-hour zone, and the southern hemisphere (daylight saving starts 4 October)
        ("2026-10", "Asia/Kolkata", "2026-09-30T18:30:00Z", "2026-10-31T18:29:59Z", 744),
        ("2026-10", "Australia/Sydney", "2026-09-30T14:00:00Z", "2026-10-31T12:59:59Z", 743),
        ("2026-04", "Australia/Sydney", "2026-03-31T13:00:00Z", "2026-04-30T13:59:59Z", 721),
        ("2024-02", "UTC", "2024-02-01T00:00:00Z", "2024-02-29T23:59:59Z", 696),
    ],
)
def test_month_is_the_local_calendar_month_in_utc(month, zone, first, last, hours):
    period = ReportMonth.parse(month, zone)
    assert (format_utc(period.start_utc), format_utc(period.end_utc)) == (first, last)
    assert period.to_json() == {
        "month": month,
        "time_zone": zone,
        "from_datetime": first,
        "to_datetime": last,
    }
    assert period.hours == hours
    # months tile time: the previous month ends one second before this one starts
    previous = period.previous()
    assert (period.start_utc - previous.end_utc).total_seconds() == 1
    assert previous.tz is period.tz and previous.month < month
    assert len(period.days()) == int(round(hours / 24))
    local_first = period.start_utc.astimezone(period.tz)
    assert (local_first.day, local_first.hour, local_first.minute) == (1, 0, 0)
    assert ReportMonth.from_json(period.to_json()) == period


def test_month_json_refuses_a_range_that_is_not_the_months():
    raw = ReportMonth.parse("2026-10", "America/New_York").to_json()
    with pytest.raises(ConfigError, match="from_datetime"):
        ReportMonth.from_json({**raw, "from_datetime": "2026-10-01T00:00:00Z"})


@pytest.mark.parametrize(
    ("locale", "heading"),
    [
        ("en_US", "October 2026 · New York time"),
        ("de_DE", "Oktober 2026 · Ortszeit New York"),
        ("fr_CA", "octobre 2026 · New York time"),  # no French catalog: English words
        ("sv_SE", "oktober 2026 · New York time"),
    ],
)
def test_month_heading_in_each_locale(locale, heading):
    period = ReportMonth.parse("2026-10", "America/New_York")
    assert period.heading(locale) == heading
    assert ReportMonth.parse("2026-10").heading(locale).endswith("· UTC")


# --------------------------------------------------------------------------- formats


@pytest.mark.parametrize(
    ("locale", "currency", "money", "number", "percent", "change", "day"),
    [
        ("en_US", "USD", "$96,648.49", "1,234.5", "12.3%", f"{MINUS}3.1%", "Sep 1"),
        (
            "de_DE",
            "EUR",
            f"96.648,49{NBSP}€",
            "1.234,5",
            f"12,3{NBSP}%",
            f"{MINUS}3,1{NBSP}%",
            "1. Sept.",
        ),
        (
            "fr_CA",
            "CAD",
            f"96{NBSP}648,49{NBSP}$",
            f"1{NBSP}234,5",
            f"12,3{NBSP}%",
            f"{MINUS}3,1{NBSP}%",
            "1 sept.",
        ),
        (
            "sv_SE",
            "SEK",
            f"96{NBSP}648,49{NBSP}kr",
            f"1{NBSP}234,5",
            f"12,3{NBSP}%",
            f"{MINUS}3,1{NBSP}%",
            "1 sep.",
        ),
        ("en_IN", "INR", "₹96,648.49", "1,234.5", "12.3%", f"{MINUS}3.1%", "1 Sept"),
    ],
)
def test_formats_of_each_locale(locale, currency, money, number, percent, change, day):
    lang = Language(locale, currency)
    assert lang.money(96648.49) == money
    assert lang.decimal(1234.5, 1) == number
    assert lang.percent(0.1234) == percent
    assert lang.signed_percent(-0.031) == change
    assert lang.signed_percent(0.031).startswith("+")
    assert lang.day_label(date(2026, 9, 1)) == day
    assert lang.money(-5).startswith(MINUS) and "-" not in lang.money(-5)
    assert lang.integer(None) == "–" and lang.money(float("nan")) == "–"


def _table(lang: Language) -> str:
    """A report table as a notebook shows it: labels, months, money, counts, shares."""
    rows = [
        ("Revenue", date(2026, 9, 1), lang.money(2929.63), lang.integer(631957), 0.2),
        ("Refunds", date(2026, 10, 1), lang.money(-631957.31), lang.integer(7), None),
        (
            "Deals",
            date(2026, 11, 1),
            lang.money(1e7),
            lang.decimal(-1234.5, 1),
            -0.05,
        ),
    ]
    body = "".join(
        f"<tr><td>{label}</td><td>{lang.month_year(month)}</td><td>{money}</td>"
        f"<td>{count}</td><td>{lang.percent(share)}</td></tr>"
        for label, month, money, count, share in rows
    )
    head = "<tr><th>Figure</th><th>Month</th><th>Amount</th><th>Count</th><th>Share</th></tr>"
    return f'<table class="report"><thead>{head}</thead><tbody>{body}</tbody></table>'


def _classes(html: str) -> tuple[list[list[str]], list[str]]:
    """Each body row's cell classes, and the header's."""
    from bs4 import BeautifulSoup

    table = BeautifulSoup(html, "html.parser").find("table")
    rows = [[_kind(td) for td in tr.find_all("td")] for tr in table.tbody.find_all("tr")]
    return rows, [_kind(th) for th in table.thead.find_all("th")]


def _kind(cell) -> str:
    return " ".join(c for c in cell.get("class") or [] if c in ("num", "text"))


TEXT_NUMBERS = ["text", "text", "num", "num", "num"]


@pytest.mark.parametrize(
    ("locale", "currency"),
    [
        ("en_US", "USD"),
        ("de_DE", "EUR"),
        ("fr_CA", "CAD"),
        ("sv_SE", "SEK"),  # 2 929,63 kr (no-break spaces)
        ("en_IN", "INR"),  # ₹6,31,957.31
        ("de_CH", "CHF"),  # 1'234.5
        ("ar_EG", "EGP"),  # direction marks, ج.م.
        ("pl_PL", "PLN"),
        ("pt_BR", "BRL"),
        ("en_US", None),
    ],
)
def test_report_tables_right_align_numbers_in_every_locale(locale, currency):
    """Through the report exporter: amounts, counts and shares as the report's locale writes
    them are number cells (right-aligned, header too); labels and month names are text."""
    from nbformat.v4 import new_code_cell, new_notebook, new_output

    from portal_reports.publish.export import PortalHTMLExporter

    lang = Language(locale, currency)
    cell = new_code_cell(
        "table", outputs=[new_output("display_data", data={"text/html": _table(lang)})]
    )
    nb = new_notebook(cells=[cell], metadata={"portal_reports": {"locale": locale}})
    if currency:
        nb.metadata["portal_reports"]["currency"] = currency
    html, _ = PortalHTMLExporter().from_notebook_node(nb)
    rows, head = _classes(html)
    assert rows == [TEXT_NUMBERS] * 3, locale
    assert head == ["", "", "num", "num", "num"]


def test_number_cells_are_found_in_every_locale_babel_writes():
    """Every CLDR locale with a territory, in its currency: its amounts, counts and shares
    are numbers, its month names are not."""
    from babel import Locale
    from babel.localedata import locale_identifiers
    from babel.numbers import get_territory_currencies

    from portal_reports.publish.export import _polish_tables

    wrong = []
    for ident in locale_identifiers():
        locale = Locale.parse(ident)
        if not locale.territory:
            continue
        currencies = get_territory_currencies(locale.territory, date(2026, 1, 1))
        lang = Language(str(locale), currencies[0] if currencies else None)
        rows, _head = _classes(_polish_tables(_table(lang), lang))
        if rows != [TEXT_NUMBERS] * 3:
            wrong.append(ident)
    assert wrong == []


def test_money_without_currency_is_a_plain_amount_and_indian_grouping():
    assert Language("de_DE").money(96648.49) == "96.648,49"
    assert Language("en_IN", "INR").money(123456.5) == "₹1,23,456.50"
    assert Language("en_US").integer(1234567.4) == "1,234,567"


def test_text_is_german_or_falls_back_to_english():
    assert available_catalogs() == ["de"]
    de, fr, at = Language("de_DE"), Language("fr_CA"), Language("de_AT")
    assert de.has_catalog and at.has_catalog and not fr.has_catalog
    assert de.gettext("Leads report") == "Lead-Bericht" == at.gettext("Leads report")
    assert fr.gettext("Leads report") == "Leads report"
    assert de.signed_points(1.2) == "+1,2 Pp." and fr.signed_points(-0.4) == f"{MINUS}0,4 pts"
    assert de.percent(None) == "k. A." and fr.percent(None) == "n/a"


def test_notebook_prose_is_translated_paragraph_by_paragraph():
    source = (
        "## At a glance\n\nEvery conversation per day (bars) and the leads among them\n"
        "(line).\n\nA paragraph the catalogs do not know.\n\n```\ncode stays\n```"
    )
    assert [m for _, m in markdown_messages(source)] == [
        "At a glance",
        "Every conversation per day (bars) and the leads among them (line).",
        "A paragraph the catalogs do not know.",
    ]
    german = translate_markdown(source, Language("de_DE"))
    assert german.startswith("## Auf einen Blick\n\nAlle Gespräche pro Tag (Balken)")
    assert "A paragraph the catalogs do not know.\n\n```\ncode stays\n```" in german
    assert translate_markdown(source, Language("sv_SE")) == source


def test_catalogs_are_complete_and_compiled():
    """Every message of the sources has a German translation, and the shipped .mo is the .po
    compiled (run `make catalogs` after changing text)."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.mofile import read_mo
    from babel.messages.pofile import read_po

    method_map = [
        ("portal_reports/**.py", "python"),
        ("templates/email/**.j2", "jinja2"),
        ("templates/portfolio/**.j2", "jinja2"),
        ("notebooks/*.ipynb", "portal_reports._catalog.extract_notebook"),
    ]
    found = {
        message if isinstance(message, str) else message[0]
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT),
            method_map,
            options_map={
                f"templates/{t}/**.j2": {"encoding": "utf-8"} for t in ("email", "portfolio")
            },
        )
    }
    assert {"Leads report", "At a glance", "{city} time", "Hello,"} <= found
    folder = ROOT / "portal_reports" / "locale" / "de" / "LC_MESSAGES"
    with (folder / "portal_reports.po").open("rb") as fh:
        po = read_po(fh)
    with (folder / "portal_reports.mo").open("rb") as fh:
        mo = read_mo(fh)

    def key(value):  # a plural message is (singular, plural): keyed by its singular
        return value if isinstance(value, str) else tuple(value)

    translated = {
        key(m.id): key(m.string)
        for m in po
        if m.id and m.string and all(key(m.string)) and not m.fuzzy
    }
    missing = found - {k if isinstance(k, str) else k[0] for k in translated}
    assert not missing, "untranslated: " + ", ".join(sorted(missing))
    assert {key(m.id): key(m.string) for m in mo if m.id} == translated


def test_charts_speak_the_language_and_wear_the_brand():
    from matplotlib.colors import to_hex
    from test_metrics import _info, _month, _session

    from portal_reports.customers import Brand
    from portal_reports.reports import charts

    sessions = [{**_session(i, i % 3 == 0), "id": f"s-{i}"} for i in range(1500)]
    data = _month(_info({2: (1500, 500)}, revenue=1234.5), _info({}), sessions)
    data = dataclasses.replace(
        data,
        settings=ReportSettings("de_DE", "EUR", Brand("#9b1c31")),
        period=ReportMonth.parse("2026-09", "Europe/Berlin"),
    )
    with using(data.language):
        fig = charts.sessions_leads_by_day(data)
        fig.canvas.draw()
    (ax,) = fig.axes
    assert ax.get_title(loc="left") == "Gespräche und Leads pro Tag — September 2026"
    assert "1. Sept." in [t.get_text() for t in ax.get_xticklabels()]
    assert any(re.fullmatch(r"1\.\d00", t.get_text()) for t in ax.get_yticklabels())
    assert to_hex(ax.patches[0].get_facecolor()) == charts.palette("#9b1c31")["sessions"]
    assert charts.palette(None) == charts.PALETTE  # no brand: the house colours


def _german_month(revenue: float = 1234.5):
    """A hand-built September 2026 of 1,500 sessions for a German customer in red."""
    from test_metrics import _info, _month, _session

    from portal_reports.customers import Brand

    sessions = [{**_session(i, i % 3 == 0), "id": f"s-{i}"} for i in range(1500)]
    data = _month(_info({2: (1500, 500)}, revenue=revenue), _info({}), sessions)
    return dataclasses.replace(
        data,
        settings=ReportSettings("de_DE", "EUR", Brand("#9b1c31")),
        period=ReportMonth.parse("2026-09", "Europe/Berlin"),
    )


def test_trend_chart_speaks_german_and_wears_the_brand():
    """The 12-month chart: German titles, axes and ticks (numbers in full as on the other
    charts, CLDR's short words from a million), bars in the brand's colours."""
    from matplotlib.colors import to_hex

    from portal_reports.reports import charts

    data = _german_month(revenue=5_000_000.0)
    with using(data.language):
        fig = charts.trend_chart(data, ("sessions", "revenue_after_hours", "conversion_rate"))
        fig.canvas.draw()
    sessions, after_hours, rate = fig.axes
    assert fig.get_suptitle() == "Monat für Monat, Oktober 2025 bis September 2026"
    assert sessions.get_title(loc="left") == "Gespräche"
    assert (
        " ".join(after_hours.get_title(loc="left").split())
        == "Umsatz außerhalb der Geschäftszeiten"
    )
    assert rate.get_title(loc="left") == "Konversionsrate"
    assert (sessions.get_xlabel(), sessions.get_ylabel()) == ("Monat", "pro Monat")
    ticks = [t.get_text() for ax in fig.axes for t in ax.get_yticklabels()]
    assert "1.500" in ticks and f"15{NBSP}%" in ticks
    assert f"1{NBSP}Mio." in ticks  # 1.250.000 € after hours: short words from a million
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    assert "keine Daten" in texts and "1.500" in texts  # no history; the month's value
    brand = charts.palette("#9b1c31")
    bars = sessions.containers[0]
    assert to_hex(bars[-1].get_facecolor()) == brand["working"]  # this month
    assert to_hex(bars[0].get_facecolor()) == brand["sessions"]
    english = {"Month", "per month", "Sessions", "no data", "Conversion rate"}
    assert not english & {fig.get_suptitle(), *texts, *(ax.get_xlabel() for ax in fig.axes)}


def test_compact_numbers_and_the_trend_table_in_german():
    from portal_reports.reports.blocks import trend_table_html
    from portal_reports.reports.trend import change_only, short_month

    assert Language("de_DE").compact(1_500_000) == f"1,5{NBSP}Mio."
    assert Language("en_US").compact(2_000_000) == "2M"
    data = _german_month()
    with using(data.language):
        table = trend_table_html(data, ("sessions", "revenue"))
        assert short_month("2025-10") == "Okt. 2025"
        assert change_only(f"+38,3{NBSP}% ggü. Okt. 2025", "Okt. 2025") == f"+38,3{NBSP}%"
    for german in ("Kennzahl", "September 2026", "Veränderung", "Monatsdurchschnitt"):
        assert f">{german}</th>" in table
    assert ">Gespräche</td>" in table and ">Umsatz</td>" in table and "keine Daten" in table
    with using(Language("en_US")):
        assert change_only("−4.2% vs Oct 2025", "Oct 2025") == "−4.2%"
        assert change_only("n/a (none in Oct 2025)", "Oct 2025") == "n/a (none in Oct 2025)"


def test_target_line_in_the_cards_language():
    from portal_reports.reports.targets import progress

    with using(Language("de_DE")):
        assert progress("sessions", 1760, 1000).text == f"Ziel 1.000 · 176{NBSP}% · erreicht"
        assert progress("leads", None, 600).text == "Ziel 600 · k. A. · nicht erreicht"
    with using(Language("en_US")):
        assert progress("leads", 570, 600).text == "Target 600 · 95% · behind"


# --------------------------------------------------------------------------- customers.toml


def _write(folder: Path, text: str) -> Path:
    path = folder / "customers.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        (
            '[customers.acme]\ntime_zone = "America/NewYork"',
            "customer 'acme': unknown time zone 'America/NewYork'",
        ),
        ('[customers.acme]\nlocale = "xx_YY"', "customer 'acme': unknown locale 'xx_YY'"),
        ('[customers.acme]\ncurrency = "EURO"', "customer 'acme': unknown currency 'EURO'"),
        ('[customers.acme]\ncolour = "red"', "customer 'acme': unknown key(s) colour"),
        (
            '[customers.acme]\nbrand = { accent = "blue" }',
            "customer 'acme': accent 'blue' is not a colour",
        ),
        (
            '[customers.acme]\nbrand = { logo = "missing.svg" }',
            "customer 'acme': logo 'missing.svg': not found",
        ),
        (
            '[customers.acme]\nbrand = { logo = "logo.gif" }',
            "customer 'acme': logo 'logo.gif' is not an SVG or PNG",
        ),
        (
            '[customers.acme]\nbrand = { logo = "fake.png" }',
            "customer 'acme': logo 'fake.png' is not a PNG image",
        ),
        (
            '[customers.acme]\nbrand = { font = "Comic" }',
            "customer 'acme', brand: unknown key(s) font",
        ),
        ('[defaults]\ntime_zone = "Mars/Olympus"', "[defaults]: unknown time zone 'Mars/Olympus'"),
        ('[defaults]\nto = ["a@b.example"]', "[defaults]: unknown key(s) to"),
        ('[default]\nlocale = "de_DE"', "unknown top-level key(s) default"),
    ],
)
def test_every_bad_setting_is_a_one_line_error_naming_file_customer_and_value(
    tmp_path, toml, expected
):
    (tmp_path / "fake.png").write_text("not a png")
    path = _write(tmp_path, toml)
    with pytest.raises(ConfigError) as info:
        CustomersConfig.load(path)
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"{path}: ")
    assert expected in message


def test_settings_merge_over_defaults(tmp_path, monkeypatch):
    (tmp_path / "brand").mkdir()
    (tmp_path / "brand" / "logo.svg").write_bytes(SVG)
    path = _write(
        tmp_path,
        "[defaults]\n"
        'time_zone = "Europe/Berlin"\nlocale = "de_DE"\ncurrency = "EUR"\n'
        '[defaults.brand]\nlogo = "brand/logo.svg"\naccent = "#1D4E89"\n'
        "[customers.acme]\n"
        'time_zone = "America/New_York"\nlocale = "en-US"\ncurrency = "usd"\n'
        'brand = { accent = "#9b1c31" }\n'
        "[customers.other]\n",
    )
    monkeypatch.delenv("PORTAL_CURRENCY", raising=False)
    config = CustomersConfig.load(path)
    acme, other = config.settings_for("acme"), config.settings_for("other")
    assert (acme.locale, acme.currency) == ("en_US", "USD")
    assert acme.brand.accent == "#9b1c31" and acme.brand.logo.data == SVG  # logo from defaults
    assert (other.locale, other.currency, other.brand.accent) == ("de_DE", "EUR", "#1d4e89")
    assert acme.resolve_time_zone(None)[0].key == "America/New_York"
    assert other.resolve_time_zone(None) == (config.defaults.time_zone, "customers.toml [defaults]")
    assert config.settings_for("unlisted").locale == "de_DE"  # a customer not in the file
    assert set(config.recipients) == {"acme", "other"}


def test_time_zone_comes_from_the_file_then_the_attribute_then_defaults_then_utc(
    tmp_path, monkeypatch
):
    attributes = {"attributes": [{"idn": "time_zone", "value": "Asia/Kolkata"}]}
    other_name = {"attributes": [{"idn": "tz", "value": "Australia/Sydney"}]}
    monkeypatch.delenv("PORTAL_TIME_ZONE_ATTRIBUTE", raising=False)
    empty = CustomersConfig(None)
    assert empty.settings_for("x").resolve_time_zone(None) == (
        ReportMonth.parse("2026-01").tz,
        "default (UTC)",
    )
    zone, source = empty.settings_for("x").resolve_time_zone(attributes)
    assert (zone.key, source) == ("Asia/Kolkata", "attribute time_zone")
    monkeypatch.setenv("PORTAL_TIME_ZONE_ATTRIBUTE", "tz")
    assert empty.settings_for("x").resolve_time_zone(other_name)[0].key == "Australia/Sydney"
    assert empty.settings_for("x").resolve_time_zone(attributes)[1] == "default (UTC)"
    monkeypatch.delenv("PORTAL_TIME_ZONE_ATTRIBUTE")
    path = _write(tmp_path, '[defaults]\ntime_zone = "Europe/Berlin"\n[customers.x]\n')
    config = CustomersConfig.load(path)
    assert config.settings_for("x").resolve_time_zone(attributes)[0].key == "Asia/Kolkata"
    assert config.settings_for("x").resolve_time_zone({})[0].key == "Europe/Berlin"
    # the whole account never takes the primary customer's attribute
    assert config.settings_for(None).resolve_time_zone(attributes)[0].key == "Europe/Berlin"
    bad = {"attributes": [{"idn": "time_zone", "value": "Mars/Olympus"}]}
    with pytest.raises(ConfigError, match="customer 'x': Portal attribute time_zone: unknown"):
        config.settings_for("x").resolve_time_zone(bad)


def test_portal_currency_is_the_accounts_default(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_CURRENCY", "CHF")
    assert CustomersConfig(None).settings_for("x").currency is None  # only files read it
    assert CustomersConfig.load(tmp_path / "none.toml").settings_for("x").currency == "CHF"
    monkeypatch.setenv("PORTAL_CURRENCY", "€")
    with pytest.raises(ConfigError, match="PORTAL_CURRENCY: unknown currency '€'"):
        CustomersConfig.load(tmp_path / "none.toml")


def test_project_customers_toml_sets_each_demo_customers_language():
    config = CustomersConfig.load(ROOT / "customers.toml")
    locales = {
        cid: (s.locale, s.currency) for cid in config.customers for s in [config.settings_for(cid)]
    }
    assert locales["acme-dental"] == ("en_US", "USD")
    assert locales["autohaus-mueller"] == ("de_DE", "EUR")
    assert locales["bistro-ca-va"] == ("fr_CA", "CAD")
    assert config.settings_for("autohaus-mueller").brand.accent == "#9b1c31"
    assert config.settings_for("acme-dental").brand.logo.media_type == "image/svg+xml"


# --------------------------------------------------------------------------- sandbox customers


@pytest.mark.parametrize(
    ("customer", "zone", "hours"),
    [("asha-eye-care", "Asia/Kolkata", 744), ("harbour-physio", "Australia/Sydney", 743)],
)
def test_half_hour_and_dst_customers_days_add_up(client, sandbox, customer, zone, hours):
    from portal_reports.data.month import fetch_month
    from portal_reports.reports import figures

    data = fetch_month(
        END_MONTH, customer, client, settings=CustomersConfig(None).settings_for(customer)
    )
    assert data.period.time_zone == zone and data.period.hours == hours
    daily = figures.daily_series(data)
    start, end = (format_utc(t) for t in data.period.range_utc)
    with sandbox.connect() as db:
        total, leads = db.execute(
            "SELECT count(*), sum(is_lead) FROM sessions WHERE customer_id = ? AND created_at"
            " BETWEEN ? AND ?",
            (customer, start, end),
        ).fetchone()
        first_day = db.execute(
            "SELECT count(*) FROM sessions WHERE customer_id = ? AND created_at BETWEEN ? AND ?",
            (customer, start, format_utc(_local_day_end(data.period))),
        ).fetchone()[0]
    assert len(daily) == 31 and daily["sessions"].sum() == total > 300
    assert daily["leads"].sum() == leads
    assert daily["sessions"].iloc[0] == first_day
    assert figures.crosscheck(data).ok


def _local_day_end(period: ReportMonth) -> datetime:
    """The UTC instant of the last second of the month's first local day."""
    second = period.days()[1]
    local = datetime(second.year, second.month, second.day, tzinfo=period.tz)
    return local.astimezone(UTC) - timedelta(seconds=1)


def test_half_hour_zone_working_hours_are_exact(sandbox):
    """Every Kolkata session's working-hours flag is its local time's (sessions at :00-:29 UTC
    and :30-:59 UTC fall in different local hours)."""
    from zoneinfo import ZoneInfo

    with sandbox.connect() as db:
        rows = db.execute(
            "SELECT created_at, is_working_hours FROM sessions WHERE customer_id = 'asha-eye-care'"
        ).fetchall()
    assert len(rows) > 5000
    tz = ZoneInfo("Asia/Kolkata")
    minutes = set()
    for created, flag in rows:
        local = datetime.fromisoformat(created.replace("Z", "+00:00")).astimezone(tz)
        expected = local.weekday() in (0, 1, 2, 3, 4, 5) and 9 <= local.hour < 19
        assert bool(flag) == expected, created
        minutes.add(int(created[14:16]) // 30)
    assert minutes == {0, 1}


# --------------------------------------------------------------------------- end to end


def cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    code = "from portal_reports.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], env=env, cwd=cwd, capture_output=True, text=True
    )


@pytest.fixture(scope="module")
def env(sandbox):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "SMTP_", "MAIL_"))}
    env.update(PORTAL_BASE_URL=sandbox.url, PORTAL_SECRET=SECRET)
    return env


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A reports project whose Autohaus Müller reads German, in euros, with a brand, targets
    and an account manager's note."""
    root = tmp_path_factory.mktemp("project")
    (root / "logo.png").write_bytes(PNG)
    _write(
        root,
        '[defaults.brand]\nlogo = "logo.png"\naccent = "#1d4e89"\n\n'
        "[customers.autohaus-mueller]\n"
        'name = "Autohaus Müller & Söhne"\n'
        'to = ["Klaus Müller <klaus@autohaus-mueller.example>"]\n'
        'locale = "de_DE"\ncurrency = "EUR"\nbrand = { accent = "#9b1c31" }\n'
        "targets = { sessions = 1000, leads = 100000 }\n",
    )
    note = root / "notes" / END_MONTH / "autohaus-mueller.md"
    note.parent.mkdir(parents=True)
    note.write_text(NOTE, encoding="utf-8")
    return root


#: Autohaus Müller's note: German prose around the month's figures.
NOTE = (
    "Im {{ month }}: {{ sessions_total }} Gespräche ({{ sessions_change }}), "
    "{{ revenue_after_hours }} Umsatz außerhalb der Öffnungszeiten.\n"
)


@pytest.fixture(scope="module")
def german_run(env, project):
    proc = cli(
        "run",
        "--month",
        END_MONTH,
        "--customer",
        "autohaus-mueller",
        "--report",
        "leads,revenue",
        "--format",
        "pdf",
        "--out",
        "reports",
        env=env,
        cwd=project,
    )
    assert proc.returncode == 0, proc.stderr
    run_dir = project / "reports" / END_MONTH / "autohaus-mueller"
    return run_dir, json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))


@pytest.mark.slow
def test_german_customer_gets_a_german_report_in_euros(german_run, sandbox):
    run_dir, manifest = german_run
    # Berlin's October: from midnight on the 1st (UTC+2) to the 31st's end (UTC+1, after DST)
    assert manifest["period"] == {
        "month": END_MONTH,
        "time_zone": "Europe/Berlin",
        "from_datetime": "2026-09-30T22:00:00Z",
        "to_datetime": "2026-10-31T22:59:59Z",
        "label": "Oktober 2026 · Ortszeit Berlin",
    }
    assert (manifest["locale"], manifest["currency"], manifest["accent"]) == (
        "de_DE",
        "EUR",
        "#9b1c31",
    )
    assert [r["title"] for r in manifest["reports"]] == ["Lead-Bericht", "Umsatzbericht"]
    # the figures are still the Portal's statistics for the same UTC range
    with sandbox.connect() as db:
        sessions, revenue = db.execute(
            "SELECT count(*), round(sum(revenue), 2) FROM sessions WHERE customer_id = ?"
            " AND created_at BETWEEN ? AND ?",
            ("autohaus-mueller", "2026-09-30T22:00:00Z", "2026-10-31T22:59:59Z"),
        ).fetchone()
    figures = manifest["figures"]
    assert figures["sessions_total"] == sessions == figures["sessions_listed"]
    assert figures["revenue_total"] == pytest.approx(revenue, abs=0.01)

    leads = PdfReader(run_dir / "leads.pdf")
    text = "\n".join(p.extract_text() for p in leads.pages)
    assert "Lead-Bericht" in text and "Oktober 2026 · Ortszeit Berlin" in text
    assert "Auf einen Blick" in text and "Datenprüfung bestanden" in text
    assert f"{sessions:,}".replace(",", ".") in text  # 1.850, German grouping
    assert "die 31 Tage (Ortszeit Berlin) ergeben zusammen die Monatssummen" in text
    assert re.search(r"Seite 1 von \d", text) and "Page 1" not in text
    assert leads.metadata["/PortalTimeZone"] == "Europe/Berlin"
    assert leads.pages[1].images, "the brand's logo in the running header of page 2"
    revenue_text = "\n".join(p.extract_text() for p in PdfReader(run_dir / "revenue.pdf").pages)
    euros = f"{revenue:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    assert f"{euros}\u00a0€" in revenue_text or f"{euros} €" in revenue_text
    assert "Umsatz in und außerhalb der Geschäftszeiten" in revenue_text
    assert (run_dir / "logo.png").read_bytes() == PNG
    nb = nbformat.read(run_dir / "leads.ipynb", as_version=4)
    assert set(nb.metadata["papermill"]["parameters"]) == {"month", "customer_id", "data_path"}


@pytest.mark.slow
@pytest.mark.slow
def test_german_report_has_no_english_left(german_run):
    """The 12-month block, the cards' target lines and the account manager's note speak
    German, with the cards' numbers (the note is rendered by the runner, not a kernel)."""
    run_dir, manifest = german_run
    leads = "\n".join(p.extract_text() for p in PdfReader(run_dir / "leads.pdf").pages)
    revenue = "\n".join(p.extract_text() for p in PdfReader(run_dir / "revenue.pdf").pages)
    sessions = f"{manifest['figures']['sessions_total']:,}".replace(",", ".")
    assert "Monat für Monat, November 2025 bis Oktober 2026" in leads
    assert "Kennzahl Oktober 2026 Oktober 2025 Veränderung Monatsdurchschnitt" in leads
    assert re.search(r"\nGespräche [\d.]+ [\d.]+ [+−][\d,]+\xa0% [\d.]+\n", leads)
    assert re.search(r"Ziel 1\.000 · \d+\xa0% · erreicht", leads)
    assert re.search(r"Ziel 100\.000 · \d+\xa0% · nicht erreicht", leads)
    assert "EINE NACHRICHT IHRER KUNDENBETREUUNG" in leads.upper()
    assert f"Im Oktober 2026: {sessions} Gespräche (" in leads
    assert re.search(
        r"Gespräche \([+−][\d,]+\xa0% ggü\. September\), [\d.]+,\d\d\xa0€ Umsatz", leads
    )
    assert "pro Monat" in leads and "Umsatz außerhalb der" in revenue
    for english in (
        "Month",
        "Target",
        "per month",
        "Figure",
        "Change",
        "Sessions",
        "Conversion rate",
        "Revenue",
        "account manager",
        "vs ",
        "Okt 2025",
    ):
        assert english not in leads and english not in revenue, english


def test_german_email_from_the_run(german_run, project, env):
    _run_dir, manifest = german_run
    proc = cli(
        "email", "--month", END_MONTH, "--dry-run", "--reports-dir", "reports", env=env, cwd=project
    )
    assert proc.returncode == 0, proc.stderr
    eml = project / "reports" / END_MONTH / "outbox" / "autohaus-mueller.eml"
    msg = message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert msg["Subject"] == "Autohaus Müller & Söhne — Monatsberichte für Oktober 2026"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "Guten Tag," in text and "Kennzahlen (Oktober 2026 · Ortszeit Berlin)" in text
    assert "€" in text and "Umsatz" in text
    assert "Eine Nachricht Ihrer Kundenbetreuung:\r\n\r\nIm Oktober 2026: " in text
    assert "Eine Nachricht Ihrer Kundenbetreuung</div>" in html
    assert 'lang="de-DE"' in html and "#9b1c31" in html
    names = sorted(p.get_filename() for p in msg.iter_attachments())
    assert names == [
        "Autohaus Müller & Söhne - Lead-Bericht - Oktober 2026.pdf",
        "Autohaus Müller & Söhne - Umsatzbericht - Oktober 2026.pdf",
    ]
    images = [p for p in msg.walk() if p.get_content_maintype() == "image"]
    assert any(p.get_content() == PNG for p in images)  # the logo, inline


def test_bad_setting_stops_the_run_before_anything_is_fetched(env, sandbox, tmp_path):
    _write(tmp_path, '[customers.acme-dental]\nlocale = "klingon"\n')
    before = len(sandbox.requests)
    proc = cli("run", "--customer", "acme-dental", "--out", "reports", env=env, cwd=tmp_path)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert (
        len(lines) == 1
        and "customers.toml: customer 'acme-dental': unknown locale 'klingon'" in lines[0]
    )
    assert len(sandbox.requests) == before and not (tmp_path / "reports").exists()
