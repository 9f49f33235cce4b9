"""Plausible hardware and SIM data for the ports: IMEIs, ICCIDs, own numbers, credit, the MAC.

Everything is drawn from the RNG it is given, so a seed gives the same device every time.
"""

from __future__ import annotations

import random

from .fake_data import COUNTRIES, Country

MODULE_TACS: tuple[str, ...] = ("86769403", "86218304", "35391108", "86744504")
"""Type allocation codes (first 8 IMEI digits) of GSM/LTE modules found in gateways."""
MAC_PREFIX = "F8-A0-3D"
"""Dinstar's OUI, dash-separated as the `device` push writes it."""
DEFAULT_IP = "192.168.11.1"
"""The factory LAN address of Dinstar gateways."""
CURRENCIES: dict[str, str] = {"33": "EUR", "49": "EUR", "44": "GBP", "86": "CNY"}
"""Balance currency by the SIM's country calling code."""
LTE_SHARE = 0.25
"""Share of ports with an LTE module rather than GSM."""
OWN_NUMBER_SHARE = 0.4
"""Share of SIMs whose own number the gateway knows ("number learning" ran)."""
GPRS_SHARE = 0.6


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def luhn_digit(digits: str) -> str:
    """The Luhn check digit for `digits` (IMEIs and ICCIDs end with one)."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def random_imei(rng: random.Random) -> str:
    body = rng.choice(MODULE_TACS) + _digits(rng, 6)
    return body + luhn_digit(body)


def country_of(imsi: str) -> Country:
    """The country whose network issued `imsi` (the first country when none matches)."""
    network = imsi.strip()[:5]
    return next((c for c in COUNTRIES if network in c.networks), COUNTRIES[0])


def random_iccid(rng: random.Random, imsi: str) -> str:
    """A 20-digit ICCID: 89 (telecom), the SIM's calling code, issuer digits, Luhn digit."""
    body = "89" + country_of(imsi).calling_code + _digits(rng, 2)
    body += _digits(rng, 19 - len(body))
    return body + luhn_digit(body)


def random_own_number(rng: random.Random, imsi: str) -> str:
    """The SIM's own number in international format, or "" when the gateway never learnt it."""
    if rng.random() >= OWN_NUMBER_SHARE:
        return ""
    country = country_of(imsi)
    national = rng.choice(country.mobile_prefixes) + _digits(rng, country.subscriber_digits)
    return "+" + country.calling_code + national


def random_credit(rng: random.Random) -> float:
    """Prepaid balance, to the cent."""
    return round(rng.uniform(0.5, 60.0), 2)


def currency_for(imsi: str) -> str:
    return CURRENCIES.get(country_of(imsi).calling_code, "EUR")


def random_mac(rng: random.Random) -> str:
    return "-".join([MAC_PREFIX, *(f"{rng.randrange(256):02X}" for _ in range(3))])
