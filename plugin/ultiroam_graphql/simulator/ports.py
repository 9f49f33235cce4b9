"""The ports: their module, SIM and registration, as `get_port_info` shows them (§3.9), and the
`set_port_info` actions that change them (§3.10), with their `register` events (§5).

Most ports are registered. A seeded few, always in the upper half of the ports (so low ports
are dependable in demos and tests), have no SIM or no coverage (SEARCHING_NETWORK for good).
A reset, a power-on or a flap takes a port through SEARCHING_NETWORK for a few seconds.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from . import port_data
from .events import Scheduled, Timeline

Registration = Literal[
    "POWER_OFF",
    "NO_SIM",
    "PIN_REQUIRE",
    "PUK_REQUIRE",
    "UNREGISTER",
    "SEARCHING_NETWORK",
    "REGISTER_OK",
    "UNKNOWN",
]
INFO_TYPES: tuple[str, ...] = (
    "type",
    "imei",
    "imsi",
    "iccid",
    "number",
    "reg",
    "slot",
    "callstate",
    "signal",
    "gprs",
    "remain_credit",
    "remain_monthly_credit",
    "remain_daily_credit",
    "remain_daily_calltime",
    "remain_hourly_calltime",
    "remain_daily_connect",
)
"""What `info_type` may ask for; anything else (`operator`, `CallForward`) is a 400."""
UNLIMITED = "-1"
"""What the `remain_*` limits other than `remain_credit` show: no limit configured."""
NO_SLOT = 255
REREGISTER_DELAY: tuple[float, float] = (3.0, 8.0)
"""Seconds in SEARCHING_NETWORK after a reset, a power-on or a flap."""
SIGNAL_PERIOD = 900.0
"""Seconds of one slow swing of a port's signal."""
NULL = "<NULL>"


@dataclass(frozen=True, slots=True)
class SimCard:
    imsi: str
    iccid: str
    number: str
    """Own number, "" until the gateway has learnt it."""
    credit: float


@dataclass(slots=True)
class PortState:
    """One port: fixed hardware and SIM, changing power and registration."""

    index: int
    network_type: str
    imei: str
    sim: SimCard | None
    """None: NO_SIM."""
    coverage: bool
    """False: the module never finds a network (SEARCHING_NETWORK for good)."""
    gprs: bool
    signal_base: int
    signal_phase: float
    powered: bool = True
    searching: bool = False
    """Re-registering after a reset, power-on or flap."""
    pending_up: Scheduled | None = None

    @property
    def registration(self) -> Registration:
        if not self.powered:
            return "POWER_OFF"
        if self.sim is None:
            return "NO_SIM"
        if self.searching or not self.coverage:
            return "SEARCHING_NETWORK"
        return "REGISTER_OK"

    @property
    def registered(self) -> bool:
        return self.registration == "REGISTER_OK"

    def signal(self, now: float) -> int:
        """CSQ 0..31, swinging slowly around the port's level; 0 while off or without SIM."""
        if not self.powered or self.sim is None:
            return 0
        swing = 3 * math.sin(2 * math.pi * now / SIGNAL_PERIOD + self.signal_phase)
        return max(0, min(31, round(self.signal_base + swing)))

    def info(self, key: str, now: float) -> object:
        """The value of one `info_type` key."""
        sim = self.sim if self.powered else None
        values: dict[str, object] = {
            "type": self.network_type,
            "imei": self.imei,
            "imsi": sim.imsi if sim else "",
            "iccid": sim.iccid if sim else "",
            "number": sim.number if sim else "",
            "reg": self.registration,
            "slot": NO_SLOT,
            "callstate": "Idle",
            "signal": self.signal(now),
            "gprs": "attached" if self.gprs and self.registered else "detached",
            "remain_credit": f"{sim.credit:.2f}" if sim else "",
        }
        return values.get(key, UNLIMITED)


def _unusable_ports(rng: random.Random, count: int) -> tuple[list[int], list[int]]:
    """(no SIM, no coverage) ports, drawn from the upper half."""
    no_sim, no_coverage = (2, 1) if count >= 8 else (1, 0) if count >= 4 else (0, 0)
    chosen = rng.sample(range(count // 2, count), no_sim + no_coverage)
    return chosen[:no_sim], chosen[no_sim:]


class PortBank:
    """All ports of the device, with the actions of `set_port_info`. Every read settles the
    timeline first, so changes due by the clock have happened."""

    def __init__(
        self,
        imsis: list[str],
        rng: random.Random,
        timeline: Timeline,
        clock: Callable[[], float],
    ) -> None:
        self._rng = rng
        self._timeline = timeline
        self._clock = clock
        self._sequence = 0
        no_sim, no_coverage = _unusable_ports(rng, len(imsis))
        self._ports = [
            PortState(
                index=port,
                network_type="LTE" if rng.random() < port_data.LTE_SHARE else "GSM",
                imei=port_data.random_imei(rng),
                sim=None
                if port in no_sim
                else SimCard(
                    imsi=imsi,
                    iccid=port_data.random_iccid(rng, imsi),
                    number=port_data.random_own_number(rng, imsi),
                    credit=port_data.random_credit(rng),
                ),
                coverage=port not in no_coverage,
                gprs=rng.random() < port_data.GPRS_SHARE,
                signal_base=rng.randint(2, 5) if port in no_coverage else rng.randint(9, 27),
                signal_phase=rng.uniform(0, 2 * math.pi),
            )
            for port, imsi in enumerate(imsis)
        ]

    def _now(self) -> float:
        now = self._clock()
        self._timeline.settle(now)
        return now

    def __len__(self) -> int:
        return len(self._ports)

    def __getitem__(self, port: int) -> PortState:
        """The port's state as last settled (read `registered()`/`info()` for "now")."""
        return self._ports[port]

    def registered(self, ports: Sequence[int] | None = None) -> list[int]:
        """The ports (of `ports`, default all) registered now, so able to send."""
        self._now()
        chosen = range(len(self._ports)) if ports is None else ports
        return [p for p in chosen if self._ports[p].registered]

    def info(
        self, info_types: Sequence[str], ports: Sequence[int] | None = None
    ) -> list[dict[str, object]]:
        """`get_port_info`'s `info` list: per port (default all) only the asked keys."""
        now = self._now()
        chosen = range(len(self._ports)) if ports is None else ports
        return [
            {"port": p, **{key: self._ports[p].info(key, now) for key in info_types}}
            for p in chosen
        ]

    def reset(self, port: int) -> None:
        """Restart the module: down now (if it was up), SEARCHING_NETWORK, up again in a few
        seconds. Nothing happens on a port that is off, has no SIM or no coverage."""
        now = self._now()
        state = self._ports[port]
        if not state.powered or state.sim is None or not state.coverage:
            return
        if state.registered:
            self._emit(state, now, up=False)
        self._reregister(state, now)

    def power(self, port: int, on: bool) -> None:
        """Off: POWER_OFF at once (down if it was up). On: re-registers like a reset."""
        now = self._now()
        state = self._ports[port]
        if on == state.powered:
            return
        if not on:
            if state.registered:
                self._emit(state, now, up=False)
            self._cancel_up(state)
            state.powered = state.searching = False
            return
        state.powered = True
        if state.sim is not None and state.coverage:
            self._reregister(state, now)

    def _reregister(self, state: PortState, now: float) -> None:
        self._cancel_up(state)
        state.searching = True
        delay = self._rng.uniform(*REREGISTER_DELAY)

        def come_up(at: float) -> None:
            state.searching = False
            state.pending_up = None
            self._emit(state, at, up=True)

        state.pending_up = self._timeline.schedule(now + delay, come_up)

    @staticmethod
    def _cancel_up(state: PortState) -> None:
        if state.pending_up is not None:
            state.pending_up.cancel()
            state.pending_up = None

    def _emit(self, state: PortState, at: float, *, up: bool) -> None:
        sim = state.sim
        assert sim is not None  # only ports with a SIM go up or down
        self._sequence += 1
        self._timeline.emit(
            at,
            "register",
            {
                "port": state.index,
                "iccid": sim.iccid if up else NULL,
                "imsi": sim.imsi if up else NULL,
                "number": sim.number if up else "",
                "status": "up" if up else "down",
                "sequence": self._sequence,
            },
        )
