"""One run's row: its summary and its journal, flattened into typed columns.

docs/sweep.md defines each column. Every column but wall_s is a function of the run's inputs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flashguard.core.clock import NS_PER_SECOND
from flashguard.core.events import OrderFilled, OrderSubmitted, RegimeChange, RiskAction
from flashguard.journal.store import read
from flashguard.market.scenario import Scenario
from flashguard.run.book import build_book
from flashguard.run.inputs import RunInputs
from flashguard.system.risk.layers import LAYERS

# (column, type); the parameter columns come between IDENTITY and SYSTEM
IDENTITY: tuple[tuple[str, str], ...] = (("scenario", "str"), ("seed", "int"), ("set", "str"))
SYSTEM: tuple[tuple[str, str], ...] = (
    ("pnl", "float"),
    ("max_drawdown_pct", "float"),
    ("final_equity", "float"),
    ("orders_sent", "int"),
    ("fills", "int"),
    *((f"rejected_{layer}", "int") for layer in LAYERS),
    ("risk_actions", "int"),
    ("kill_engaged", "bool"),
    ("kill_at_s", "float?"),
    ("response_at_s", "float?"),
    ("flat_at_s", "float?"),
    ("time_to_flat_s", "float?"),
    ("events", "int"),
)
# the market's measures (market.json, `flashguard.market.results`): (column, section, key)
_MARKET_FIELDS: tuple[tuple[str, str | None, str, str], ...] = (
    ("market_messages", None, "messages", "int"),
    ("market_trades", None, "trades", "int"),
    ("market_peak_to_trough_pct", "crash", "peak_to_trough_pct", "float?"),
    ("market_minutes_shock_to_bottom", "crash", "minutes_shock_to_bottom", "float?"),
    ("market_fast_leg_minutes", "crash", "fast_leg_minutes", "float?"),
    ("market_recovered_pct_25min", "crash", "recovered_pct_25min", "float?"),
    ("market_buy_depth_at_trough_pct_of_baseline", "crash",
     "buy_depth_at_trough_pct_of_baseline", "float?"),
    ("market_spread_multiple_at_trough", "crash", "spread_multiple_at_trough", "float?"),
    ("market_vpin_max_cdf_before_bottom", "vpin", "max_cdf_before_bottom", "float?"),
    ("market_max_abs_inventory", "intermediaries", "max_abs_inventory", "int"),
    ("market_hot_potato_ratio", "intermediaries", "hot_potato_ratio", "float?"),
    ("market_excess_kurtosis_1min", "stylized", "excess_kurtosis_1min", "float?"),
    ("market_excess_kurtosis_5min", "stylized", "excess_kurtosis_5min", "float?"),
)
# halts by kind (market.json "halts": one entry per venue and halt)
_HALT_KINDS: tuple[tuple[str, str], ...] = (
    ("market_stop_logic_pauses", "stop_logic"),
    ("market_velocity_logic_pauses", "velocity_logic"),
    ("market_luld_halts", "luld"),
    ("market_mwcb_halts", "mwcb"),
)
MARKET: tuple[tuple[str, str], ...] = (
    *((c, t) for c, _, _, t in _MARKET_FIELDS[:2]),
    ("market_halts", "int"),
    *((c, "int") for c, _ in _HALT_KINDS),
    *((c, t) for c, _, _, t in _MARKET_FIELDS[2:]),
)
TRAILER: tuple[tuple[str, str], ...] = (("wall_s", "float"), ("key", "str"))
NONDETERMINISTIC = frozenset({"wall_s"})

# the defences' protective decisions: the first of them (or the first switch of a strategy to
# capital preservation) is the first stress response; restores, restarts and resets are not
RESPONSES = frozenset({
    "reduce_size", "reduce_only", "halt_strategy", "flatten_strategy", "reduce_gross",
    "portfolio_reduce_only", "kill",
})
_FLAT_KINDS = ("order_submitted", "fill", "regime_change", "risk_action")


def row(
    inputs: RunInputs, summary: dict[str, Any], journal: Path, *, scenario: str, set_name: str,
    values: dict[str, Any], key: str, wall_s: float,
) -> dict[str, Any]:
    sc = inputs.load_scenario()
    s = summary["system"]
    rejected = s["orders_rejected"]
    kill_ns = s["kill_switch"]["engaged_at_ns"]
    response_ns, flat_ns = _flat(journal, sc, inputs)
    anchor = sc.shock_ns if sc.shock_ns is not None else response_ns
    out: dict[str, Any] = {"scenario": scenario, "seed": inputs.seed, "set": set_name}
    out.update(values)
    out.update({
        "pnl": float(s["pnl"]),
        "max_drawdown_pct": float(s["max_drawdown_pct"] or 0.0),
        "final_equity": float(s["final_equity"]),
        "orders_sent": int(s["orders_sent"]),
        "fills": int(s["fills"]),
        **{f"rejected_{layer}": int(rejected.get(layer, 0)) for layer in LAYERS},
        "risk_actions": len(s["actions"]),
        "kill_engaged": kill_ns is not None,
        "kill_at_s": _seconds(kill_ns, sc.start_ns),
        "response_at_s": _seconds(response_ns, sc.start_ns),
        "flat_at_s": _seconds(flat_ns, sc.start_ns),
        "time_to_flat_s": (None if anchor is None or flat_ns is None
                           else _seconds(max(flat_ns, anchor), anchor)),
        "events": int(summary["events"]),
    })
    out.update(market_columns(summary["market"]))
    out["wall_s"] = round(wall_s, 3)
    out["key"] = key
    return out


def market_columns(market: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column, section, field, _ in _MARKET_FIELDS:
        holder = market if section is None else (market.get(section) or {})
        out[column] = holder.get(field)
    halts = market.get("halts") or []
    out["market_halts"] = len(halts)
    for column, kind in _HALT_KINDS:
        out[column] = sum(1 for h in halts if h["kind"] == kind)
    return {c: out[c] for c, _ in MARKET}


def _seconds(t_ns: int | None, since_ns: int) -> float | None:
    return None if t_ns is None else (t_ns - since_ns) / NS_PER_SECOND


def _flat(journal: Path, sc: Scenario, inputs: RunInputs) -> tuple[int | None, int | None]:
    """(the first stress response, the moment from which the desk is flat to the end).

    The response is the first switch of any strategy to capital preservation or the first
    protective L2/L3/L4 decision (RESPONSES). The desk's position is its own strategies' net
    lots per instrument from their fills (an agency order's fills are the client's); it is
    flat from the scenario's start, or from the last fill that brought every instrument to 0
    and after which nothing was held again; None when the run ends holding anything."""
    agency = {s.name for s in build_book(inputs.strategies, sc) if s.agency}
    owner: dict[str, str] = {}
    pos: dict[str, int] = {}
    response: int | None = None
    flat_since: int | None = sc.start_ns  # the desk starts flat
    for _, ev in read(journal, kinds=_FLAT_KINDS):
        kind = type(ev)
        if kind is OrderFilled:
            assert isinstance(ev, OrderFilled)
            if owner.get(ev.client_order_id, "") in agency:
                continue
            was_flat = not any(pos.values())
            pos[ev.instrument] = pos.get(ev.instrument, 0) + (ev.qty if ev.side > 0 else -ev.qty)
            now_flat = not any(pos.values())
            if was_flat and not now_flat:
                flat_since = None
            elif now_flat and not was_flat:
                flat_since = ev.t_ns
        elif kind is OrderSubmitted:
            assert isinstance(ev, OrderSubmitted)
            owner[ev.client_order_id] = ev.strategy
        elif response is None and kind is RegimeChange:
            assert isinstance(ev, RegimeChange)
            if ev.mode == "preservation":
                response = ev.t_ns
        elif response is None and kind is RiskAction:
            assert isinstance(ev, RiskAction)
            if ev.layer != LAYERS[0] and ev.action in RESPONSES:
                response = ev.t_ns
    return response, flat_since
