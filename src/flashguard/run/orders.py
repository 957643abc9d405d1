"""The system's orders as its journal tells them, and a reader for the events that matter.

An order is open from its `OrderSubmitted` until a report ends it: a fill that leaves
nothing, a cancel, an expiry, or the venue's rejection. Orders are keyed by client order id,
which the router makes unique within a run ("{parent}/{k}").
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import msgspec

from flashguard.core.events import (
    AnyEvent,
    Event,
    OrderCancelled,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderSubmitted,
)
from flashguard.journal.export import open_journal

ORDER_TYPES = ("order_submitted", "fill", "order_cancelled", "order_expired", "order_rejected")


def events_of(path: str | Path, kinds: tuple[str, ...]) -> Iterator[tuple[int, Event]]:
    """(seq, event) for the journal's events of these types, in order; the rest (the quotes
    and trades, most of a journal) is never decoded."""
    db = open_journal(path)
    decode = msgspec.json.Decoder(AnyEvent).decode
    try:
        marks = ",".join("?" * len(kinds))
        cur = db.execute(
            f"SELECT seq, body FROM events WHERE type IN ({marks}) ORDER BY seq", kinds
        )
        for seq, body in cur:
            yield int(seq), decode(body)
    finally:
        db.close()


class OpenOrders:
    __slots__ = ("open", "submitted")

    def __init__(self) -> None:
        self.open: dict[str, OrderSubmitted] = {}
        self.submitted: set[str] = set()

    def on_event(self, ev: Event) -> None:
        """Track one journal event (anything that is not an order event is ignored)."""
        kind = type(ev)
        if kind is OrderSubmitted:
            assert isinstance(ev, OrderSubmitted)
            self.open[ev.client_order_id] = ev
            self.submitted.add(ev.client_order_id)
        elif kind is OrderFilled:
            assert isinstance(ev, OrderFilled)
            if ev.leaves_qty == 0:
                self.open.pop(ev.client_order_id, None)
        elif kind is OrderCancelled or kind is OrderExpired:
            assert isinstance(ev, OrderCancelled | OrderExpired)
            self.open.pop(ev.client_order_id, None)
        elif kind is OrderRejected:
            assert isinstance(ev, OrderRejected)
            if not ev.layer:  # a venue's rejection ends a submitted order
                self.open.pop(ev.client_order_id, None)
