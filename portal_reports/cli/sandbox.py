"""``portal-reports sandbox``: Serve the sandbox Portal."""

from __future__ import annotations

import click

from .app import cli


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
@click.option(
    "--customers",
    type=click.IntRange(1, 10_000),
    envvar="PORTAL_SANDBOX_CUSTOMERS",
    show_envvar=True,
    help="Demo customers (default: the 6 named ones; more are generated: demo-001, ...).",
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
    customers: int | None,
    log_requests: bool,
) -> None:
    """Serve the sandbox Portal (synthetic, deterministic data) until Ctrl-C."""
    import signal
    import threading

    from ..sandbox import DEFAULT_SECRET, Sandbox

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
        customers=customers,
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
