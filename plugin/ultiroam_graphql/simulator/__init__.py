"""A simulated Dinstar-family SMS gateway: the whole `/api/` of the device (SMS, delivery
reports, inbox, port state, USSD, CDRs, status), Digest/Basic auth, lockout, live traffic and
pushes of every kind, plus a `/control/` endpoint to inject received SMS.

It stands alone, like the device it fakes: nothing here imports the rest of the package.
"""

from .app import create_simulator_app
from .cdr import CallRecord
from .clock import ManualClock
from .dispatch import SendTask
from .events import DeviceEvent
from .gateway import SimulatedGateway
from .inbox import IncomingRecord
from .ports import PortState
from .push import PushSender, PushTracker, device_body, push_loop
from .query import QueryError
from .record import SimRecord
from .send_request import Recipient, SendRequest

__all__ = [
    "CallRecord",
    "DeviceEvent",
    "IncomingRecord",
    "ManualClock",
    "PortState",
    "PushSender",
    "PushTracker",
    "QueryError",
    "Recipient",
    "SendRequest",
    "SendTask",
    "SimRecord",
    "SimulatedGateway",
    "create_simulator_app",
    "device_body",
    "push_loop",
]
