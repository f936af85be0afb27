"""The Portal API: endpoints (:mod:`.client`), paging (:mod:`.paging`), transport (:mod:`.transport`)."""

from __future__ import annotations

from .client import PortalClient

__all__ = ["PortalClient"]
