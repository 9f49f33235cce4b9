"""Cursors: ``<milliseconds>-<sequence>``, as Redis stream ids are; ordered as number pairs."""

from __future__ import annotations

import re

from ..errors import BadUserInput

CURSOR = re.compile(r"^(\d{1,20})-(\d{1,20})$")


def cursor_key(cursor: str) -> tuple[int, int]:
    """The cursor as a comparable pair; a string that is no cursor is bad input."""
    match = CURSOR.match(cursor)
    if match is None:
        raise BadUserInput(f"{cursor[:40]!r} is not a cursor (a cursor looks like 1714730400000-0)")
    return int(match[1]), int(match[2])
