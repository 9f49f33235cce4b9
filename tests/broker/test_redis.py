"""The Redis backend's own helpers."""

from __future__ import annotations

from ultiroam_graphql.broker.redis import redact


def test_broker_urls_never_show_their_password() -> None:
    assert redact("redis://:s3cret@redis.internal:6380/2") == "redis://:***@redis.internal:6380/2"
    assert redact("rediss://user:s3cret@host/0") == "rediss://user:***@host/0"
    assert redact("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"
    assert redact("redis://host/0?password=hunter2&ssl_cert_reqs=none") == (
        "redis://host/0?password=***&ssl_cert_reqs=none"
    )
    assert redact("redis://:pw@[::1]:6380/0") == "redis://:***@[::1]:6380/0"
