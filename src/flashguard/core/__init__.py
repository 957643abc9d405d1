"""The small core both halves share: clocks, the event loop, instruments, orders, events."""
