"""Plausible phone numbers, IMSIs and user ids, drawn from one seeded RNG.

Real traffic mixes national and international formats, repeats the same recipients, and the
manual shows stray white space in numbers and IMSIs; clients must cope with all of that, so the
simulator produces it on purpose.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .record import Fate


@dataclass(frozen=True, slots=True)
class Country:
    """How one country's mobile numbers look, and which networks issue its SIMs."""

    calling_code: str
    trunk_prefix: str
    mobile_prefixes: tuple[str, ...]
    subscriber_digits: int
    networks: tuple[str, ...]
    """MCC+MNC pairs used to build IMSIs."""


COUNTRIES: tuple[Country, ...] = (
    Country("33", "0", ("6", "7"), 8, ("20801", "20810", "20820")),
    Country("86", "", ("138", "139", "150", "186"), 8, ("46000", "46001")),
    Country("44", "0", ("77", "78", "79"), 8, ("23415", "23410")),
    Country("49", "0", ("151", "160", "176"), 7, ("26201", "26202")),
)
SHORT_CODES: tuple[str, ...] = ("10086", "10010", "8888", "36665")

SEND_DELAY: tuple[float, float] = (1.0, 6.0)
"""Seconds a message stays SENDING (uniform range)."""
DELIVERY_DELAY: tuple[float, float] = (2.0, 30.0)
"""Seconds from SENT_OK to DELIVERED (uniform range)."""
FATE_WEIGHTS: dict[Fate, float] = {"DELIVERED": 0.80, "SENT_OK": 0.15, "FAILED": 0.05}


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def random_number(rng: random.Random) -> str:
    """One destination number in a national, `+` or `00` international format, or a short code."""
    roll = rng.random()
    if roll < 0.04:
        return rng.choice(SHORT_CODES)
    country = rng.choice(COUNTRIES)
    national = rng.choice(country.mobile_prefixes) + _digits(rng, country.subscriber_digits)
    if roll < 0.50:
        number = country.trunk_prefix + national
    elif roll < 0.90:
        number = "+" + country.calling_code + national
    else:
        number = "00" + country.calling_code + national
    if rng.random() < 0.05:
        number = rng.choice((" " + number, number + " "))
    return number


def random_imsi(rng: random.Random) -> str:
    """A 15-digit IMSI from one of the known networks."""
    network = rng.choice(rng.choice(COUNTRIES).networks)
    return network + _digits(rng, 15 - len(network))


def port_imsis(rng: random.Random, ports: int) -> list[str]:
    """One IMSI per port; about one port in eight reports it with a trailing space (as seen in
    the manual's push examples)."""
    imsis = [random_imsi(rng) for _ in range(ports)]
    for port in rng.sample(range(ports), max(1, ports // 8)):
        imsis[port] += " "
    return imsis


def number_pool(rng: random.Random, size: int = 48) -> list[str]:
    """Recipients that recur across messages, as real customers do; always including the
    manual's `" 10086"` and one number with a trailing space."""
    pool = [random_number(rng) for _ in range(max(size, 2))]
    first, second = rng.sample(range(len(pool)), 2)
    pool[first] = " 10086"
    pool[second] = pool[second].strip() + " "
    return pool


def random_fate(rng: random.Random) -> Fate:
    fates = list(FATE_WEIGHTS)
    return rng.choices(fates, weights=[FATE_WEIGHTS[f] for f in fates])[0]


def random_count(rng: random.Random) -> int:
    """Segments per SMS: mostly single, sometimes a long text."""
    return rng.choices((1, 2, 3), weights=(0.75, 0.17, 0.08))[0]


class UserIds:
    """Mostly distinct increasing user ids, as a client numbering its messages would send, with a
    few zeros from clients that do not set one."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._next = rng.randint(1000, 90000)

    def next(self) -> int:
        if self._rng.random() < 0.05:
            return 0
        value = self._next
        self._next += self._rng.randint(1, 3)
        return value
