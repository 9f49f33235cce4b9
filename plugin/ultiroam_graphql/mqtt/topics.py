"""Every MQTT topic the bridge uses, named once (the table in docs/home-assistant.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..events import EventKind

EVENT_TOPICS: dict[EventKind, str] = {
    "sms_result": "sms_result",
    "sms_deliver_status": "delivery_report",
    "sms": "incoming_sms",
}
"""Broker event kind -> the last level of its topic under ``<prefix>/<gateway>/``."""
ONLINE = b"online"
OFFLINE = b"offline"


def slug(text: str) -> str:
    """Text fit for a Home Assistant unique id or discovery object id: ``[A-Za-z0-9_-]``."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", text)


@dataclass(frozen=True, slots=True)
class Topics:
    """The bridge's topics under ``prefix`` (``[mqtt] topic_prefix``) and Home Assistant's
    under ``discovery_prefix``."""

    prefix: str
    discovery_prefix: str

    @property
    def status(self) -> str:
        """``online`` / ``offline`` (retained); the bridge's last will is ``offline``."""
        return f"{self.prefix}/status"

    @property
    def retained_index(self) -> str:
        """The retained topics the bridge last wrote, so it can clear those no longer wanted."""
        return f"{self.prefix}/bridge/retained"

    def sync(self, token: str) -> str:
        """A private marker topic: once the marker comes back, retained messages are in."""
        return f"{self.prefix}/bridge/sync/{token}"

    @property
    def home_assistant_status(self) -> str:
        """Home Assistant's birth and last-will topic."""
        return f"{self.discovery_prefix}/status"

    def availability(self, gateway_id: str) -> str:
        return f"{self.prefix}/{gateway_id}/availability"

    def port_state(self, gateway_id: str, port: int) -> str:
        return f"{self.prefix}/{gateway_id}/port/{port}/state"

    def event(self, gateway_id: str, kind: EventKind) -> str:
        return f"{self.prefix}/{gateway_id}/{EVENT_TOPICS[kind]}"

    def send(self, gateway_id: str) -> str:
        return f"{self.prefix}/{gateway_id}/send"

    def send_result(self, gateway_id: str) -> str:
        return f"{self.prefix}/{gateway_id}/send/result"

    def discovery(self, component: str, unique_id: str) -> str:
        return f"{self.discovery_prefix}/{component}/{unique_id}/config"

    def unique_id(self, gateway_id: str, entity: str) -> str:
        """Stable across restarts: the topic prefix, the gateway id and the entity's role."""
        return f"{slug(self.prefix)}_{gateway_id}_{entity}"

    def gateway_of(self, topic: str, last: str) -> str | None:
        """The gateway of ``<prefix>/<gateway>/<last>``, or None for another topic."""
        head, _, gateway_id = topic.removesuffix(f"/{last}").rpartition("/")
        if head != self.prefix or not topic.endswith(f"/{last}") or not gateway_id:
            return None
        return gateway_id
