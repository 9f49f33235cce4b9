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


# -- received SMS -------------------------------------------------------------------------------

SMSCS: dict[str, str] = {
    "20801": "+33689004000",
    "20810": "+33609001390",
    "20820": "+33660003000",
    "46000": "+8613800100500",
    "46001": "+8613010112500",
    "23415": "+447785016005",
    "23410": "+447802000332",
    "26201": "+491710760000",
    "26202": "+491722270333",
}
"""Service centre per MCC+MNC, so a port's received SMS carry its own network's SMSC."""
DEFAULT_SMSC = "+33609001390"
"""The SMSC of the manual-style example, for an IMSI from no known network."""
ALPHANUMERIC_SENDERS: tuple[str, ...] = ("Google", "DHL", "BANK-SMS", "Uber")
INCOMING_TEXTS: tuple[str, ...] = (
    "hi",
    "OK",
    "STOP",
    "Yes, see you at 6",
    "Your verification code is 482193",
    "Merci, bien reçu 👍",
    "您好\uff0c您的话费余额为 23.50 元\u3002",  # fullwidth comma and full stop, as sent
    "Guten Tag! Ihr Paket kommt morgen zwischen 10:00 und 14:00 Uhr.",
    "Reply 1 to confirm your appointment on Monday, 2 to cancel. Msg&data rates may apply.",
    (
        "This is a longer message that does not fit in one SMS, so the network split it into "
        "several parts and the gateway joined them again before storing it in the inbox."
    ),
)


def smsc_for(imsi: str) -> str:
    """The SMSC of the network that issued `imsi` (MCC+MNC are its first five digits)."""
    return SMSCS.get(imsi.strip()[:5], DEFAULT_SMSC)


def random_sender(rng: random.Random, pool: list[str]) -> str:
    """Who sends to the gateway: mostly known correspondents, some short codes, now and then
    an alphanumeric sender id (which is not a number at all)."""
    roll = rng.random()
    if roll < 0.10:
        return rng.choice(ALPHANUMERIC_SENDERS)
    if roll < 0.25:
        return rng.choice(SHORT_CODES)
    return rng.choice(pool)


def random_incoming_text(rng: random.Random) -> str:
    return rng.choice(INCOMING_TEXTS)
