"""From a parsed request to what the connection must do: route, simulate, store, misbehave."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

import smsspec.sandbox.admin as admin
import smsspec.sandbox.records as records
import smsspec.sandbox.web as web
from smsspec.sandbox.exchange import Reply, Request
from smsspec.sandbox.faults import ECHO_PREFIX, Fault, FaultKind
from smsspec.sandbox.providers import BY_PATH, QUERY_BY_PATH, Endpoint, Query, endpoint_paths
from smsspec.sandbox.providers.base import (
    JSON_TYPE,
    Accepted,
    Outcome,
    ProviderContext,
    QueryContext,
    json_reply,
)
from smsspec.sandbox.receipts import decide, to_post
from smsspec.sandbox.state import SandboxState


class Mode(enum.Enum):
    RESPOND = "respond"
    HANG = "hang"
    """Answer nothing more on this connection; it stays open until the client or the server ends it."""
    CUT = "cut"
    """Write the head and half the body of ``reply``, then close."""
    RESET = "reset"
    """Drop the connection at once, with a TCP reset."""
    DRIP = "drip"
    """Write ``reply`` one byte at a time, ``faults.DRIP_SECONDS`` apart, then close."""


@dataclass(frozen=True)
class Action:
    mode: Mode
    reply: Reply | None = None


class Dispatcher:
    def __init__(self, state: SandboxState) -> None:
        self.state = state

    def handle(self, request: Request) -> Action:
        if web.serves(request.path):
            return Action(Mode.RESPOND, web.handle(self.state, request))
        if request.path.startswith(admin.PREFIX):
            return Action(Mode.RESPOND, admin.handle(self.state, request))
        self.state.requests.count(request.path)
        query = QUERY_BY_PATH.get(request.path.lower())
        if query is not None:
            return Action(Mode.RESPOND, self._query(query, request))
        endpoint = BY_PATH.get(request.path)
        if endpoint is None:
            body = {"error": "no such endpoint", "endpoints": endpoint_paths()}
            return Action(Mode.RESPOND, json_reply(404, body))
        if request.method != endpoint.method:
            reply = json_reply(405, {"error": "method not allowed"}, (("Allow", endpoint.method),))
            return Action(Mode.RESPOND, reply)
        fault = self.state.faults.take(request.path)
        if fault is not None and not fault.kind.stores:
            return _before_store(endpoint, fault, request)
        outcome = self._simulate(endpoint, request)
        if fault is None:
            return Action(Mode.RESPOND, outcome.reply)
        return _after_store(endpoint, fault, outcome)

    def _simulate(self, endpoint: Endpoint, request: Request) -> Outcome:
        state = self.state
        outcome = endpoint.handler(
            request, ProviderContext(state.accounts, state.clock, endpoint.settings)
        )
        if outcome.accepted:
            raw = records.raw_request(request)
            received = state.clock()
            built = []
            for accepted in outcome.accepted:
                record = records.build(endpoint.provider, accepted, raw, received)
                record["delivery"] = self._delivery(endpoint, accepted, received)
                built.append(record)
            state.store.add(built)
        return outcome

    def _delivery(self, endpoint: Endpoint, accepted: Accepted, received: datetime) -> dict[str, object] | None:
        """Decide the message's fate and post its receipts later (see :mod:`smsspec.sandbox.receipts`)."""
        receipts, settings = endpoint.receipts, self.state.receipts
        if receipts is None:
            return None
        fate = decide(settings, endpoint.provider, receipts, accepted, received)
        url, poster = settings.url_for(endpoint.provider), self.state.poster
        if url is not None and poster is not None:
            poster.post_later(url, to_post(receipts, accepted, fate), settings.delay)
        return fate.to_json()

    def _query(self, query: Query, request: Request) -> Reply:
        if request.method != query.method:
            return json_reply(405, {"error": "method not allowed"}, (("Allow", query.method),))
        store = self.state.store
        context = QueryContext(
            self.state.accounts, self.state.clock(), lambda provider_id: store.find(query.provider, provider_id)
        )
        return query.handler(request, context)


def _status_reply(endpoint: Endpoint, fault: Fault) -> Reply:
    status = fault.kind.status or 500
    retry = fault.retry_after_header()
    headers = (("Retry-After", retry),) if retry is not None else ()
    if endpoint.content_type == JSON_TYPE:
        word = "sendingspeed_exceeded" if status == 529 else "error"
        return json_reply(status, {"status": word}, headers)
    return Reply(status, f"{status} sandbox fault\n".encode(), headers=headers)


def _echo(request: Request) -> Reply:
    head = [f"{request.method} {request.target}", *(f"{k}: {v}" for k, v in request.headers)]
    text = ECHO_PREFIX + "\n".join(head) + "\n\n" + request.body.decode("utf-8", "replace")
    return Reply(400, text.encode("utf-8"))


def _before_store(endpoint: Endpoint, fault: Fault, request: Request) -> Action:
    if fault.kind is FaultKind.ECHO_REQUEST:
        return Action(Mode.RESPOND, _echo(request))
    if fault.kind is FaultKind.HANG:
        return Action(Mode.HANG)
    if fault.kind is FaultKind.REFUSE:
        return Action(Mode.RESET)
    return Action(Mode.RESPOND, _status_reply(endpoint, fault))


def _after_store(endpoint: Endpoint, fault: Fault, outcome: Outcome) -> Action:
    kind = fault.kind
    if kind is FaultKind.HANG_AFTER_STORE:
        return Action(Mode.HANG)
    if kind is FaultKind.CLOSE_MID_RESPONSE:
        return Action(Mode.CUT, outcome.reply)
    if kind is FaultKind.DRIP:
        return Action(Mode.DRIP, outcome.reply)
    if kind is FaultKind.MALFORMED_BODY:
        reply = outcome.reply
        if reply.content_type.startswith("text/plain"):
            broken = b"\xffSUCC"
        else:
            broken = reply.body[: len(reply.body) // 2]
        return Action(Mode.RESPOND, Reply(reply.status, broken, reply.content_type, reply.headers))
    return Action(Mode.RESPOND, _status_reply(endpoint, fault))
