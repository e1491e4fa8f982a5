"""The sandbox's own control API under ``/_sandbox/``.

==========  ======================  =============================================
method      path                    answer
==========  ======================  =============================================
GET         /_sandbox/messages      200, JSON list of stored messages, oldest first
DELETE      /_sandbox/messages      200, ``{"cleared": n}``
GET         /_sandbox/faults        200, JSON list of pending faults
POST        /_sandbox/faults        201, ``{"queued": {...}}``; 400 ``{"error": ...}``
DELETE      /_sandbox/faults        200, ``{"cleared": n}``
GET         /_sandbox/stats         200, ``{"requests": {path: n}, "total": n, "stored": n}``
DELETE      /_sandbox/stats         200, ``{"cleared": true}``
GET         /_sandbox/endpoints     200, ``{provider id: path}``
GET         /_sandbox/inbox         200, what is new for the inbox page (see :mod:`smsspec.sandbox.web`)
==========  ======================  =============================================

``GET /`` is the inbox page itself, served by :mod:`smsspec.sandbox.web`.

A fault body is ``{"fault": kind, "path"?: path or provider id,
"times"?: n, "retry_after"?: seconds}``.
"""

from __future__ import annotations

from smsspec.sandbox.exchange import Reply, Request
from smsspec.sandbox.providers import endpoint_paths
from smsspec.sandbox.providers.base import json_reply, load_json
from smsspec.sandbox.state import SandboxState

PREFIX = "/_sandbox/"


def handle(state: SandboxState, request: Request) -> Reply:
    route = (request.method, request.path.rstrip("/"))
    if route == ("GET", "/_sandbox/messages"):
        return json_reply(200, state.store.messages())
    if route == ("DELETE", "/_sandbox/messages"):
        return json_reply(200, {"cleared": state.store.clear()})
    if route == ("GET", "/_sandbox/faults"):
        return json_reply(200, state.faults.pending())
    if route == ("POST", "/_sandbox/faults"):
        return _add_fault(state, request)
    if route == ("DELETE", "/_sandbox/faults"):
        return json_reply(200, {"cleared": state.faults.clear()})
    if route == ("GET", "/_sandbox/stats"):
        return json_reply(200, state.stats())
    if route == ("DELETE", "/_sandbox/stats"):
        state.requests.clear()
        return json_reply(200, {"cleared": True})
    if route == ("GET", "/_sandbox/endpoints"):
        return json_reply(200, endpoint_paths())
    allowed = _ALLOWED.get(route[1])
    if allowed:
        return json_reply(405, {"error": "method not allowed"}, (("Allow", allowed),))
    return json_reply(404, {"error": "no such sandbox resource"})


_ALLOWED = {
    "/_sandbox/messages": "GET, DELETE",
    "/_sandbox/faults": "GET, POST, DELETE",
    "/_sandbox/stats": "GET, DELETE",
    "/_sandbox/endpoints": "GET",
}


def _add_fault(state: SandboxState, request: Request) -> Reply:
    try:
        data = load_json(request.body)
    except ValueError:
        return json_reply(400, {"error": "the body is not valid JSON"})
    if not isinstance(data, dict) or not isinstance(data.get("fault"), str):
        return json_reply(400, {"error": "a JSON object with a 'fault' is expected"})
    unknown = set(data) - {"fault", "path", "times", "retry_after"}
    if unknown:
        return json_reply(400, {"error": f"unknown field {sorted(unknown)[0]!r}"})
    times = data.get("times", 1)
    try:
        fault = state.add_fault(data["fault"], data.get("path"), times, data.get("retry_after"))
    except ValueError as problem:
        return json_reply(400, {"error": str(problem)})
    return json_reply(201, {"queued": {**fault.to_json(), "times": times}})
