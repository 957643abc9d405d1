"""A scenario: the market a run happens in, read from TOML and validated at the edge.

Built-in scenarios ship in `flashguard/scenarios/*.toml` (`flashguard market run may6`); any
other argument is read as a path to a user's file. Unknown keys are errors, and every error
names the field path and the value (msgspec's messages, e.g. "Expected `int`, got `str` - at
`$.agents.noise.count`"). Times of day are "HH:MM:SS" exchange time; the simulated clock counts
nanoseconds since midnight.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

import msgspec

from flashguard.core.clock import NS_PER_SECOND
from flashguard.core.instruments import Instrument, InstrumentError
from flashguard.market.agents.fat_finger import FatFingerParams
from flashguard.market.agents.fundamental import FundamentalParams
from flashguard.market.agents.hft import HftParams
from flashguard.market.agents.market_maker import MarketMakerParams
from flashguard.market.agents.momentum import MomentumParams
from flashguard.market.agents.noise import NoiseParams
from flashguard.market.agents.sell_program import SellProgramParams
from flashguard.market.agents.stop_loss import StopLossParams
from flashguard.market.exchange import Protections


class ScenarioError(ValueError):
    """A scenario that cannot be run, with the field and value at fault."""


class InstrumentSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    symbol: str = "FGX"
    tick_size: str = "0.01"
    multiplier: str = "1"  # currency per point of price per lot (50 for the E-mini S&P 500)
    start_price: int = 5000  # ticks
    value_vol_per_min: float = 0.0  # the fundamental value's random walk, per minute
    impact: float = 0.005  # permanent ticks the crowd's fair value moves per aggressive lot
    transient_impact: float = 0.005  # transient ticks per lot, times how thin the book is
    impact_half_life_s: float = 300.0  # how fast the transient part fades
    anchor: float = 0.2  # share of the gap to the traded mid the fair value closes each second

    def contract(self) -> Instrument:
        """The instrument the trading system books: symbol, tick size and multiplier."""
        return Instrument(self.symbol, tick_size=self.tick_size, multiplier=self.multiplier)


class VenueSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: str
    entry_latency_us: int = 200
    md_latency_us: int = 100
    maker_fee: int = 0  # fee units (1/100 tick) per lot; negative is a rebate
    taker_fee: int = 0
    depth: float = 1.0  # share of liquidity providers' size and noise flow
    dark: bool = False


class Agents(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    noise: NoiseParams = NoiseParams()
    market_makers: MarketMakerParams = MarketMakerParams()
    hft: HftParams = HftParams()
    fundamental: FundamentalParams = FundamentalParams()
    momentum: MomentumParams = MomentumParams()
    stop_loss: StopLossParams = StopLossParams()
    sell_program: SellProgramParams = SellProgramParams()
    fat_finger: FatFingerParams = FatFingerParams()


class Scenario(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: str
    description: str = ""
    seed: int = 1
    start: str = "09:30:00"
    duration_s: int = 3600
    session_open: str = "09:30:00"
    sip_latency_us: int = 500
    instrument: InstrumentSpec = InstrumentSpec()
    venues: list[VenueSpec] = msgspec.field(default_factory=lambda: [VenueSpec("XNYS")])
    protections: Protections = Protections()
    agents: Agents = Agents()

    def __post_init__(self) -> None:
        for field in ("start", "session_open"):
            _clock(field, getattr(self, field))
        if self.duration_s <= 0:
            raise ScenarioError(f"duration_s={self.duration_s} must be > 0")
        if not any(not v.dark for v in self.venues):
            raise ScenarioError(f"venues={[v.name for v in self.venues]} needs at least one lit venue")
        names = [v.name for v in self.venues]
        if len(set(names)) != len(names) or "ALL" in names:
            raise ScenarioError(f"venues: names={names} must be unique and not 'ALL'")
        try:
            self.instrument.contract()
        except InstrumentError as exc:
            raise ScenarioError(f"instrument.{exc}") from None
        if self.instrument.impact_half_life_s <= 0:
            raise ScenarioError(f"instrument.impact_half_life_s={self.instrument.impact_half_life_s} must be > 0")
        if self.instrument.start_price <= 0:
            raise ScenarioError(f"instrument.start_price={self.instrument.start_price} must be > 0")

    @property
    def start_ns(self) -> int:
        return _clock("start", self.start)

    @property
    def end_ns(self) -> int:
        return self.start_ns + self.duration_s * NS_PER_SECOND

    @property
    def session_open_ns(self) -> int:
        return _clock("session_open", self.session_open)

    @property
    def shock_ns(self) -> int | None:
        """When the scenario's shock begins (the sell program or the fat finger), if any."""
        a = self.agents
        if a.sell_program.enabled:
            return a.sell_program.start_s * NS_PER_SECOND
        if a.fat_finger.enabled:
            return a.fat_finger.at_s * NS_PER_SECOND
        return None


def _clock(field: str, text: str) -> int:
    try:
        h, m, s = (int(x) for x in text.split(":"))
    except ValueError:
        raise ScenarioError(f"{field}={text!r} must be HH:MM:SS") from None
    if not (0 <= h < 24 and 0 <= m < 60 and 0 <= s < 60):
        raise ScenarioError(f"{field}={text!r} must be HH:MM:SS")
    return (h * 3600 + m * 60 + s) * NS_PER_SECOND


def builtin_names() -> list[str]:
    folder = resources.files("flashguard") / "scenarios"
    return sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml"))


def scenario_text(name_or_path: str | Path) -> tuple[str, str]:
    """(TOML text, where it came from) of a built-in scenario by name, or a file by path."""
    text = str(name_or_path)
    folder = resources.files("flashguard") / "scenarios"
    builtin = folder / f"{text}.toml"
    if "/" not in text and not text.endswith(".toml") and builtin.is_file():
        return builtin.read_text(encoding="utf-8"), f"built-in scenario {text!r}"
    path = Path(text)
    if not path.is_file():
        raise ScenarioError(f"scenario={text!r}: no such built-in ({', '.join(builtin_names())}) or file")
    return path.read_text(encoding="utf-8"), str(path)


def load_scenario(name_or_path: str | Path) -> Scenario:
    """A built-in scenario by name, or a TOML file by path."""
    return parse_scenario(*scenario_text(name_or_path))


def parse_scenario(data: str, source: str = "scenario") -> Scenario:
    try:
        raw = tomllib.loads(data)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{source}: not valid TOML: {exc}") from None
    try:
        return msgspec.convert(raw, Scenario)
    except (msgspec.ValidationError, ValueError) as exc:
        raise ScenarioError(f"{source}: {exc}") from None
