"""`get_status` (§3.12): the device's CPU, memory and flash use, all as strings, no envelope."""

from __future__ import annotations

import math

SECTIONS: tuple[str, ...] = ("performance",)
FLASH_TOTAL = 27648
FLASH_USED = 17428
MEMORY_TOTAL = 109448
MEMORY_CACHED = 34192


def performance(seed: int, now: float) -> dict[str, str]:
    """Figures in KB (CPU in %), drifting slowly with time; a pure function of seed and time."""
    phase = (seed % 97) / 97 * 2 * math.pi
    wave = math.sin(now / 300 + phase)
    cpu = round(35 + 15 * wave + 6 * math.sin(now / 37 + 2 * phase))
    used = round(50520 + 4000 * math.sin(now / 1200 + phase))
    return {
        "cpu_used": str(max(1, min(99, cpu))),
        "flash_total": str(FLASH_TOTAL),
        "flash_used": str(FLASH_USED),
        "memory_total": str(MEMORY_TOTAL),
        "memory_used": str(used),
        "memory_free": str(MEMORY_TOTAL - used),
        "memory_cached": str(MEMORY_CACHED),
        "memory_buffers": "0",
    }


def get_status(body: object, seed: int, now: float) -> dict[str, object] | None:
    """The reply to a `get_status` body, or None for a body the firmware refuses (403): it must
    be a non-empty array of known section names such as `["performance"]`."""
    if not isinstance(body, list) or not body or not all(s in SECTIONS for s in body):
        return None
    return {"performance": performance(seed, now)}
