"""The matrix compiled into integer limits, once, so that a check is integer comparisons.

Units inside the risk framework:
- order notional in tick-lots (price ticks x lots) of the order's instrument: a currency limit
  L becomes floor(L / tick value), and `ticks * lots > floor(L / tv)` holds exactly when
  `ticks * lots * tv > L`, so the integer test is the currency test;
- money (equity, drawdown, exposure) in integer micro-units of the currency (MICROS per unit),
  which holds any tick value of a listed instrument exactly (0.01 x 1 x 1 is 10,000 micros,
  the E-mini's 0.25 x 50 is 12,500,000);
- times in nanoseconds. One currency for the whole book.
"""

from __future__ import annotations

from decimal import Decimal

from flashguard.core.clock import NS_PER_SECOND
from flashguard.core.instruments import Instrument
from flashguard.system.risk.params import InstrumentParams, StrategyParams

MICROS = 1_000_000
NS_PER_MS = 1_000_000


def tick_value_micros(instrument: Instrument) -> int:
    """Micro-currency value of one tick on one lot; refuses a tick value micros cannot hold."""
    micros = instrument.tick_value() * MICROS
    if micros != micros.to_integral_value():
        raise ValueError(
            f"instrument {instrument.symbol}: tick value {instrument.tick_value()} is not a whole "
            f"number of micro-units"
        )
    return int(micros)


def notional_limit_ticklots(limit: int, instrument: Instrument) -> int:
    return int(Decimal(limit) // instrument.tick_value())


class OrderLimits:
    """Layer 1 limits for one strategy trading one instrument (on any venue)."""

    __slots__ = (
        "allowed",
        "collar_bps",
        "dup_stride",
        "dup_window_ns",
        "fat_finger_bps",
        "known",
        "lot_multiple",
        "markup_bps",
        "max_notional",
        "max_open_orders",
        "max_position",
        "max_qty",
        "price_increment",
        "qty_cap",
        "ref_max_age_ns",
        "steps",
        "tick_value",
    )

    def __init__(
        self, strategy: StrategyParams, instrument: Instrument, market: InstrumentParams
    ) -> None:
        self.allowed = strategy.allows(instrument.symbol)
        self.known = True  # False for an instrument the system has no definition of
        self.max_qty = strategy.max_order_qty
        self.max_notional = notional_limit_ticklots(strategy.max_order_notional, instrument)
        self.tick_value = float(instrument.tick_value())  # for reporting a notional only
        self.markup_bps = strategy.market_order_markup_bps
        self.collar_bps = strategy.collar_bps
        self.fat_finger_bps = strategy.fat_finger_bps
        self.ref_max_age_ns = strategy.reference_max_age_ms * NS_PER_MS
        self.dup_window_ns = strategy.duplicate_window_ms * NS_PER_MS
        self.max_open_orders = strategy.max_open_orders
        self.max_position = strategy.max_position
        self.price_increment = market.price_increment_ticks
        self.lot_multiple = market.lot_multiple
        self.steps = self.price_increment != 1 or self.lot_multiple != 1  # skip two modulos
        # the hot path folds the allow-list into the size limit: nothing fits under a cap of 0
        self.qty_cap = self.max_qty if self.allowed else 0
        # (price, signed qty) as one int; one-to-one for 1 <= qty <= max_qty (pretrade.dup_key)
        self.dup_stride = 2 * self.max_qty + 1


class StrategyLimits:
    """Layer 2 triggers of one strategy, in micros, nanoseconds and basis points."""

    __slots__ = (
        "concentration",
        "drawdown_halt",
        "drawdown_reduce",
        "execution_window_ns",
        "max_concentration",
        "max_executions",
        "max_messages",
        "message_window_ns",
        "size_keep_permille",
        "vol_level1_bps",
        "vol_level2_bps",
    )

    def __init__(self, p: StrategyParams) -> None:
        self.drawdown_reduce = p.drawdown_reduce * MICROS
        self.drawdown_halt = p.drawdown_halt * MICROS
        self.vol_level1_bps = p.vol_level1_bps
        self.vol_level2_bps = p.vol_level2_bps
        # order sizes are compared as qty * 1000 <= max_qty * keep, all integers
        self.size_keep_permille = round((1.0 - p.vol_size_cut) * 1000)
        self.max_concentration = p.max_concentration
        self.concentration = round(p.capital * p.max_concentration * MICROS)
        self.max_messages = p.max_messages
        self.message_window_ns = p.message_window_ms * NS_PER_MS
        self.max_executions = p.max_executions
        self.execution_window_ns = p.execution_window_ms * NS_PER_MS


def seconds_ns(seconds: int) -> int:
    return seconds * NS_PER_SECOND
