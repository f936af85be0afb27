"""Command line interface: a thin layer over the library; errors become one-line messages.

Exit codes: 0 ok, 1 a report/mail/other failure, 2 bad usage or input, 3 authentication,
4 not found, 5 the Portal failed (5XX, connection, invalid response).
"""

from __future__ import annotations

import sys

import click

from . import __version__
from .errors import (
    AttributeValidationError,
    AuthError,
    BadRequestError,
    ConfigError,
    InvalidResponseError,
    NotFoundError,
    PortalConnectionError,
    PortalError,
    RateLimitError,
    ServerError,
)

EXIT_CODES: list[tuple[type[BaseException], int]] = [
    (ConfigError, 2),
    (AttributeValidationError, 2),
    (BadRequestError, 2),
    (AuthError, 3),
    (NotFoundError, 4),
    (ServerError, 5),
    (RateLimitError, 5),
    (PortalConnectionError, 5),
    (InvalidResponseError, 5),
]


def exit_code_for(exc: BaseException) -> int:
    """The process exit code for a library exception."""
    for kind, code in EXIT_CODES:
        if isinstance(exc, kind):
            return code
    return 1


def _configure_logging() -> None:
    """Library warnings (e.g. retries) as short lines on stderr; never headers or secrets."""
    import logging

    logger = logging.getLogger("portal_reports")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("warning: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.WARNING)


class PortalGroup(click.Group):
    """A click group that turns any :class:`PortalError` into ``Error: <one line>``."""

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except PortalError as exc:
            message = " ".join(str(exc).split())
            click.echo(f"Error: {message}", err=True)
            sys.exit(exit_code_for(exc))


@click.group(cls=PortalGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="portal-reports")
def cli() -> None:
    """Monthly Portal reports: fetch data, run notebooks, export HTML/PDF, email them.

    Connection settings come from PORTAL_BASE_URL, PORTAL_SECRET and PORTAL_CUSTOMER_ID (or a
    .env file). With none set, the embedded sandbox Portal is used.
    """
    _configure_logging()


# Commands are added below, one block per area. Subgroups must use cls=PortalGroup too
# (click.group(cls=PortalGroup)) so their errors are reported the same way.

# --- sandbox command ---


@cli.command("sandbox")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--port",
    default=8765,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port (0 = any free port).",
)
@click.option(
    "--seed",
    type=int,
    envvar="PORTAL_SANDBOX_SEED",
    show_envvar=True,
    help="Dataset seed (default 7).",
)
@click.option(
    "--db",
    type=click.Path(dir_okay=False),
    default=None,
    help="SQLite file for the data: reused if it holds the same dataset, else regenerated "
    "(default: a temporary file).",
)
@click.option(
    "--end-month",
    envvar="PORTAL_SANDBOX_END_MONTH",
    show_envvar=True,
    help="Last month of history, YYYY-MM (default: the current UTC month).",
)
@click.option(
    "--months",
    default=14,
    show_default=True,
    type=click.IntRange(1, 240),
    help="Months of history.",
)
@click.option(
    "--scale",
    default=1.0,
    show_default=True,
    type=click.FloatRange(0, 1000, min_open=True),
    help="Session volume multiplier.",
)
@click.option(
    "--secret", default=None, help="Secret clients must send (default: the sandbox's demo secret)."
)
@click.option(
    "--page-cap",
    default=None,
    type=click.IntRange(1),
    help="Most items per page, whatever 'per' asks (default 100; 60 with --strict).",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Read the API spec the least forgiving way: only ...Z date-times, plain connector "
    "ids, unknown parameters refused, pages silently smaller than 'per'.",
)
@click.option("--log", "log_requests", is_flag=True, help="Log each request to stderr.")
def sandbox_command(
    host: str,
    port: int,
    seed: int | None,
    db: str | None,
    end_month: str | None,
    months: int,
    scale: float,
    secret: str | None,
    page_cap: int | None,
    strict: bool,
    log_requests: bool,
) -> None:
    """Serve the sandbox Portal (synthetic, deterministic data) until Ctrl-C."""
    import signal
    import threading

    from .sandbox import DEFAULT_SECRET, Sandbox

    sb = Sandbox(
        seed=seed,
        end_month=end_month,
        months=months,
        scale=scale,
        secret=secret or DEFAULT_SECRET,
        db=db,
        host=host,
        port=port,
        page_cap=page_cap,
        log=log_requests,
        strict=strict,
    ).start()
    # The demo secret is not a real one and is shown; a secret given with --secret is not.
    shown = sb.secret if sb.secret == DEFAULT_SECRET else "<the value given with --secret>"
    where = sb.db_path if db else "a temporary database"
    click.echo(f"Portal sandbox serving {sb.url}" + (" (strict)" if strict else ""))
    click.echo(
        f"  {sb.stats.get('sessions', 0):,} sessions, seed {sb.seed}, {months} months to "
        f"{sb.end_month}, in {where}"
    )
    click.echo(f"  PORTAL_BASE_URL={sb.url}")
    click.echo(f"  PORTAL_SECRET={shown}")
    click.echo("Press Ctrl-C to stop.")

    def _terminate(signum, frame):
        raise KeyboardInterrupt  # SIGTERM stops as cleanly as Ctrl-C

    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if in_main else None
    try:
        sb.serve_until_interrupted()
    except KeyboardInterrupt:
        pass
    finally:
        sb.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    click.echo("Sandbox stopped.")


# --- fetch commands ---

_FETCH_FORMATS = (".csv", ".parquet", ".json")


def _fetch_range(month: str | None, start: str | None, end: str | None):
    """(start, end, label) from --month or --from/--to; the previous month by default."""
    from .dates import format_utc, month_range, parse_month, previous_month, to_utc

    if month and (start or end):
        raise click.UsageError("--month and --from/--to exclude each other")
    if start or end:
        if not (start and end):
            raise click.UsageError("--from and --to go together")
        first, last = to_utc(start), to_utc(end)
        if _is_bare_date(end):  # --to 2024-01-31 means the whole of that day
            last = last.replace(hour=23, minute=59, second=59)
        return first, last, f"{format_utc(first)}..{format_utc(last)}"
    month = parse_month(month) if month else previous_month()
    first, last = month_range(month)
    return first, last, f"{month} ({format_utc(first)}..{format_utc(last)})"


def _is_bare_date(text: str) -> bool:
    """True for a date without a time (``2024-01-31``, ``20240131``)."""
    import re

    return bool(re.fullmatch(r"\d{4}-?\d{2}-?\d{2}", text.strip()))


def _fetch_who(client) -> str:
    return f"customer {client.customer_id}" if client.customer_id else "whole account"


def _fetch_out_format(out: str | None) -> str | None:
    """The output format from --out's extension, checked before anything is fetched."""
    if out is None:
        return None
    import os
    from pathlib import Path

    from .errors import ConfigError

    suffix = Path(out).suffix.lower()
    if suffix not in _FETCH_FORMATS:
        raise ConfigError(
            f"cannot write {out!r}: unknown extension {suffix or '(none)'!r};"
            f" use {', '.join(_FETCH_FORMATS)}"
        )
    # The nearest existing folder must be a writable folder (missing ones are created).
    parent = Path(out).absolute().parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise ConfigError(f"cannot write {out!r}: {str(parent)!r} is not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ConfigError(f"cannot write {out!r}: no permission to write in {str(parent)!r}")
    return suffix


def _fetch_write(path: str, kind: str, items: list, frame) -> None:
    """Write the sessions atomically: the frame (.csv/.parquet) or the raw items (.json)."""
    import json

    from ._io import atomic_path
    from .errors import ConfigError

    try:
        with atomic_path(path) as tmp:
            if kind == ".csv":
                frame.to_csv(tmp, index=False)
            elif kind == ".parquet":
                try:
                    frame.to_parquet(tmp, index=False, engine="pyarrow")
                except ImportError:
                    raise ConfigError(
                        "writing .parquet needs pyarrow: pip install 'portal-reports[parquet]'"
                    ) from None
            else:
                tmp.write_text(json.dumps(items, ensure_ascii=False, indent=1), encoding="utf-8")
    except OSError as exc:  # disk full, permissions, a file where a folder should be
        raise ConfigError(f"cannot write {path!r}: {exc.strerror or exc}") from None


@cli.group("fetch", cls=PortalGroup)
def fetch_group() -> None:
    """Fetch sessions or session statistics from the Portal and print a summary."""


_fetch_range_options = [
    click.option("--month", help="Month, YYYY-MM (UTC). Default: the previous calendar month."),
    click.option("--from", "start", metavar="DT", help="Range start (ISO date-time, UTC)."),
    click.option(
        "--to",
        "end",
        metavar="DT",
        help="Range end, inclusive (with --from); a date alone means its whole day.",
    ),
    click.option("--customer", help="External customer id. Default: the whole account."),
]


def _fetch_with_range(command):
    for option in reversed(_fetch_range_options):
        command = option(command)
    return command


@fetch_group.command("sessions")
@_fetch_with_range
@click.option(
    "--connector",
    "connectors",
    multiple=True,
    metavar="INTEGRATION/CONNECTOR",
    help="Only these connectors (repeatable; `*` wildcard, e.g. newo_voice/*).",
)
@click.option("--active/--inactive", "is_active", default=None, help="Only active/ended sessions.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    help="Write the sessions: .csv/.parquet (the typed frame) or .json (raw items).",
)
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a TTY).")
def fetch_sessions(month, start, end, customer, connectors, is_active, out, progress):
    """Fetch every session of a month (or range), print counts per connector, optionally save."""
    from .client import PortalClient
    from .frames import sessions_frame

    first, last, label = _fetch_range(month, start, end)
    kind = _fetch_out_format(out)
    with PortalClient(customer_id=customer, progress=progress) as client:
        items = client.sessions(first, last, connectors=connectors or None, is_active=is_active)
        who = _fetch_who(client)
    frame = sessions_frame(items)
    filters = [f"connectors {', '.join(connectors)}"] if connectors else []
    if is_active is not None:
        filters.append("active only" if is_active else "ended only")
    suffix = f" [{'; '.join(filters)}]" if filters else ""
    click.echo(f"{len(frame)} sessions {label} {who}{suffix}")
    if len(frame):
        counts = frame["connector"].value_counts(dropna=False)
        width = max(len(str(name)) for name in counts.index)
        for name, count in counts.items():
            click.echo(f"  {str(name):<{width}}  {count:>7,}  {count / len(frame):6.1%}")
        active = int(frame["is_active"].sum())
        if active:
            click.echo(f"  ({active:,} still active)")
    if out:
        _fetch_write(out, kind, items, frame)
        click.echo(f"Wrote {out}")


@fetch_group.command("info")
@_fetch_with_range
def fetch_info(month, start, end, customer):
    """Print a month's (or range's) statistics: totals, leads, hours, channels, revenue, ASR."""
    from .client import PortalClient
    from .frames import info_frames

    first, last, label = _fetch_range(month, start, end)
    with PortalClient(customer_id=customer, progress=False) as client:
        info = info_frames(client.sessions_info(first, last))
        who = _fetch_who(client)
    click.echo(f"Sessions info {label} {who}")
    click.echo(info.summary_table())


# --- run command ---


def _echo_parameters(nb_dir: str | None) -> None:
    from pathlib import Path

    from .runner import REPORTS, notebook_parameters

    for report in REPORTS:
        click.echo(f"{report}.ipynb")
        for name, info in notebook_parameters(report, Path(nb_dir) if nb_dir else None).items():
            kind = info.get("inferred_type_name")
            kind = f": {kind}" if kind and kind != "None" else ""  # "None": inferred from None
            help_text = info.get("help") or ""
            line = f"  {name}{kind} (default {info.get('default')})"
            click.echo(f"{line}  {help_text}".rstrip())


@cli.command("run")
@click.option("--month", help="Month to report, YYYY-MM. Default: the previous calendar month.")
@click.option(
    "--customer",
    "customers",
    multiple=True,
    help="External customer id (repeatable, or comma-separated). Default: the whole account.",
)
@click.option(
    "--all-customers",
    is_flag=True,
    help="Every customer: the sandbox's demo customers, or those in customers.toml.",
)
@click.option(
    "--report",
    "reports",
    default="leads,revenue,asr",
    show_default=True,
    help="Reports to produce, comma-separated.",
)
@click.option(
    "--format",
    "formats",
    default="html,pdf",
    show_default=True,
    help="Export formats, comma-separated.",
)
@click.option(
    "--out",
    "out_dir",
    default="reports",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Output directory.",
)
@click.option(
    "--workers", type=click.IntRange(min=1), help="Notebooks run in parallel. Default: CPU count."
)
@click.option(
    "--notebooks",
    "nb_dir",
    type=click.Path(file_okay=False, exists=True),
    help="Directory holding the report notebooks (default: the project's notebooks/).",
)
@click.option("--list-parameters", is_flag=True, help="Show each notebook's parameters and exit.")
def run_command(
    month, customers, all_customers, reports, formats, out_dir, workers, nb_dir, list_parameters
):
    """Execute the report notebooks with papermill and export them to HTML/PDF.

    Writes <out>/<month>/<customer>/<report>.{ipynb,html,pdf} and a manifest.json per
    customer ("all" when no customer is given). Exits non-zero if any report failed.
    """
    from .runner import ALL_CUSTOMERS_DIR, FORMATS, REPORTS, run_reports, validate_choices

    if list_parameters:
        _echo_parameters(nb_dir)
        return
    from .dates import parse_month, previous_month

    month = parse_month(month) if month else previous_month()
    validate_choices("report", reports, REPORTS)
    validate_choices("format", formats, FORMATS)
    chosen = [c.strip() for item in customers for c in item.split(",") if c.strip()]
    if all_customers:
        if chosen:
            raise click.UsageError("--all-customers and --customer exclude each other")
        from .customers import all_customer_ids

        chosen = all_customer_ids()
    # "all" names the whole account (no customer header), as in the output layout
    targets = [None if c == ALL_CUSTOMERS_DIR else c for c in chosen]
    runs = run_reports(
        month,
        targets or None,
        reports,
        formats,
        out_dir,
        workers=workers,
        nb_dir=nb_dir,
        progress=lambda msg: click.echo(msg, err=True),
    )
    failed = [o for r in runs for o in r.outcomes if not o.ok]
    for run in runs:
        state = "ok" if run.ok else "FAILED"
        click.echo(f"{run.directory}: {state} (manifest {run.manifest_path})")
    if failed:
        for outcome in failed:
            click.echo(f"Error: {outcome.message}", err=True)
        sys.exit(1)


# --- email command ---


@cli.command("email")
@click.option("--month", help="Month to send, YYYY-MM. Default: the previous calendar month.")
@click.option(
    "--customer",
    "customers",
    multiple=True,
    help="External customer id (repeatable, or comma-separated). "
    "Default: every customer with reports that month.",
)
@click.option(
    "--reports-dir",
    default="reports",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Where the runner wrote <month>/<customer>/.",
)
@click.option(
    "--config",
    default="customers.toml",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="Recipients per customer.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Write each message to <reports-dir>/<month>/outbox/<customer>.eml; contact no server.",
)
@click.option("--resend", is_flag=True, help="Send even what the send log says was sent.")
@click.option(
    "--to",
    "to",
    metavar="ADDRESS",
    help="Send every message to this address only, as a [PREVIEW] (not recorded as sent).",
)
def email_command(month, customers, reports_dir, config, dry_run, resend, to):
    """Email each customer its month's PDF reports (SMTP settings from SMTP_* and MAIL_FROM).

    One message per customer: headline figures, the key chart inline, the PDFs attached.
    Sent messages are recorded in <reports-dir>/<month>/sent.jsonl, so a re-run sends only
    what is missing, or what changed. Exits non-zero if anything was not delivered.
    """
    from .errors import MailError
    from .mail import send_reports

    chosen = [c.strip() for item in customers for c in item.split(",") if c.strip()]
    report = send_reports(
        month,
        chosen or None,
        reports_dir=reports_dir,
        config=config,
        dry_run=dry_run,
        resend=resend,
        to=to,
        on_delivery=lambda delivery: click.echo(delivery.line()),
    )
    click.echo(report.summary())
    if not report.ok:
        raise MailError(f"{len(report.failed)} customer(s) not delivered for {report.month}")


# --- attributes commands ---


def _attr_client(customer: str | None):
    """A PortalClient for the attributes commands (settings from env/.env, else the sandbox)."""
    from .client import PortalClient

    return PortalClient(customer_id=customer, progress=False)


def _attr_stdin_is_tty() -> bool:
    """True when a person can answer a confirmation prompt."""
    return sys.stdin.isatty()


def _attr_confirm(question: str, yes: bool) -> None:
    """Go on with --yes or after an interactive yes; refuse without a terminal."""
    if yes:
        return
    if not _attr_stdin_is_tty():
        raise ConfigError(
            "refusing to change attributes without confirmation: stdin is not a terminal "
            "(pass --yes to apply non-interactively); nothing was changed"
        )
    click.confirm(question, abort=True)


def _attr_cut(text: object, width: int) -> str:
    """One-line text cut to ``width`` characters with an ellipsis."""
    line = " ".join(str("" if text is None else text).split())
    return line if len(line) <= width else line[: width - 1] + "…"


def _attr_table(records: list[dict], show_hidden: bool) -> str:
    """Aligned columns idn/title/group/type/value (and hidden) for people."""
    header = ["IDN", "TITLE", "GROUP", "TYPE", "VALUE"] + (["HIDDEN"] if show_hidden else [])
    rows = [
        [
            _attr_cut(r["idn"], 32),
            _attr_cut(r["title"], 30),
            _attr_cut(r["group"], 16),
            _attr_cut(r["value_type"], 8),
            _attr_cut(r["value"], 40),
        ]
        + (["yes" if r["is_hidden"] else ""] if show_hidden else [])
        for r in records
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]
    return "\n".join(lines)


@cli.group("attributes", cls=PortalGroup)
def attributes_group() -> None:
    """Browse and update the customer's attributes (validated; PUT keeps untouched fields).

    Changes are validated against the attribute's value_type before anything is sent, hidden
    attributes need --allow-hidden, and a change is shown as a before/after diff and applied
    only after confirmation (a terminal prompt, or --yes when there is no terminal).
    """


_ATTR_CUSTOMER = click.option(
    "--customer", help="External customer id (default: PORTAL_CUSTOMER_ID, else the account's)."
)


@attributes_group.command("list")
@_ATTR_CUSTOMER
@click.option("--query", "-q", help="Search text the Portal matches on name, title or group.")
@click.option("--group", "-g", help="Only this group (case-insensitive).")
@click.option("--show-hidden", is_flag=True, help="Include hidden attributes.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="table for people; csv/json for machines (csv can be edited and fed to `apply`).",
)
def attributes_list(customer, query, group, show_hidden, fmt):
    """List attributes: idn, title, group, type and value."""
    import csv
    import io
    import json

    from .attributes import FIELD_ORDER, attribute_records, list_attributes

    with _attr_client(customer) as client:
        frame = list_attributes(client, query=query, group=group, show_hidden=show_hidden)
    records = attribute_records(frame)
    if fmt == "json":
        ordered = [{k: r.get(k) for k in FIELD_ORDER} for r in records]
        click.echo(json.dumps(ordered, indent=2, ensure_ascii=False))
    elif fmt == "csv":
        columns = ["idn", "value", "title", "group", "value_type", "is_hidden", "possible_values"]
        columns += ["description", "id"]
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for r in records:
            row = {k: r.get(k) for k in columns}
            row["is_hidden"] = "true" if r.get("is_hidden") else "false"
            row["possible_values"] = json.dumps(r.get("possible_values") or [], ensure_ascii=False)
            writer.writerow(row)
        click.echo(out.getvalue(), nl=False)
    elif records:
        click.echo(_attr_table(records, show_hidden))
        click.echo(f"{len(records)} attribute(s)")
    else:
        click.echo("No attributes match.")


@attributes_group.command("get")
@click.argument("id_or_idn")
@_ATTR_CUSTOMER
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
def attributes_get(id_or_idn, customer, fmt):
    """Show one attribute, by UUID id or by idn."""
    import json

    from .attributes import FIELD_ORDER, get_attribute

    with _attr_client(customer) as client:
        attribute = get_attribute(client, id_or_idn)
    keys = [k for k in FIELD_ORDER if k in attribute] + sorted(set(attribute) - set(FIELD_ORDER))
    if fmt == "json":
        click.echo(json.dumps({k: attribute[k] for k in keys}, indent=2, ensure_ascii=False))
        return
    width = max(len(k) for k in keys) + 1
    for key in keys:
        value = attribute[key]
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        click.echo(f"{key + ':':<{width}} {shown}")


@attributes_group.command("set")
@click.argument("id_or_idn")
@click.option("--value", help="New value, checked against the attribute's value_type.")
@click.option("--title", help="New title.")
@click.option("--description", help="New description.")
@click.option("--allow-hidden", is_flag=True, help="Allow changing a hidden attribute.")
@click.option("--yes", "-y", is_flag=True, help="Apply without asking (needed without a terminal).")
@_ATTR_CUSTOMER
def attributes_set(id_or_idn, value, title, description, allow_hidden, yes, customer):
    """Change one attribute's value/title/description, keeping every other field.

    Prints the before/after diff, then asks for confirmation on a terminal. Without a
    terminal (scripts, CI) it refuses unless --yes is given.
    """
    from .attributes import apply_change, plan_update

    if value is None and title is None and description is None:
        raise click.UsageError("nothing to set: give --value, --title and/or --description")
    with _attr_client(customer) as client:
        change = plan_update(
            client,
            id_or_idn,
            value=value,
            title=title,
            description=description,
            allow_hidden=allow_hidden,
        )
        click.echo(change.diff_text())
        if not change.has_changes:
            click.echo("Nothing to change.")
            return
        _attr_confirm(f"Apply this change to {change.idn!r}?", yes)
        done = apply_change(client, change)
    click.echo(f"Updated {done.idn!r}.")
    surprises = sorted(set(done.changed_fields) ^ set(change.changed_fields))
    if surprises:
        click.echo(
            f"Warning: the Portal's answer differs from the plan in: {', '.join(surprises)}",
            err=True,
        )


@attributes_group.command("apply")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--allow-hidden", is_flag=True, help="Allow changing hidden attributes.")
@click.option("--yes", "-y", is_flag=True, help="Apply without asking (needed without a terminal).")
@_ATTR_CUSTOMER
def attributes_apply(file, allow_hidden, yes, customer):
    """Set many values from a CSV with columns idn,value (other columns are ignored).

    Prints the plan (to change / already equal / invalid). Nothing is applied while any row is
    invalid (unknown idn, bad value, hidden, duplicate idn). Changes are applied in file order;
    on the first failure it stops, lists the rows applied and not applied, and exits non-zero.
    Re-running the same file changes nothing.
    """
    from .attributes import apply_bulk, plan_bulk, read_bulk_csv

    rows = read_bulk_csv(file)
    with _attr_client(customer) as client:
        plan = plan_bulk(client, rows, allow_hidden=allow_hidden)
        click.echo(plan.text())
        if plan.invalid:
            raise ConfigError(
                f"refusing to apply {file}: {len(plan.invalid)} invalid row(s) listed above; "
                "fix or remove them (nothing was changed)"
            )
        if not plan.changes:
            click.echo("Nothing to change.")
            return
        _attr_confirm(f"Apply {len(plan.changes)} change(s)?", yes)
        total = len(plan.changes)
        done = iter(range(1, total + 1))
        result = apply_bulk(
            client,
            plan,
            on_progress=lambda row: click.echo(f"[{next(done)}/{total}] {row.idn}", err=True),
        )
    click.echo(result.text())
    if not result.ok:
        message = " ".join(str(result.error).split())
        click.echo(
            f"Error: stopped at line {result.failed.line} ({result.failed.idn}) after "
            f"{len(result.applied)} of {total} change(s): {message}",
            err=True,
        )
        sys.exit(exit_code_for(result.error))


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="portal-reports")
