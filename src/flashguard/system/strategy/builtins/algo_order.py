"""A strategy that works one parent order with an execution algorithm and does nothing else
(`TwapOrder`, `PovOrder`): the algorithm run alone, or a client's order (`agency=True`)."""

from __future__ import annotations

from flashguard.system.strategy.base import Fill, Intent, Strategy


class AlgoOrder(Strategy):
    def __init__(self, name: str, intent: Intent, agency: bool = False) -> None:
        super().__init__(name)
        self.agency = agency
        self.instruments = (intent.instrument,)
        self.intent = intent
        self.parent_id: str | None = None
        self.filled = 0

    def on_start(self) -> None:
        self.parent_id = self.submit(self.intent)

    def on_fill(self, fill: Fill) -> None:
        self.filled += fill.qty
