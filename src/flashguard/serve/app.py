"""The operator service: a FastAPI app over one LiveRun.

    app = create_app(live, tokens)      # flashguard serve builds both (cli/serve.py)

Everything runs on the server's one event loop: a background task advances the simulation in
short steps (`LiveRun.catch_up`) and yields between them, and every endpoint is `async`, so a
request is answered between two steps and sees a consistent state; a command is carried out at
the simulation's current instant, never inside a step.

    GET  /                        the dashboard (static/index.html; no token needed)
    GET  /api/status              running state, simulated time, kill switch, strategies, venues
    GET  /api/positions           positions by strategy and instrument
    GET  /api/risk                equity, drawdown, VaR, ES, exposures, each layer's limits
    GET  /api/orders              open orders by venue
    GET  /api/history?since_ns=   prices per venue and equity each simulated second, halts
    GET  /api/events?types=&since=   server-sent events: every journal event as it happens
    POST /api/kill {reason}       engage the kill switch            (risk-manager)
    POST /api/reset {reason}      release it (an authorised name)   (risk-manager)
    POST /api/strategies/{name}/halt {reason} and /resume {reason}  (risk-manager)

Every /api call needs `Authorization: Bearer <token>`: none or an unknown one is 401, a viewer
on a POST is 403. Each command is journaled with who, their role and why (`OperatorCommand`).
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

import msgspec
from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request
from fastapi.responses import FileResponse, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel

from flashguard.serve import views
from flashguard.serve.auth import Tokens, User
from flashguard.serve.live import CommandError, LiveRun

STATIC = Path(__file__).with_name("static")
TICK_S = 0.02  # the pacer's sleep between steps
STREAM_POLL_S = 0.05
KEEPALIVE_S = 15.0


class Reason(BaseModel):
    reason: str


_bearer = HTTPBearer(auto_error=False)


def _user(
    request: Request,
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    if creds is None:
        raise HTTPException(401, "missing bearer token (Authorization: Bearer ...)",
                            headers={"WWW-Authenticate": "Bearer"})
    tokens: Tokens = request.app.state.tokens
    user = tokens.user(creds.credentials)
    if user is None:
        raise HTTPException(401, "unknown token", headers={"WWW-Authenticate": "Bearer"})
    return user


def _manager(user: Annotated[User, Depends(_user)]) -> User:
    if not user.may_act:
        raise HTTPException(403, f"{user.name} is a {user.role}: only a risk-manager may "
                                 "change the system's state")
    return user


Viewer = Annotated[User, Depends(_user)]
Manager = Annotated[User, Depends(_manager)]


def create_app(live: LiveRun, tokens: Tokens, *, pace: bool = True) -> FastAPI:
    """The service over live. pace=False leaves the simulation where it is (tests drive it)."""

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(_pacer(live)) if pace else None
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            live.close()

    app = FastAPI(title="flashguard operator service", lifespan=lifespan)
    app.state.tokens = tokens

    def act(user: User, action: str, reason: str, target: str = "") -> None:
        try:
            live.command(action, user.name, user.role, reason, target)
        except CommandError as exc:
            raise HTTPException(exc.status, str(exc)) from None

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    if STATIC.is_dir():
        app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/api/status")
    async def status(user: Viewer) -> dict[str, Any]:
        return views.status(live, user)

    @app.get("/api/positions")
    async def positions(_: Viewer) -> dict[str, Any]:
        return views.positions(live)

    @app.get("/api/risk")
    async def risk(_: Viewer) -> dict[str, Any]:
        return views.risk(live)

    @app.get("/api/orders")
    async def orders(_: Viewer) -> dict[str, Any]:
        return views.orders(live)

    @app.get("/api/history")
    async def history(_: Viewer, since_ns: int = 0) -> dict[str, Any]:
        return views.history(live, since_ns)

    @app.get("/api/events")
    async def events(
        request: Request, _: Viewer,
        types: Annotated[str, Query(description="comma-separated event types; all if empty")]
        = "",
        since: Annotated[int | None, Query(description="resume after this seq")] = None,
        last_event_id: Annotated[str | None, Header()] = None,
    ) -> StreamingResponse:
        wanted = frozenset(t.strip() for t in types.split(",") if t.strip())
        start = since
        if start is None and last_event_id and last_event_id.isdigit():
            start = int(last_event_id)
        if start is None:
            start = live.observer.last_seq  # from now on
        return StreamingResponse(
            _stream(request, live, start, wanted), media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @app.post("/api/kill")
    async def kill(body: Reason, user: Manager) -> dict[str, Any]:
        act(user, "kill", body.reason)
        return {"kill_switch": views.kill_switch(live)}

    @app.post("/api/reset")
    async def reset(body: Reason, user: Manager) -> dict[str, Any]:
        act(user, "reset", body.reason)
        ks = views.kill_switch(live)
        return {"released": not ks["engaged"], "kill_switch": ks}

    @app.post("/api/strategies/{name}/halt")
    async def halt(name: str, body: Reason, user: Manager) -> dict[str, Any]:
        act(user, "halt", body.reason, name)
        return {"strategy": views.strategy(live, name)}

    @app.post("/api/strategies/{name}/resume")
    async def resume(name: str, body: Reason, user: Manager) -> dict[str, Any]:
        act(user, "resume", body.reason, name)
        return {"strategy": views.strategy(live, name)}

    return app


async def _pacer(live: LiveRun) -> None:
    try:
        while not live.replay_step():
            await asyncio.sleep(0)  # answer requests while replaying
        live.start_pacing()
        while not live.finished:
            live.catch_up()
            await asyncio.sleep(TICK_S)
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # shown to the operator, and on stderr; the API keeps serving
        live.state = "failed"
        live.error = f"{type(exc).__name__}: {exc}"
        print(f"flashguard serve: the run stopped: {live.error}", file=sys.stderr)


_encode = msgspec.json.Encoder().encode


async def _stream(
    request: Request, live: LiveRun, after: int, wanted: frozenset[str]
) -> AsyncIterator[bytes]:
    last = after
    quiet_since = time.monotonic()
    yield b": flashguard events\n\n"
    while True:
        if await request.is_disconnected():
            return
        chunks = []
        for seq, ev in live.observer.since(last):
            last = seq
            tag = type(ev).__struct_config__.tag
            if wanted and tag not in wanted:
                continue
            body = _encode(ev)
            chunks.append(b"id: %d\nevent: %s\ndata: {\"seq\":%d,%s\n\n"
                          % (seq, str(tag).encode(), seq, body[1:]))
        if chunks:
            yield b"".join(chunks)
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since > KEEPALIVE_S:
            yield b": keep-alive\n\n"
            quiet_since = time.monotonic()
        await asyncio.sleep(STREAM_POLL_S)
