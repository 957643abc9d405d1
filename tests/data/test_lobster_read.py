"""Reading LOBSTER files: with or without header, any depth, exact times, clear errors, replay."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from flashguard.market.data.lobster import (
    EMPTY_ASK_PRICE,
    EMPTY_BID_PRICE,
    LobsterFormatError,
    Message,
    format_time,
    read_messages,
    read_orderbook,
    replay,
    to_ticks,
)
from flashguard.market.data.lobster_write import write_messages, write_orderbook

MESSAGES = """34200.017459617,5,0,1,2238200,-1
34200.189608307,1,11885113,21,2238100,1
34200.190226476,4,11885113,21,2238100,1
34200.5,7,0,0,-1,-1
"""
BOOK_2 = f"""2239500,100,2231800,100,2239900,50,2230000,10
2239500,100,2238100,21,2239900,50,2231800,100
2239500,100,2231800,100,2239900,50,2230000,10
2239500,100,2231800,100,{EMPTY_ASK_PRICE},0,{EMPTY_BID_PRICE},0
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_messages_with_and_without_header_read_the_same(tmp_path: Path) -> None:
    bare = read_messages(write(tmp_path, "m.csv", MESSAGES))
    headed = read_messages(
        write(tmp_path, "mh.csv", "Time,Type,OrderId,Size,Price,Direction\n" + MESSAGES)
    )
    for m in (bare, headed):
        assert len(m) == 4
        assert m.t_ns.tolist() == [
            34_200_017_459_617,
            34_200_189_608_307,
            34_200_190_226_476,
            34_200_500_000_000,
        ]
        assert m.type.tolist() == [5, 1, 4, 7]
        assert m.order_id.tolist() == [0, 11885113, 11885113, 0]
        assert m.size.tolist() == [1, 21, 21, 0]
        assert m.price.tolist() == [2238200, 2238100, 2238100, -1]
        assert m.direction.tolist() == [-1, 1, 1, -1]
    assert (bare.first_line, headed.first_line) == (1, 2)


def test_orderbook_depth_comes_from_the_column_count(tmp_path: Path) -> None:
    book = read_orderbook(write(tmp_path, "b.csv", BOOK_2))
    assert book.levels == 2
    assert book.ask_price[:, 1].tolist() == [2239900, 2239900, 2239900, EMPTY_ASK_PRICE]
    assert book.bid_size[1].tolist() == [21, 100]
    assert book.bid_price[3, 1] == EMPTY_BID_PRICE
    top = read_orderbook(write(tmp_path, "b1.csv", BOOK_2), levels=1)
    assert top.levels == 1
    assert top.ask_price.shape == (4, 1)
    assert top.bid_size[:, 0].tolist() == [100, 21, 100, 100]
    headed = read_orderbook(
        write(tmp_path, "bh.csv", "a1,as1,b1,bs1,a2,as2,b2,bs2\r\n" + BOOK_2.replace("\n", "\r\n"))
    )
    assert headed.first_line == 2
    assert np.array_equal(headed.bid_price, book.bid_price)


def test_writer_and_reader_round_trip(tmp_path: Path) -> None:
    msgs = [Message(34_200_000_000_001, 1, 7, 100, 1_000_100, 1), Message(57_599_999_999_999, 3, 7, 100, 1_000_100, 1)]
    for header in (True, False):
        write_messages(tmp_path / "m.csv", msgs, header=header)
        assert list(replay(tmp_path / "m.csv")) == msgs
        write_orderbook(tmp_path / "b.csv", [([(1_000_200, 5)], [(1_000_100, 100), (999_900, 3)])] * 2, 3, header)
        book = read_orderbook(tmp_path / "b.csv")
        assert book.levels == 3
        assert book.ask_price[0].tolist() == [1_000_200, EMPTY_ASK_PRICE, EMPTY_ASK_PRICE]
        assert book.bid_size[1].tolist() == [100, 3, 0]


def test_replay_yields_typed_records_in_file_order(tmp_path: Path) -> None:
    records = list(replay(write(tmp_path, "m.csv", MESSAGES)))
    assert records[1] == Message(34_200_189_608_307, 1, 11885113, 21, 2238100, 1)
    assert [r.type for r in records] == [5, 1, 4, 7]
    assert all(type(r.t_ns) is int for r in records)
    assert to_ticks(records[1].price) == 22381
    with pytest.raises(ValueError, match=r"price=2238150 is not a multiple of units_per_tick=100"):
        to_ticks(2238150)
    assert format_time(records[0].t_ns) == "34200.017459617"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("34200.1,8,0,1,100,1\n", r"line 1: column type=8 is not a message type 1..7"),
        ("34200.1,1,0,1,100,1\n34200.2,1,0,1,100,0\n", r"line 2: column direction=0 is not 1 or -1"),
        ("34200.1,1,0,-5,100,1\n", r"line 1: column size=-5 is negative"),
        ("34200.1,1,0,1,1.5,1\n", r"line 1: column price='1.5' is not an integer"),
        ("34200.1,1,0,1,100\n", r"line 1: expected 6 columns"),
        (
            "34200.2,1,0,1,100,1\n34200.1,1,0,1,100,1\n",
            r"line 2: column time=34200.100000000 is before the previous row's 34200.200000000",
        ),
        ("Time,Type,OrderId,Size,Price\n34200.1,1,0,1,100,1\n", r"line 1: header .* has 5 columns, expected 6"),
    ],
)
def test_bad_message_rows_are_named(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, "msg.csv", text)
    with pytest.raises(LobsterFormatError, match=message) as info:
        read_messages(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1,2,3\n", r"line 1: 3 columns is not 4 per level"),
        ("200,1,100,1\n200,1,100,-1\n", r"line 2: column bid_size_1=-1 is negative"),
        (f"{EMPTY_ASK_PRICE},3,100,1\n", r"line 1: column ask_size_1=3 is not 0 at an empty level"),
        ("200,0,100,1\n", r"line 1: column ask_price_1=200 has size 0 but is not 9999999999"),
        ("200,1,100,1,199,1,90,1\n", r"line 1: column ask_price_2=199 is not above ask_price_1=200"),
        ("200,1,100,1,201,1,100,1\n", r"line 1: column bid_price_2=100 is not below bid_price_1=100"),
        (
            f"{EMPTY_ASK_PRICE},0,100,1,201,1,90,1\n",
            r"line 1: column ask_price_2=201 follows an empty level ask_price_1=9999999999",
        ),
        ("200,1,100,x\n", r"line 1: column bid_size_1='x' is not a number"),
        (
            "200,1,100,1,201,1,99,1\n200,1,100,1,201,1,99,-1\n202,1,100,1,201,1,99,1\n",
            r"line 2: column bid_size_2=-1 is negative",
        ),
    ],
)
def test_bad_orderbook_rows_are_named(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, "ob.csv", text)
    with pytest.raises(LobsterFormatError, match=message) as info:
        read_orderbook(path)
    assert str(path) in str(info.value)


def test_orderbook_levels_beyond_the_file_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "ob.csv", BOOK_2)
    with pytest.raises(LobsterFormatError, match=r"levels=3 must be in 1..2"):
        read_orderbook(path, levels=3)
    with pytest.raises(LobsterFormatError, match="file is empty"):
        read_orderbook(write(tmp_path, "empty.csv", ""))
    assert len(read_orderbook(write(tmp_path, "empty.csv", ""), levels=2)) == 0


def test_shipped_sample_reads_fast_and_exactly(lobster_sample: tuple[Path, Path]) -> None:
    message_path, book_path = lobster_sample
    rows = len(message_path.read_bytes().strip().splitlines()) - 1  # minus the header
    start = time.perf_counter()
    messages = read_messages(message_path)
    book = read_orderbook(book_path)
    elapsed = time.perf_counter() - start
    assert len(messages) == len(book) == rows
    assert book.levels == 1
    assert elapsed < 1.0, f"reading {rows} rows took {elapsed:.2f} s"
    first = messages.record(0)
    assert (first.t_ns, first.type, first.price, first.direction) == (34_200_017_460_000, 5, 2238200, -1)
    assert (book.ask_price[0, 0], book.ask_size[0, 0], book.bid_price[0, 0]) == (2239500, 100, 2231800)
    assert int(np.diff(messages.t_ns).min()) >= 0


def test_errors_deep_in_a_file_name_their_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from flashguard.market.data import numeric_csv

    monkeypatch.setattr(numeric_csv, "_CHUNK_BYTES", 100)  # many chunks
    rows = [f"{200 + i},1,{100 - i % 3},5" for i in range(300)]
    rows[217] = "250,1,100,-3"
    path = write(tmp_path, "ob.csv", "AskPrice1,AskSize1,BidPrice1,BidSize1\n" + "\n".join(rows))
    with pytest.raises(LobsterFormatError, match=r"line 219: column bid_size_1=-3 is negative"):
        read_orderbook(path)
    times = [f"{34200 + i}.5,1,{i},1,100,1" for i in range(300)]
    times[250] = "34100.5,1,250,1,100,1"
    path = write(tmp_path, "m.csv", "\n".join(times) + "\n")
    with pytest.raises(LobsterFormatError, match=r"line 251: column time=34100.500000000 is before"):
        read_messages(path)
    times[250] = "34450.5,9,250,1,100,1"
    path = write(tmp_path, "m.csv", "\n".join(times) + "\n")
    with pytest.raises(LobsterFormatError, match=r"line 251: column type=9 is not a message type"):
        read_messages(path)
