"""The smart order router: a consolidated book over the venues' own feeds, venue reliability
scores, routing plans, and the router that works parent orders in normal and crash mode.
See docs/router.md."""

from flashguard.system.router.config import RouterConfig
from flashguard.system.router.orders import Child, Parent
from flashguard.system.router.router import RouterListener, SmartOrderRouter

__all__ = ["Child", "Parent", "RouterConfig", "RouterListener", "SmartOrderRouter"]
