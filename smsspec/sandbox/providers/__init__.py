"""The five simulated provider endpoints, by provider id."""

from __future__ import annotations

from smsspec.sandbox.providers import inwise, sendmachine, skycore, skycore_xml, whatcounts
from smsspec.sandbox.providers.base import JSON_TYPE, TEXT_TYPE, XML_TYPE, Endpoint

ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("skycore", "POST", skycore.PATH, skycore.handle, JSON_TYPE, 200),
    Endpoint("skycore-xml", "POST", skycore_xml.PATH, skycore_xml.handle, XML_TYPE, 200),
    Endpoint("sendmachine", "POST", sendmachine.PATH, sendmachine.handle, JSON_TYPE, 202),
    Endpoint("inwise", "POST", inwise.PATH, inwise.handle, JSON_TYPE, 200),
    Endpoint("whatcounts", "GET", whatcounts.PATH, whatcounts.handle, TEXT_TYPE, 200),
)
BY_PATH = {endpoint.path: endpoint for endpoint in ENDPOINTS}


def endpoint_paths() -> dict[str, str]:
    """Provider id -> the path the sandbox serves it on."""
    return {endpoint.provider: endpoint.path for endpoint in ENDPOINTS}


__all__ = ["BY_PATH", "ENDPOINTS", "Endpoint", "endpoint_paths"]
