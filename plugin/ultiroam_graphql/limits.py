"""Request bodies read up to a limit: refused as soon as they pass it, never buffered whole."""

from __future__ import annotations

from starlette.requests import ClientDisconnect, Request


class BodyTooLarge(Exception):
    pass


async def read_limited(request: Request, limit: int, declared: str | None = None) -> bytes:
    """The body, or :class:`BodyTooLarge` once it passes ``limit`` bytes.

    ``declared`` is the ``Content-Length`` header when the caller has read it already.
    """
    if declared is None:
        declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    receive = request.receive  # read as ``request.stream()`` reads, without its generator
    body = bytearray()  # grows in place: small chunks cost no copy of what came before
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect
        if message["type"] == "http.request":
            body += message.get("body", b"")
            if len(body) > limit:
                raise BodyTooLarge
            if not message.get("more_body", False):
                return bytes(body)
