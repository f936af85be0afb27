"""Attribute values in their JSON types, enum values listed as objects, and a list endpoint
that leaves fields out: against tests/stub_portal.py (a Portal written from the spec alone
that keeps values typed and refuses a PUT changing a value's type), over real HTTP."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from stub_portal import BUSINESS_NAME, StubPortal
from stub_portal import SECRET as STUB_SECRET

from portal_reports.attributes import plan_bulk, read_bulk_csv, validate_value
from portal_reports.cli import cli
from portal_reports.errors import AttributeValidationError


def _attribute(n: int, idn: str, value, value_type: str, possible=()) -> dict:
    return {
        "id": f"7d0c2b8e-0000-4000-8000-{n:012d}",
        "idn": idn,
        "value": value,
        "title": idn.replace("_", " ").title(),
        "description": f"What {idn} is for.",
        "group": "billing",
        "is_hidden": False,
        "possible_values": list(possible),
        "value_type": value_type,
    }


PLANS = [
    {"value": "basic", "title": "Basic"},
    {"value": "pro", "title": "Professional"},
    {"value": "enterprise", "title": "Enterprise plan"},
]
ATTRIBUTES = [
    BUSINESS_NAME,
    _attribute(1, "max_agents", 5, "number"),
    _attribute(2, "seats", 3, "integer"),
    _attribute(3, "is_vip", True, "boolean"),
    _attribute(4, "plan", "pro", "enum", PLANS),
    _attribute(5, "tier", "a", "enum", ["a", "b"]),
    _attribute(6, "max_minutes", "10", "number"),  # a number held as text, as the sandbox does
    _attribute(7, "budget", None, "number"),  # no value yet: value_type decides
    _attribute(8, "price_list", {"a": 1}, "json"),
]
BY_IDN = {a["idn"]: a for a in ATTRIBUTES}
BY_IDN_BY_ID = {a["id"]: a["idn"] for a in ATTRIBUTES}


@pytest.fixture(params=[(), ("description", "possible_values")], ids=["full-list", "thin-list"])
def stub(request, monkeypatch):
    """The stub Portal with typed attributes; its list endpoint has every field, or leaves
    out description and possible_values (the single-attribute GET always has them)."""
    with StubPortal({}, attributes=ATTRIBUTES, list_omits=request.param) as portal:
        monkeypatch.setenv("PORTAL_BASE_URL", portal.url)
        monkeypatch.setenv("PORTAL_SECRET", STUB_SECRET)
        monkeypatch.delenv("PORTAL_CUSTOMER_ID", raising=False)
        yield portal


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def stored(stub: StubPortal, idn: str) -> dict:
    return next(a for a in stub.attributes if a["idn"] == idn)


@pytest.mark.parametrize(
    ("idn", "given", "sent"),
    [
        ("max_agents", "9", 9),
        ("max_agents", " 2.75 ", 2.75),
        ("seats", "12", 12),
        ("is_vip", "false", False),
        ("is_vip", "No", False),
        ("plan", "enterprise", "enterprise"),
        ("plan", "enterprise PLAN", "enterprise"),  # a title picks its value
        ("tier", "B", "b"),
        ("max_minutes", "12", "12"),  # held as text: stays text
        ("budget", "100", 100),
        ("price_list", '{"b": [2]}', {"b": [2]}),
    ],
)
def test_set_sends_the_value_in_the_attributes_type(stub, idn, given, sent):
    result = run("attributes", "set", idn, "--value", given, "--yes")
    assert result.exit_code == 0, result.output
    [(attribute_id, body)] = stub.put_bodies
    assert attribute_id == BY_IDN[idn]["id"]
    assert body["value"] == sent and type(body["value"]) is type(sent)
    # every other field sent back as it is (PUT replaces the whole attribute)
    assert body == {
        **{k: v for k, v in BY_IDN[idn].items() if k not in ("id", "idn")},
        "value": sent,
    }
    assert stored(stub, idn) == {**BY_IDN[idn], "value": sent}
    # setting it again changes nothing and sends nothing
    again = run("attributes", "set", idn, "--value", given, "--yes")
    assert again.exit_code == 0 and "Nothing to change." in again.output
    assert len(stub.put_bodies) == 1


@pytest.mark.parametrize(
    ("idn", "given", "accepted"),
    [
        ("max_agents", "nine", "a number"),
        ("seats", "9.5", "a whole number"),
        ("is_vip", "perhaps", "true/false"),
        ("budget", "lots", "a number"),
        ("price_list", "{", "valid JSON"),
        ("plan", "gold", "one of 'basic', 'pro' (Professional), 'enterprise' (Enterprise plan)"),
    ],
)
def test_a_value_not_of_the_type_is_refused_before_anything_is_sent(stub, idn, given, accepted):
    result = CliRunner().invoke(cli, ["attributes", "set", idn, "--value", given, "--yes"])
    assert result.exit_code == 2, result.output
    [line] = [x for x in result.output.splitlines() if x.startswith("Error:")]
    assert f"attribute '{idn}'" in line and accepted in line
    assert "{'value'" not in result.output  # no Python reprs of the objects
    assert stub.put_bodies == []


def test_apply_from_csv_types_the_values_too(stub, tmp_path):
    path = tmp_path / "bulk.csv"
    path.write_text(
        "idn,value\nmax_agents,12\nis_vip,false\nplan,Enterprise\nmax_minutes,15\nseats,4\n"
    )
    result = run("attributes", "apply", str(path), "--yes")
    assert result.exit_code == 0, result.output
    sent = {BY_IDN_BY_ID[i]: body["value"] for i, body in stub.put_bodies}
    assert sent == {
        "max_agents": 12,
        "is_vip": False,
        "plan": "enterprise",
        "max_minutes": "15",
        "seats": 4,
    }
    assert [type(v) for v in sent.values()] == [int, bool, str, str, int]
    for attribute_id, body in stub.put_bodies:
        original = BY_IDN[BY_IDN_BY_ID[attribute_id]]
        assert body["description"] == original["description"]
        assert body["possible_values"] == original["possible_values"]
    # the file again: everything already equal, nothing sent
    again = run("attributes", "apply", str(path), "--yes")
    assert "0 to change, 5 already equal, 0 invalid" in again.output
    assert len(stub.put_bodies) == 5


def test_apply_refuses_a_value_not_of_the_type(stub, tmp_path):
    from portal_reports.portal.client import PortalClient

    path = tmp_path / "bulk.csv"
    path.write_text("idn,value\nmax_agents,many\nplan,gold\nis_vip,yes\n")
    with PortalClient(progress=False) as client:
        plan = plan_bulk(client, read_bulk_csv(path))
    assert [r.idn for r in plan.invalid] == ["max_agents", "plan"]
    assert "'pro' (Professional)" in plan.invalid[1].reason
    assert [r.new_value for r in plan.changes] == []  # is_vip is already true
    result = CliRunner().invoke(cli, ["attributes", "apply", str(path), "--yes"])
    assert result.exit_code == 2 and stub.put_bodies == []


def test_a_value_that_no_longer_fits_after_planning_is_not_sent(stub):
    """The attribute is read again right before the PUT: a value planned against possible
    values the Portal has changed since is not sent."""
    from portal_reports.attributes import apply_change, plan_update
    from portal_reports.errors import ConcurrentChangeError
    from portal_reports.portal.client import PortalClient

    with PortalClient(progress=False) as client:
        change = plan_update(client, "plan", value="basic")
        stored(stub, "plan")["possible_values"] = ["pro", "enterprise"]
        with pytest.raises(ConcurrentChangeError, match="no longer fits"):
            apply_change(client, change)
    assert stub.put_bodies == []


@pytest.mark.parametrize(
    ("attribute", "given", "sent"),
    [
        ({"value": 5, "value_type": "string"}, "7", 7),  # the JSON type of the value
        ({"value": 5.5, "value_type": "number"}, "6", 6),
        ({"value": True, "value_type": "string"}, "0", False),
        ({"value": None, "value_type": "boolean"}, "yes", True),
        ({"value": None, "value_type": "integer"}, "-3", -3),
        ({"value": "5", "value_type": "integer"}, " 7 ", "7"),
        ({"value": "x", "value_type": "enum", "possible_values": [1, 2]}, "2", 2),
        ({"value": None, "value_type": "enum", "possible_values": '[{"value": "a"}]'}, "A", "a"),
    ],
)
def test_validate_value_keeps_the_json_type(attribute, given, sent):
    value = validate_value({"idn": "x", **attribute}, given)
    assert value == sent and type(value) is type(sent)


def test_enum_objects_without_titles_and_ambiguous_titles():
    attribute = {
        "idn": "x",
        "value_type": "enum",
        "possible_values": [{"value": "a", "title": "Same"}, {"value": "b", "title": "Same"}],
    }
    assert validate_value(attribute, "b") == "b"
    with pytest.raises(AttributeValidationError, match=r"'a' \(Same\), 'b' \(Same\)"):
        validate_value(attribute, "same")
