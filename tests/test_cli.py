"""The command line: schema printing, and bad configs as one line with exit status 2."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

from ultiroam_graphql.cli import main
from ultiroam_graphql.schema import print_schema

ROOT = Path(__file__).resolve().parent.parent


def test_schema_graphql_is_the_printed_schema() -> None:
    assert (ROOT / "schema.graphql").read_text() == print_schema(), (
        "schema.graphql is stale: run `make schema`"
    )


def test_schema_command_prints_the_sdl(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    assert capsys.readouterr().out == print_schema()


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ultiroam_graphql", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("not toml [", "not valid TOML"),
        ('[[gateways]]\nid = "x"\nurl = "http://gw"\npassword = "p"\nports = 40\n', "ports"),
    ],
)
def test_a_bad_config_exits_2_with_one_line(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    result = run_cli("serve", "--config", str(path))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert str(path) in lines[0] and problem in lines[0]
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_a_missing_config_file_exits_2(tmp_path: Path) -> None:
    result = run_cli("serve", "--config", str(tmp_path / "absent.toml"))
    assert result.returncode == 2
    assert result.stderr.strip().endswith("absent.toml: file not found")


def test_no_config_at_all_exits_2(capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    monkeypatch.delenv("ULTIROAM_GRAPHQL_CONFIG", raising=False)
    assert main(["serve"]) == 2
    assert "ULTIROAM_GRAPHQL_CONFIG" in capsys.readouterr().err


def test_push_tokens_never_reach_the_access_log(caplog: pytest.LogCaptureFixture) -> None:
    from ultiroam_graphql.cli import _configure_logging

    _configure_logging("info")
    logger = logging.getLogger("uvicorn.access")
    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        logger.info(
            '%s - "%s %s HTTP/%s" %d', "127.0.0.1:1", "POST", "/push/a?token=s3cret&x=1", "1.1", 200
        )
    assert "s3cret" not in caplog.text
    assert "/push/a?token=***&x=1" in caplog.text


def test_a_subscriber_leaving_mid_event_is_not_logged_as_an_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from strawberry.http.exceptions import WebSocketDisconnected

    from ultiroam_graphql.cli import _configure_logging

    _configure_logging("info")
    logger = logging.getLogger("strawberry.ws.task")
    with caplog.at_level(logging.INFO, logger="strawberry.ws.task"):
        try:
            raise WebSocketDisconnected
        except WebSocketDisconnected:
            logger.exception("Exception in worker task")
        try:
            raise RuntimeError("a real one")
        except RuntimeError:
            logger.exception("Exception in worker task")
    assert len(caplog.records) == 1 and "a real one" in caplog.text


def test_the_collector_is_set_for_a_server() -> None:
    """What serve runs with: start-up objects frozen, a higher young-generation threshold."""
    import gc

    from ultiroam_graphql.cli import YOUNG_COLLECTION_THRESHOLD, tune_collector

    threshold = gc.get_threshold()
    try:
        tune_collector()
        assert gc.get_threshold() == (YOUNG_COLLECTION_THRESHOLD, *threshold[1:])
        assert gc.get_freeze_count() > 0
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()
