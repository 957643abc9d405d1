"""Order vocabulary and the order state machine.

Every order ends in exactly one terminal state: FILLED, CANCELLED, REJECTED or EXPIRED.
`OrderState.apply` moves an order through its life from execution reports and refuses any
transition the table below does not allow.
"""

from __future__ import annotations

from enum import IntEnum


class Side(IntEnum):
    BUY = 1
    SELL = -1

    @property
    def opposite(self) -> Side:
        return Side.SELL if self is Side.BUY else Side.BUY


class OrderType(IntEnum):
    LIMIT = 1
    MARKET = 2


class TimeInForce(IntEnum):
    DAY = 1
    GTC = 2
    IOC = 3
    FOK = 4


class OrderStatus(IntEnum):
    NEW = 0
    ACCEPTED = 1
    PARTIALLY_FILLED = 2
    FILLED = 3
    CANCELLED = 4
    REJECTED = 5
    EXPIRED = 6

    @property
    def terminal(self) -> bool:
        return self in TERMINAL


class SelfTradePrevention(IntEnum):
    """What happens when an incoming order would trade with a resting order of the same owner."""

    NONE = 0  # allow the self-trade
    CANCEL_RESTING = 1
    CANCEL_INCOMING = 2
    CANCEL_BOTH = 3


TERMINAL = frozenset(
    {OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED, OrderStatus.EXPIRED}
)

_S = OrderStatus
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    _S.NEW: frozenset({_S.ACCEPTED, _S.REJECTED}),
    _S.ACCEPTED: frozenset(
        {_S.ACCEPTED, _S.PARTIALLY_FILLED, _S.FILLED, _S.CANCELLED, _S.EXPIRED}
    ),
    _S.PARTIALLY_FILLED: frozenset(
        {_S.PARTIALLY_FILLED, _S.FILLED, _S.CANCELLED, _S.EXPIRED}
    ),
    _S.FILLED: frozenset(),
    _S.CANCELLED: frozenset(),
    _S.REJECTED: frozenset(),
    _S.EXPIRED: frozenset(),
}


class InvalidTransition(RuntimeError):
    pass


class OrderState:
    """The life of one order as its owner sees it: quantities and status."""

    __slots__ = ("filled", "order_id", "qty", "side", "status")

    def __init__(self, order_id: int, side: Side, qty: int) -> None:
        if qty <= 0:
            raise ValueError(f"qty={qty} must be > 0")
        self.order_id = order_id
        self.side = side
        self.qty = qty
        self.filled = 0
        self.status = OrderStatus.NEW

    @property
    def leaves(self) -> int:
        return 0 if self.status.terminal else self.qty - self.filled

    def _to(self, new: OrderStatus) -> None:
        if new not in TRANSITIONS[self.status]:
            raise InvalidTransition(
                f"order {self.order_id}: {self.status.name} -> {new.name} is not allowed"
            )
        self.status = new

    def accept(self) -> None:
        self._to(OrderStatus.ACCEPTED)

    def reject(self) -> None:
        self._to(OrderStatus.REJECTED)

    def fill(self, qty: int) -> None:
        if qty <= 0 or self.filled + qty > self.qty:
            raise InvalidTransition(
                f"order {self.order_id}: fill qty={qty} with filled={self.filled} of {self.qty}"
            )
        filled = self.filled + qty
        self._to(OrderStatus.FILLED if filled == self.qty else OrderStatus.PARTIALLY_FILLED)
        self.filled = filled

    def modify(self, leaves: int) -> None:
        """A modify sets the open (leaves) quantity; the order's total follows."""
        if leaves <= 0:
            raise InvalidTransition(f"order {self.order_id}: modify leaves={leaves} must be > 0")
        self._to(self.status)  # only live orders may be modified
        self.qty = self.filled + leaves

    def cancel(self) -> None:
        self._to(OrderStatus.CANCELLED)

    def expire(self) -> None:
        self._to(OrderStatus.EXPIRED)
