"""The inbox poll beside ``sms`` pushes: pushes may be lost, the device's inbox is the truth.

Polls ``query_incoming_sms`` with ``flag=all`` above a high-water mark (never ``unread``, which
marks messages read on the device) and publishes what is new as ``sms`` events. The broker knows
a message by gateway and id, so one that was also pushed reaches subscribers once.
"""

from __future__ import annotations

import asyncio
import logging

from .broker import Broker
from .errors import BrokerUnavailable, GatewayError
from .events import Event
from .gateway import GatewayClient
from .gateway.models import record_data
from .state import StateStore

log = logging.getLogger(__name__)


class InboxPoller:
    def __init__(
        self, client: GatewayClient, broker: Broker, state: StateStore, *, interval: float
    ) -> None:
        self.client = client
        self.broker = broker
        self.state = state
        self.interval = interval
        self._failing = False

    async def run(self) -> None:
        """Poll until cancelled; failures are logged once, then retried at the next interval."""
        while True:
            try:
                await self.poll()
            except (GatewayError, BrokerUnavailable) as exc:
                if not self._failing:
                    log.warning("inbox poll of %s failed: %s", self.client.id, exc)
                self._failing = True
            except Exception:  # e.g. the state file: keep polling, say so once
                if not self._failing:
                    log.exception("inbox poll of %s failed", self.client.id)
                self._failing = True
            else:
                if self._failing:
                    log.info("inbox poll of %s works again", self.client.id)
                self._failing = False
            await asyncio.sleep(self.interval)

    async def poll(self) -> int:
        """Publish the messages above the mark; how many were new to the broker."""
        mark = self.state.get("inbox", self.client.id)
        page = await self.client.query_incoming_sms(after_id=mark or 0)
        messages = sorted(page.messages, key=lambda message: message.id)
        if mark is None:  # the first poll ever: what is already there is not news
            self.state.set("inbox", self.client.id, messages[-1].id if messages else 0)
            return 0
        if not messages:
            return 0
        events = [
            Event(self.client.id, "sms", record_data(message), sn=self.client.sn)
            for message in messages
        ]
        cursors = await self.broker.publish_all(events)
        self.state.set("inbox", self.client.id, messages[-1].id)
        return sum(cursor is not None for cursor in cursors)
