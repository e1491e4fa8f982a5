"""The five simulated provider endpoints, by provider id."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from smsspec.sandbox.providers import inwise, sendmachine, skycore, skycore_xml, whatcounts
from smsspec.sandbox.providers import skycore_codes as skycore_common
from smsspec.sandbox.providers.base import JSON_TYPE, TEXT_TYPE, XML_TYPE, Endpoint, Query

ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "skycore", "POST", skycore.PATH, skycore.handle, JSON_TYPE, 200, skycore_common.SETTINGS, skycore.RECEIPTS
    ),
    Endpoint(
        "skycore-xml", "POST", skycore_xml.PATH, skycore_xml.handle, XML_TYPE, 200, skycore_common.SETTINGS,
        skycore_xml.RECEIPTS,
    ),
    Endpoint("sendmachine", "POST", sendmachine.PATH, sendmachine.handle, JSON_TYPE, 202),
    Endpoint("inwise", "POST", inwise.PATH, inwise.handle, JSON_TYPE, 200, receipts=inwise.RECEIPTS),
    Endpoint("whatcounts", "GET", whatcounts.PATH, whatcounts.handle, TEXT_TYPE, 200, whatcounts.SETTINGS),
)
BY_PATH = {endpoint.path: endpoint for endpoint in ENDPOINTS}

QUERIES: tuple[Query, ...] = (Query("inwise", "GET", inwise.INFO_PATH, inwise.info),)
"""The providers' status calls the sandbox answers."""
QUERY_BY_PATH = {query.path.lower(): query for query in QUERIES}
"""By lower-cased path: inwise writes its paths with ``SMS`` and ``sms`` alike."""


def receipt_providers() -> list[str]:
    """The provider ids whose simulations post delivery receipts (their pages document them)."""
    return [endpoint.provider for endpoint in ENDPOINTS if endpoint.receipts is not None]


def setting_defaults() -> dict[str, object]:
    """Every account setting a simulation reads -> its default."""
    return {name: value for endpoint in ENDPOINTS for name, value in endpoint.settings.items()}


def settings_readers() -> dict[str, list[str]]:
    """Every account setting a simulation reads -> the provider ids that read it."""
    readers: dict[str, list[str]] = {}
    for endpoint in ENDPOINTS:
        for name in endpoint.settings:
            readers.setdefault(name, []).append(endpoint.provider)
    return readers


def settings_from(accounts: Iterable[Mapping[str, object]]) -> dict[str, object]:
    """One sandbox's settings from several accounts' ``settings``, for the names a simulation reads.

    For each name the first value that is set (true, not empty) wins, so one
    account with a check switched on switches it on for the run.
    """
    known = setting_defaults()
    chosen: dict[str, object] = {}
    for settings in accounts:
        for name, value in settings.items():
            if name in known and (name not in chosen or (value and not chosen[name])):
                chosen[name] = value
    return chosen


def endpoint_paths() -> dict[str, str]:
    """Provider id -> the path the sandbox serves it on."""
    return {endpoint.provider: endpoint.path for endpoint in ENDPOINTS}


__all__ = [
    "BY_PATH",
    "ENDPOINTS",
    "QUERIES",
    "QUERY_BY_PATH",
    "Endpoint",
    "Query",
    "endpoint_paths",
    "receipt_providers",
    "setting_defaults",
    "settings_from",
    "settings_readers",
]
