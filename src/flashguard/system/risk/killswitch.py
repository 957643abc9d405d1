"""Layer 4, the kill switch: engaged, it blocks every order; it stays engaged across restarts
until an authorised reset, and never earlier than the cool-down after a venue's reopen.

Its state is a small JSON file written atomically (temp file, fsync, os.replace, fsync of the
directory), so a crash at any moment leaves either the old state or the new one. A process
that starts with an engaged file starts engaged.

A reset asked for while a venue is halted, or within the cool-down after the last reopen, is
accepted but pending: it takes effect at the first event or order at or after the end of the
cool-down (`release_due`). Cancelling the orders is the gate's job; this class decides.
"""

from __future__ import annotations

import os
from pathlib import Path

import msgspec

from flashguard.core.events import VenueStatus
from flashguard.system.risk.limits import MICROS, NS_PER_MS, seconds_ns
from flashguard.system.risk.params import KillSwitchParams
from flashguard.system.risk.throttle import RateWindow
from flashguard.system.risk.types import Breach

HALTED_STATUSES = frozenset({"halted", "paused", "auction"})
# a lost venue session: its orders' fate is unknown, so it kills whatever the matrix says
LOST_CONNECTION = "disconnected"
KILL = "kill"
RESET = "reset"
RESET_PENDING = "reset_pending"


class KillSwitchError(RuntimeError):
    pass


class KillSwitchState(msgspec.Struct):
    engaged: bool = False
    by: str = ""
    reason: str = ""
    t_ns: int = 0
    pending_by: str = ""  # an authorised reset waiting for the cool-down
    pending_reason: str = ""
    last_reopen_ns: int | None = None
    halted: list[str] = []  # "venue/instrument" keys currently halted


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def load_state(path: Path) -> KillSwitchState:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return KillSwitchState()
    try:
        return msgspec.json.decode(data, type=KillSwitchState)
    except msgspec.DecodeError as exc:
        # an unreadable state must not read as "not engaged"
        raise KillSwitchError(f"kill switch state {path} is unreadable: {exc}") from None


class KillSwitch:
    __slots__ = ("_halted", "cooldown_ns", "engaged", "messages", "params", "path", "state")

    def __init__(self, params: KillSwitchParams, path: str | Path | None = None) -> None:
        self.params = params
        self.path = Path(path) if path is not None else None
        self.state = load_state(self.path) if self.path is not None else KillSwitchState()
        self.engaged = self.state.engaged
        self.cooldown_ns = seconds_ns(params.cooldown_after_reopen_s)
        self.messages = RateWindow(params.max_messages, params.message_window_ms * NS_PER_MS)
        self._halted = set(self.state.halted)

    def _save(self) -> None:
        self.state.halted = sorted(self._halted)
        if self.path is not None:
            _write_atomically(self.path, msgspec.json.encode(self.state))

    # --- decisions -------------------------------------------------------------------------

    def engage(self, t_ns: int, by: str, reason: str) -> bool:
        """Engage (persisted before this returns). False if it already was."""
        if self.engaged:
            return False
        self.state = KillSwitchState(
            True, by, reason, t_ns, last_reopen_ns=self.state.last_reopen_ns
        )
        self.engaged = True
        self._save()
        return True

    def request_reset(self, t_ns: int, by: str, reason: str) -> bool:
        """An operator's reset: True if released now, False if pending the cool-down."""
        if by not in self.params.authorised:
            raise KillSwitchError(
                f"by={by!r} is not authorised to reset the kill switch "
                f"(authorised: {', '.join(self.params.authorised)})"
            )
        if not reason.strip():
            raise KillSwitchError("reason='' : a reset must say why")
        if not self.engaged:
            raise KillSwitchError("the kill switch is not engaged")
        self.state.pending_by = by
        self.state.pending_reason = reason
        if self.release_due(t_ns):
            self.release()
            return True
        self._save()
        return False

    def release_at(self) -> int | None:
        """When a pending reset may take effect: None while a venue is still halted (with a
        cool-down configured; without one, a reset is never held back)."""
        if not self.cooldown_ns:
            return 0
        if self._halted:
            return None
        last = self.state.last_reopen_ns
        return 0 if last is None else last + self.cooldown_ns

    def release_due(self, t_ns: int) -> bool:
        if not self.state.pending_by:
            return False
        at = self.release_at()
        return at is not None and t_ns >= at

    def release(self) -> tuple[str, str]:
        """Disengage after a due reset; returns who reset it and why."""
        by, reason = self.state.pending_by, self.state.pending_reason
        self.state = KillSwitchState(last_reopen_ns=self.state.last_reopen_ns)
        self.engaged = False
        self._save()
        return by, reason

    # --- triggers --------------------------------------------------------------------------

    def on_venue_status(self, ev: VenueStatus) -> Breach | None:
        """Track halts and reopens for the cool-down; a lost connection is a kill trigger."""
        key = f"{ev.venue}/{ev.instrument}"
        changed = False
        if ev.status in HALTED_STATUSES:
            if key not in self._halted:
                self._halted.add(key)
                changed = True
        elif key in self._halted:
            self._halted.discard(key)
            if ev.status == "open":
                self.state.last_reopen_ns = ev.t_ns
            changed = True
        if changed and self.engaged:
            self._save()
        if ev.status == LOST_CONNECTION:
            return Breach("venue_connection", 1, 0, KILL, f"{ev.venue}: {ev.status} {ev.reason}")
        if ev.status in self.params.engage_on_venue_status:
            return Breach("venue_status", 1, 0, KILL, f"{ev.venue}: {ev.status} {ev.reason}")
        return None

    def drawdown(self, equity: int, hwm: int) -> Breach | None:
        """Catastrophic portfolio drawdown, marked to market, in currency."""
        dd = hwm - equity
        if dd > self.params.max_drawdown * MICROS:
            return Breach("drawdown", dd / MICROS, self.params.max_drawdown, KILL)
        return None

    def message_runaway(self) -> Breach:
        p = self.params
        return Breach(
            "message_runaway", p.max_messages + 1, p.max_messages, KILL,
            f"all strategies per {p.message_window_ms} ms",
        )
