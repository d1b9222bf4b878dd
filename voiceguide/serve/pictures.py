"""The server's pictures: a routine's timeline at a pacing given as query parameters, and a
rendered session's timeline, both drawn by :func:`voiceguide.timeline_svg.timeline_svg`
(the picture ``voiceguide show --svg`` writes)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from starlette.responses import JSONResponse, Response

from .answers import Reply, error
from .jobs import PacingError, PacingRequest, check_pacing

if TYPE_CHECKING:
    from ..service import Order

SVG_TYPE = "image/svg+xml"
#: query parameters that are not pacing: the token a phone may carry in the address
NOT_PACING = frozenset({"token"})
#: at most this many query parameters (the pacing keys the page offers, the background, a token)
MAX_PARAMETERS = 24


def query_pacing(query: Mapping[str, str], count: int) -> PacingRequest:
    """The pacing of a GET's query parameters (``count`` of them, repeats included), checked
    as the page's pacing object is: a 400 naming the parameter when one is wrong."""
    if count > MAX_PARAMETERS:
        raise error(400, f"too many query parameters (at most {MAX_PARAMETERS})")
    raw = {key: value for key, value in query.items() if key not in NOT_PACING}
    try:
        return check_pacing(raw)
    except PacingError as exc:
        raise Reply(JSONResponse({"error": exc.message, "field": exc.field}, status_code=400)) from None


def routine_picture(order: Order) -> str:
    """The picture of ``order``'s session as it would play now: speech not in the cache yet
    estimated (its length marked ``≈``); nothing synthesized."""
    from ..service import timeline_picture

    return timeline_picture(order)


def session_picture(doc: object) -> str:
    """The picture of a rendered session from its ``show --json`` document; 404 when it has
    none (still rendering) or it is not one."""
    from ..export.document import timeline_from_document
    from ..timeline_svg import timeline_svg

    if not isinstance(doc, dict):
        raise error(404, "the session is not ready yet")
    try:
        timeline = timeline_from_document(doc)
    except (KeyError, TypeError, ValueError):
        raise error(404, "the session has no timeline") from None
    return timeline_svg(timeline)


def svg(text: str, cache: str) -> Response:
    """``text`` as an SVG answer with ``cache`` as its cache-control."""
    return Response(text, media_type=SVG_TYPE, headers={"cache-control": cache})
