from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from tests.mqtt.support import Names, Spy, spying
from tests.services import require_mqtt
from tests.support import Facade


@pytest.fixture
def mqtt_url() -> str:
    return require_mqtt()


@pytest.fixture
def names() -> Names:
    return Names.fresh()


@pytest.fixture
async def spy(mqtt_url: str, names: Names) -> AsyncIterator[Spy]:
    async with spying(mqtt_url, names) as spy:
        yield spy


@pytest.fixture
async def facade() -> AsyncIterator[Facade]:
    facade = Facade()
    yield facade
    await facade.aclose()


@pytest.fixture
def state_dir(tmp_path: Path) -> str:
    return str(tmp_path)
