"""flashguard: a smart trading system that keeps its capital through a flash crash,
and the market laboratory that proves it."""

__version__ = "0.1.0"
