"""A rendering session's beginning, played before its render is done (``<id>.live.mp3``).

:func:`voiceguide.serve.jobs.render_session` encodes a session whose speech is still being
made into ``<id>.live.mp3`` as its samples become final; :func:`live_audio` answers a GET of
it by following the file as it grows, as one stream without ranges (like a radio's), until
its encoding is done. The page then carries on in the rendered ``<id>.mp3``.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from .jobs import Job

#: how long a follower waits for the file to grow before it looks again, s
_POLL_S = 0.1


def live_audio(request: Request, job: Job, path: Path, stopping: threading.Event) -> Response:
    """``path`` (the job's live mp3) followed as it grows; 404 once the session is ready or
    when there is no such file."""
    try:
        source = path.open("rb")  # held open: the file is removed once the session is ready
    except OSError:
        return JSONResponse({"error": "no such file"}, status_code=404)
    if job.status != "rendering":
        source.close()
        return JSONResponse({"error": "no such file"}, status_code=404)

    async def follow() -> AsyncIterator[bytes]:
        with source:
            while True:
                chunk = source.read(1 << 16)
                if chunk:
                    yield chunk
                    continue
                if job.live_state != "encoding" or job.status != "rendering" or stopping.is_set():
                    rest = source.read()
                    if rest:
                        yield rest
                    return
                if await request.is_disconnected():
                    return
                await asyncio.sleep(_POLL_S)

    return StreamingResponse(
        follow(), media_type="audio/mpeg", headers={"cache-control": "no-store", "accept-ranges": "none"}
    )
