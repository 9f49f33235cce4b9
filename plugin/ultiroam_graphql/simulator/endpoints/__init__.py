"""The simulated device's endpoints, by area; `ENDPOINTS` maps each `/api/` name to its method
and handler, `CONTROL_ENDPOINTS` the simulator's own `/control/` names."""

from __future__ import annotations

from . import control, device, ports, sms, ussd
from .common import Endpoint, Handler

ENDPOINTS: dict[str, Endpoint] = {
    "send_sms": Endpoint("POST", sms.send_sms),
    "stop_sms": Endpoint("GET", sms.stop_sms),
    "query_sms_result": Endpoint("POST", sms.query_sms_result),
    "query_sms_deliver_status": Endpoint("POST", sms.query_sms_deliver_status),
    "query_sms_in_queue": Endpoint("GET", sms.query_sms_in_queue),
    "query_incoming_sms": Endpoint("GET", sms.query_incoming_sms),
    "get_port_info": Endpoint("GET", ports.get_port_info),
    "set_port_info": Endpoint("GET", ports.set_port_info),
    "send_ussd": Endpoint("POST", ussd.send_ussd),
    "query_ussd_reply": Endpoint("GET", ussd.query_ussd_reply),
    "get_status": Endpoint("POST", device.get_status, wrong_method_status=403),
    "get_cdr": Endpoint("POST", device.get_cdr),
}
"""Endpoint name under /api/ -> method and handler."""

CONTROL_ENDPOINTS: dict[str, Endpoint] = {
    "incoming_sms": Endpoint("POST", control.incoming_sms),
}
"""Endpoint name under /control/ -> method and handler."""

__all__ = ["CONTROL_ENDPOINTS", "ENDPOINTS", "Endpoint", "Handler"]
