"""What keeps `voiceguide serve` safe on a home network: the access token, the response
headers every answer carries, request-body limits and the allow-lists that stand between
a request and the filesystem.

* **Token**: with ``--lan`` a random token (:func:`new_token`) guards every route but
  ``/`` and ``/ca.crt``; a request shows it as ``?token=`` (the first visit, podcast apps), the
  ``vg_token`` cookie set on that visit (HttpOnly, SameSite=Strict) or an
  ``Authorization: Bearer`` header. Missing or wrong: 401 JSON. Compared in constant time.
* **Headers**: Content-Security-Policy (no inline script or style), X-Content-Type-Options,
  Referrer-Policy (the token never leaves in a Referer) on every response, errors included.
* **Other sites**: a request that changes something (any method but GET, HEAD, OPTIONS) is
  refused (403) when a browser says another page sent it (``Sec-Fetch-Site`` other than
  ``same-origin``, or an ``Origin`` that is not this server's), and (415) unless it is
  ``application/json``, which a page of another site cannot send without a CORS preflight
  this server never grants. So no web page the user visits can make the server work.
* **Names**: only a name matching :data:`ROUTINE_NAME` or :data:`SESSION_ID` is ever
  looked up, and then only in a table (never joined to a path as given); a name that is a
  device on some system (:data:`DEVICE_NAMES`) is never saved.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

COOKIE = "vg_token"
#: the policy the page is written for (serve-api.md): nothing inline, nothing from elsewhere
CSP = (
    "default-src 'self'; img-src 'self' data:; media-src 'self' blob:; style-src 'self'; "
    "script-src 'self'; connect-src 'self'; worker-src 'self'; manifest-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)
#: the largest request body read (bytes): a routine is at most 1 MiB, and so is its request
MAX_BODY_BYTES = 1 << 20
#: a routine name the page may use (the user folder's file is NAME.yaml)
ROUTINE_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
#: names a file cannot have on Windows (any extension): a routines folder synced there breaks
DEVICE_NAMES = frozenset(
    {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
)
#: the methods that change nothing: the only ones another site's page may make us answer
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: the one body type of a request that changes something (another site needs a preflight)
JSON_TYPE = "application/json"
#: a session id: 32 hex digits of a SHA-256 (see voiceguide.serve.jobs.session_id)
SESSION_ID = re.compile(r"[0-9a-f]{32}")
#: the routes that need no token: the page's shell and the CA certificate of --https, which
#: hold nothing private
OPEN_PATHS = frozenset({"/", "/ca.crt"})

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def new_token() -> str:
    """A random access token: 16 random bytes, URL-safe base64 (22 characters)."""
    return secrets.token_urlsafe(16)


def is_routine_name(name: str) -> bool:
    return ROUTINE_NAME.fullmatch(name) is not None


def is_device_name(name: str) -> bool:
    """Whether ``name`` is a device on some system (``nul``, ``com1``…), so a file of that
    name could not be copied there."""
    return name.lower() in DEVICE_NAMES


def is_session_id(text: str) -> bool:
    return SESSION_ID.fullmatch(text) is not None


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


def _cookie(scope: Scope, name: str) -> str | None:
    header = _header(scope, b"cookie")
    if not header:
        return None
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return None


def query_token(scope: Scope) -> str | None:
    """The ``token`` query parameter of the request, if any."""
    query = bytes(scope.get("query_string", b"")).decode("latin-1")
    values = parse_qs(query).get("token")
    return values[0] if values else None


def presented_tokens(scope: Scope) -> list[str]:
    """Every token the request shows: query, Bearer header, cookie."""
    found = []
    if (query := query_token(scope)) is not None:
        found.append(query)
    auth = _header(scope, b"authorization")
    if auth and auth[:7].lower() == "bearer ":
        found.append(auth[7:].strip())
    if (cookie := _cookie(scope, COOKIE)) is not None:
        found.append(cookie)
    return found


def token_matches(expected: str, given: str) -> bool:
    return secrets.compare_digest(expected.encode(), given.encode("utf-8", "replace"))


def cookie_header(token: str, secure: bool = False) -> str:
    """The Set-Cookie value that keeps ``token`` for later requests from this browser;
    ``secure`` (a server on https): never sent over plain http."""
    return f"{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=31536000" + (
        "; Secure" if secure else ""
    )


def _origin_parts(scheme: str, netloc: str) -> tuple[str, str, int | None] | None:
    """(scheme, host, port) of an origin, the default port made explicit; None when
    ``netloc`` is not a host[:port]."""
    try:
        split = urlsplit(f"{scheme}://{netloc}")
        port = split.port
    except ValueError:
        return None
    if split.hostname is None or split.username is not None or split.path or split.query:
        return None
    return scheme.lower(), split.hostname.lower(), port or {"http": 80, "https": 443}.get(scheme)


def _same_origin(origin: str, scope: Scope) -> bool:
    """Whether the ``Origin`` header names this server as the request reached it (its
    scheme and Host header, which the host check has already accepted)."""
    scheme, _, netloc = origin.partition("://")
    ours = _origin_parts(str(scope.get("scheme", "http")), _header(scope, b"host") or "")
    return ours is not None and _origin_parts(scheme, netloc) == ours


def refusal(scope: Scope) -> tuple[int, str] | None:
    """Why a request is refused as one a page of another site could have sent (status,
    message), or None. Only requests that change something are checked: a browser says
    who sent them (``Sec-Fetch-Site``, ``Origin``), and a JSON body is what another site
    cannot send without a CORS preflight (which this server never answers with consent).
    A client that is not a browser sends neither header and is judged by its token."""
    if scope.get("method", "GET") in SAFE_METHODS:
        return None
    site = _header(scope, b"sec-fetch-site")
    if site is not None and site.lower() not in ("same-origin", "none"):
        return 403, f"refused: another site's page sent this request (Sec-Fetch-Site: {site[:40]})"
    origin = _header(scope, b"origin")
    if origin is not None and not _same_origin(origin, scope):
        return 403, f"refused: another site's page sent this request (Origin: {origin[:80]})"
    kind = (_header(scope, b"content-type") or "").partition(";")[0].strip().lower()
    if kind != JSON_TYPE:
        return 415, f"send the request body as {JSON_TYPE}"
    return None


async def _send_json(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class SecurityMiddleware:
    """ASGI middleware: the security headers on every response; with a ``token``, 401 for
    any request to a guarded route that does not show it (see the module's docstring); a
    correct ``?token=`` sets the cookie on that response (``Secure`` over https); a request
    another site could have sent is refused (:func:`refusal`)."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        set_cookie = False
        if self.token is not None:
            given = presented_tokens(scope)
            good = any(token_matches(self.token, t) for t in given)
            query = query_token(scope)
            wrong_query = query is not None and not token_matches(self.token, query)
            if wrong_query or (not good and scope["path"] not in OPEN_PATHS):
                await _send_json(
                    _secured(send),
                    401,
                    b'{"error": "this server needs its access token: open the URL '
                    b'voiceguide serve printed (with ?token=)"}',
                )
                return
            set_cookie = query is not None and good and _cookie(scope, COOKIE) != self.token
        refused = refusal(scope)
        if refused is not None:
            status, why = refused
            await _send_json(_secured(send), status, json.dumps({"error": why}).encode())
            return
        secure = scope.get("scheme") == "https"

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start" and set_cookie and self.token:
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (b"set-cookie", cookie_header(self.token, secure).encode()),
                ]
            await _secured(send)(message)

        await self.app(scope, receive, send_secured)


def _secured(send: Send) -> Send:
    """``send`` that adds :data:`SECURITY_HEADERS` to the response's start."""

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [
                (k, v)
                for k, v in message.get("headers", [])
                if bytes(k).lower() not in {name for name, _ in SECURITY_HEADERS}
            ]
            message["headers"] = [*headers, *SECURITY_HEADERS]
        await send(message)

    return wrapped


class BodyTooLarge(Exception):
    """A request body over the limit (the app answers 413)."""


async def read_limited(
    receive_body: Callable[[], Any], declared: str | None, limit: int = MAX_BODY_BYTES
) -> bytes:
    """The request body, refusing (:class:`BodyTooLarge`) one over ``limit`` bytes: by its
    Content-Length before reading, else while reading (a chunked body stops at the limit).
    ``receive_body`` is Starlette's ``request.stream``."""
    if declared is not None:
        try:
            if int(declared) > limit:
                raise BodyTooLarge
        except ValueError:
            raise BodyTooLarge from None
    chunks: list[bytes] = []
    size = 0
    async for chunk in receive_body():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)
