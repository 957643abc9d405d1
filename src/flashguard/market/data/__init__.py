"""Recorded market data: readers that turn vendor files into flashguard's integer units."""
