"""Built-in strategies a user can read as examples, and the TWAP and POV execution
algorithms any strategy can put on an intent."""

from flashguard.system.strategy.builtins.market_making import MarketMaker
from flashguard.system.strategy.builtins.mean_reversion import MeanReversion
from flashguard.system.strategy.builtins.momentum import Momentum
from flashguard.system.strategy.builtins.pov import Pov, PovOrder
from flashguard.system.strategy.builtins.twap import Twap, TwapOrder

__all__ = ["MarketMaker", "MeanReversion", "Momentum", "Pov", "PovOrder", "Twap", "TwapOrder"]
