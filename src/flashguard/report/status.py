"""Venue status changes as spans of time: when each venue was not simply open.

A span is one status held from one change to the next (limit_state, paused, halted, auction,
closed, ...). An interruption is trading stopped or constrained on a venue that had been open:
the opening auction before the first open, and the close, are the day's shape, not stress.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flashguard.core.events import VenueStatus

OPEN = "open"
CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class StatusSpan:
    venue: str
    status: str
    start_ns: int
    end_ns: int  # the next change, or the end of the run
    reason: str


@dataclass(frozen=True, slots=True)
class Interruption:
    venue: str
    start_ns: int
    end_ns: int  # back to open, or the end of the run
    statuses: tuple[str, ...]  # in order, e.g. ("limit_state", "paused", "auction")
    reopened: bool


def status_spans(statuses: Iterable[VenueStatus], end_ns: int) -> list[StatusSpan]:
    """Every span in which a venue was not open, in time order of their starts."""
    spans: list[StatusSpan] = []
    current: dict[str, VenueStatus] = {}
    for s in statuses:
        prev = current.get(s.venue)
        if prev is not None and prev.status == s.status:
            continue  # a repeat of the state it is in: not a change
        if prev is not None and prev.status != OPEN:
            spans.append(StatusSpan(s.venue, prev.status, prev.t_ns, s.t_ns, prev.reason))
        current[s.venue] = s
    for s in current.values():
        if s.status != OPEN:
            spans.append(StatusSpan(s.venue, s.status, s.t_ns, max(end_ns, s.t_ns), s.reason))
    spans.sort(key=lambda x: (x.start_ns, x.venue))
    return spans


def interruptions(statuses: Iterable[VenueStatus], end_ns: int) -> list[Interruption]:
    out: list[Interruption] = []
    opened: set[str] = set()
    start: dict[str, tuple[int, list[str]]] = {}
    for s in statuses:
        v = s.venue
        if s.status == OPEN:
            opened.add(v)
            if v in start:
                t0, seen = start.pop(v)
                out.append(Interruption(v, t0, s.t_ns, tuple(seen), True))
        elif s.status == CLOSED:
            if v in start:
                t0, seen = start.pop(v)
                out.append(Interruption(v, t0, s.t_ns, tuple(seen), False))
            opened.discard(v)
        elif v in opened:
            if v in start:
                seen = start[v][1]
                if seen[-1] != s.status:
                    seen.append(s.status)
            else:
                start[v] = (s.t_ns, [s.status])
    for v, (t0, seen) in start.items():
        out.append(Interruption(v, t0, max(end_ns, t0), tuple(seen), False))
    out.sort(key=lambda x: (x.start_ns, x.venue))
    return out


def first_opens(statuses: Iterable[VenueStatus]) -> dict[str, int]:
    """When each venue first opened."""
    out: dict[str, int] = {}
    for s in statuses:
        if s.status == OPEN:
            out.setdefault(s.venue, s.t_ns)
    return out


def trading_changes(statuses: list[VenueStatus]) -> list[VenueStatus]:
    """The changes a reader of the timeline needs: after a venue first opened, up to its
    close (a repeat of the current status is no change)."""
    opened = first_opens(statuses)
    current: dict[str, str] = {}
    out: list[VenueStatus] = []
    for s in statuses:
        if current.get(s.venue) == s.status:
            continue
        current[s.venue] = s.status
        t_open = opened.get(s.venue)
        if t_open is None or s.t_ns < t_open or s.status == CLOSED:
            continue
        if s.status != OPEN or s.t_ns > t_open:  # not the day's first open
            out.append(s)
    return out
