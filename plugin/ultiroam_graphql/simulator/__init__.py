"""A simulated Dinstar-family SMS gateway (REST API, Digest/Basic auth, lockout, live traffic).

It stands alone, like the device it fakes: nothing here imports the rest of the package.
"""

from .app import create_simulator_app
from .clock import ManualClock
from .gateway import SimulatedGateway
from .record import SimRecord

__all__ = ["ManualClock", "SimRecord", "SimulatedGateway", "create_simulator_app"]
