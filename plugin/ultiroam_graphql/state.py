"""The little state that must survive a restart, in one JSON file under ``[server] state_dir``.

User ids handed out and the inbox high-water marks: a restart must not reuse the first or
re-announce messages below the second.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

STATE_FILE = "ultiroam-graphql-state.json"


class StateStore:
    """Numbers by section and gateway, written atomically on every change."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.path = Path(directory) / STATE_FILE
        self._data: dict[str, dict[str, int]] = self._read()

    def get(self, section: str, gateway_id: str) -> int | None:
        return self._data.get(section, {}).get(gateway_id)

    def set(self, section: str, gateway_id: str, value: int) -> None:
        self._data.setdefault(section, {})[gateway_id] = value
        self._write()

    def _read(self) -> dict[str, dict[str, int]]:
        try:
            data: Any = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("state: %s is unreadable (%s); starting afresh", self.path, exc)
            return {}
        if not isinstance(data, dict):
            return {}
        return {
            str(section): {str(k): int(v) for k, v in values.items() if isinstance(v, int)}
            for section, values in data.items()
            if isinstance(values, dict)
        }

    def _write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".state-")
        try:
            with os.fdopen(fd, "w") as file:
                json.dump(self._data, file, sort_keys=True)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
