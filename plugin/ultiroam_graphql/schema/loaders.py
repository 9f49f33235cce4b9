"""Per-operation loaders: Strawberry's DataLoader over the pure planning of ``batching``.

The DataLoader gathers the ``smsResults`` fields of one execution step; a call already made in
the same operation serves any later field it covers, whatever its depth in the query.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

from strawberry.dataloader import DataLoader

from ..batching import PlannedCall, SmsResultKey, merged, plan, select
from ..errors import GatewayError
from ..gateway import GatewayClient, PortInfoRecord, SmsResultRecord


class SmsResultLoader:
    """Per operation: batches ``smsResults`` fields and remembers the calls it made."""

    def __init__(self, clients: Mapping[str, GatewayClient]) -> None:
        self._clients = clients
        self._calls: list[tuple[PlannedCall, asyncio.Task[list[SmsResultRecord]]]] = []
        self._loader: DataLoader[SmsResultKey, list[SmsResultRecord]] | None = None

    async def load(self, key: SmsResultKey) -> list[SmsResultRecord]:
        if self._loader is None:  # made on first use: most operations never load results
            self._loader = DataLoader(self._load_batch)
        return await self._loader.load(key)

    async def _load_batch(
        self, keys: Sequence[SmsResultKey]
    ) -> list[list[SmsResultRecord] | BaseException]:
        uncovered = [key for key in keys if self._covering(key) is None]
        for call in plan(uncovered):
            self._calls.append((call, asyncio.ensure_future(self._fetch(call))))
        answers: list[list[SmsResultRecord] | BaseException] = []
        for key in keys:
            task = self._covering(key)
            assert task is not None
            try:
                answers.append(select(await task, key))
            except GatewayError as exc:
                answers.append(exc)
        return answers

    def _covering(self, key: SmsResultKey) -> asyncio.Task[list[SmsResultRecord]] | None:
        return next((task for call, task in self._calls if call.covers(key)), None)

    async def _fetch(self, call: PlannedCall) -> list[SmsResultRecord]:
        client = self._clients[call.group.gateway_id]
        queries = call.queries()
        if len(queries) == 1:  # the usual call: awaited as it is, without a task of its own
            return merged([await client.query_sms_result(queries[0])])
        replies = await asyncio.gather(
            *(client.query_sms_result(query) for query in queries), return_exceptions=True
        )
        records: list[list[SmsResultRecord]] = []
        for reply in replies:
            if isinstance(reply, BaseException):
                raise reply
            records.append(reply)
        return merged(records)


class PortInfoLoader:
    """Per operation: one ``get_port_info`` call per gateway, however many ports ask."""

    def __init__(self) -> None:
        self._calls: dict[str, asyncio.Task[list[PortInfoRecord]]] = {}

    async def load(self, client: GatewayClient, port: int) -> PortInfoRecord | None:
        task = self._calls.get(client.id)
        if task is None:
            task = self._calls[client.id] = asyncio.ensure_future(client.get_port_info())
        return next((info for info in await task if info.port == port), None)
