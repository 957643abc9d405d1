"""Loading a user's strategy from "path/to/file.py:ClassName" or "module:ClassName"."""

from __future__ import annotations

from pathlib import Path

import pytest
from strategy_rig import Market

from flashguard.core.orders import Side
from flashguard.market.venue import VenueConfig
from flashguard.system.strategy import Strategy, load_strategy, make_strategy
from flashguard.system.strategy.builtins import Momentum
from flashguard.system.strategy.loader import StrategyLoadError

USER_FILE = '''
from flashguard.system.strategy import Intent, Strategy

class Buyer(Strategy):
    def __init__(self, qty: int = 3) -> None:
        super().__init__("buyer")
        self.qty = qty

    def on_start(self) -> None:
        self.submit(Intent("ABC", 1, self.qty, urgency="aggressive"))

NOT_A_STRATEGY = 42
'''


def write(tmp_path: Path, text: str = USER_FILE, name: str = "my_strategy.py") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_strategy_loads_from_a_file_and_runs(tmp_path: Path) -> None:
    path = write(tmp_path)
    cls = load_strategy(f"{path}:Buyer")
    assert issubclass(cls, Strategy) and cls.__name__ == "Buyer"
    strategy = make_strategy(f"{path}:Buyer", qty=4)
    m = Market([VenueConfig("A")], strategies=[strategy])
    # started before any quote: its parent waits for liquidity, then takes it
    m.rest("A", Side.BUY, 10, 9_990)
    m.rest("A", Side.SELL, 10, 10_000)
    m.settle()
    assert [(s.strategy, s.qty) for s in m.submitted()] == [("buyer", 4)]
    assert m.system.gate.position("buyer", "ABC") == 4


def test_loading_the_same_file_twice_gives_the_same_class(tmp_path: Path) -> None:
    path = write(tmp_path)
    assert load_strategy(f"{path}:Buyer") is load_strategy(f"{path}:Buyer")


def test_a_module_path_loads_a_builtin() -> None:
    cls = load_strategy("flashguard.system.strategy.builtins.momentum:Momentum")
    assert cls is Momentum


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("no_colon.py", "expected 'path/to/file.py:ClassName'"),
        ("missing/file.py:X", "no such file"),
        ("{path}:Missing", "defines no 'Missing'"),
        ("{path}:NOT_A_STRATEGY", "is not a subclass"),
        ("flashguard.no_such_module:X", "cannot import"),
    ],
)
def test_bad_specs_say_what_is_wrong(tmp_path: Path, spec: str, message: str) -> None:
    path = write(tmp_path)
    with pytest.raises(StrategyLoadError, match=message):
        load_strategy(spec.format(path=path))


def test_a_file_that_fails_to_import_names_the_error(tmp_path: Path) -> None:
    path = write(tmp_path, "raise RuntimeError('boom')\n", "broken.py")
    with pytest.raises(StrategyLoadError, match="RuntimeError: boom"):
        load_strategy(f"{path}:X")


def test_bad_constructor_parameters_are_reported(tmp_path: Path) -> None:
    path = write(tmp_path)
    with pytest.raises(StrategyLoadError, match="cannot construct"):
        make_strategy(f"{path}:Buyer", nonsense=1)
