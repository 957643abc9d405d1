"""The system's orders as its journal tells them.

An order is open from its `OrderSubmitted` until a report ends it: a fill that leaves
nothing, a cancel, an expiry, or the venue's rejection. Orders are keyed by client order id,
which the router makes unique within a run ("{parent}/{k}").
"""

from __future__ import annotations

from flashguard.core.events import (
    Event,
    OrderCancelled,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderSubmitted,
)

ORDER_TYPES = ("order_submitted", "fill", "order_cancelled", "order_expired", "order_rejected")


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
