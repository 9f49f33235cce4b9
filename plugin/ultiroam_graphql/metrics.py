"""Prometheus metrics of one app: a registry of its own, fed by the observers the app connects.

The gateway clients, the broker, the push webhook and the schema each call a small observer
protocol of their own and import nothing from here; :class:`Metrics` implements all of them.
Label values come from the configuration and from fixed lists, never from a request: anything
else is counted as ``unknown``, so the number of series stays bounded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

from .broker import Broker
from .events import EVENT_KINDS
from .gateway import GatewayClient
from .gateway.observe import CALL_OUTCOMES, GATEWAY_STATES, CallOutcome, GatewayState
from .webhook import PUSH_OUTCOMES, PushOutcome

UNKNOWN = "unknown"
INTERNAL = "internal"
"""The subscription label of the facade's own listeners (e.g. sendUssd waiting for a reply)."""
OPERATION_TYPES = ("query", "mutation", "subscription", "unknown")
CIRCUIT_STATES = ("closed", "open", "half_open")


class Metrics:
    """Every metric of one app, and the observer methods that feed them."""

    def __init__(self, gateways: Mapping[str, GatewayClient], broker: Broker) -> None:
        self.registry = registry = CollectorRegistry()
        for collector in (ProcessCollector, PlatformCollector, GCCollector):
            collector(registry=registry)
        registry.register(_LiveState(gateways, broker))
        self._gateways = frozenset(gateways)
        self._kinds = frozenset((*EVENT_KINDS, INTERNAL))

        self.gateway_requests = Counter(
            "ultiroam_gateway_requests",
            "REST calls to the gateways, by outcome (circuit_open and auth_cooldown: not sent).",
            ["gateway", "endpoint", "outcome"],
            registry=registry,
        )
        self.gateway_request_duration = Histogram(
            "ultiroam_gateway_request_duration_seconds",
            "Time of the REST calls sent to the gateways, from a free slot to the answer.",
            ["gateway", "endpoint"],
            registry=registry,
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        )
        self.gateway_unparsable = Counter(
            "ultiroam_gateway_unparsable_replies",
            "Replies counted ok whose records did not parse (GATEWAY_PROTOCOL_ERROR).",
            ["gateway", "endpoint"],
            registry=registry,
        )
        self.gateway_state_changes = Counter(
            "ultiroam_gateway_state_changes",
            "Gateway state transitions: reachability, circuit and login.",
            ["gateway", "state"],
            registry=registry,
        )
        self.pushes = Counter(
            "ultiroam_pushes",
            "Pushes received on the webhook, accepted or refused by reason.",
            ["gateway", "outcome"],
            registry=registry,
        )
        self.push_events = Counter(
            "ultiroam_push_events",
            "Events in accepted pushes, by kind; duplicate: the gateway sent it before.",
            ["gateway", "kind", "outcome"],
            registry=registry,
        )
        self.subscriptions = Gauge(
            "ultiroam_subscriptions_active",
            "Open subscriptions in this process, by the event kind they follow.",
            ["kind"],
            registry=registry,
        )
        self.shared_subscribers = Gauge(
            "ultiroam_subscription_shared_subscribers",
            "WebSocket subscriptions served by a shared execution (same document and "
            "variables: each event is executed and serialised once for all of them).",
            registry=registry,
        )
        self.events_delivered = Counter(
            "ultiroam_subscription_events_delivered",
            "Events handed to subscribers.",
            ["kind"],
            registry=registry,
        )
        self.events_dropped = Counter(
            "ultiroam_subscription_events_dropped",
            "Events a subscriber's full buffer could not take (its stream then ends).",
            ["kind"],
            registry=registry,
        )
        self.operations = Counter(
            "ultiroam_graphql_operations",
            "GraphQL operations by type and outcome (error: at least one error in the result).",
            ["type", "outcome"],
            registry=registry,
        )
        self.operation_duration = Histogram(
            "ultiroam_graphql_operation_duration_seconds",
            "Time to answer GraphQL queries and mutations.",
            ["type"],
            registry=registry,
        )
        self._operation_children: dict[tuple[str, str], tuple[Any, Any]] = {}
        for operation_type in OPERATION_TYPES:
            for outcome in ("ok", "error"):
                self.operations.labels(operation_type, outcome)
        for gateway_id in gateways:
            self.pushes.labels(gateway_id, "accepted")
        for kind in EVENT_KINDS:
            self.subscriptions.labels(kind)

    def exposition(self, accept: str = "") -> tuple[bytes, str]:
        """The metrics and their media type: the Prometheus text format, or OpenMetrics
        when the scraper's ``Accept`` header asks for it."""
        encode, media_type = choose_encoder(accept)
        return encode(self.registry), media_type

    # GatewayObserver

    def call_finished(
        self, gateway_id: str, endpoint: str, outcome: CallOutcome, seconds: float | None
    ) -> None:
        gateway = self._gateway(gateway_id)
        self.gateway_requests.labels(gateway, endpoint, _known(outcome, CALL_OUTCOMES)).inc()
        if seconds is not None:
            self.gateway_request_duration.labels(gateway, endpoint).observe(seconds)

    def state_changed(self, gateway_id: str, state: GatewayState) -> None:
        self.gateway_state_changes.labels(
            self._gateway(gateway_id), _known(state, GATEWAY_STATES)
        ).inc()

    def reply_unparsable(self, gateway_id: str, endpoint: str) -> None:
        self.gateway_unparsable.labels(self._gateway(gateway_id), endpoint).inc()

    # PushObserver

    def push_handled(
        self, gateway: str, outcome: PushOutcome, events: Sequence[tuple[str, bool]]
    ) -> None:
        gateway = self._gateway(gateway)
        self.pushes.labels(gateway, _known(outcome, PUSH_OUTCOMES)).inc()
        for kind, published in events:
            self.push_events.labels(
                gateway, self._kind(kind), "published" if published else "duplicate"
            ).inc()

    # BrokerObserver

    def subscription_opened(self, label: str) -> None:
        self.subscriptions.labels(self._kind(label)).inc()

    def subscription_closed(self, label: str) -> None:
        self.subscriptions.labels(self._kind(label)).dec()

    def event_delivered(self, label: str) -> None:
        self.events_delivered.labels(self._kind(label)).inc()

    def event_dropped(self, label: str) -> None:
        self.events_dropped.labels(self._kind(label)).inc()

    # FanoutObserver

    def subscribers_changed(self, delta: int) -> None:
        self.shared_subscribers.inc(delta)

    # OperationObserver

    def operation_finished(self, operation_type: str, outcome: str, seconds: float) -> None:
        key = (_known(operation_type, OPERATION_TYPES), _known(outcome, ("ok", "error")))
        children = self._operation_children.get(key)
        if children is None:  # a few label pairs: looked up once each, not per operation
            operation_type, outcome = key
            timed = operation_type in ("query", "mutation")
            children = self._operation_children[key] = (
                self.operations.labels(operation_type, outcome),
                self.operation_duration.labels(operation_type) if timed else None,
            )
        counter, duration = children
        counter.inc()
        if duration is not None:
            duration.observe(seconds)

    def _gateway(self, gateway_id: str) -> str:
        return gateway_id if gateway_id in self._gateways else UNKNOWN

    def _kind(self, kind: str) -> str:
        return kind if kind in self._kinds else UNKNOWN


def _known(value: str, allowed: Iterable[str]) -> str:
    return value if value in allowed else UNKNOWN


class _LiveState:
    """Read at each scrape: the broker's connection and each gateway's circuit and contact."""

    def __init__(self, gateways: Mapping[str, GatewayClient], broker: Broker) -> None:
        self._gateways = gateways
        self._broker = broker

    def collect(self) -> Iterable[Metric]:
        yield GaugeMetricFamily(
            "ultiroam_broker_connected",
            "1 while the broker can publish and deliver events.",
            value=1.0 if self._broker.connected else 0.0,
        )
        circuit = GaugeMetricFamily(
            "ultiroam_gateway_circuit_state",
            "1 for each gateway's current circuit breaker state.",
            labels=["gateway", "state"],
        )
        failures = GaugeMetricFamily(
            "ultiroam_gateway_consecutive_failures",
            "Calls in a row that could not reach the gateway.",
            labels=["gateway"],
        )
        contact = GaugeMetricFamily(
            "ultiroam_gateway_last_contact_timestamp_seconds",
            "When the gateway last answered or pushed (Unix time); absent before that.",
            labels=["gateway"],
        )
        for gateway_id, client in self._gateways.items():
            state = client.breaker_state
            for candidate in CIRCUIT_STATES:
                circuit.add_metric([gateway_id, candidate], 1.0 if state == candidate else 0.0)
            failures.add_metric([gateway_id], float(client.consecutive_failures))
            if client.last_contact is not None:
                contact.add_metric([gateway_id], client.last_contact)
        yield circuit
        yield failures
        yield contact


__all__ = ["Metrics"]
