"""Settings and usage errors: every one is a single line, non-zero, and never shows a secret.

URL credentials (``https://user:pass@host``) are split off: sent as Basic auth, recorded
nowhere. SMTP numbers are checked. Usage errors from click are one line, like ours."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from click.testing import CliRunner
from hostile import INFO, HostileServer, empty_info, json_answer

from portal_reports.cli import cli
from portal_reports.errors import ConfigError, PortalConnectionError
from portal_reports.mail.settings import SmtpSettings
from portal_reports.portal.client import PortalClient
from portal_reports.settings import redact_url, resolve_settings

PASSWORD = "Url-Pa55word-77"


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "SMTP_", "MAIL_"))}
    env.update(extra)
    return env


def console(*args: str, env: dict[str, str], cwd) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "portal_reports", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


# --------------------------------------------------------------------------- URL credentials


def test_url_credentials_are_sent_but_never_shown(monkeypatch):
    with HostileServer() as srv:
        srv.route(INFO, json_answer(empty_info()))
        url = srv.url.replace("http://", f"http://user%40corp:{PASSWORD}@")
        monkeypatch.setenv("PORTAL_BASE_URL", url)
        monkeypatch.setenv("PORTAL_SECRET", "s3cret-value")
        settings = resolve_settings()
        assert settings.base_url == srv.url and settings.auth == ("user@corp", PASSWORD)
        assert PASSWORD not in repr(settings) + str(settings)
        with PortalClient(progress=False) as client:
            client.month_info("2026-09")
            assert client.base_url == srv.url
            assert PASSWORD not in repr(client) + repr(client.transport)
        authorization = srv.requests[-1][2]["Authorization"]
    assert authorization.startswith("Basic ")


@pytest.mark.parametrize(
    ("url", "secret"),
    [
        (f"user:{PASSWORD}@127.0.0.1:8811", "s3cret-value"),  # no scheme: not split off
        (f"ftp://user:{PASSWORD}@portal.example", "s3cret-value"),
        (PASSWORD, PASSWORD),  # the secret pasted into the URL variable
    ],
)
def test_a_url_without_http_is_refused_without_showing_what_it_holds(url, secret):
    with pytest.raises(ConfigError, match="must start with http") as info:
        resolve_settings(url, secret)
    assert PASSWORD not in str(info.value)


def test_url_credentials_stay_out_of_connection_errors(monkeypatch):
    url = f"http://user:{PASSWORD}@127.0.0.1:9"  # nothing listens on the discard port
    with (
        PortalClient(url, "s3cret-value", max_retries=0, progress=False) as client,
        pytest.raises(PortalConnectionError) as info,
    ):
        client.month_info("2026-09")
    assert PASSWORD not in str(info.value)
    for bad in (f"http://user:{PASSWORD}@host:99999", f"ftp://user:{PASSWORD}@host"):
        with pytest.raises(ConfigError) as refused:
            resolve_settings(bad, "s3cret-value")
        assert PASSWORD not in str(refused.value)
    assert redact_url(f"https://u:{PASSWORD}@[::1]:8443/p?q=1") == "https://[::1]:8443/p?q=1"


# --------------------------------------------------------------------------- SMTP settings


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("SMTP_TIMEOUT", "nan", "SMTP_TIMEOUT must be more than 0"),
        ("SMTP_TIMEOUT", "inf", "SMTP_TIMEOUT must be more than 0"),
        ("SMTP_TIMEOUT", "-1", "SMTP_TIMEOUT must be more than 0"),
        ("SMTP_TIMEOUT", "1e300", "at most 3600"),
        ("SMTP_TIMEOUT", "soon", "SMTP_TIMEOUT must be a number"),
        ("SMTP_PORT", "70000", "SMTP_PORT must be a port number from 1 to 65535"),
        ("SMTP_PORT", "0", "SMTP_PORT must be a port number"),
        ("SMTP_PORT", "-25", "SMTP_PORT must be a port number"),
        ("SMTP_PORT", "25.5", "SMTP_PORT must be a port number"),
    ],
)
def test_smtp_numbers_are_checked(name, value, message):
    with pytest.raises(ConfigError, match=message):
        SmtpSettings.from_env({name: value, "MAIL_FROM": "r@example.com"})


def test_a_bad_smtp_timeout_is_one_line_from_the_command_line(tmp_path):
    (tmp_path / "reports" / "2026-09").mkdir(parents=True)
    (tmp_path / "customers.toml").write_text('[customers.acme]\nto = ["a@example.com"]\n')
    env = clean_env(SMTP_TIMEOUT="nan", MAIL_FROM="r@example.com", SMTP_PORT="2525")
    proc = console("email", "--month", "2026-09", env=env, cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        "Error: SMTP_TIMEOUT must be more than 0 and at most 3600 seconds, got 'nan'"
    ]


# --------------------------------------------------------------------------- usage errors


@pytest.mark.parametrize(
    "args, expected",
    [
        (["run", "--month", ""], "Error: bad month '': expected YYYY-MM, e.g. 2024-01"),
        (["fetch", "info", "--month", ""], "Error: bad month ''"),
        (["fetch", "sessions", "--from", "", "--to", "2026-09-02"], "Error: bad date-time ''"),
        (["email", "--month", ""], "Error: bad month ''"),
        # an empty value is never a silent default (approve must not take the previous month)
        (["approve", "--month", ""], "Error: bad month ''"),
        (["portfolio", "--month", " "], "Error: bad month ' '"),
        (["sandbox", "--end-month", ""], "Error: bad month ''"),
        (["run", "--customer", ""], "Error: Invalid value for '--customer': must not be empty"),
        (["run", "--report", ""], "Error: Invalid value for '--report': must not be empty"),
        (["run", "--format", "html", "--format", ""], "Error: Invalid value for '--format'"),
        (["fetch", "info", "--customer", ""], "Error: Invalid value for '--customer'"),
        (["fetch", "info", "--time-zone", "", "--month", "2026-09"], "Error: Invalid value"),
        (["sandbox", "--secret", ""], "Error: Invalid value for '--secret': must not be empty"),
        (["email", "--to", ""], "Error: Invalid value for '--to': must not be empty"),
        (["run", "--bogus"], "Error: No such option '--bogus'"),
        (["nosuch"], "Error: No such command 'nosuch' (see 'portal-reports --help')"),
        (["--bogus"], "Error: No such option '--bogus' (see 'portal-reports --help')"),
        (["run", "--workers", "0"], "Error: Invalid value for '--workers'"),
        (["attributes", "set"], "Error: Missing argument 'ID_OR_IDN' (see 'portal-reports"),
        (["fetch", "info", "--month", "2026-09", "--from", "x"], "Error: --month and --from/"),
    ],
)
def test_usage_errors_are_one_line_with_exit_code_2(args, expected):
    result = CliRunner().invoke(cli, args, prog_name="portal-reports")
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(expected), lines
    assert result.stdout == ""


def test_usage_errors_in_a_real_process(tmp_path):
    proc = console("run", "--report", "leads", "--wat", env=clean_env(), cwd=tmp_path)
    assert proc.returncode == 2 and proc.stdout == ""
    (line,) = proc.stderr.splitlines()
    assert line.startswith("Error: No such option '--wat'.")
    assert line.endswith("(see 'portal-reports run --help')")
    proc = console("run", "--month", "", env=clean_env(), cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == ["Error: bad month '': expected YYYY-MM, e.g. 2024-01"]


def test_an_unexpected_error_is_one_line_without_the_secret(monkeypatch, tmp_path):
    from portal_reports.cli import fetch

    def broken(*args, **kwargs):
        raise RuntimeError("boom with s3cret-value-123 inside\nand a second line")

    monkeypatch.setenv("PORTAL_SECRET", "s3cret-value-123")
    monkeypatch.setenv("PORTAL_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setattr(fetch, "_fetch_range", broken)
    result = CliRunner().invoke(cli, ["fetch", "info"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "Error: unexpected RuntimeError: boom with *** inside and a second line "
        "(set PORTAL_REPORTS_DEBUG=1 to see the traceback)"
    ]
    monkeypatch.setenv("PORTAL_REPORTS_DEBUG", "1")
    result = CliRunner().invoke(cli, ["fetch", "info"])
    assert isinstance(result.exception, RuntimeError)


@pytest.mark.parametrize(
    ("setup", "args", "expected"),
    [
        (
            lambda d: (d / "customers.toml").write_bytes(b'x = "\xff"\n'),
            ["run", "--month", "2026-09", "--customer", "acme-dental", "--out", "o"],
            "customers.toml: not UTF-8 text",
        ),
        (
            lambda d: (d / ".env").write_bytes(b"PORTAL_X=\xff\n"),
            ["fetch", "info", "--month", "2026-09"],
            ".env: not UTF-8 text",
        ),
        (
            lambda d: ((d / "o").mkdir(), (d / "o" / "2026-09").write_text("a file")),
            ["run", "--month", "2026-09", "--customer", "acme-dental", "--out", "o"],
            "o/2026-09/acme-dental: Not a directory",
        ),
    ],
    ids=["customers.toml", ".env", "month-folder-is-a-file"],
)
def test_unusable_files_are_one_line_naming_the_file_with_exit_2(
    tmp_path, monkeypatch, setup, args, expected
):
    for name in [k for k in os.environ if k.startswith(("PORTAL_", "SMTP_", "MAIL_"))]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    setup(tmp_path)
    result = CliRunner().invoke(cli, args, prog_name="portal-reports")
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.splitlines()
    assert line.startswith("Error: ") and expected in line and "unexpected" not in line


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("PORTAL_REPORTS_CELL_TIMEOUT", "abc", "PORTAL_REPORTS_CELL_TIMEOUT must be whole seconds"),
        ("PORTAL_REPORTS_CELL_TIMEOUT", "-5", "got '-5'"),
        ("PORTAL_REPORTS_TEMPLATES", "/nonexistent", "'/nonexistent' is not a folder"),
    ],
)
def test_bad_run_settings_are_refused_before_anything_runs(
    tmp_path, monkeypatch, name, value, expected
):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(name, value)
    args = ["run", "--month", "2026-09", "--customer", "acme-dental", "--out", "o"]
    result = CliRunner().invoke(cli, args, prog_name="portal-reports")
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.splitlines()
    assert expected in line and not (tmp_path / "o").exists()


# --------------------------------------------------------------------------- closed stdout


def into_closed_pipe(*args: str, env: dict[str, str], cwd) -> subprocess.CompletedProcess[str]:
    """``portal-reports ARGS | head -0``, deterministically: stdout is a pipe whose reader has
    already gone, so the first write fails with EPIPE."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            [sys.executable, "-m", "portal_reports", *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            env=env,
            cwd=cwd,
            text=True,
            timeout=120,
        )
    finally:
        os.close(write_end)


@pytest.mark.parametrize(
    "args",
    [
        ["fetch", "sessions", "--month", "2026-09", "--customer", "acme-dental"],
        ["fetch", "info", "--month", "2026-09"],
        ["run", "--list-parameters"],
        ["attributes", "list", "--customer", "acme-dental"],
        ["--help"],
        ["--version"],
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_a_closed_stdout_stops_quietly_with_the_sigpipe_status(env, tmp_path, args):
    proc = into_closed_pipe(*args, env=env, cwd=tmp_path)
    assert (proc.returncode, proc.stderr) == (141, "")


def test_a_broken_pipe_that_is_not_stdout_is_still_an_error(monkeypatch):
    from portal_reports.cli import fetch

    def broken(*args, **kwargs):
        raise BrokenPipeError(32, "Broken pipe")  # e.g. a connection of ours, not stdout

    monkeypatch.setenv("PORTAL_SECRET", "s3cret-value-123")
    monkeypatch.setenv("PORTAL_BASE_URL", "http://127.0.0.1:9")
    monkeypatch.setattr(fetch, "_fetch_range", broken)
    result = CliRunner().invoke(cli, ["fetch", "info"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: unexpected BrokenPipeError: [Errno 32] Broken pipe")
