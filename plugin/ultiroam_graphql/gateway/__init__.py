"""The gateway's HTTP API: typed records below, one client per device."""

from .calls import CallRecord, parse_call
from .client import GatewayClient
from .device import (
    DeviceRecord,
    ExceptionRecord,
    GatewayStatusRecord,
    parse_device,
    parse_exception,
    parse_gateway_status,
)
from .models import (
    DeliveryReportQuery,
    DeliveryReportRecord,
    InboxPage,
    IncomingSmsRecord,
    Record,
    SmsResultQuery,
    SmsResultRecord,
    parse_delivery_report,
    parse_inbox,
    parse_incoming_sms,
    parse_sms_result,
    parse_sms_results,
    record_data,
    record_from_data,
)
from .ports import PortInfoRecord, RegistrationRecord, parse_port_info, parse_registration
from .sending import SendSmsReceipt, SendSmsRequest, SmsRecipient, parse_send_receipt
from .ussd import UssdPortStatus, UssdReplyRecord, parse_ussd_reply, parse_ussd_status
from .wire import WireError

__all__ = [
    "CallRecord",
    "DeliveryReportQuery",
    "DeliveryReportRecord",
    "DeviceRecord",
    "ExceptionRecord",
    "GatewayClient",
    "GatewayStatusRecord",
    "InboxPage",
    "IncomingSmsRecord",
    "PortInfoRecord",
    "Record",
    "RegistrationRecord",
    "SendSmsReceipt",
    "SendSmsRequest",
    "SmsRecipient",
    "SmsResultQuery",
    "SmsResultRecord",
    "UssdPortStatus",
    "UssdReplyRecord",
    "WireError",
    "parse_call",
    "parse_delivery_report",
    "parse_device",
    "parse_exception",
    "parse_gateway_status",
    "parse_inbox",
    "parse_incoming_sms",
    "parse_port_info",
    "parse_registration",
    "parse_send_receipt",
    "parse_sms_result",
    "parse_sms_results",
    "parse_ussd_reply",
    "parse_ussd_status",
    "record_data",
    "record_from_data",
]
