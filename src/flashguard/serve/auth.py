"""Who may look and who may act: bearer tokens, each with a name and a role.

    [[token]]
    name = "risk-officer"      # journaled as who did what
    role = "risk-manager"      # viewer: read only; risk-manager: kill, reset, halt, resume
    token = "..."              # at least 16 characters

from `--tokens FILE`, or the same TOML text in the environment variable FLASHGUARD_TOKENS.
A service without any token refuses to start: an operator API open to anyone is not one.
Errors name the table and the field, never a token's value.
"""

from __future__ import annotations

import hmac
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROLES = ("viewer", "risk-manager")
MIN_TOKEN = 16
ENV = "FLASHGUARD_TOKENS"


class TokenError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class User:
    name: str
    role: str

    @property
    def may_act(self) -> bool:
        return self.role == "risk-manager"


class Tokens:
    def __init__(self, users: dict[str, User]) -> None:
        if not users:
            raise TokenError("no tokens: give --tokens FILE or set FLASHGUARD_TOKENS")
        self._users = users

    def user(self, token: str) -> User | None:
        # compare in constant time against every token, so timing tells nothing
        found = None
        for known, user in self._users.items():
            if hmac.compare_digest(known.encode(), token.encode()):
                found = user
        return found

    def __len__(self) -> int:
        return len(self._users)


def parse_tokens(text: str, source: str) -> Tokens:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TokenError(f"{source}: not valid TOML: {exc}") from None
    unknown = sorted(set(doc) - {"token"})
    if unknown:
        raise TokenError(f"{source}: unknown key(s) {', '.join(unknown)} (expected [[token]] tables)")
    tables = doc.get("token", [])
    if not isinstance(tables, list) or not tables:
        raise TokenError(f"{source}: no [[token]] tables")
    users: dict[str, User] = {}
    names: set[str] = set()
    for i, t in enumerate(tables, 1):
        where = f"{source}: [[token]] #{i}"
        if not isinstance(t, dict):
            raise TokenError(f"{where}: not a table")
        extra = sorted(set(t) - {"name", "role", "token"})
        if extra:
            raise TokenError(f"{where}: unknown field(s) {', '.join(extra)}")
        name, role, token = t.get("name"), t.get("role"), t.get("token")
        if not isinstance(name, str) or not name.strip():
            raise TokenError(f"{where}: name={name!r}: a non-empty string is required")
        where = f"{source}: [[token]] #{i} (name {name!r})"
        if role not in ROLES:
            raise TokenError(f"{where}: role={role!r}: one of {', '.join(ROLES)}")
        if not isinstance(token, str) or len(token) < MIN_TOKEN:
            raise TokenError(f"{where}: token: a string of at least {MIN_TOKEN} characters "
                             "is required")
        if name in names:
            raise TokenError(f"{where}: name={name!r} appears twice")
        if token in users:
            raise TokenError(f"{where}: its token is the same as {users[token].name!r}'s")
        names.add(name)
        users[token] = User(name, str(role))
    return Tokens(users)


def load_tokens(path: Path | None) -> Tokens:
    if path is not None:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise TokenError(f"--tokens={str(path)!r}: cannot read: {exc.strerror}") from None
        return parse_tokens(text, f"--tokens {path}")
    env = os.environ.get(ENV)
    if env is None:
        raise TokenError(f"no tokens: give --tokens FILE or set {ENV}")
    return parse_tokens(env, ENV)
