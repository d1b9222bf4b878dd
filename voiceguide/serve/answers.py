"""How `voiceguide serve` answers what goes wrong: every error is a JSON answer.

Handlers raise; Starlette's ``exception_handlers`` (:func:`exception_handlers`, given to the
app by :func:`voiceguide.serve.app.create_app`) turn each kind into its answer, the one
place that does: 422 with diagnostics for a routine or pacing, 503 when an engine or encoder
is missing or the server is stopping, 500 for another error of ours, and for a bug a JSON
500 naming only its type (no traceback to the client; the server's log has it). A bad
request found deep in a handler raises :class:`Reply` with its answer.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..errors import (
    Diagnostic,
    EncoderUnavailable,
    EngineUnavailable,
    RoutineError,
    UsageError,
    VoiceguideError,
)
from .jobs import Cancelled, PacingError
from .security import BodyTooLarge, read_limited


def diagnostic(d: Diagnostic) -> dict[str, object]:
    """A diagnostic as the page shows it: line, column, message, severity."""
    return {"line": d.position.line, "col": d.position.column, "message": d.message, "severity": d.severity}


def problem(message: str, field_name: str | None = None) -> dict[str, object]:
    """A diagnostic that is not at a place in the text (line and col 0)."""
    found: dict[str, object] = {"line": 0, "col": 0, "message": message, "severity": "error"}
    if field_name:
        found["field"] = field_name
    return found


class Reply(Exception):
    """Answer at once with ``response`` (bad requests found deep in a handler)."""

    def __init__(self, response: Response) -> None:
        super().__init__()
        self.response = response


def error(status: int, message: str) -> Reply:
    return Reply(JSONResponse({"error": message}, status_code=status))


def diagnostics_reply(diagnostics: list[dict[str, object]]) -> Reply:
    return Reply(JSONResponse({"diagnostics": diagnostics}, status_code=422))


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object (at most 1 MiB); 413, or 400 for anything else."""
    try:
        data = await read_limited(request.stream, request.headers.get("content-length"))
    except BodyTooLarge:
        raise error(413, "the request is larger than 1 MiB (the limit for a routine)") from None
    try:
        body = json.loads(data or b"{}")
    except (ValueError, RecursionError):  # RecursionError: nested deeper than Python recurses
        raise error(400, "the request body is not JSON") from None
    if not isinstance(body, dict):
        raise error(400, "the request body must be a JSON object")
    return body


def yaml_bytes(body: dict[str, Any]) -> bytes:
    """The routine text of a body ``{"yaml": TEXT}`` as bytes (400 without it)."""
    text = body.get("yaml")
    if not isinstance(text, str):
        raise error(400, 'give the routine as {"yaml": "..."}')
    return text.encode("utf-8", "surrogatepass")  # a lone surrogate: the loader says where


def _answer(exc: Exception) -> Response:
    """The answer for what a handler raised (the most specific kind first)."""
    if isinstance(exc, Reply):
        return exc.response
    if isinstance(exc, RoutineError):
        return diagnostics_reply([diagnostic(d) for d in exc.diagnostics]).response
    if isinstance(exc, PacingError):
        return diagnostics_reply([problem(exc.message, exc.field)]).response
    if isinstance(exc, UsageError):
        return diagnostics_reply([problem(exc.message)]).response
    if isinstance(exc, EngineUnavailable | EncoderUnavailable | Cancelled):
        return JSONResponse({"error": exc.message}, status_code=503)
    if isinstance(exc, VoiceguideError):
        return JSONResponse({"error": exc.message}, status_code=500)
    return JSONResponse({"error": f"internal error: {type(exc).__name__}"}, status_code=500)


async def _handle(request: Request, exc: Exception) -> Response:
    return _answer(exc)


Handler = Callable[[Request, Exception], Awaitable[Response]]


def exception_handlers() -> Mapping[Any, Handler]:
    """Starlette's ``exception_handlers``: our errors by kind, and any other exception (a
    bug) as a JSON 500 (Starlette's server-error layer answers it, then the log has it)."""
    kinds: tuple[type[Exception], ...] = (
        Reply,
        RoutineError,
        PacingError,
        UsageError,
        EngineUnavailable,
        EncoderUnavailable,
        Cancelled,
        VoiceguideError,
        Exception,
    )
    return dict.fromkeys(kinds, _handle)
