"""A parent order as the router works it, and the child orders it sends for it."""

from __future__ import annotations

# parent states
ACTIVE = "active"  # routing, or children working
WAITING = "waiting"  # nothing to send now: re-evaluated on the next market update
QUEUED = "queued"  # a venue is halted or paused: re-evaluated after the reopen
CANCELLING = "cancelling"  # cancels sent, waiting for the children to end
DONE = "done"  # filled
CANCELLED = "cancelled"  # ended unfilled (or part filled) by a cancel or a directive
FINAL = frozenset({DONE, CANCELLED})


class Parent:
    """qty and limit (0: none) in lots and ticks; side +1/-1. allowance: the lots an execution
    algorithm has released so far (qty when there is none). working: lots of live children."""

    __slots__ = (
        "allowance", "arrival_mid2", "children", "crash", "filled", "id", "instrument",
        "ioc_out", "limit", "passive", "probed_at", "probes_out", "qty", "reason",
        "retry_armed", "risk_rejects", "seq", "side", "state", "strategy", "t_start", "tactic_shifted",
        "venues", "working",
    )

    def __init__(
        self, parent_id: str, strategy: str, instrument: str, side: int, qty: int, limit: int,
        passive: bool, crash: bool = False, allowance: int | None = None,
    ) -> None:
        if side not in (1, -1):
            raise ValueError(f"parent {parent_id}: side={side} must be 1 or -1")
        if qty <= 0:
            raise ValueError(f"parent {parent_id}: qty={qty} must be > 0")
        if limit < 0:
            raise ValueError(f"parent {parent_id}: limit={limit} must be >= 0 (0: none)")
        self.id = parent_id
        self.strategy = strategy
        self.instrument = instrument
        self.side = side
        self.qty = qty
        self.limit = limit
        self.passive = passive
        self.crash = crash
        self.allowance = qty if allowance is None else allowance
        self.filled = 0
        self.working = 0
        self.ioc_out = 0  # live liquidity-taking children (probes included)
        self.probes_out = 0
        self.probed_at: int | None = None
        self.risk_rejects = 0
        self.retry_armed = False
        self.state = ACTIVE
        self.reason = ""
        self.arrival_mid2 = 0  # bid + ask at arrival (twice the mid, exact); 0 if unknown
        self.t_start = 0
        self.seq = 0
        self.children: dict[str, Child] = {}  # live children
        self.venues: set[str] = set()
        self.tactic_shifted = False

    @property
    def remaining(self) -> int:
        return self.qty - self.filled

    @property
    def free(self) -> int:
        """Lots that may be sent now: released, not filled, not already working."""
        return min(self.qty, self.allowance) - self.filled - self.working

    @property
    def final(self) -> bool:
        return self.state in FINAL


class Child:
    __slots__ = (
        "cancel_sent", "cid", "filled", "ioc", "order_id", "parent", "price", "probe", "qty",
        "venue",
    )

    def __init__(
        self, cid: str, parent: Parent, venue: str, price: int, qty: int, ioc: bool, probe: bool,
        order_id: int,
    ) -> None:
        self.cid = cid
        self.parent = parent
        self.venue = venue
        self.price = price
        self.qty = qty
        self.ioc = ioc
        self.probe = probe
        self.order_id = order_id
        self.filled = 0
        self.cancel_sent = False

    @property
    def leaves(self) -> int:
        return self.qty - self.filled
