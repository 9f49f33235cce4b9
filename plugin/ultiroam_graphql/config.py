"""Settings: a TOML file read once into frozen objects.

Every problem with the file becomes one :class:`ConfigError` naming the file, the key and the
problem; the CLI prints it as one line and exits with status 2.
"""

from __future__ import annotations

import os
import re
import ssl
import tomllib
import zoneinfo
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, Self
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

CONFIG_ENV = "ULTIROAM_GRAPHQL_CONFIG"
GATEWAY_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class ConfigError(Exception):
    """A configuration problem, located by file and key."""

    def __init__(self, path: str | os.PathLike[str], key: str, problem: str) -> None:
        self.path = str(path)
        self.key = key
        self.problem = problem
        super().__init__(f"{self.path}: {key}: {problem}" if key else f"{self.path}: {problem}")


def _time_zone(name: str) -> str:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown time zone {name!r} (use an IANA name such as 'Europe/Paris')"
        ) from exc
    return name


def _http_url(url: str) -> str:
    if not re.match(r"^https?://[^/\s]+", url):
        raise ValueError("must be an http:// or https:// URL, such as https://192.0.2.10")
    if "@" in url.split("/")[2]:
        raise ValueError("put credentials in username and password, not in the URL")
    return url.rstrip("/")


def _broker_url(url: str) -> str:
    if not re.match(r"^(memory://|rediss?://\S+)", url):
        raise ValueError("must be memory:// or a redis:// or rediss:// URL")
    return url


def _writable_directory(path: str) -> str:
    """A directory the server can keep its state in (made at first use when missing)."""
    target = Path(path)
    existing = next((p for p in (target, *target.parents) if p.exists()), Path("."))
    if not existing.is_dir():
        raise ValueError(f"{existing} is not a directory")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ValueError(f"{existing} is not writable")
    return path


def _broker_url_secret(url: SecretStr) -> SecretStr:
    _broker_url(url.get_secret_value())
    return url


def _prefix(prefix: str) -> str:
    if not re.match(r"^[A-Za-z0-9_.:-]{1,64}$", prefix):
        raise ValueError("must be 1 to 64 letters, digits, '_', '.', ':' or '-'")
    return prefix


def _set_variable(name: str | None) -> str | None:
    if name is not None and name not in os.environ:
        raise ValueError(f"environment variable {name!r} is not set")
    return name


def _certificate_file(path: str | None) -> str | None:
    if path is None:
        return None
    try:
        ssl.create_default_context(cafile=path)
    except FileNotFoundError:
        raise ValueError(f"no such file: {path}") from None
    except (ssl.SSLError, OSError) as exc:
        raise ValueError(f"{path} is not a PEM certificate ({exc.__class__.__name__})") from None
    return path


def _mqtt_url(url: str) -> str:
    """scheme://host[:port]; problems are stated without the URL, which may hold a secret."""
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
        raise ValueError("must be an mqtt:// or mqtts:// URL, such as mqtt://127.0.0.1:1883")
    if "@" in parts.netloc:
        raise ValueError("put credentials in username and password, not in the URL")
    try:
        parts.port  # noqa: B018 - raises for a port that is not a number in range
    except ValueError:
        raise ValueError("the port must be a number from 1 to 65535") from None
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError("must be scheme://host[:port], without a path or query")
    return url


def _topic_prefix(prefix: str) -> str:
    if not re.match(r"^[A-Za-z0-9_-]{1,64}(/[A-Za-z0-9_-]{1,64}){0,3}$", prefix):
        raise ValueError(
            "must be 1 to 4 levels of letters, digits, '_' or '-', joined by '/' (no wildcards)"
        )
    return prefix


def _client_id(value: str) -> str:
    if not re.match(r"^[A-Za-z0-9_.:-]{1,64}$", value):
        raise ValueError("must be 1 to 64 letters, digits, '_', '.', ':' or '-'")
    return value


def _phone_number(value: str) -> str:
    if not re.match(r"^\+?[0-9(][0-9 ()-]{0,22}$", value.strip()):
        raise ValueError(
            f"{value[:40]!r} must be a phone number of 1 to 24 characters: digits, "
            "with '+', spaces, '(', ')' or '-'"
        )
    return value.strip()


def _gateway_id(value: str) -> str:
    if not GATEWAY_ID.match(value):
        raise ValueError(f"{value!r} must be 1 to 64 letters, digits, '-' or '_'")
    return value


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class ServerSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    api_tokens: tuple[str, ...] = ()
    api_tokens_env: Annotated[str | None, AfterValidator(_set_variable)] = None
    allow_unauthenticated_mutations: bool = False
    state_dir: Annotated[str, AfterValidator(_writable_directory)] = "."
    push_body_limit: int = Field(1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    max_request_bytes: int = Field(256 * 1024, ge=1024, le=64 * 1024 * 1024)
    max_query_depth: int = Field(10, ge=1, le=100)
    max_aliases: int = Field(30, ge=1, le=10_000)
    max_tokens: int = Field(2000, ge=10, le=1_000_000)
    introspection: bool = True
    max_connections: int = Field(1000, ge=1, le=1_000_000)  # WebSocket connections at once
    max_subscriptions_per_connection: int = Field(100, ge=1, le=10_000)

    @model_validator(mode="before")
    @classmethod
    def _tokens_from_list(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("api_tokens"), list):
            data = {**data, "api_tokens": tuple(data["api_tokens"])}
        name = data.get("api_tokens_env") if isinstance(data, dict) else None
        if isinstance(name, str) and name in os.environ:
            from_env = tuple(t.strip() for t in os.environ[name].split(",") if t.strip())
            listed = data.get("api_tokens", ())
            data = {
                **data,
                "api_tokens": (*listed, *from_env) if isinstance(listed, tuple) else listed,
            }
        return data


class BrokerSettings(_Section):
    url: Annotated[SecretStr, AfterValidator(_broker_url_secret)] = SecretStr("memory://")
    prefix: Annotated[str, AfterValidator(_prefix)] = "ultiroam-graphql"
    subscriber_buffer: int = Field(1000, ge=1, le=1_000_000)
    retention_events: int = Field(100_000, ge=1, le=100_000_000)
    retention_seconds: float = Field(24 * 3600.0, gt=0)


class _WithPassword(_Section):
    """``password``, or ``password_env`` naming the variable that holds it (read at load)."""

    password: SecretStr | None = None
    password_env: Annotated[str | None, AfterValidator(_set_variable)] = None

    @model_validator(mode="before")
    @classmethod
    def _password_from_environment(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "password_env" not in data:
            return data
        if "password" in data:
            raise ValueError("give either password or password_env, not both")
        name = data["password_env"]
        if isinstance(name, str) and name in os.environ:
            return {**data, "password": os.environ[name]}
        return data


class GatewaySettings(_WithPassword):
    id: Annotated[str, AfterValidator(_gateway_id)]
    url: Annotated[str, AfterValidator(_http_url)]
    username: str = "admin"
    auth: Literal["auto", "digest", "basic"] = "auto"
    verify_tls: bool = True
    ca_file: Annotated[str | None, AfterValidator(_certificate_file)] = None
    ports: int = Field(32, ge=1, le=32)
    timezone: Annotated[str, AfterValidator(_time_zone)] = "UTC"
    push_token: SecretStr | None = None
    timeout: float = Field(10.0, gt=0, le=300)
    max_concurrency: int = Field(4, ge=1, le=64)
    inbox_poll_interval: float = Field(10.0, ge=0)
    send_rate_limit: int = Field(0, ge=0, le=100_000)  # messages a minute; 0: no limit
    ussd_timeout: float = Field(30.0, gt=0, le=300)

    @model_validator(mode="after")
    def _needs_password(self) -> Self:
        if self.password is None:
            raise ValueError("password or password_env is required")
        return self

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


class MqttSettings(_WithPassword):
    """The home-automation bridge (``[mqtt]``); see docs/home-assistant.md."""

    url: Annotated[str, AfterValidator(_mqtt_url)] = "mqtt://127.0.0.1:1883"
    username: str = ""
    client_id: Annotated[str, AfterValidator(_client_id)] = "ultiroam-graphql"
    topic_prefix: Annotated[str, AfterValidator(_topic_prefix)] = "ultiroam"
    discovery: bool = True
    discovery_prefix: Annotated[str, AfterValidator(_topic_prefix)] = "homeassistant"
    allow_send: bool = False
    ca_file: Annotated[str | None, AfterValidator(_certificate_file)] = None  # for mqtts://
    notify_recipients: tuple[Annotated[str, AfterValidator(_phone_number)], ...] = Field(
        (), max_length=32
    )  # who the Home Assistant notify entity texts
    port_state_interval: float = Field(60.0, ge=5, le=3600)  # seconds between get_port_info

    @model_validator(mode="before")
    @classmethod
    def _recipients_from_list(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("notify_recipients"), list):
            data = {**data, "notify_recipients": tuple(data["notify_recipients"])}
        return data

    @model_validator(mode="after")
    def _password_needs_username(self) -> Self:
        if self.password is not None and self.password.get_secret_value() and not self.username:
            raise ValueError("a password needs a username")
        return self

    @property
    def credentials(self) -> tuple[str | None, str | None]:
        """(username, password) for the MQTT CONNECT; (None, None) for an anonymous broker."""
        if not self.username:
            return None, None
        password = self.password.get_secret_value() if self.password else None
        return self.username, password or None


class Settings(_Section):
    server: ServerSettings = ServerSettings()
    broker: BrokerSettings = BrokerSettings()
    gateways: tuple[GatewaySettings, ...] = Field(min_length=1)
    mqtt: MqttSettings | None = None

    @model_validator(mode="before")
    @classmethod
    def _gateways_from_list(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("gateways"), list):
            data = {**data, "gateways": tuple(data["gateways"])}
        return data

    @field_validator("gateways")
    @classmethod
    def _unique_gateway_ids(
        cls, gateways: tuple[GatewaySettings, ...]
    ) -> tuple[GatewaySettings, ...]:
        first: dict[str, int] = {}
        for index, gateway in enumerate(gateways):
            if gateway.id in first:
                raise ValueError(
                    f"duplicate gateway id {gateway.id!r} (gateways[{first[gateway.id]}] "
                    f"and gateways[{index}])"
                )
            first[gateway.id] = index
        return gateways

    def gateway(self, gateway_id: str) -> GatewaySettings | None:
        return next((g for g in self.gateways if g.id == gateway_id), None)


def load_settings(path: str | os.PathLike[str] | None = None) -> Settings:
    """Read and validate a config file (default: ``$ULTIROAM_GRAPHQL_CONFIG``)."""
    if path is None:
        path = os.environ.get(CONFIG_ENV)
        if not path:
            raise ConfigError("<no config>", "", f"give --config FILE or set {CONFIG_ENV}")
    try:
        text = Path(path).read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(path, "", "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, "", f"cannot be read: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, "", f"not valid TOML: {exc}") from None
    return settings_from_mapping(data, path=path)


def settings_from_mapping(data: Mapping[str, Any], *, path: str | os.PathLike[str]) -> Settings:
    """Validate already-parsed settings; errors name ``path`` as their source."""
    try:
        return Settings.model_validate(dict(data))
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        raise ConfigError(path, _key(first["loc"], data), _problem(first)) from None


def _key(loc: tuple[int | str, ...], data: Mapping[str, Any]) -> str:
    key = ""
    node: Any = data
    for part in loc:
        if isinstance(part, int):
            key += f"[{part}]"
        elif part.startswith(("function-", "tuple[", "nullable[")) or "[" in part:
            continue
        else:
            key += f".{part}" if key else part
        node = node[part] if isinstance(node, (dict, list)) and _has(node, part) else None
        if isinstance(part, int) and isinstance(node, dict) and isinstance(node.get("id"), str):
            key += f" (id {node['id']!r})"
    return key or "(top level)"


def _has(node: dict[str, Any] | list[Any], part: int | str) -> bool:
    if isinstance(node, list):
        return isinstance(part, int) and 0 <= part < len(node)
    return part in node


_BOUNDS = {  # pydantic error type -> (wording, key of the bound in the error's ctx)
    "greater_than_equal": ("at least", "ge"),
    "less_than_equal": ("at most", "le"),
    "greater_than": ("greater than", "gt"),
    "less_than": ("less than", "lt"),
}


_PROBLEMS = {
    "extra_forbidden": "unknown key",
    "missing": "required key is missing",
    "int_type": "must be an integer",
    "float_type": "must be a number",
    "bool_type": "must be true or false",
    "string_type": "must be a string",
    "tuple_type": "must be an array",
    "model_type": "must be a table",
    "dict_type": "must be a table",
}


def _problem(error: Any) -> str:
    kind = error["type"]
    ctx = error.get("ctx", {})
    if kind in _BOUNDS:
        wording, bound = _BOUNDS[kind]
        return f"must be {wording} {ctx[bound]}, got {error['input']!r}"
    if kind in ("too_short", "missing") and error["loc"] == ("gateways",):
        return "at least one [[gateways]] table is required"
    if kind in _PROBLEMS:
        problem = _PROBLEMS[kind]
        if kind.endswith("_type") and "input" in error:
            problem += f", got {_toml_type(error['input'])}"
        return problem
    message = str(error["msg"]).removeprefix("Value error, ")
    return message.replace("Input should be", "must be", 1)


def _toml_type(value: Any) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return names.get(type(value), type(value).__name__)


def readable_by_others(path: str | os.PathLike[str]) -> bool:
    """Whether users other than the owner may read the file (it may hold passwords)."""
    try:
        return bool(os.stat(path).st_mode & 0o044)
    except OSError:
        return False


def holds_secrets(data: Mapping[str, Any]) -> bool:
    """Whether a parsed config file has a password or token written in it."""
    server = data.get("server") or {}
    if isinstance(server, dict) and server.get("api_tokens"):
        return True
    tables = [*(data.get("gateways") or []), data.get("mqtt") or {}]
    return any(
        isinstance(table, dict) and (table.get("password") or table.get("push_token"))
        for table in tables
    )
