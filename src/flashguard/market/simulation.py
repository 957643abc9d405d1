"""Build a scenario's market and crowd, run it, and measure what happened.

    sim = Simulation(load_scenario("may6"), seed=7)
    sim.run()                      # or sim.run(until_ns) in steps, with the system attached
    result = sim.result()          # the market.json fields

Agents get owner ids in blocks (market makers from 1000, HFTs 2000, fundamental 3000,
momentum 4000, stop-loss 5000, the program 6000, the fat finger 6500, noise traders from
10000); the trading system uses its own ids. Every agent population draws from its own
Generator spawned from the seed, so adding a population does not change the others' draws.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from flashguard.core.clock import NS_PER_SECOND, SimClock
from flashguard.core.events import Event
from flashguard.core.loop import EventLoop
from flashguard.market.agents.base import World
from flashguard.market.agents.fat_finger import FatFinger
from flashguard.market.agents.fundamental import FundamentalTrader, FundamentalValue
from flashguard.market.agents.hft import Hft
from flashguard.market.agents.market_maker import MarketMaker
from flashguard.market.agents.momentum import MomentumTrader
from flashguard.market.agents.noise import NoiseTraders
from flashguard.market.agents.sell_program import SellProgram
from flashguard.market.agents.stop_loss import StopLossHolders
from flashguard.market.darkpool import DarkPool
from flashguard.market.exchange import Market
from flashguard.market.scenario import Scenario
from flashguard.market.signals import Signals
from flashguard.market.sip import Sip
from flashguard.market.tap import TradeTap
from flashguard.market.venue import Venue, VenueConfig

DEPTH_BAND = 0.01  # buy depth: bid lots within 1% of the consolidated mid
CONSOLIDATED = "ALL"


@dataclass
class Bars:
    """One row per second per venue (and "ALL"): the columns of bars_1s.csv."""

    rows: list[tuple[int, str, int, float, int, int, int, int, int]] = field(default_factory=list)
    # consolidated series for the metrics
    t: list[int] = field(default_factory=list)
    mid: list[float] = field(default_factory=list)
    last: list[float] = field(default_factory=list)
    spread: list[float] = field(default_factory=list)
    bid_depth: list[float] = field(default_factory=list)
    volume: list[int] = field(default_factory=list)
    mm_inventory: list[int] = field(default_factory=list)
    hft_inventory: list[int] = field(default_factory=list)
    hft_traded: list[int] = field(default_factory=list)


class Simulation:
    def __init__(self, scenario: Scenario, seed: int | None = None, sink: Callable[[Event], object] | None = None) -> None:
        self.scenario = scenario
        self.seed = scenario.seed if seed is None else seed
        self.sink = sink
        sc = scenario
        self.loop = EventLoop(SimClock(sc.start_ns))
        sym = sc.instrument.symbol
        self.instrument = sym
        self.market = Market(
            self.loop, [sym], sc.instrument.tick_size, sc.protections,
            session_open_ns=sc.session_open_ns, prior_close=sc.instrument.start_price, sink=sink,
        )
        self.sip = Sip(self.loop, sc.sip_latency_us * 1000)
        for spec in sc.venues:
            cfg = VenueConfig(spec.name, spec.entry_latency_us * 1000, spec.md_latency_us * 1000, spec.maker_fee, spec.taker_fee)
            venue: Venue | DarkPool
            if spec.dark:
                venue = DarkPool(cfg, [sym], self.loop, self.market.nbbo)
            else:
                venue = Venue(cfg, [sym], self.loop)
            self.market.add_venue(venue)
        ins = sc.instrument
        self.signals = Signals(ins.start_price, ins.impact, ins.anchor, ins.transient_impact, ins.impact_half_life_s)
        self.world = World(self.loop, self.market, sym, self.signals, list(self.market.lit))
        self.bars = Bars()
        self._build_agents()
        # every print: the count, the signals, each venue's volume and last price, the sink and
        # the stop-loss holders, in that order (one listener; tap.py)
        self._tap = TradeTap(self.signals, self.stops, sink)
        self.market.trade_listeners.append(self._tap)
        self._venue_volume: dict[str, int] = self._tap.volume
        self._venue_last: dict[str, int] = self._tap.last
        self.wall_seconds = 0.0
        self._started = False

    # --- the crowd -----------------------------------------------------------------------------

    def _build_agents(self) -> None:
        sc = self.scenario
        a = sc.agents
        seeds = np.random.SeedSequence(self.seed).spawn(9)
        gens = [np.random.default_rng(s) for s in seeds]
        lit_specs = [v for v in sc.venues if not v.dark]
        weights = [v.depth for v in lit_specs]
        w = self.world
        self.market_makers = [
            MarketMaker(a.market_makers, w, 1000 + i, np.random.default_rng(gens[0].integers(1 << 62)), weights)
            for i in range(a.market_makers.count)
        ]
        self.hfts = [Hft(a.hft, w, 2000 + i, np.random.default_rng(gens[1].integers(1 << 62))) for i in range(a.hft.count)]
        # the quoting agents' slots, read by every second's bars (inventory and volume traded)
        self._mm_slots = [m.slots for m in self.market_makers]
        self._hft_slots = [h.slots for h in self.hfts]
        minutes = sc.duration_s // 60 + 2
        self.value = FundamentalValue(float(sc.instrument.start_price), sc.instrument.value_vol_per_min, sc.start_ns, minutes, gens[2])
        self.fundamentals = [
            FundamentalTrader(a.fundamental, w, 3000 + i, np.random.default_rng(gens[3].integers(1 << 62)), self.value)
            for i in range(a.fundamental.count)
        ]
        self.momentum = [MomentumTrader(a.momentum, w, 4000 + i, np.random.default_rng(gens[4].integers(1 << 62))) for i in range(a.momentum.count)]
        self.stops = StopLossHolders(a.stop_loss, w, 5000, gens[5], sc.instrument.start_price)
        self.program = SellProgram(a.sell_program, w, 6000, gens[6])
        self.fat_finger = FatFinger(a.fat_finger, w, 6500)
        self.noise = NoiseTraders(a.noise, w, 10_000, gens[7], weights)

    def attach_sip(self) -> Sip:
        """Feed the consolidated tape (only when someone reads it: it costs every message)."""
        for venue in self.market.venues:
            venue.subscribe(self.sip.on_event)
        return self.sip

    @property
    def agent_count(self) -> int:
        a = self.scenario.agents
        return (
            a.market_makers.count + a.hft.count + a.fundamental.count + a.momentum.count
            + a.stop_loss.count + a.noise.count + int(a.sell_program.enabled) + int(a.fat_finger.enabled)
        )

    # --- running ------------------------------------------------------------------------------

    def start(self) -> None:
        for mm in self.market_makers:
            mm.start()
        for h in self.hfts:
            h.start()
        for f in self.fundamentals:
            f.start()
        for m in self.momentum:
            m.start()
        self.noise.start()
        self.program.start()
        self.fat_finger.start()
        self.loop.call_at(self.scenario.start_ns + NS_PER_SECOND, self._each_second)
        self._started = True

    def run(self, until_ns: int | None = None) -> None:
        if not self._started:
            self.start()
        end = self.scenario.end_ns if until_ns is None else min(until_ns, self.scenario.end_ns)
        t0 = time.perf_counter()
        self.loop.run(end)
        self.wall_seconds += time.perf_counter() - t0

    @property
    def messages(self) -> int:
        return sum(v.messages for v in self.market.venues)

    @property
    def trades(self) -> int:
        return self._tap.trades

    def _each_second(self) -> None:
        t = self.loop.now_ns()
        self.loop.call_at(t + NS_PER_SECOND, self._each_second)
        sym = self.instrument
        bid, ask = self.market.nbbo(sym)
        bid_depth, ask_depth = self._record(t, bid, ask)
        self.signals.on_second(t, bid, ask, bid_depth, ask_depth)

    def _record(self, t: int, nbbo_bid: int | None, nbbo_ask: int | None) -> tuple[float, float]:
        """Append this second's bars; return the resting (bid, ask) lots within 1% of the mid."""
        sym = self.instrument
        bars = self.bars
        total_bid_at = total_ask_at = 0
        depth = ask_depth = 0
        mid = (nbbo_bid + nbbo_ask) / 2 if nbbo_bid is not None and nbbo_ask is not None else None
        centre = mid if mid is not None else self.signals.mid
        floor_price = centre * (1 - DEPTH_BAND)
        cap_price = centre * (1 + DEPTH_BAND)
        volume_all = 0
        venue_spreads: list[int] = []
        for v in self.market.lit:
            book = v.books[sym]
            b, bq, a, aq = book.l1()
            if b is not None and b == nbbo_bid:
                total_bid_at += bq
            if a is not None and a == nbbo_ask:
                total_ask_at += aq
            depth += book.lots_within(1, floor_price, 64)
            ask_depth += book.lots_within(-1, cap_price, 64)
            vol = self._venue_volume.get(v.name, 0)
            volume_all += vol
            if b is not None and a is not None:
                vmid = (b + a) / 2
                venue_spreads.append(a - b)
            else:
                vmid = float("nan")
            bars.rows.append((t, v.name, self._venue_last.get(v.name, 0), vmid, b or 0, a or 0, bq, aq, vol))
        self._venue_volume.clear()
        last = self.market.last_price.get(sym, 0)
        cmid = mid if mid is not None else float("nan")
        bars.rows.append((t, CONSOLIDATED, last, cmid, nbbo_bid or 0, nbbo_ask or 0, total_bid_at, total_ask_at, volume_all))
        bars.t.append(t)
        bars.mid.append(cmid)
        bars.last.append(float(last) if last else float("nan"))
        # each lit venue's own quoted spread, averaged: the consolidated one is often locked at 0
        bars.spread.append(sum(venue_spreads) / len(venue_spreads) if venue_spreads else float("nan"))
        bars.bid_depth.append(float(depth))
        bars.volume.append(volume_all)
        bars.mm_inventory.append(sum([s.inventory for s in self._mm_slots]))
        bars.hft_inventory.append(sum([s.inventory for s in self._hft_slots]))
        bars.hft_traded.append(sum([s.traded for s in self._hft_slots]))
        return float(depth), float(ask_depth)
