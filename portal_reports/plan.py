"""What the agency plans for each customer in ``customers.toml``: monthly targets, review before
sending, and whether an empty month is emailed.

    [defaults]                       # every customer, unless its own table says otherwise
    review = true                    # email only customer-months approved with `portal-reports approve`
    send_empty = false               # a month without sessions is not emailed (the default)

    [customers.acme-dental]
    targets = { leads = 600, revenue = 100000 }   # monthly, per headline figure
    review = false

Target names are the headline figures of :data:`portal_reports.reports.figures.FIGURES`
(``sessions``, ``leads``, ``conversion_rate``, ``revenue``, ...); rates are fractions
(``conversion_rate = 0.3`` is 30 %). A customer's ``targets`` add to (and override, figure by
figure) the ``[defaults]`` targets. Recipients (``name``, ``to``, ``cc``, ``reply_to``) are
:mod:`portal_reports.mail.recipients`' job; this module reads only the keys below and checks
them on load, so a typo is a one-line error naming the file, the customer and the value.
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError

CONFIG_FILE = "customers.toml"
DEFAULTS = "defaults"
#: The keys this module reads, in ``[defaults]`` and in each ``[customers.<id>]`` table.
PLAN_KEYS = frozenset({"targets", "review", "send_empty"})


@dataclass(frozen=True)
class CustomerPlan:
    """One customer's plan: monthly targets by figure key, review and empty-month policy."""

    customer: str
    targets: Mapping[str, float] = field(default_factory=dict)
    review: bool = False
    send_empty: bool = False


@dataclass(frozen=True)
class Plans:
    """Every customer's plan from one ``customers.toml`` (empty when there is none)."""

    defaults: CustomerPlan = field(default_factory=lambda: CustomerPlan(""))
    customers: Mapping[str, CustomerPlan] = field(default_factory=dict)
    source: str | None = None

    def for_customer(self, customer: str | None) -> CustomerPlan:
        """The plan of ``customer`` (``None`` or ``"all"``: the whole account); customers
        without a table of their own get the ``[defaults]``."""
        key = customer or "all"
        found = self.customers.get(key)
        if found is not None:
            return found
        d = self.defaults
        return CustomerPlan(key, dict(d.targets), d.review, d.send_empty)


def target_names() -> dict[str, bool]:
    """Allowed target names -> whether the figure is a rate (0..1)."""
    from .reports.figures import FIGURES

    return {key: spec.rate for key, spec in FIGURES.items()}


def _targets(value: object, where: str) -> dict[str, float]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: targets must be a table, e.g. targets = {{ leads = 600 }}")
    allowed = target_names()
    out: dict[str, float] = {}
    for name, number in value.items():
        if name not in allowed:
            raise ConfigError(f"{where}: unknown target {name!r} (allowed: {', '.join(allowed)})")
        if (
            isinstance(number, bool)
            or not isinstance(number, int | float)
            or not math.isfinite(number)
            or number <= 0
        ):
            raise ConfigError(f"{where}: target {name} must be a positive number, got {number!r}")
        if allowed[name] and number > 1:
            raise ConfigError(
                f"{where}: target {name} is a rate between 0 and 1 (30% is 0.3), got {number!r}"
            )
        out[name] = float(number)
    return out


def _flag(table: Mapping[str, Any], key: str, default: bool, where: str) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: {key} must be true or false, got {value!r}")
    return value


def parse_plan(
    customer: str, table: Mapping[str, Any], defaults: CustomerPlan, where: str
) -> CustomerPlan:
    """The plan keys of one table, over ``defaults`` (other keys are left to their readers)."""
    targets = dict(defaults.targets)
    if "targets" in table:
        targets.update(_targets(table["targets"], where))
    return CustomerPlan(
        customer=customer,
        targets=targets,
        review=_flag(table, "review", defaults.review, where),
        send_empty=_flag(table, "send_empty", defaults.send_empty, where),
    )


def config_path(path: str | os.PathLike[str] | None = None) -> Path:
    """``path``, else ``customers.toml`` in the working directory, else the project's."""
    target = Path(path or CONFIG_FILE)
    if str(target) == CONFIG_FILE and not target.exists():
        from .project import current_project

        target = current_project().customers_file
    return target


def load_plans(path: str | os.PathLike[str] | None = None) -> Plans:
    """Read and check the plans of ``customers.toml`` (no file at the default place: no plans).

    The whole file is checked as ``email`` checks it (recipients, unknown keys), so a typo in
    ``targets`` or ``review`` never passes silently.
    """
    target = config_path(path)
    if path is None and not target.is_file():
        return Plans()
    from .mail.recipients import load_recipients

    load_recipients(target)  # unknown keys, addresses, TOML syntax: one-line errors
    with target.open("rb") as fh:
        data = tomllib.load(fh)
    raw_defaults = data.get(DEFAULTS, {})
    if not isinstance(raw_defaults, dict):
        raise ConfigError(f"{target}: [{DEFAULTS}] must be a table")
    # other keys of [defaults] (time zone, locale, ...) were checked by load_recipients above
    raw_defaults = {k: v for k, v in raw_defaults.items() if k in PLAN_KEYS}
    defaults = parse_plan("", raw_defaults, CustomerPlan(""), f"{target}: [{DEFAULTS}]")
    customers = {
        cid: parse_plan(cid, table, defaults, f"{target}: customer {cid!r}")
        for cid, table in (data.get("customers") or {}).items()
    }
    return Plans(defaults, customers, str(target))


__all__ = ["PLAN_KEYS", "CustomerPlan", "Plans", "load_plans", "parse_plan", "target_names"]
