"""The gateway's HTTP API: typed records below, one client per device."""

from .client import GatewayClient
from .models import SmsResultQuery, SmsResultRecord, WireError

__all__ = ["GatewayClient", "SmsResultQuery", "SmsResultRecord", "WireError"]
