"""A simulated Dinstar-family SMS gateway (REST API, Digest/Basic auth, lockout, live traffic,
pushes).

It stands alone, like the device it fakes: nothing here imports the rest of the package.
"""

from .app import create_simulator_app
from .clock import ManualClock
from .gateway import SimulatedGateway
from .inbox import IncomingRecord
from .push import PushSender, PushTracker, push_loop
from .record import SimRecord

__all__ = [
    "IncomingRecord",
    "ManualClock",
    "PushSender",
    "PushTracker",
    "SimRecord",
    "SimulatedGateway",
    "create_simulator_app",
    "push_loop",
]
