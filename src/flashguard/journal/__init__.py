"""The event store: every input and decision, in order, durable."""
