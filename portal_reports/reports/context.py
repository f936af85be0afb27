"""What a customer-month's reports show besides the Portal's data: the customer's targets
(``customers.toml``) and the account manager's note (``notes/<month>/<customer>.md``).

Loaded once, before anything is fetched (so a bad target or an unknown placeholder is a
one-line error before any kernel starts), then applied to each fetched month: the targets
and the rendered note go into ``data.json`` with the Portal's data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..data.history import HistoryCache
    from ..data.month import MonthData
    from ..plan import Plans
    from .notes import Note


@dataclass
class MonthContext:
    """The history cache, the customers' plans and notes of one batch (or one notebook)."""

    history_cache: HistoryCache | None = None
    plans: Plans | None = None
    notes: dict[str | None, Note | None] = field(default_factory=dict)

    @classmethod
    def load(
        cls,
        month: str,
        customers: Sequence[str | None],
        history_cache: HistoryCache | None = None,
        config: Any = None,
    ) -> MonthContext:
        """Read ``customers.toml`` (``config``, else the project's) and each customer's note,
        checking both (:class:`~portal_reports.errors.ConfigError`, one line)."""
        from ..plan import load_plans
        from .notes import load_note

        plans = load_plans(config)
        notes = {c: load_note(month, c, targets=plans.for_customer(c).targets) for c in customers}
        return cls(history_cache, plans, notes)

    def apply(self, customer: str | None, data: MonthData) -> MonthData:
        """``data`` with the customer's targets and its note rendered for the month."""
        targets = dict(self.plans.for_customer(customer).targets) if self.plans else {}
        data = data.with_context(targets=targets)
        note = self.notes.get(customer)
        return data.with_context(targets=targets, note=note.render(data) if note else None)
