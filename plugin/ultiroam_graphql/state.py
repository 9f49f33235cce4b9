"""The little state that must survive a restart, in one JSON file under ``[server] state_dir``.

User ids handed out and the inbox high-water marks: a restart must not reuse the first or
re-announce messages below the second. Several processes may share the directory, so every
change re-reads the file under an exclusive lock before it writes.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

STATE_FILE = "ultiroam-graphql-state.json"
LOCK_FILE = ".ultiroam-graphql-state.lock"


class StateStore:
    """Numbers by section and gateway, changed atomically across processes."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self.path = self.directory / STATE_FILE

    def get(self, section: str, gateway_id: str) -> int | None:
        return self._read().get(section, {}).get(gateway_id)

    def set(self, section: str, gateway_id: str, value: int) -> None:
        self.update(section, gateway_id, lambda current: value)

    def update(self, section: str, gateway_id: str, change: Callable[[int | None], int]) -> int:
        """Apply ``change`` to the stored value under the lock; the value written."""
        with self._locked():
            data = self._read()
            value = change(data.get(section, {}).get(gateway_id))
            data.setdefault(section, {})[gateway_id] = value
            self._write(data)
            return value

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / LOCK_FILE, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

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

    def _write(self, data: dict[str, dict[str, int]]) -> None:
        fd, temporary = tempfile.mkstemp(dir=self.directory, prefix=".state-")
        try:
            with os.fdopen(fd, "w") as file:
                json.dump(data, file, sort_keys=True)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
