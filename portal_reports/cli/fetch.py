"""``portal-reports fetch``: Fetch sessions or statistics and print a summary."""

from __future__ import annotations

import click

from .._text import printable
from ..errors import ConfigError
from .app import PortalGroup, cli

_FETCH_FORMATS = (".csv", ".parquet", ".json")


def _check_range(month: str | None, start: str | None, end: str | None, time_zone: str | None):
    """Option combinations, checked before anything is read or fetched."""
    if month is not None and (start is not None or end is not None):
        raise click.UsageError("--month and --from/--to exclude each other")
    if (start is not None or end is not None) and (start is None or end is None):
        raise click.UsageError("--from and --to go together")
    if time_zone and (start is not None or end is not None):
        raise click.UsageError("--time-zone goes with --month (--from/--to are UTC)")


def _fetch_range(client, month: str | None, start: str | None, end: str | None, time_zone):
    """(start, end, label) from --from/--to (UTC), else the customer's month: --month (default
    the previous month) in --time-zone, else the customer's zone (customers.toml, its
    time-zone attribute, [defaults], UTC)."""
    from ..dates import format_utc, parse_month, previous_month, to_utc
    from ..period import ReportMonth

    if start is not None or end is not None:
        first, last = to_utc(start), to_utc(end)
        if _is_bare_date(end):  # --to 2024-01-31 means the whole of that day
            last = last.replace(hour=23, minute=59, second=59)
        return first, last, f"{format_utc(first)}..{format_utc(last)}"
    month = parse_month(month) if month is not None else previous_month()  # "" is an error
    if time_zone:
        period = ReportMonth.parse(month, time_zone)
    else:
        period = ReportMonth.parse(month, _customer_zone(client))
    first, last = period.range_utc
    return first, last, f"{month} {period.time_zone} ({format_utc(first)}..{format_utc(last)})"


def _customer_zone(client):
    """The zone of the client's customer, as the reports resolve it."""
    from ..customers import CustomersConfig
    from ..data.month import _fetch_attributes

    settings = CustomersConfig.load().settings_for(client.customer_id)
    attributes = None
    if settings.time_zone is None and client.customer_id is not None:
        attributes = _fetch_attributes(client)
    return settings.resolve_time_zone(attributes)[0]


def _is_bare_date(text: str) -> bool:
    """True for a date without a time (``2024-01-31``, ``20240131``)."""
    import re

    return bool(re.fullmatch(r"\d{4}-?\d{2}-?\d{2}", text.strip()))


def _warn(problems: list[str]) -> None:
    """Values the Portal sent that could not be used: one ``warning:`` line each, on stderr."""
    for line in problems:
        click.echo(f"warning: {printable(line)}", err=True)


def _fetch_who(client) -> str:
    return f"customer {client.customer_id}" if client.customer_id else "whole account"


def _fetch_out_format(out: str | None) -> str | None:
    """The output format from --out's extension, checked before anything is fetched."""
    if out is None:
        return None
    import os
    from pathlib import Path

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

    from .._io import atomic_path

    try:
        with atomic_path(path) as tmp:
            if kind == ".csv":
                frame.to_csv(tmp, index=False)
            elif kind == ".parquet":
                frame.to_parquet(tmp, index=False, engine="pyarrow")
            else:
                tmp.write_text(json.dumps(items, ensure_ascii=False, indent=1), encoding="utf-8")
    except OSError as exc:  # disk full, permissions, a file where a folder should be
        raise ConfigError(f"cannot write {path!r}: {exc.strerror or exc}") from None


@cli.group("fetch", cls=PortalGroup)
def fetch_group() -> None:
    """Fetch sessions or session statistics from the Portal and print a summary."""


_fetch_range_options = [
    click.option(
        "--month",
        help="Month, YYYY-MM, in the customer's time zone (customers.toml, its time-zone "
        "attribute, [defaults], else UTC). Default: the previous calendar month.",
    ),
    click.option(
        "--time-zone",
        metavar="TZ",
        help="Read --month in this IANA time zone instead (e.g. America/New_York).",
    ),
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
    metavar="CONNECTOR",
    help="Only these connector identifiers (repeatable), e.g. main_line. The sandbox also "
    "takes integration/connector and integration/*.",
)
@click.option("--active/--inactive", "is_active", default=None, help="Only active/ended sessions.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    help="Write the sessions: .csv/.parquet (the typed frame) or .json (raw items).",
)
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a TTY).")
def fetch_sessions(month, time_zone, start, end, customer, connectors, is_active, out, progress):
    """Fetch every session of a month (or range), print counts per connector, optionally save."""
    from ..data.frames import sessions_frame, sessions_frame_chunks
    from ..period import parse_time_zone
    from ..portal.client import PortalClient

    _check_range(month, start, end, time_zone)
    if time_zone:
        parse_time_zone(time_zone, "--time-zone")
    kind = _fetch_out_format(out)
    with PortalClient(customer_id=customer, progress=progress) as client:
        first, last, label = _fetch_range(client, month, start, end, time_zone)
        who = _fetch_who(client)
        with client.budget(f"fetch of sessions {label}"):
            filters = {"connectors": connectors or None, "is_active": is_active}
            if kind == ".json":  # the raw items themselves are wanted
                items = client.sessions(first, last, **filters)
                frame = sessions_frame(items, start=first, end=last)
            else:  # typed chunk by chunk: a large range never sits in memory as raw items
                items = []
                chunks = client.session_chunks(first, last, **filters)
                frame = sessions_frame_chunks(chunks, start=first, end=last)
    _warn(frame.attrs.get("problems", []))
    filters = [f"connectors {', '.join(connectors)}"] if connectors else []
    if is_active is not None:
        filters.append("active only" if is_active else "ended only")
    suffix = f" [{'; '.join(filters)}]" if filters else ""
    click.echo(f"{len(frame)} sessions {label} {who}{suffix}")
    if len(frame):
        counts = frame["connector"].value_counts(dropna=False)
        width = max(len(printable(name)) for name in counts.index)
        for name, count in counts.items():
            click.echo(f"  {printable(name):<{width}}  {count:>7,}  {count / len(frame):6.1%}")
        active = int(frame["is_active"].sum())
        if active:
            click.echo(f"  ({active:,} still active)")
    if out:
        _fetch_write(out, kind, items, frame)
        click.echo(f"Wrote {out}")


@fetch_group.command("info")
@_fetch_with_range
def fetch_info(month, time_zone, start, end, customer):
    """Print a month's (or range's) statistics: totals, leads, hours, channels, revenue, ASR."""
    from ..data.frames import info_frames
    from ..period import parse_time_zone
    from ..portal.client import PortalClient

    _check_range(month, start, end, time_zone)
    if time_zone:
        parse_time_zone(time_zone, "--time-zone")
    with PortalClient(customer_id=customer, progress=False) as client:
        first, last, label = _fetch_range(client, month, start, end, time_zone)
        with client.budget(f"fetch of statistics {label}"):
            info = info_frames(client.sessions_info(first, last), start=first, end=last)
        who = _fetch_who(client)
    _warn(info.problems)
    click.echo(f"Sessions info {label} {who}")
    click.echo("\n".join(printable(line) for line in info.summary_table().splitlines()))
