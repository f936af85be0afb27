"""``portal-reports attributes``: Browse and update customer attributes."""

from __future__ import annotations

import sys

import click

from .._text import printable
from ..errors import ConfigError
from .app import PortalGroup, cli, exit_code_for


def _attr_client(customer: str | None):
    """A PortalClient for the attributes commands (settings from env/.env, else the sandbox)."""
    from ..portal.client import PortalClient

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
    line = printable("" if text is None else text)
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

    from ..attributes import FIELD_ORDER, attribute_records, list_attributes

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

    from ..attributes import FIELD_ORDER, get_attribute

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
        click.echo(f"{printable(key) + ':':<{width}} {printable(shown)}")


@attributes_group.command("set")
@click.argument("id_or_idn")
@click.option(
    "--value",
    help="New value, checked against the attribute's value_type and sent in the JSON type "
    "the Portal holds it in (a number as a number, a boolean as true/false).",
)
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
    from ..attributes import apply_change, plan_update

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
    from ..attributes import apply_bulk, plan_bulk, read_bulk_csv

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
