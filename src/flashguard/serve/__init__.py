"""The operator service (`flashguard serve`): the run in paced time, an authenticated API with
the kill switch and strategy controls, server-sent events, and the dashboard."""
