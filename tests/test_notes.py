"""The account manager's note: placeholders checked before anything runs, rendered with the
month's figures, Markdown to HTML."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import MONTH, SECRET

from portal_reports.errors import ConfigError
from portal_reports.reports.format import fmt_int, fmt_money
from portal_reports.reports.notes import load_note, note_path, placeholders

NOTE = """Dear {{ customer_name }}, in {{ month }} your agent handled **{{ sessions_total }}**
conversations and found {{ leads_total }} leads ({{ leads_change }}).

- Revenue: {{ revenue }}, {{ revenue_after_hours }} of it after hours
- Leads target {{ leads_target }}: {{ leads_target_status }} ({{ leads_target_progress }})

<script>alert(1)</script>
"""


def write_note(root, text: str, customer: str = "acme-dental"):
    path = note_path(MONTH, customer, root)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_no_note_file_means_no_note(tmp_path):
    assert load_note(MONTH, "acme-dental", root=tmp_path) is None
    assert note_path(MONTH, None, tmp_path).name == "all.md"  # the whole account


def test_note_is_rendered_with_the_months_figures(tmp_path, month_data):
    write_note(tmp_path, NOTE)
    note = load_note(MONTH, "acme-dental", targets=["leads"], root=tmp_path)
    data = month_data.with_context(targets={"leads": 100})
    rendered = note.render(data)
    info = data.info.summary
    sessions = fmt_int(info.loc["sessions", "total"])
    assert f"**{sessions}**" in rendered["markdown"]
    assert f"<strong>{sessions}</strong>" in rendered["html"]
    assert "in September 2026" in rendered["markdown"] and "Acme Dental Care" in rendered["html"]
    assert fmt_money(info.loc["revenue", "non_working_hours"]) in rendered["html"]
    assert "Leads target 100: met" in rendered["markdown"]
    assert "vs August" in rendered["markdown"]  # leads_change
    assert "<li>" in rendered["html"] and "<script>" not in rendered["html"]  # raw HTML escaped
    assert "{{" not in rendered["markdown"]


@pytest.mark.parametrize(
    ("text", "targets", "expected"),
    [
        ("Leads: {{ leeds_total }}", [], "unknown placeholder(s) {{ leeds_total }}"),
        ("Target {{ leads_target }}", [], "unknown placeholder(s) {{ leads_target }}"),
        ("Broken {{ leads_total ", [], "line 1: unexpected end of template"),
        ("{% if %}x{% endif %}", [], "line 1:"),
    ],
)
def test_bad_notes_are_one_line_errors_naming_the_file(tmp_path, text, targets, expected):
    path = write_note(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_note(MONTH, "acme-dental", targets=targets, root=tmp_path)
    message = str(err.value)
    assert expected in message and str(path) in message and "\n" not in message


def test_every_placeholder_renders(tmp_path, month_data):
    names = placeholders(["leads", "conversion_rate"])
    assert {"leads_total", "revenue", "conversion_rate_change", "leads_target_status"} <= set(names)
    write_note(tmp_path, " ".join("{{ " + n + " }}" for n in names))
    note = load_note(MONTH, "acme-dental", targets=["leads", "conversion_rate"], root=tmp_path)
    data = month_data.with_context(targets={"leads": 1, "conversion_rate": 0.99})
    text = note.render(data)["markdown"]
    assert "met" in text and "behind" in text and "{{" not in text


def test_run_refuses_an_unknown_placeholder_before_any_kernel(sandbox, tmp_path):
    project = tmp_path / "project"
    (project / "notes" / MONTH).mkdir(parents=True)
    (project / "customers.toml").write_text(
        '[customers.acme-dental]\nto = ["jane@acme-dental.example"]\n', encoding="utf-8"
    )
    (project / "notes" / MONTH / "acme-dental.md").write_text("Hi {{ leeds }}", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "SMTP_"))}
    env.update(PORTAL_BASE_URL=sandbox.url, PORTAL_SECRET=SECRET)
    before = len(sandbox.requests)
    proc = subprocess.run(
        [sys.executable, "-c", "from portal_reports.cli import main; main()", "run",
         "--month", MONTH, "--customer", "acme-dental"],
        env=env, cwd=project, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "{{ leeds }}" in lines[0] and "acme-dental.md" in lines[0]
    assert len(sandbox.requests) == before  # nothing fetched
    assert not (project / "reports" / MONTH).exists()  # no folder locked, no kernel started


def test_a_changed_note_or_target_makes_the_run_redo_the_month(month_data):
    from pathlib import Path

    from portal_reports.publish.inputs import inputs_sha256
    from portal_reports.reports.registry import registry

    chosen = list(registry(Path(__file__).parent.parent / "notebooks").values())

    def inputs(**context):
        return inputs_sha256(month_data.with_context(**context), chosen, ["html"])

    note = {"path": "n.md", "markdown": "Hi", "html": "<p>Hi</p>"}
    plain = inputs(targets={})
    assert plain == inputs(targets={})  # stable: an unchanged month stays up to date
    assert len({plain, inputs(targets={"leads": 5}), inputs(targets={}, note=note)}) == 3
    assert inputs(note=note) != inputs(note={**note, "markdown": "Hello"})


def test_a_notebook_run_live_in_the_project_shows_the_note_and_targets(
    portal_env, tmp_path, monkeypatch
):
    """JupyterLab: kit.setup without data.json reads the project's note and targets."""
    from portal_reports.reports import kit

    (tmp_path / "customers.toml").write_text(
        '[customers.acme-dental]\nto = ["jane@acme-dental.example"]\ntargets = { leads = 10 }\n',
        encoding="utf-8",
    )
    write_note(tmp_path, "Leads: {{ leads_total }}, target {{ leads_target }}.")
    (tmp_path / "notebooks").mkdir()
    monkeypatch.chdir(tmp_path / "notebooks")
    report = kit.setup(MONTH, "acme-dental")
    assert report.data.targets == {"leads": 10.0}
    assert (
        report.data.note["markdown"].startswith("Leads: ")
        and "target 10." in report.data.note["markdown"]
    )
    header = kit._lab_header(report.data)
    assert 'class="account-note"' in header and "target 10." in header


@pytest.mark.parametrize(
    ("locale", "currency", "currency_sign", "versus"),
    [("de_DE", "EUR", "\u00a0€", " ggü. August"), ("en_US", "USD", "$", " vs August")],
)
def test_placeholders_read_as_the_customers_cards(
    tmp_path, month_data, locale, currency, currency_sign, versus
):
    """The runner renders notes outside any report kernel: placeholders still take the
    customer's locale, currency and month names, exactly as its headline cards show them."""
    import dataclasses

    from portal_reports.customers import ReportSettings
    from portal_reports.i18n import using
    from portal_reports.reports.figures import headline

    write_note(tmp_path, NOTE)
    note = load_note(MONTH, "acme-dental", targets=["leads"], root=tmp_path)
    data = dataclasses.replace(month_data, settings=ReportSettings(locale, currency))
    data = data.with_context(targets={"leads": 100})
    text = note.render(data)["markdown"]
    with using(data.language):
        cards = {k.key: k for k in headline(data, ["sessions", "leads", "revenue_after_hours"])}
        month = data.period.label()
    assert f"in {month} your agent handled **{cards['sessions'].formatted}**" in text
    assert f"found {cards['leads'].formatted} leads ({cards['leads'].delta_text})" in text
    assert f"{cards['revenue_after_hours'].formatted} of it after hours" in text
    assert currency_sign in cards["revenue_after_hours"].formatted
    assert versus in cards["leads"].delta_text
