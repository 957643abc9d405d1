"""The LOBSTER file format's vocabulary: message types, columns, empty levels, time text.

A message file has one row per book event: time (seconds after midnight, decimal), type,
order id, size, price (dollars x 10000) and direction (1 buy, -1 sell). The order-book file
has, for each message, the book after it: per level ask price, ask size, bid price, bid size.
An empty level is price +9999999999 (ask) or -9999999999 (bid) with size 0.
"""

from __future__ import annotations

from enum import IntEnum

from flashguard.core.clock import NS_PER_SECOND
from flashguard.market.data.numeric_csv import CsvFormatError

EMPTY_ASK_PRICE = 9_999_999_999
EMPTY_BID_PRICE = -9_999_999_999
PRICE_SCALE = 10_000  # LOBSTER prices are dollars x 10000
MESSAGE_COLUMNS = ("time", "type", "order_id", "size", "price", "direction")
MESSAGE_HEADER = "Time,Type,OrderId,Size,Price,Direction"
LEVEL_COLUMNS = ("ask_price", "ask_size", "bid_price", "bid_size")


class MessageType(IntEnum):
    ADD = 1
    PARTIAL_CANCEL = 2
    DELETE = 3
    EXECUTE_VISIBLE = 4
    EXECUTE_HIDDEN = 5
    CROSS_TRADE = 6
    HALT = 7  # price -1: halted, 0: quoting resumes, 1: trading resumes


class LobsterFormatError(CsvFormatError):
    """A LOBSTER file that does not follow the format; names file, line, column and value."""


def format_time(t_ns: int) -> str:
    """Seconds after midnight with 9 decimals, as LOBSTER writes them; exact."""
    seconds, ns = divmod(t_ns, NS_PER_SECOND)
    return f"{seconds}.{ns:09d}"
