"""Config files: good ones read into frozen settings, bad ones named by file, key and problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from ultiroam_graphql.config import CONFIG_ENV, ConfigError, load_settings

GOOD = """
[server]
host = "0.0.0.0"
port = 8080
api_tokens = ["t1"]

[broker]
url = "memory://"

[[gateways]]
id = "office"
url = "https://192.0.2.10/"
username = "admin"
password = "admin"
auth = "digest"
verify_tls = false
ports = 8
timezone = "Europe/Paris"
push_token = "long-random"
timeout = 5
max_concurrency = 2

[[gateways]]
id = "shop_2"
url = "http://192.0.2.11"
password_env = "SHOP_GW_PASSWORD"
"""

MINIMAL_GATEWAY = '[[gateways]]\nid = "a"\nurl = "http://gw"\npassword = "p"\n'


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "ultiroam.toml"
    path.write_text(text)
    return path


def test_a_good_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_GW_PASSWORD", "from-env")
    settings = load_settings(write(tmp_path, GOOD))
    office, shop = settings.gateways
    assert settings.server.port == 8080
    assert settings.server.api_tokens == ("t1",)
    assert office.url == "https://192.0.2.10"
    assert office.timeout == 5.0
    assert office.verify_tls is False
    assert office.zone.key == "Europe/Paris"
    assert shop.password is not None and shop.password.get_secret_value() == "from-env"
    assert (shop.auth, shop.ports, shop.timezone, shop.max_concurrency) == ("auto", 32, "UTC", 4)
    assert "from-env" not in repr(settings)
    with pytest.raises(ValueError, match="frozen"):
        office.ports = 4  # type: ignore[misc]


def test_the_path_may_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CONFIG_ENV, str(write(tmp_path, MINIMAL_GATEWAY)))
    assert load_settings().gateways[0].id == "a"


GATEWAY = 'id = "a"\nurl = "http://gw"\npassword = "p"\n'


@pytest.mark.parametrize(
    ("text", "key", "problem"),
    [
        ("gateways = [", "", "not valid TOML"),
        ("", "gateways", "at least one [[gateways]]"),
        (
            "[[gateways]]\n" + GATEWAY + "colour = 'red'\n",
            "gateways[0] (id 'a').colour",
            "unknown key",
        ),
        ("[server]\nprot = 1\n[[gateways]]\n" + GATEWAY, "server.prot", "unknown key"),
        (
            "[[gateways]]\n" + GATEWAY + "ports = '8'\n",
            "gateways[0] (id 'a').ports",
            "must be an integer",
        ),
        ("[[gateways]]\n" + GATEWAY + "ports = 33\n", "gateways[0] (id 'a').ports", "at most 32"),
        ("[[gateways]]\n" + GATEWAY + "ports = 0\n", "gateways[0] (id 'a').ports", "at least 1"),
        (
            "[[gateways]]\n" + GATEWAY + "timeout = 'slow'\n",
            "gateways[0] (id 'a').timeout",
            "must be a number",
        ),
        (
            "[[gateways]]\n" + GATEWAY + "verify_tls = 'no'\n",
            "gateways[0] (id 'a').verify_tls",
            "true or false",
        ),
        (
            "[[gateways]]\n" + GATEWAY + "auth = 'ntlm'\n",
            "gateways[0] (id 'a').auth",
            "'auto', 'digest' or 'basic'",
        ),
        (
            "[[gateways]]\n" + GATEWAY + "timezone = 'Mars/Olympus'\n",
            "gateways[0] (id 'a').timezone",
            "unknown time zone",
        ),
        (
            "[[gateways]]\n" + GATEWAY + "[[gateways]]\n" + GATEWAY,
            "gateways",
            "duplicate gateway id 'a'",
        ),
        (
            '[[gateways]]\nid = "a b"\nurl = "http://gw"\npassword = "p"\n',
            "gateways[0] (id 'a b').id",
            "letters, digits",
        ),
        (
            '[[gateways]]\nid = "a"\nurl = "gw.local"\npassword = "p"\n',
            "gateways[0] (id 'a').url",
            "http://",
        ),
        (
            '[[gateways]]\nid = "a"\nurl = "http://gw"\n',
            "gateways[0] (id 'a')",
            "password or password_env is required",
        ),
        (
            '[[gateways]]\nid = "a"\nurl = "http://gw"\npassword_env = "ULTIROAM_TEST_UNSET"\n',
            "gateways[0] (id 'a').password_env",
            "'ULTIROAM_TEST_UNSET' is not set",
        ),
        (
            "[[gateways]]\nurl = 'http://gw'\npassword = 'p'\n",
            "gateways[0].id",
            "required key is missing",
        ),
        ("gateways = 'office'\n", "gateways", "must be an array"),
        (
            "[server]\nstate_dir = '/proc/1'\n[[gateways]]\n" + GATEWAY,
            "server.state_dir",
            "not writable",
        ),
        (
            "[server]\nstate_dir = '/etc/hostname/x'\n[[gateways]]\n" + GATEWAY,
            "server.state_dir",
            "not a directory",
        ),
        (
            "[[gateways]]\n" + GATEWAY + "ca_file = '/nonexistent.pem'\n",
            "gateways[0] (id 'a').ca_file",
            "no such file",
        ),
        (
            "[[gateways]]\n" + GATEWAY + "ca_file = 'pyproject.toml'\n",
            "gateways[0] (id 'a').ca_file",
            "not a PEM certificate",
        ),
        (
            "[mqtt]\npassword_env = 'ULTIROAM_TEST_UNSET'\n[[gateways]]\n" + GATEWAY,
            "mqtt.password_env",
            "is not set",
        ),
        ("[broker]\nurl = 'kafka://x'\n[[gateways]]\n" + GATEWAY, "broker.url", "memory://"),
        ("server = 1\n[[gateways]]\n" + GATEWAY, "server", "must be a table"),
    ],
)
def test_bad_files(tmp_path: Path, text: str, key: str, problem: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as failure:
        load_settings(path)
    error = failure.value
    assert error.path == str(path)
    assert error.key == key
    assert problem in error.problem
    assert "\n" not in str(error)
    assert str(error).startswith(f"{path}: ")


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_settings(tmp_path / "nope.toml")


def test_no_file_at_all(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CONFIG_ENV, raising=False)
    with pytest.raises(ConfigError, match=CONFIG_ENV):
        load_settings()


def test_credentials_in_the_url_are_refused(tmp_path: Path) -> None:
    text = '[[gateways]]\nid = "a"\nurl = "http://admin:pw@gw"\npassword = "p"\n'
    with pytest.raises(ConfigError) as failure:
        load_settings(write(tmp_path, text))
    assert "pw@" not in str(failure.value)
    assert failure.value.key == "gateways[0] (id 'a').url"


def test_files_with_secrets_readable_by_others_are_flagged(tmp_path: Path) -> None:
    from ultiroam_graphql.config import holds_secrets, readable_by_others

    path = write(tmp_path, MINIMAL_GATEWAY)
    path.chmod(0o644)
    assert readable_by_others(path)
    path.chmod(0o600)
    assert not readable_by_others(path)
    assert holds_secrets({"gateways": [{"password": "p"}]})
    assert holds_secrets({"server": {"api_tokens": ["t"]}, "gateways": []})
    assert not holds_secrets({"gateways": [{"password_env": "X"}]})
