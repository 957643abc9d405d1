"""The market laboratory: venues, protections, agents and scenarios."""
