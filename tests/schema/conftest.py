from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from tests.support import Facade


@pytest.fixture
async def facade() -> AsyncIterator[Facade]:
    facade = Facade()
    yield facade
    await facade.aclose()
