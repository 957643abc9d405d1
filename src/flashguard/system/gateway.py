"""The system's side of a venue session: what the trading system needs from a venue, and the
in-process implementation over a simulated venue.

The system half never imports the market half. `Gateway` names what a session offers (submit
and cancel by venue order id, the fee schedule, the one-way order-entry latency, whether the
venue is dark); `InProcessGateway` adapts any object with the duck-typed methods of
`flashguard.market.venue.Venue`, so a simulation passes real venues in without an import. A
FIX initiator is the other implementation. Execution reports come back as core events to the
handler given to `connect`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from flashguard.core.events import Event

ReportHandler = Callable[[Event], None]


class Gateway(Protocol):
    """One venue session of the trading system.

    name: the venue's name, as its events carry it. owner: the session's participant id at the
    venue. dark: the venue publishes no quotes (a dark pool). latency_ns: one-way order entry.
    """

    name: str
    owner: int
    dark: bool

    @property
    def latency_ns(self) -> int: ...

    def connect(self, on_report: ReportHandler) -> None:
        """Deliver this session's execution reports to on_report from now on."""

    def submit(
        self, instrument: str, side: int, qty: int, price: int, order_type: int, tif: int,
        client_order_id: str,
    ) -> int:
        """Send a new order; returns the venue order id (reports follow)."""
        ...

    def cancel(self, instrument: str, order_id: int) -> None: ...

    def fee(self, qty: int, maker: bool) -> int:
        """Fee in fee units (1/100 tick) for qty lots; negative is a rebate."""
        ...


class VenueLike(Protocol):
    """The duck-typed order-entry surface of a simulated venue."""

    name: str

    def connect(self, owner: int, on_report: ReportHandler, latency_ns: int | None = None) -> None:
        ...

    def latency(self, owner: int) -> int: ...

    def submit(
        self, owner: int, instrument: str, side: int, qty: int, price: int = 0,
        order_type: int = 1, tif: int = 1, client_order_id: str = "",
    ) -> int: ...

    def cancel(self, owner: int, instrument: str, order_id: int) -> None: ...

    def fee(self, qty: int, maker: bool) -> int: ...


class InProcessGateway:
    """A session on a venue running in the same process and on the same event loop."""

    __slots__ = ("_latency", "_venue", "dark", "name", "owner")

    def __init__(
        self, venue: VenueLike, owner: int, *, latency_ns: int | None = None, dark: bool = False
    ) -> None:
        if latency_ns is not None and latency_ns < 0:
            raise ValueError(f"latency_ns={latency_ns} must be >= 0")
        self._venue = venue
        self._latency = latency_ns
        self.name = venue.name
        self.owner = owner
        self.dark = dark

    @property
    def latency_ns(self) -> int:
        return self._venue.latency(self.owner)

    def connect(self, on_report: ReportHandler) -> None:
        self._venue.connect(self.owner, on_report, self._latency)

    def submit(
        self, instrument: str, side: int, qty: int, price: int, order_type: int, tif: int,
        client_order_id: str,
    ) -> int:
        return self._venue.submit(
            self.owner, instrument, side, qty, price, order_type, tif, client_order_id
        )

    def cancel(self, instrument: str, order_id: int) -> None:
        self._venue.cancel(self.owner, instrument, order_id)

    def fee(self, qty: int, maker: bool) -> int:
        return self._venue.fee(qty, maker)
