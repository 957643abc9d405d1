"""The JSON the operator API answers with, read from a LiveRun between two steps.

Nothing here calls a method that changes the system (`TradingSystem.snapshot()` moves the
equity high-water mark, so the last journaled snapshot is read instead): looking at the run
cannot change its journal. Prices are display prices (ticks x tick size); money in currency.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Any

from flashguard.core.clock import NS_PER_SECOND
from flashguard.core.events import PortfolioSnapshot
from flashguard.serve.auth import User
from flashguard.serve.live import LiveRun
from flashguard.system.risk import StrategyMode
from flashguard.system.risk.strategy import volatility_level

MICROS = 1_000_000
SIDES = {1: "buy", -1: "sell"}
LAYER_NAMES = {"L1": "pre-trade checks", "L2": "strategy limits", "L3": "portfolio (VaR)",
               "L4": "kill switch"}


def clock_text(t_ns: int) -> str:
    s = (t_ns // NS_PER_SECOND) % 86_400
    return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"


def status(live: LiveRun, user: User) -> dict[str, Any]:
    system = live.run.system
    sc = live.scenario
    now = live.now_ns
    span = max(1, sc.end_ns - sc.start_ns)
    pace = live.pace
    return {
        "state": live.state,
        "scenario": sc.name,
        "seed": live.inputs.seed,
        "tick_size": str(sc.instrument.tick_size),
        "speed": live.speed,
        "sim_time_ns": now,
        "sim_time": clock_text(now),
        "start_ns": sc.start_ns,
        "end_ns": sc.end_ns,
        "progress": round((now - sc.start_ns) / span, 6),
        "journal_seq": live.recorder.seq,
        "pace": None if pace is None else {"wall_s": pace.wall_s, "sim_ns": pace.sim_ns,
                                            "speed": pace.speed},
        "lag_s": round(live.lag_s(), 3),
        "mode": system.mode(),
        "kill_switch": kill_switch(live),
        "strategies": [strategy(live, name) for name in system.engine.strategies],
        "venues": venues(live),
        "rejections": dict(sorted(live.observer.rejections.items())),
        "user": {"name": user.name, "role": user.role},
        "restarted": live.restarted,
        "error": live.error,
    }


def kill_switch(live: LiveRun) -> dict[str, Any]:
    gate = live.run.system.gate
    ks = gate.kill_switch
    s = ks.state
    engaged = gate.kill_engaged
    return {
        "engaged": engaged,
        "by": s.by if engaged else None,
        "reason": s.reason if engaged else None,
        "since_ns": s.t_ns if engaged else None,
        "since": clock_text(s.t_ns) if engaged else None,
        "reset_pending": (
            {"by": s.pending_by, "reason": s.pending_reason, "release_at_ns": ks.release_at()}
            if engaged and s.pending_by else None
        ),
    }


def strategy(live: LiveRun, name: str) -> dict[str, Any]:
    system = live.run.system
    gate = system.gate
    s = system.engine.strategies[name]
    return {
        "name": name,
        "mode": gate.strategy_mode(name).name.lower(),
        "regime": system.engine.regime.mode(name),
        "flattening": gate.flattening(name),
        "agency": bool(s.agency),
        "size_multiplier": gate.size_multiplier(name),
        "positions": gate.positions(name),
    }


def venues(live: LiveRun) -> list[dict[str, Any]]:
    scores = live.run.system.router.scores
    tick = live.tick
    out = []
    for v in live.observer.venues.values():
        out.append({
            "name": v.name,
            "status": v.status,
            "reason": v.reason,
            "dark": v.dark,
            "reliability": round(scores.get(v.name), 4),
            "bid": v.bid * tick if v.bid else None,
            "ask": v.ask * tick if v.ask else None,
            "last": v.last * tick if v.last else None,
            "band": [v.band[0] * tick, v.band[1] * tick] if v.band else None,
        })
    return out


def positions(live: LiveRun) -> dict[str, Any]:
    system = live.run.system
    gate_markets = system.gate.state.markets
    out = []
    for (name, symbol), pos in sorted(system.portfolio.positions.items()):
        inst = system.instruments[symbol]
        tv = float(inst.tick_value())
        m = gate_markets.get(symbol)
        mark = m.mark if m is not None else 0
        owner = system.engine.strategies.get(name)
        avg = pos.avg_price()
        out.append({
            "strategy": name,
            "instrument": symbol,
            "qty": pos.qty,
            "avg_price": None if avg is None else avg * live.tick,
            "realized": pos.realized * tv,
            "unrealized": pos.unrealized(mark) * tv if pos.qty and mark else 0.0,
            "fees": pos.fees * tv / 100,
            "agency": bool(owner is not None and owner.agency),
        })
    st = system.gate.state
    return {"positions": out, "net": st.net / MICROS, "gross": abs(st.gross) / MICROS}


def risk(live: LiveRun) -> dict[str, Any]:
    system = live.run.system
    gate = system.gate
    matrix = live.run.matrix
    snap: PortfolioSnapshot | None = live.recorder.last_snapshot
    st = gate.state
    capital = float(matrix.portfolio.capital)
    equity = snap.equity if snap is not None else capital
    disabled = gate.disabled
    p = matrix.portfolio
    k = matrix.kill_switch
    layers: list[dict[str, Any]] = []
    # L1: per order; its values are the rejections so far
    d = matrix.strategy_defaults
    rej = live.observer.rejections
    layers.append(_layer("L1", disabled, rej.get("L1", 0) > 0, [
        _limit("max_order_qty", "strategy_defaults", d.max_order_qty, None, "lots"),
        _limit("max_order_notional", "strategy_defaults", d.max_order_notional, None, "currency"),
        _limit("collar_bps", "strategy_defaults", d.collar_bps, None, "bps"),
        _limit("fat_finger_bps", "strategy_defaults", d.fat_finger_bps, None, "bps"),
        _limit("rejections", "all strategies", None, rej.get("L1", 0), "orders"),
    ]))
    limits2 = []
    acting2 = False
    for name, sb in st.strategies.items():
        dd = max(0, sb.hwm - sb.equity) / MICROS
        _, vol = volatility_level(sb)
        limits2 += [
            _limit("drawdown_halt", name, sb.params.drawdown_halt, dd, "currency"),
            _limit("volatility_halt", name, sb.limits.vol_level2_bps, round(vol, 2), "bps"),
            _limit("max_position", name, sb.params.max_position,
                   max((abs(pb.pos) for pb in sb.positions.values()), default=0), "lots"),
        ]
        acting2 = acting2 or sb.mode != StrategyMode.ACTIVE or sb.size_permille != 1000
    layers.append(_layer("L2", disabled, acting2, limits2))
    layers.append(_layer("L3", disabled, gate.portfolio_reduce_only, [
        _limit("max_var", "portfolio", p.max_var, round(gate.portfolio.var, 2), "currency"),
        _limit("max_es", "portfolio", p.max_es, round(gate.portfolio.es, 2), "currency"),
        _limit("max_gross", "portfolio", p.max_gross, abs(st.gross) / MICROS, "currency"),
        _limit("max_net", "portfolio", p.max_net, abs(st.net) / MICROS, "currency"),
    ]))
    layers.append(_layer("L4", disabled, gate.kill_engaged, [
        _limit("max_drawdown", "portfolio", k.max_drawdown,
               max(0, st.hwm - st.equity) / MICROS, "currency"),
        _limit("max_messages", f"per {k.message_window_ms} ms", k.max_messages, None, "messages"),
    ]))
    return {
        "equity": equity,
        "pnl": snap.pnl if snap is not None else 0.0,
        "hwm": max(capital, live.observer.max_equity),
        "drawdown_pct": snap.drawdown_pct if snap is not None else 0.0,
        "max_drawdown_pct": live.observer.max_drawdown_pct,
        "var": gate.portfolio.var,
        "es": gate.portfolio.es,
        "gross": abs(st.gross) / MICROS,
        "net": st.net / MICROS,
        "vpin_cdf": snap.vpin_cdf if snap is not None else 0.0,
        "t_ns": snap.t_ns if snap is not None else live.now_ns,
        "layers": layers,
    }


def _layer(layer: str, disabled: frozenset[str], acting: bool,
           limits: list[dict[str, Any]]) -> dict[str, Any]:
    return {"layer": layer, "name": LAYER_NAMES[layer], "enabled": layer not in disabled,
            "acting": bool(acting) and layer not in disabled, "limits": limits}


def _limit(name: str, scope: str, limit: float | None, value: float | None,
           unit: str) -> dict[str, Any]:
    return {"name": name, "scope": scope, "limit": limit, "value": value, "unit": unit}


def orders(live: LiveRun) -> dict[str, Any]:
    tick = live.tick
    by_venue: dict[str, list[dict[str, Any]]] = {
        v: [] for v, view in live.observer.venues.items()
    }
    st = live.run.system.gate.state
    for rec in st.orders.values():
        by_venue.setdefault(rec.venue, []).append({
            "order_id": rec.order_id,
            "client_order_id": rec.client_order_id,
            "strategy": rec.book.strategy.name,
            "side": SIDES.get(rec.side, str(rec.side)),
            "price": rec.price * tick,
            "qty": rec.leaves + rec.filled,
            "leaves": rec.leaves,
        })
    return {"open": len(st.orders), "venues": by_venue}


def history(live: LiveRun, since_ns: int) -> dict[str, Any]:
    obs = live.observer
    tick = live.tick
    return {
        "t_ns": live.now_ns,
        "prices": {
            v: [[t, p * tick] for t, p in _after(points, since_ns)]
            for v, points in obs.prices.items()
        },
        "equity": [[t, e, dd, var] for t, e, dd, var in _after(obs.equity, since_ns)],
        "halts": [
            {"venue": iv.venue, "status": iv.status, "start_ns": iv.start_ns, "end_ns": iv.end_ns}
            for iv in obs.intervals if iv.end_ns is None or iv.end_ns > since_ns
        ],
    }


def _after(points: list[Any], since_ns: int) -> list[Any]:
    """The points with t > since_ns (points are in time order)."""
    return points[bisect_right(points, since_ns, key=_t):]


def _t(point: Any) -> int:
    return int(point[0])
