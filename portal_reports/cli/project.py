"""``portal-reports init`` and ``portal-reports lab``: reports projects an agency keeps in git."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import click

from ..errors import ConfigError
from .app import cli


def create_project(directory: Path) -> list[Path]:
    """Create a reports project in ``directory`` (new or empty); returns the files written."""
    from ..project import PROJECT_FILE
    from ..reports.registry import Registry
    from ..resources import default_notebooks_dir, default_templates_dir

    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise ConfigError(f"cannot create a project in {directory}: it exists and is not empty")
    skeleton = default_templates_dir() / "project"
    if not skeleton.is_dir():
        raise ConfigError(f"project skeleton not found in {skeleton} (broken installation?)")
    reports = Registry.discover(default_notebooks_dir())
    try:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "notebooks").mkdir()
        (directory / "templates").mkdir()
        (directory / "notes").mkdir()
        written = []
        command = shutil.which("portal-reports") or str(
            Path(sys.executable).parent / "portal-reports"
        )
        copies = {
            PROJECT_FILE: "customers.toml",
            ".env.example": "env.example",
            ".gitignore": "gitignore",
            "Makefile": "Makefile",
            "README.md": "README.md",
            "templates/README.md": "templates-README.md",
            "notes/README.md": "notes-README.md",
        }
        for target, source in copies.items():
            text = (skeleton / source).read_text(encoding="utf-8")
            text = text.replace("@NAME@", directory.resolve().name)
            text = text.replace("@PORTAL_REPORTS@", command)
            (directory / target).write_text(text, encoding="utf-8")
            written.append(directory / target)
        for report in reports.values():
            target = directory / "notebooks" / report.path.name
            shutil.copyfile(report.path, target)
            written.append(target)
    except OSError as exc:
        raise ConfigError(
            f"cannot create a project in {directory}: {exc.strerror or exc}"
        ) from None
    return written


@cli.command("init")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def init_command(directory: Path) -> None:
    """Create a reports project in DIRECTORY: customers.toml, .env.example, the report
    notebooks to customise, templates/ for overrides, notes/ for the account managers' monthly
    notes, a Makefile (report, email, lab), a README.

    Commands run anywhere inside the project use its notebooks, templates, customers.toml
    and .env before the package's defaults.
    """
    written = create_project(directory)
    click.echo(f"Created reports project {directory} ({len(written)} files):")
    for path in written:
        click.echo(f"  {path.relative_to(directory)}")
    click.echo(f"Next: cd {directory} && make report")


@cli.command("lab", context_settings={"ignore_unknown_options": True})
@click.argument("jupyter_args", nargs=-1, type=click.UNPROCESSED)
def lab_command(jupyter_args: tuple[str, ...]) -> None:
    """Open JupyterLab on the current reports project (extra arguments go to jupyter lab).

    Notebooks saved under notebooks/ never keep outputs (a pre-save hook strips them), so
    executed reports do not reach git. Works as root (adds --allow-root).
    """
    import importlib.util

    from ..lab import lab_command as command_line
    from ..project import current_project

    if importlib.util.find_spec("jupyterlab") is None:
        raise ConfigError("JupyterLab is not installed: pip install 'portal-reports[lab]'")
    project = current_project()
    root = project.root or Path.cwd()
    command = command_line(root, jupyter_args)
    click.echo(f"JupyterLab on {root} (outputs are stripped from saved report notebooks)")
    os.execv(command[0], command)
