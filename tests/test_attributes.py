"""Customer attributes: browsing, validation, safe PUT round-trips, bulk apply, CLI, notebook.

Everything talks to a real sandbox over HTTP; expected values come from its SQLite file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SECRET

from portal_reports.attributes import (
    apply_bulk,
    business_name,
    diff_text,
    get_attribute,
    list_attributes,
    plan_bulk,
    plan_update,
    read_bulk_csv,
    set_attribute,
    validate_value,
)
from portal_reports.attributes import edit as attributes_module
from portal_reports.cli import attributes as cli_module
from portal_reports.cli import cli
from portal_reports.errors import (
    AttributeValidationError,
    BadRequestError,
    ConcurrentChangeError,
    ConfigError,
    NotFoundError,
    ServerError,
)
from portal_reports.portal.client import PortalClient

PRIMARY = "acme-dental"  # attributes without the customer header are this customer's
ROOT = Path(__file__).resolve().parents[1]
ATTR_PATH = "/api/v1/customer/attributes/"


# --------------------------------------------------------------------------- helpers


def db_attributes(sb, customer: str = PRIMARY) -> list[dict]:
    """The customer's attributes straight from the sandbox DB, API-shaped."""
    with sb.connect() as conn:
        conn.row_factory = __import__("sqlite3").Row
        rows = conn.execute(
            "SELECT * FROM attributes WHERE customer_id = ? ORDER BY idn", (customer,)
        ).fetchall()
    result = []
    for r in rows:
        item = dict(r)
        item["is_hidden"] = bool(item["is_hidden"])
        item["possible_values"] = json.loads(item["possible_values"] or "[]")
        result.append(item)
    return result


def db_value(sb, attribute_id: str):
    """One attribute's stored value."""
    with sb.connect() as conn:
        return conn.execute(
            "SELECT value FROM attributes WHERE id = ?", (attribute_id,)
        ).fetchone()[0]


def pick(sb, value_type: str, hidden: bool = False, customer: str = PRIMARY) -> dict:
    """The first attribute of a type (visible unless ``hidden``)."""
    for item in db_attributes(sb, customer):
        if item["value_type"] == value_type and item["is_hidden"] == hidden:
            return item
    pytest.skip(f"sandbox has no {'hidden' if hidden else 'visible'} {value_type} attribute")


def puts(sb) -> int:
    """How many PUTs the sandbox has seen."""
    return sum(1 for method, *_ in sb.requests if method == "PUT")


def other_enum_value(attribute: dict) -> str:
    """A possible value of an enum attribute that differs from its current value."""
    return next(v for v in attribute["possible_values"] if v != attribute["value"])


def new_value_for(attribute: dict, salt: str = "1") -> str:
    """A valid value, different from the current one, for any value type."""
    kind = attribute["value_type"]
    if kind == "number":
        return str(round(float(attribute["value"] or 0) + 1.25, 2))
    if kind == "boolean":
        return "false" if attribute["value"] == "true" else "true"
    if kind == "json":
        return json.dumps({"changed": salt})
    if kind == "enum":
        return other_enum_value(attribute)
    return f"{attribute['value']} changed {salt}"


@pytest.fixture
def fresh_client(fresh_sandbox):
    """A client of the private sandbox (whole account, i.e. the primary customer's attributes)."""
    with PortalClient(base_url=fresh_sandbox.url, secret=SECRET, progress=False) as c:
        yield c


@pytest.fixture
def fresh_env(monkeypatch, fresh_sandbox):
    """Point the environment at the private sandbox (for CLI commands that write)."""
    monkeypatch.setenv("PORTAL_BASE_URL", fresh_sandbox.url)
    monkeypatch.setenv("PORTAL_SECRET", SECRET)
    monkeypatch.delenv("PORTAL_CUSTOMER_ID", raising=False)
    return fresh_sandbox


def run_cli(*args: str, input: str | None = None):
    """Invoke the CLI; the secret must never be printed."""
    result = CliRunner().invoke(cli, list(args), input=input)
    assert SECRET not in result.output  # stdout and stderr interleaved
    return result


# --------------------------------------------------------------------------- browsing


def test_list_hides_hidden_by_default_and_matches_the_db(client, sandbox):
    expected = db_attributes(sandbox)
    visible = list_attributes(client)
    everything = list_attributes(client, show_hidden=True)
    assert sorted(everything["idn"]) == sorted(a["idn"] for a in expected)
    assert sorted(visible["idn"]) == sorted(a["idn"] for a in expected if not a["is_hidden"])
    assert not visible["is_hidden"].any()
    assert everything["is_hidden"].sum() == sum(a["is_hidden"] for a in expected) > 0
    assert list(visible.columns) == [
        "id", "idn", "value", "title", "description", "group", "is_hidden", "possible_values",
        "value_type",
    ]  # fmt: skip
    assert set(everything["group"].dropna()) <= set(visible.attrs["groups"])


def test_list_group_filter_is_case_insensitive(client, sandbox):
    expected = [a for a in db_attributes(sandbox) if not a["is_hidden"]]
    group = expected[0]["group"]
    frame = list_attributes(client, group=group.upper())
    assert sorted(frame["idn"]) == sorted(a["idn"] for a in expected if a["group"] == group)
    assert set(frame["group"]) == {group}
    assert list_attributes(client, group="no such group").empty


def test_list_query_is_passed_to_the_portal(client, sandbox):
    target = next(a for a in db_attributes(sandbox) if not a["is_hidden"])
    frame = list_attributes(client, query=target["idn"])
    assert target["idn"] in set(frame["idn"])
    assert len(frame) < len(list_attributes(client))
    assert any("query=" in path for _, path, _ in sandbox.requests)


def test_list_for_another_customer(client, sandbox):
    other = "autohaus-mueller"
    frame = list_attributes(client.for_customer(other), show_hidden=True)
    assert sorted(frame["id"]) == sorted(a["id"] for a in db_attributes(sandbox, other))


def test_get_by_id_and_by_idn_give_the_same_attribute(client, sandbox):
    target = pick(sandbox, "string")
    by_id = get_attribute(client, target["id"])
    by_idn = get_attribute(client, target["idn"])
    assert by_id == by_idn
    typed = "{" + target["id"].replace("-", "").upper() + "}"  # another spelling of the UUID
    assert get_attribute(client, typed) == by_id
    assert {k: by_id[k] for k in target if k != "customer_id"} == {
        k: v for k, v in target.items() if k != "customer_id"
    }


def test_unknown_attribute_is_a_clear_not_found(client, sandbox):
    with pytest.raises(NotFoundError, match=r"no attribute with id or idn 'nope' for"):
        get_attribute(client, "nope")
    missing = "00000000-0000-4000-8000-000000000000"
    with pytest.raises(NotFoundError, match=rf"no attribute with id or idn '{missing}' for "):
        get_attribute(client.for_customer("bistro-ca-va"), missing)
    with pytest.raises(NotFoundError, match=r"for customer 'bistro-ca-va'"):
        get_attribute(client.for_customer("bistro-ca-va"), "nope")


def test_business_name_is_configurable_and_falls_back_to_none(client, sandbox, monkeypatch):
    monkeypatch.delenv("PORTAL_NAME_ATTRIBUTE", raising=False)
    stored = {a["idn"]: a["value"] for a in db_attributes(sandbox)}
    assert business_name(client) == (stored.get("business_name") or None)
    some = pick(sandbox, "string")
    monkeypatch.setenv("PORTAL_NAME_ATTRIBUTE", some["idn"])
    assert business_name(client) == (some["value"].strip() or None)
    monkeypatch.setenv("PORTAL_NAME_ATTRIBUTE", "no_such_attribute")
    assert business_name(client) is None
    assert business_name(client, idn="also_missing") is None


# --------------------------------------------------------------------------- validation


def _attr(value_type: str, possible=()):
    # a value held as text (as the sandbox holds every value): new values are sent as text
    return {"idn": "x", "value": "", "value_type": value_type, "possible_values": list(possible)}


@pytest.mark.parametrize(
    ("value_type", "given", "sent"),
    [
        ("string", "  hello  ", "  hello  "),
        ("string", "", ""),
        ("number", "3.50", "3.50"),
        ("number", " -12 ", "-12"),
        ("number", 7, "7"),
        ("boolean", "Yes", "true"),
        ("boolean", "0", "false"),
        ("boolean", False, "false"),
        ("json", '{"a": [1, 2]}', '{"a": [1, 2]}'),
        ("json", {"a": 1}, '{"a":1}'),
        ("enum", "Gold", "gold"),
        ("enum", "silver", "silver"),
        ("color", "#fff", "#fff"),
    ],
)
def test_validate_value_normalises(value_type, given, sent):
    attribute = _attr(value_type, ["gold", "silver"] if value_type == "enum" else ())
    assert validate_value(attribute, given) == sent


@pytest.mark.parametrize(
    ("value_type", "given", "accepted"),
    [
        ("number", "abc", "a number"),
        ("number", "nan", "a number"),
        ("number", True, "a number"),
        ("number", "1_000", "a number"),
        ("boolean", "maybe", "true/false"),
        ("json", "{broken", "valid JSON"),
        ("enum", "bronze", "one of 'gold', 'silver'"),
        ("string", None, "a value"),
    ],
)
def test_validate_value_refuses_with_one_line_naming_type_and_accepted(value_type, given, accepted):
    attribute = _attr(value_type, ["gold", "silver"] if value_type == "enum" else ())
    with pytest.raises(AttributeValidationError) as info:
        validate_value(attribute, given)
    message = str(info.value)
    assert "\n" not in message
    assert f"attribute 'x' ({value_type})" in message
    assert accepted in message


def test_diff_text_shows_only_changed_fields():
    before = {"id": "1", "idn": "x", "value": "a", "title": "T"}
    text = diff_text(before, {**before, "value": "b"})
    assert text.splitlines() == ["attribute 'x'", '  - value: "a"', '  + value: "b"']
    assert "(no changes)" in diff_text(before, dict(before))


# --------------------------------------------------------------------------- single updates


def test_put_round_trip_keeps_every_untouched_field(fresh_client, fresh_sandbox):
    for value_type in ("string", "number", "boolean", "json", "enum"):
        target = pick(fresh_sandbox, value_type)
        before = fresh_client.customer_attribute(target["id"])
        new = new_value_for(target)
        change = set_attribute(fresh_client, target["idn"], value=new)
        after = fresh_client.customer_attribute(target["id"])
        assert change.applied and change.changed_fields == ["value"], value_type
        assert after == {**before, "value": validate_value(before, new)}, value_type
        assert change.before == before and change.after == after, value_type
    target = pick(fresh_sandbox, "string")
    before = fresh_client.customer_attribute(target["id"])
    set_attribute(fresh_client, target["id"], title="New title", description="New text")
    after = fresh_client.customer_attribute(target["id"])
    assert after == {**before, "title": "New title", "description": "New text"}


def test_setting_the_current_value_sends_nothing(fresh_client, fresh_sandbox):
    target = pick(fresh_sandbox, "string")
    count = puts(fresh_sandbox)
    change = set_attribute(fresh_client, target["idn"], value=target["value"])
    assert not change.applied and not change.has_changes
    assert puts(fresh_sandbox) == count


@pytest.mark.parametrize(
    ("attribute", "given"),
    [
        ({"value_type": "number", "value": 15}, "15"),
        ({"value_type": "boolean", "value": True}, "yes"),
        ({"value_type": "string", "value": "x"}, "x"),
    ],
)
def test_a_value_the_portal_sends_as_json_is_equal_to_its_text(attribute, given):
    # the spec's values are strings; a Portal sending 15 or true must not get a change each run
    attribute = {"idn": "a", **attribute}
    assert attributes_module._changes(attribute, value=given) == {}
    assert attributes_module._changes(attribute, value="16" if given == "15" else "no") != {}


def test_invalid_values_are_refused_before_any_request(fresh_client, fresh_sandbox):
    count = puts(fresh_sandbox)
    for value_type, bad in (
        ("number", "twelve"),
        ("boolean", "perhaps"),
        ("json", "{"),
        ("enum", "?"),
    ):
        target = pick(fresh_sandbox, value_type)
        with pytest.raises(AttributeValidationError, match=rf"'{target['idn']}' \({value_type}\)"):
            set_attribute(fresh_client, target["idn"], value=bad)
        with pytest.raises(AttributeValidationError):
            plan_update(fresh_client, target["id"], value=bad)
        assert db_value(fresh_sandbox, target["id"]) == target["value"]
    assert puts(fresh_sandbox) == count


def test_server_validation_is_reported_with_its_reason(fresh_client, fresh_sandbox):
    target = pick(fresh_sandbox, "enum")
    with pytest.raises(BadRequestError) as info:
        fresh_client.update_customer_attribute(target["id"], value="definitely-not-allowed")
    assert info.value.status in (400, 422)
    assert info.value.reason and info.value.reason in str(info.value)
    assert db_value(fresh_sandbox, target["id"]) == target["value"]


def test_unknown_id_is_404(fresh_client):
    missing = "00000000-0000-4000-8000-000000000000"
    with pytest.raises(NotFoundError):
        fresh_client.customer_attribute(missing)
    with pytest.raises(NotFoundError, match="no attribute with id or idn"):
        set_attribute(fresh_client, missing, value="x")


def test_hidden_attributes_need_allow_hidden(fresh_client, fresh_sandbox):
    target = pick(fresh_sandbox, "string", hidden=True)
    count = puts(fresh_sandbox)
    with pytest.raises(AttributeValidationError, match="is hidden"):
        set_attribute(fresh_client, target["idn"], value="changed")
    with pytest.raises(AttributeValidationError, match="is hidden"):
        plan_update(fresh_client, target["idn"], title="changed")
    assert not set_attribute(fresh_client, target["idn"], value=target["value"]).has_changes
    assert puts(fresh_sandbox) == count
    change = set_attribute(fresh_client, target["id"], value="changed", allow_hidden=True)
    assert change.after["value"] == "changed" and change.after["is_hidden"] is True
    assert db_value(fresh_sandbox, target["id"]) == "changed"


# --------------------------------------------------------------------------- bulk


def test_plan_bulk_classifies_every_row(fresh_client, fresh_sandbox):
    string, number = pick(fresh_sandbox, "string"), pick(fresh_sandbox, "number")
    boolean, hidden = pick(fresh_sandbox, "boolean"), pick(fresh_sandbox, "string", hidden=True)
    rows = [
        {"idn": string["idn"], "value": "bulk value"},
        {"idn": number["idn"], "value": number["value"]},
        {"idn": "no_such_idn", "value": "x"},
        {"idn": boolean["idn"], "value": "perhaps"},
        {"idn": hidden["idn"], "value": "x"},
        {"idn": string["idn"], "value": "again"},
    ]
    plan = plan_bulk(fresh_client, rows)
    assert [r.status for r in plan.rows] == [
        "change", "unchanged", "invalid", "invalid", "invalid", "duplicate",
    ]  # fmt: skip
    assert [r.line for r in plan.rows] == [2, 3, 4, 5, 6, 7]
    assert "no attribute with idn 'no_such_idn'" in plan.rows[2].reason
    assert "true/false" in plan.rows[3].reason
    assert "hidden" in plan.rows[4].reason
    assert "first on line 2" in plan.rows[5].reason
    assert plan.summary() == "1 to change, 1 already equal, 4 invalid"
    count = puts(fresh_sandbox)
    with pytest.raises(AttributeValidationError, match="4 invalid row"):
        apply_bulk(fresh_client, plan)
    assert puts(fresh_sandbox) == count
    assert plan_bulk(fresh_client, rows[4:5], allow_hidden=True).rows[0].status == "change"
    same_hidden = [{"idn": hidden["idn"], "value": hidden["value"]}]
    assert plan_bulk(fresh_client, same_hidden).rows[0].status == "unchanged"


def test_bulk_apply_is_idempotent(fresh_client, fresh_sandbox, tmp_path):
    targets = [pick(fresh_sandbox, t) for t in ("string", "number", "boolean", "enum")]
    path = tmp_path / "changes.csv"
    lines = ["idn,value"] + [f"{t['idn']},{new_value_for(t)}" for t in targets]
    path.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    before = {t["id"]: fresh_client.customer_attribute(t["id"]) for t in targets}
    plan = plan_bulk(fresh_client, read_bulk_csv(path))
    assert len(plan.changes) == 4 and not plan.invalid
    seen = []
    result = apply_bulk(fresh_client, plan, on_progress=lambda row: seen.append(row.idn))
    assert result.ok and result.status == "ok"
    assert seen == [t["idn"] for t in targets] == [r.idn for r in result.applied]
    for t in targets:
        after = fresh_client.customer_attribute(t["id"])
        assert after == {**before[t["id"]], "value": validate_value(t, new_value_for(t))}
    count = puts(fresh_sandbox)
    again = plan_bulk(fresh_client, read_bulk_csv(path))
    assert len(again.changes) == 0 and len(again.unchanged) == 4
    assert apply_bulk(fresh_client, again).applied == []
    assert puts(fresh_sandbox) == count


def test_half_failed_bulk_apply_says_what_was_applied(fresh_client, fresh_sandbox):
    targets = [pick(fresh_sandbox, t) for t in ("string", "number", "boolean")]
    plan = plan_bulk(fresh_client, [{"idn": t["idn"], "value": new_value_for(t)} for t in targets])

    def fail_next(row):
        fresh_sandbox.faults.add("500", count=1, path=ATTR_PATH)

    result = apply_bulk(fresh_client, plan, on_progress=fail_next)
    assert not result.ok and result.status == "failed"
    assert [r.idn for r in result.applied] == [targets[0]["idn"]]
    assert result.failed is plan.changes[1]
    assert [r.idn for r in result.not_applied] == [t["idn"] for t in targets[1:]]
    assert isinstance(result.error, ServerError)
    assert db_value(fresh_sandbox, targets[0]["id"]) == new_value_for(targets[0])
    assert [db_value(fresh_sandbox, t["id"]) for t in targets[1:]] == [
        t["value"] for t in targets[1:]
    ]
    text = result.text()
    assert f"applied line 2: {targets[0]['idn']}" in text
    assert f"FAILED line 3: {targets[1]['idn']}" in text
    assert f"not applied line 4: {targets[2]['idn']}" in text
    # Running the same rows again finishes the job and skips what was already applied.
    again = plan_bulk(fresh_client, [{"idn": t["idn"], "value": new_value_for(t)} for t in targets])
    assert [r.status for r in again.rows] == ["unchanged", "change", "change"]
    assert apply_bulk(fresh_client, again).ok


def test_a_value_that_no_longer_fits_stops_the_bulk_before_its_put(fresh_client, fresh_sandbox):
    string, enum, number = (pick(fresh_sandbox, t) for t in ("string", "enum", "number"))
    rows = [{"idn": a["idn"], "value": new_value_for(a)} for a in (string, enum, number)]
    plan = plan_bulk(fresh_client, rows)
    assert len(plan.changes) == 3
    # Someone narrows the enum's choices after the plan was made: the read right before
    # the PUT sees it, and the value is not sent.
    with fresh_sandbox.connect() as conn:
        conn.execute(
            "UPDATE attributes SET possible_values = ? WHERE id = ?",
            (json.dumps([enum["value"]]), enum["id"]),
        )
    count = puts(fresh_sandbox)
    result = apply_bulk(fresh_client, plan)
    assert [r.idn for r in result.applied] == [string["idn"]]
    assert result.failed.idn == enum["idn"] and isinstance(result.error, ConcurrentChangeError)
    assert not result.error.applied and "no longer fits" in str(result.error)
    assert puts(fresh_sandbox) == count + 1  # the string's PUT only
    assert [r.idn for r in result.not_applied] == [enum["idn"], number["idn"]]
    assert db_value(fresh_sandbox, enum["id"]) == enum["value"]
    assert db_value(fresh_sandbox, number["id"]) == number["value"]


# --------------------------------------------------------------------------- CLI


def test_cli_list_formats(portal_env):
    expected = sorted(a["idn"] for a in db_attributes(portal_env) if not a["is_hidden"])
    table = run_cli("attributes", "list")
    assert table.exit_code == 0, table.output
    header = table.output.splitlines()[0].split()
    assert header == ["IDN", "TITLE", "GROUP", "TYPE", "VALUE"]
    assert f"{len(expected)} attribute(s)" in table.output
    as_json = run_cli("attributes", "list", "--format", "json")
    assert as_json.exit_code == 0
    records = json.loads(as_json.stdout)
    assert sorted(r["idn"] for r in records) == expected
    assert all(isinstance(r["possible_values"], list) for r in records)
    as_csv = run_cli("attributes", "list", "--format", "csv", "--show-hidden")
    assert as_csv.exit_code == 0
    lines = as_csv.stdout.splitlines()
    assert lines[0].startswith("idn,value,")
    assert len(lines) == 1 + len(db_attributes(portal_env))


def test_cli_list_group_and_customer(portal_env):
    other = db_attributes(portal_env, "autohaus-mueller")
    group = next(a["group"] for a in other if not a["is_hidden"])
    result = run_cli(
        "attributes", "list", "--customer", "autohaus-mueller", "--group", group, "--format", "json"
    )
    assert result.exit_code == 0, result.output
    expected = sorted(a["idn"] for a in other if a["group"] == group and not a["is_hidden"])
    assert sorted(r["idn"] for r in json.loads(result.stdout)) == expected


def test_cli_get(portal_env):
    target = pick(portal_env, "enum")
    text = run_cli("attributes", "get", target["idn"])
    assert text.exit_code == 0, text.output
    assert "id:" in text.output and target["id"] in text.output
    assert json.dumps(target["possible_values"], ensure_ascii=False) in text.output
    as_json = run_cli("attributes", "get", target["id"], "--format", "json")
    assert json.loads(as_json.stdout)["idn"] == target["idn"]
    missing = run_cli("attributes", "get", "no_such_idn")
    assert missing.exit_code == 4
    assert "Error: no attribute with id or idn 'no_such_idn'" in missing.stderr


def test_cli_set_with_yes_prints_the_diff(fresh_env):
    target = pick(fresh_env, "boolean")
    new = "false" if target["value"] == "true" else "true"
    result = run_cli("attributes", "set", target["idn"], "--value", new.upper(), "--yes")
    assert result.exit_code == 0, result.output
    assert f'  - value: "{target["value"]}"' in result.stdout
    assert f'  + value: "{new}"' in result.stdout
    assert db_value(fresh_env, target["id"]) == new
    same = run_cli("attributes", "set", target["idn"], "--value", new, "--yes")
    assert same.exit_code == 0 and "Nothing to change." in same.stdout


def test_cli_set_refuses_without_terminal_or_yes(fresh_env):
    target = pick(fresh_env, "string")
    count = puts(fresh_env)
    result = run_cli("attributes", "set", target["idn"], "--value", "new value")
    assert result.exit_code == 2
    assert "stdin is not a terminal" in result.stderr and "--yes" in result.stderr
    assert '+ value: "new value"' in result.stdout  # the diff is still shown
    bad = run_cli("attributes", "set", pick(fresh_env, "number")["idn"], "--value", "x", "--yes")
    assert bad.exit_code != 0 and "(number)" in bad.stderr
    hidden = run_cli(
        "attributes", "set", pick(fresh_env, "string", True)["idn"], "--value", "x", "-y"
    )
    assert hidden.exit_code != 0 and "--allow-hidden" in hidden.stderr
    assert puts(fresh_env) == count
    assert db_value(fresh_env, target["id"]) == target["value"]


def test_cli_set_asks_on_a_terminal(fresh_env, monkeypatch):
    monkeypatch.setattr(cli_module, "_attr_stdin_is_tty", lambda: True)
    target = pick(fresh_env, "string")
    declined = run_cli("attributes", "set", target["idn"], "--value", "nope", input="n\n")
    assert declined.exit_code == 1 and "Apply this change" in declined.output
    assert db_value(fresh_env, target["id"]) == target["value"]
    accepted = run_cli("attributes", "set", target["idn"], "--value", "yes please", input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert db_value(fresh_env, target["id"]) == "yes please"


def test_cli_apply(fresh_env, tmp_path):
    targets = [pick(fresh_env, t) for t in ("string", "enum")]
    path = tmp_path / "changes.csv"
    path.write_text(
        "idn,value,note\n" + "".join(f"{t['idn']},{new_value_for(t)},x\n" for t in targets),
        encoding="utf-8",
    )
    refused = run_cli("attributes", "apply", str(path))
    assert refused.exit_code == 2 and "--yes" in refused.stderr
    assert "Plan: 2 to change, 0 already equal, 0 invalid" in refused.stdout
    done = run_cli("attributes", "apply", str(path), "--yes")
    assert done.exit_code == 0, done.output
    assert "Applied 2 change(s)." in done.stdout
    assert [db_value(fresh_env, t["id"]) for t in targets] == [new_value_for(t) for t in targets]
    again = run_cli("attributes", "apply", str(path), "--yes")
    assert again.exit_code == 0
    assert "Plan: 0 to change, 2 already equal, 0 invalid" in again.stdout
    assert "Nothing to change." in again.stdout


def test_cli_list_csv_feeds_apply_unchanged(portal_env, tmp_path):
    exported = run_cli("attributes", "list", "--format", "csv", "--show-hidden")
    path = tmp_path / "all.csv"
    path.write_text(exported.stdout, encoding="utf-8")
    count = puts(portal_env)
    result = run_cli("attributes", "apply", str(path))  # no --yes: nothing to confirm
    total = len(db_attributes(portal_env))
    assert result.exit_code == 0, result.output
    assert f"Plan: 0 to change, {total} already equal, 0 invalid" in result.stdout
    assert puts(portal_env) == count


def test_cli_apply_refuses_invalid_rows(fresh_env, tmp_path):
    target = pick(fresh_env, "string")
    path = tmp_path / "changes.csv"
    path.write_text(f"idn,value\n{target['idn']},new\nno_such_idn,1\n", encoding="utf-8")
    count = puts(fresh_env)
    result = run_cli("attributes", "apply", str(path), "--yes")
    assert result.exit_code == 2
    assert "1 invalid" in result.stdout and "line 3: no_such_idn" in result.stdout
    assert "refusing to apply" in result.stderr
    assert puts(fresh_env) == count
    bad_header = tmp_path / "bad.csv"
    bad_header.write_text("name,val\na,b\n", encoding="utf-8")
    wrong = run_cli("attributes", "apply", str(bad_header), "--yes")
    assert wrong.exit_code == 2 and "missing column(s) idn, value" in wrong.stderr


def test_cli_apply_reports_a_partial_failure(fresh_env, tmp_path):
    targets = [pick(fresh_env, t) for t in ("string", "number", "boolean")]
    path = tmp_path / "changes.csv"
    path.write_text(
        "idn,value\n" + "".join(f"{t['idn']},{new_value_for(t)}\n" for t in targets),
        encoding="utf-8",
    )
    fresh_env.faults.add("500", count=1, path=ATTR_PATH + targets[1]["id"])
    result = run_cli("attributes", "apply", str(path), "--yes")
    assert result.exit_code == 5, result.output
    assert f"applied line 2: {targets[0]['idn']}" in result.stdout
    assert f"FAILED line 3: {targets[1]['idn']}" in result.stdout
    assert f"not applied line 4: {targets[2]['idn']}" in result.stdout
    assert "stopped at line 3" in result.stderr and "after 1 of 3" in result.stderr
    assert db_value(fresh_env, targets[0]["id"]) == new_value_for(targets[0])
    assert db_value(fresh_env, targets[2]["id"]) == targets[2]["value"]


def test_cli_attributes_help():
    for command in ([], ["list"], ["get"], ["set"], ["apply"]):
        result = run_cli("attributes", *command, "--help")
        assert result.exit_code == 0 and "Usage:" in result.output


def test_read_bulk_csv_errors(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        read_bulk_csv(tmp_path / "missing.csv")
    path = tmp_path / "latin1.csv"
    path.write_bytes("idn,value\nx,M\xfcller\n".encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        read_bulk_csv(path)


# --------------------------------------------------------------------------- notebook


@pytest.mark.slow
def test_notebook_runs_against_the_sandbox(portal_env, tmp_path):
    import nbformat
    import papermill

    source = ROOT / "notebooks" / "attributes.ipynb"
    stored = nbformat.read(source, as_version=4)
    code = [c for c in stored.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    assert "parameters" in code[0].metadata.get("tags", [])
    out = tmp_path / "attributes.ipynb"
    papermill.execute_notebook(
        str(source),
        str(out),
        parameters={"customer_id": "autohaus-mueller"},
        kernel_name="python3",
        progress_bar=False,
        cwd=str(tmp_path),
    )
    executed = nbformat.read(out, as_version=4)
    text = json.dumps([c.get("outputs", []) for c in executed.cells])
    outputs = [o for c in executed.cells for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    assert not [o for o in outputs if o.output_type == "stream" and o.name == "stderr"]
    hidden = next(a for a in db_attributes(portal_env, "autohaus-mueller") if a["is_hidden"])
    assert hidden["idn"] in text
    assert SECRET not in out.read_text(encoding="utf-8")
    assert os.environ["PORTAL_BASE_URL"] == portal_env.url
