"""customers.toml's plan keys (targets, review, send_empty, [defaults]) and target status."""

from __future__ import annotations

import pytest
from conftest import MONTH, SECRET

from portal_reports.data.month import fetch_month
from portal_reports.errors import ConfigError
from portal_reports.mail.recipients import load_recipients
from portal_reports.plan import load_plans
from portal_reports.portal.client import PortalClient
from portal_reports.reports.blocks import kpi_html
from portal_reports.reports.figures import headline
from portal_reports.reports.targets import manifest_targets, progress

GOOD = """
[defaults]
review = true
targets = { sessions = 1000 }

[customers.acme-dental]
to = ["jane@acme-dental.example"]
targets = { leads = 600, revenue = 100000.5, conversion_rate = 0.4 }
review = false

[customers.bistro-ca-va]
to = ["chloe@bistro-ca-va.example"]
send_empty = true
"""


def write(tmp_path, text: str):
    path = tmp_path / "customers.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_plans_merge_defaults_and_recipients_accept_the_keys(tmp_path):
    path = write(tmp_path, GOOD)
    plans = load_plans(path)
    acme = plans.for_customer("acme-dental")
    assert dict(acme.targets) == {
        "sessions": 1000.0,
        "leads": 600.0,
        "revenue": 100000.5,
        "conversion_rate": 0.4,
    }
    assert acme.review is False and acme.send_empty is False
    bistro = plans.for_customer("bistro-ca-va")
    assert bistro.review is True and bistro.send_empty is True
    assert dict(bistro.targets) == {"sessions": 1000.0}
    other = plans.for_customer("not-configured")
    assert other.review is True and dict(other.targets) == {"sessions": 1000.0}
    assert set(load_recipients(path)) == {"acme-dental", "bistro-ca-va"}


def test_no_customers_toml_means_no_plans(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    plan = load_plans().for_customer("acme-dental")
    assert plan.targets == {} and plan.review is False and plan.send_empty is False


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ("targets = { profit = 5 }", "unknown target 'profit' (allowed: sessions, leads,"),
        ('targets = { leads = "600" }', "target leads must be a positive number, got '600'"),
        ("targets = { leads = -3 }", "target leads must be a positive number, got -3"),
        ("targets = { leads = true }", "target leads must be a positive number, got True"),
        ("targets = { conversion_rate = 40 }", "conversion_rate is a rate between 0 and 1"),
        ("targets = 600", "targets must be a table"),
        ('review = "yes"', "review must be true or false, got 'yes'"),
        ("send_empty = 1", "send_empty must be true or false, got 1"),
        ("taregts = { leads = 1 }", "unknown key(s) taregts"),
    ],
)
def test_bad_plan_values_are_one_line_errors_naming_file_and_customer(tmp_path, table, expected):
    path = write(tmp_path, f'[customers.acme-dental]\nto = ["a@b.example"]\n{table}\n')
    with pytest.raises(ConfigError) as err:
        load_plans(path)
    message = str(err.value)
    assert expected in message and "\n" not in message
    assert str(path) in message and "acme-dental" in message


def test_unknown_key_in_defaults_is_refused(tmp_path):
    path = write(tmp_path, "[defaults]\nreveiw = true\n")
    with pytest.raises(ConfigError, match=r"\[defaults\]: unknown key\(s\) reveiw"):
        load_plans(path)


def test_target_status_met_and_behind():
    assert progress("leads", 600, 600).status == "met"
    behind = progress("leads", 540, 600)
    assert behind.status == "behind" and behind.progress == pytest.approx(0.9)
    assert behind.text == "Target 600 · 90% · behind"
    assert progress("conversion_rate", None, 0.3).status == "behind"  # no sessions: no rate


def test_targets_on_the_headline_cards_and_in_the_manifest(sandbox):
    with PortalClient(base_url=sandbox.url, secret=SECRET, progress=False) as client:
        data = fetch_month(MONTH, "acme-dental", client)
    leads = headline(data, ["leads"])[0].value
    data = data.with_context(targets={"leads": leads - 1, "revenue": 10**9})
    cards = {k.key: k for k in headline(data, ["sessions", "leads", "revenue"])}
    assert cards["sessions"].target is None
    assert cards["leads"].target.status == "met" and cards["revenue"].target.status == "behind"
    html = kpi_html(list(cards.values()))
    assert html.count('class="kpi-target met"') == 1 and html.count("kpi-target behind") == 1
    targets = manifest_targets(data)
    assert targets["leads"] == {
        "target": int(leads - 1),
        "value": int(leads),
        "progress": round(leads / (leads - 1), 4),
        "status": "met",
    }
    assert targets["revenue"]["status"] == "behind" and targets["revenue"]["progress"] < 0.01
    assert data.raw["targets"] == {"leads": leads - 1, "revenue": 10**9}  # in data.json
