"""Types of the C twin of the gate's hot path (_cgate.c); the references are
fastpath.admit_limit_order and RiskGate._check."""

from collections.abc import Callable, Mapping

from flashguard.system.risk.killswitch import KillSwitch
from flashguard.system.risk.limits import OrderLimits
from flashguard.system.risk.portfolio import PortfolioRisk
from flashguard.system.risk.state import View
from flashguard.system.risk.types import Rejection, RiskOrder

def admit_limit_order(o: RiskOrder, v: View, /) -> bool: ...
def bind(
    classes: Mapping[str, type], price_bounds: Callable[[View, OrderLimits], None], /
) -> None: ...

class Lane:
    def __init__(
        self,
        views: dict[str, dict[str, dict[str, View]]],
        kill_switch: KillSwitch,
        portfolio: PortfolioRisk,
        judge: Callable[[RiskOrder, View], Rejection | None],
        full: Callable[[RiskOrder], Rejection | None],
    ) -> None: ...
    def __call__(self, o: RiskOrder, /) -> Rejection | None: ...
