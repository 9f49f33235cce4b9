from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.support import commands


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Any]:
    """``spawn("serve", ..., port=P)``: a real ``ultiroam-graphql`` process (tests.support)."""
    with commands(tmp_path) as start:
        yield start
