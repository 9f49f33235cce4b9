"""``mqtts://`` with ``ca_file``: a private Mosquitto with a TLS listener and a certificate made
for the test by a private CA; the bridge trusts that CA only."""

from __future__ import annotations

import asyncio
import gc
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import aiomqtt
import pytest
from tests.mqtt.support import WAIT, Names, running
from tests.support import Facade, free_port

TOOLS = ("mosquitto", "openssl")


def make_certificates(directory: Path) -> tuple[Path, Path, Path]:
    """A CA, and a server certificate for localhost signed by it."""

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=directory, check=True, capture_output=True)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=Test CA",
        "-keyout", "ca.key", "-out", "ca.pem")  # fmt: skip
    run("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
        "-keyout", "server.key", "-out", "server.csr")  # fmt: skip
    (directory / "san.ext").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "1", "-extfile", "san.ext", "-out", "server.pem")  # fmt: skip
    return directory / "ca.pem", directory / "server.pem", directory / "server.key"


@pytest.fixture
def readable_dir() -> Iterator[Path]:
    """A directory the broker can read when it runs as root and drops to its own user."""
    with tempfile.TemporaryDirectory(prefix="ultiroam-tls-") as name:
        directory = Path(name)
        directory.chmod(0o755)
        yield directory


@pytest.fixture
def tls_broker(readable_dir: Path) -> Iterator[tuple[int, Path]]:
    """A private Mosquitto speaking TLS only, on a free port; its CA file."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"needs {' and '.join(missing)} to run a TLS broker")
    tmp_path = readable_dir
    ca, cert, key = make_certificates(tmp_path)
    for file in tmp_path.iterdir():
        file.chmod(0o644)  # a throw-away key for a test broker
    port = free_port()
    config = tmp_path / "mosquitto.conf"
    config.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\n"
        f"cafile {ca}\ncertfile {cert}\nkeyfile {key}\npersistence false\n"
    )
    log = tmp_path / "mosquitto.log"
    with log.open("wb") as output:
        broker = subprocess.Popen(
            ["mosquitto", "-c", str(config)], stdout=output, stderr=subprocess.STDOUT
        )
    try:
        for _ in range(200):
            if broker.poll() is not None:
                raise AssertionError(f"mosquitto exited:\n{log.read_text()}")
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield port, ca
    finally:
        broker.terminate()
        broker.wait(timeout=10)


async def test_the_bridge_connects_over_tls_trusting_its_ca_file(
    tls_broker: tuple[int, Path], facade: Facade, state_dir: str
) -> None:
    port, ca = tls_broker
    names = Names.fresh()
    facade.add_device("office", ports=1)
    context = ssl.create_default_context(cafile=str(ca))
    async with aiomqtt.Client("localhost", port, tls_context=context) as spy:
        await spy.subscribe(f"{names.prefix}/status", qos=1)
        mqtt = names.mqtt(f"mqtts://localhost:{port}", ca_file=str(ca))
        async with running(facade, mqtt, state_dir=state_dir) as app:
            assert app.bridge.address == f"mqtts://localhost:{port}"
            async with asyncio.timeout(WAIT):
                async for message in spy.messages:
                    if message.payload == b"online":
                        break


@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
async def test_a_broker_certificate_from_another_ca_is_refused(
    tls_broker: tuple[int, Path], facade: Facade, state_dir: str, tmp_path: Path
) -> None:
    port, _ = tls_broker
    other = tmp_path / "other"
    other.mkdir()
    other_ca, _, _ = make_certificates(other)
    facade.add_device("office", ports=1)
    names = Names.fresh()
    mqtt = names.mqtt(f"mqtts://localhost:{port}", ca_file=str(other_ca))
    async with running(facade, mqtt, state_dir=state_dir, wait=False) as app:
        async with asyncio.timeout(WAIT):
            while app.bridge.failures < 2:  # noqa: ASYNC110 - a counter: refused, then again
                await asyncio.sleep(0.05)
        assert not app.bridge.ready.is_set() and app.bridge.sessions == 0
    # paho-mqtt leaves the socket of a failed TLS handshake to the garbage collector: collect
    # it here, under this test's filters, rather than in whichever test runs next.
    gc.collect()
