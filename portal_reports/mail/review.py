"""What holds a customer-month back from sending: review (opt-in) and empty months.

With ``review = true`` (``customers.toml``, in ``[defaults]`` or per customer) a customer-month
is emailed only once someone approved exactly its PDFs::

    portal-reports approve --month 2026-09 --customer acme-dental

Approvals are appended to ``reports/<month>/approved.jsonl``, next to the send log, with the
PDFs' sha256s: a re-run that produces different PDFs needs approving again. A month without
sessions is not emailed unless ``send_empty = true``.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..dates import format_utc, month_label, parse_month, previous_month
from ..errors import ConfigError, MailError
from ..plan import CustomerPlan
from .runs import ReportRun, load_run
from .sendlog import SendLog

APPROVALS = "approved.jsonl"


class ApprovalLog(SendLog):
    """``reports/<month>/approved.jsonl``: one JSON line per approval, fsynced on append."""

    def approval(
        self, customer: str, month: str, pdf_hashes: Mapping[str, str]
    ) -> dict[str, Any] | None:
        """The latest approval of exactly these PDFs (None: not approved, or other PDFs)."""
        matching = [e for e in self.sent(customer, month) if self.same_pdfs(e, pdf_hashes)]
        return matching[-1] if matching else None


def hold(
    run: ReportRun, plan: CustomerPlan, approvals: ApprovalLog, *, review: bool = True
) -> tuple[str, str] | None:
    """Why this customer-month is not sent now, as ``(status, reason)``, or None to send it.

    ``skipped``: the month had no sessions and ``send_empty`` is off; ``waiting``: review is on
    and these PDFs are not approved (``review=False``, for previews, ignores it).
    """
    sessions = run.figures.get("sessions_total")
    if sessions is None and run.figures.get("sessions_listed") == 0:
        sessions = 0  # a Portal may leave the summary of an empty month out: nothing listed
    if not plan.send_empty and sessions == 0:
        return "skipped", (
            f"no sessions in {month_label(run.month)} (send_empty = true in customers.toml "
            "sends it)"
        )
    if (
        review
        and plan.review
        and approvals.approval(run.customer, run.month, run.pdf_hashes) is None
    ):
        earlier = approvals.sent(run.customer, run.month)
        why = "the reports changed since they were approved" if earlier else "not approved yet"
        return "waiting", (
            f"waiting for review, {why}: portal-reports approve --month {run.month} "
            f"--customer {run.customer}"
        )
    return None


@dataclass(frozen=True)
class Approval:
    """What ``approve`` did for one customer-month: approved, already approved, or refused."""

    customer: str
    status: str  # approved | already approved | refused
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.status != "refused"

    def line(self) -> str:
        return f"{self.customer}: {self.status}" + (f": {self.reason}" if self.reason else "")


def approve(
    month: str | None = None,
    customers: Iterable[str] | None = None,
    *,
    reports_dir: str | os.PathLike[str] = "reports",
    by: str | None = None,
    on_approval: Callable[[Approval], None] | None = None,
) -> list[Approval]:
    """Approve the month's verified reports (every customer with reports by default).

    Each approval records the PDFs' sha256s; a run that is not sendable (failed report,
    PDFs not matching the manifest) is refused with the reason.
    """
    from .delivery import _run_dirs

    month = parse_month(month or previous_month())
    month_dir = Path(reports_dir) / month
    if not month_dir.is_dir():
        raise MailError(
            f"no reports for {month}: {month_dir} does not exist (run the reports first)"
        )
    selected = list(dict.fromkeys(customers or ())) or _run_dirs(month_dir)
    for customer in selected:
        if not customer or "/" in customer or "\\" in customer or customer.startswith("."):
            raise ConfigError(f"bad customer id {customer!r}")
    log = ApprovalLog(month_dir / APPROVALS)
    who = by or _user()
    out = []
    for customer in selected:
        try:
            run = load_run(month_dir / customer, month=month, customer=customer)
        except MailError as exc:
            result = Approval(customer, "refused", str(exc))
        else:
            earlier = log.approval(customer, month, run.pdf_hashes)
            if earlier is not None:
                result = Approval(customer, "already approved", f"{earlier.get('approved_at')}")
            else:
                log.record(
                    {
                        "customer": customer,
                        "month": month,
                        "attachments": [
                            {"report": f.report, "file": f.path.name, "sha256": f.sha256}
                            for f in run.pdfs
                        ],
                        "approved_at": format_utc(datetime.now(UTC)),
                        "approved_by": who,
                    }
                )
                result = Approval(customer, "approved", f"{len(run.pdfs)} PDF(s)")
        out.append(result)
        if on_approval:
            on_approval(result)
    return out


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # pragma: no cover - no user name in this environment
        return ""
