"""Fixtures for the recorded-data tests: the shipped LOBSTER sample, when it is there."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO.parent / "shared" / "data" / "lobster"
STEM = "AMZN_2012-06-21_34200000_57600000"


@pytest.fixture(scope="session")
def lobster_sample() -> tuple[Path, Path]:
    """(message file, order-book file) of the shipped AMZN level-1 sample."""
    message = SAMPLE / f"{STEM}_message_1.csv"
    orderbook = SAMPLE / f"{STEM}_orderbook_1.csv"
    if not (message.is_file() and orderbook.is_file()):
        pytest.skip(f"the LOBSTER sample is not at ../shared/data/lobster ({STEM}_*_1.csv)")
    return message, orderbook
