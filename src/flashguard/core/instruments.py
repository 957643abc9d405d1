"""Instruments: prices are integer ticks and quantities integer lots inside flashguard.

Decimal conversion happens only here, at the edges (config, reports, FIX).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import msgspec


class InstrumentError(ValueError):
    """A value that does not fit an instrument's tick or lot grid."""


def _on_grid(field: str, value: object, step: Decimal, step_name: str, symbol: str) -> int:
    d = _decimal(field, value)  # type: ignore[arg-type]
    try:
        q, r = divmod(d, step)
    except InvalidOperation:
        raise InstrumentError(f"{field}={value} is out of range for {step_name}={step}") from None
    if r != 0:
        raise InstrumentError(f"{field}={value} is not a multiple of {step_name}={step} for {symbol}")
    return int(q)


def _decimal(field: str, value: Decimal | str | int) -> Decimal:
    if isinstance(value, float):
        raise InstrumentError(f"{field}={value!r}: pass a str or Decimal, not a float")
    try:
        d = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise InstrumentError(f"{field}={value!r} is not a number") from None
    if not d.is_finite():
        raise InstrumentError(f"{field}={value!r} is not finite")
    return d


class Instrument(msgspec.Struct, frozen=True):
    """symbol; tick_size and lot_size as decimal strings; multiplier = currency per point
    (50 for the E-mini S&P 500, 1 for a share)."""

    symbol: str
    tick_size: str = "0.01"
    lot_size: str = "1"
    multiplier: str = "1"
    currency: str = "USD"

    def __post_init__(self) -> None:
        for name in ("tick_size", "lot_size", "multiplier"):
            if _decimal(name, getattr(self, name)) <= 0:
                raise InstrumentError(f"{name}={getattr(self, name)!r} must be > 0")
        if not self.symbol:
            raise InstrumentError("symbol='' must not be empty")

    @property
    def tick(self) -> Decimal:
        return Decimal(self.tick_size)

    @property
    def lot(self) -> Decimal:
        return Decimal(self.lot_size)

    def price_to_ticks(self, price: Decimal | str | int) -> int:
        return _on_grid("price", price, self.tick, "tick_size", self.symbol)

    def ticks_to_price(self, ticks: int) -> Decimal:
        return ticks * self.tick

    def qty_to_lots(self, qty: Decimal | str | int) -> int:
        return _on_grid("qty", qty, self.lot, "lot_size", self.symbol)

    def lots_to_qty(self, lots: int) -> Decimal:
        return lots * self.lot

    def notional(self, price_ticks: int, lots: int) -> Decimal:
        """Currency value of lots at price_ticks (exact, for reports)."""
        return price_ticks * self.tick * lots * self.lot * Decimal(self.multiplier)

    def tick_value(self) -> Decimal:
        """Currency value of one tick on one lot."""
        return self.tick * self.lot * Decimal(self.multiplier)
