"""Attributes under stress, against a real sandbox: malformed bulk CSV files are refused whole
(nothing is sent), and concurrent changes are never lost silently (the API has no ETag)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest
from click.testing import CliRunner
from conftest import SECRET
from hostile import HostileServer, proxy_to

from portal_reports.attributes import (
    apply_bulk,
    apply_change,
    get_attribute,
    plan_bulk,
    plan_update,
    set_attribute,
)
from portal_reports.cli import cli
from portal_reports.errors import ConcurrentChangeError
from portal_reports.portal.client import PortalClient

IDN = "business_name"


def client_of(url: str) -> PortalClient:
    return PortalClient(base_url=url, secret=SECRET, progress=False)


def puts(sb) -> int:
    return sum(1 for method, *_ in sb.requests if method == "PUT")


def apply_file(sb, tmp_path, text: str | bytes):
    path = tmp_path / "changes.csv"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    env = {"PORTAL_BASE_URL": sb.url, "PORTAL_SECRET": SECRET, "PORTAL_CUSTOMER_ID": ""}
    result = CliRunner().invoke(cli, ["attributes", "apply", str(path), "--yes"], env=env)
    return result, str(path)


# --------------------------------------------------------------------------- bulk CSV files


@pytest.mark.parametrize(
    "text, message",
    [
        (  # an unterminated quote would swallow the next row into the value
            'idn,value\nbusiness_name,"Acme Dental\nworking_hours,Mon-Fri 8-17\n',
            "line 2: a quoted field is never closed (an unbalanced quote)",
        ),
        (
            'idn,value\nbusiness_name,"Acme" Dental\n',
            "line 2: text after a closing quote",
        ),
        ("idn,value\nbusiness_name,Acme, Inc\n", "line 2: 3 field(s) but the header has 2"),
        ("idn,value\nworking_hours\n", "line 2: 1 field(s) but the header has 2"),
        ("idn,value\nworking_hours,Mon\nbusiness_name,Ac\x00me\n", "line 3: contains a NUL byte"),
        ("idn,value\nbusiness_name,Ac\x1b[2Jme\n", "line 2: the value contains the control"),
        ("idn,value\nbusiness_name," + "x" * 200_000 + "\n", "line 2: a field is longer than"),
        ("idn,value,value\nbusiness_name,a,b\n", "column(s) value appear more than once"),
        ("", "empty file"),
    ],
)
def test_malformed_bulk_files_are_refused_whole(fresh_sandbox, tmp_path, text, message):
    before = puts(fresh_sandbox)
    result, path = apply_file(fresh_sandbox, tmp_path, text)
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"Error: {path}") and message in line, line
    assert puts(fresh_sandbox) == before  # nothing was applied


def test_a_row_swallowed_up_to_a_later_quote_is_not_applied(fresh_sandbox, tmp_path):
    before = puts(fresh_sandbox)
    text = 'idn,value\nbusiness_name,"Acme Dental\nworking_hours,Mon-Fri 8-17\n"\n'
    result, _ = apply_file(fresh_sandbox, tmp_path, text)
    assert result.exit_code == 2
    assert "the value spans several lines (an unbalanced quote" in result.stdout
    assert "refusing to apply" in result.stderr and puts(fresh_sandbox) == before


def test_a_malformed_file_in_a_real_process(fresh_sandbox, tmp_path):
    path = tmp_path / "changes.csv"
    path.write_text('idn,value\nbusiness_name,"Acme\nworking_hours,Mon-Fri\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "SMTP_"))}
    env.update(PORTAL_BASE_URL=fresh_sandbox.url, PORTAL_SECRET=SECRET)
    proc = subprocess.run(
        [sys.executable, "-m", "portal_reports", "attributes", "apply", str(path), "--yes"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.splitlines() == [
        f"Error: {path}, line 2: a quoted field is never closed (an unbalanced quote); "
        "nothing was applied"
    ]


# --------------------------------------------------------------------------- lost updates


def _race(sb, trial: int) -> None:
    """Two writers at once on one attribute: one sets the value, the other the title."""
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def writer(**change):
        try:
            with client_of(sb.url) as c:
                start.wait()
                set_attribute(c, IDN, **change)
        except BaseException as exc:  # reported by the test
            errors.append(exc)

    threads = [
        threading.Thread(target=writer, kwargs={"value": f"Acme {trial}"}),
        threading.Thread(target=writer, kwargs={"title": f"Name {trial}"}),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors


def test_two_writers_at_once_keep_both_changes(fresh_sandbox):
    with client_of(fresh_sandbox.url) as c:
        for trial in range(8):
            _race(fresh_sandbox, trial)
            now = get_attribute(c, IDN)
            assert (now["value"], now["title"]) == (f"Acme {trial}", f"Name {trial}"), trial


def test_two_processes_at_once_keep_both_changes(fresh_sandbox):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "SMTP_"))}
    env.update(PORTAL_BASE_URL=fresh_sandbox.url, PORTAL_SECRET=SECRET)
    command = [sys.executable, "-m", "portal_reports", "attributes", "set", IDN, "--yes"]
    for trial in range(1):  # the thread test above runs 8 trials
        # every answer takes 0.3 s, so the two read-modify-writes overlap despite start-up jitter
        fresh_sandbox.faults.clear()
        fresh_sandbox.faults.add("slow", delay=0.3, count=40, path="/api/")
        procs = [
            subprocess.Popen(
                [*command, option, f"{option} {trial}"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for option in ("--value", "--title")
        ]
        for proc in procs:
            out, err = proc.communicate(timeout=60)
            assert proc.returncode == 0 and f"Updated '{IDN}'." in out, err
        with client_of(fresh_sandbox.url) as c:
            now = get_attribute(c, IDN)
        assert (now["value"], now["title"]) == (f"--value {trial}", f"--title {trial}")


def test_the_same_field_changed_since_planning_is_refused(fresh_sandbox):
    with client_of(fresh_sandbox.url) as mine, client_of(fresh_sandbox.url) as theirs:
        change = plan_update(mine, IDN, value="Mine")
        set_attribute(theirs, IDN, value="Theirs")
        before = puts(fresh_sandbox)
        with pytest.raises(ConcurrentChangeError) as info:
            apply_change(mine, change)
        assert info.value.applied is False and puts(fresh_sandbox) == before
        assert 'value is now "Theirs"' in str(info.value) and "nothing was sent" in str(info.value)
        assert get_attribute(mine, IDN)["value"] == "Theirs"


@pytest.fixture
def meddler(fresh_sandbox):
    """A proxy to the sandbox that, right after relaying each attribute PUT, changes the
    attribute's title itself: another writer landing between our PUT and our re-read."""

    def other_writer(req, resp):
        if req.command == "PUT" and resp.ok:
            with client_of(fresh_sandbox.url) as c:
                body = {k: v for k, v in resp.json().items() if k not in ("id", "idn")}
                c.replace_customer_attribute(resp.json()["id"], {**body, "title": "Meddled"})

    with HostileServer() as srv:
        srv.fallback = proxy_to(fresh_sandbox.url, other_writer)
        yield srv


def test_a_change_right_after_our_put_is_reported(meddler):
    with client_of(meddler.url) as c, pytest.raises(ConcurrentChangeError) as info:
        set_attribute(c, IDN, value="Acme Meddled")
    assert info.value.applied is True
    assert 'title is now "Meddled"' in str(info.value)


def test_the_command_line_says_so_and_fails(meddler):
    env = {"PORTAL_BASE_URL": meddler.url, "PORTAL_SECRET": SECRET, "PORTAL_CUSTOMER_ID": ""}
    result = CliRunner().invoke(cli, ["attributes", "set", IDN, "--value", "X", "--yes"], env=env)
    assert result.exit_code == 1 and "Updated" not in result.stdout
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"Error: attribute '{IDN}' was updated, but it changed on the Portal")


def test_a_bulk_apply_stops_at_a_concurrent_change(meddler):
    with client_of(meddler.url) as c:
        plan = plan_bulk(
            c, [{"idn": IDN, "value": "Bulk 1"}, {"idn": "working_hours", "value": "9-5"}]
        )
        result = apply_bulk(c, plan)
    assert not result.ok and result.failed.idn == IDN
    assert "(sent, then changed by someone else)" in result.text()
    assert [r.idn for r in result.not_applied] == [IDN, "working_hours"]


@pytest.mark.parametrize(
    ("status", "answer"),
    [(204, b""), (200, b""), (200, b"OK"), (200, {"status": "updated"})],
    ids=["204", "empty-200", "text-200", "not-the-attribute"],
)
def test_a_put_answered_without_the_attribute_is_read_back(fresh_sandbox, status, answer):
    """The spec shows no body for "200 OK – attribute updated": a Portal answering a PUT with
    204, an empty or text 200, or an object that is not the attribute has made the change.
    It is read back, not reported as a failure after it was applied (bulk runs went on)."""
    from hostile import send

    relay = proxy_to(fresh_sandbox.url)

    def handler(req):
        if req.command != "PUT":
            return relay(req)
        headers = {
            k: v for k, v in req.headers.items() if k.lower() not in ("host", "content-length")
        }
        import requests

        done = requests.put(fresh_sandbox.url + req.path, headers=headers, data=req.body)
        assert done.ok
        send(req, status, answer)

    with HostileServer() as srv:
        srv.fallback = handler
        with client_of(srv.url) as c:
            change = set_attribute(c, IDN, value="Acme Answered Quietly")
            assert change.applied and change.after["value"] == "Acme Answered Quietly"
            plan = plan_bulk(
                c, [{"idn": IDN, "value": "Bulk A"}, {"idn": "working_hours", "value": "8-4"}]
            )
            result = apply_bulk(c, plan)
    assert result.ok, result.text()
    with client_of(fresh_sandbox.url) as c:
        assert get_attribute(c, IDN)["value"] == "Bulk A"
        assert get_attribute(c, "working_hours")["value"] == "8-4"
