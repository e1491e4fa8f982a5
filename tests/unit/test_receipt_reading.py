"""Notifications read by the providers' descriptors (x-smsspec.receipts), and what `providers show` says."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from smsspec.cli import main
from smsspec.providers import registry
from smsspec.receipts.reading import Notice, read_notice, read_status_answer


def postback(provider_id: str) -> dict[str, object]:
    provider = registry.get(provider_id)
    assert provider is not None and provider.receipts is not None
    found = provider.receipts["postback"]
    assert isinstance(found, dict)
    return found


def test_every_provider_says_what_it_documents_about_receipts_and_where() -> None:
    for provider in registry.registry().values():
        assert provider.receipts is not None and provider.receipts["summary"], provider.id
        assert provider.receipts.get("docs"), provider.id
    documented = {p.id for p in registry.registry().values() if "postback" in (p.receipts or {})}
    assert documented == {"skycore", "skycore-xml", "inwise"}


@pytest.mark.parametrize("provider_id", ["sendmachine", "whatcounts"])
def test_providers_show_says_when_a_provider_documents_no_receipts(provider_id: str) -> None:
    out = CliRunner().invoke(main, ["providers", "show", provider_id])
    assert out.exit_code == 0
    section = out.stdout.split("Delivery receipts\n", 1)[1].split("\n\n", 1)[0]
    assert "documents no" in section and "nothing to receive" in section


def test_providers_show_names_the_postback_codes_and_the_status_call() -> None:
    sky = CliRunner().invoke(main, ["providers", "show", "skycore"]).stdout
    assert "N202" in sky and "sms-mt-postback-v2" in sky
    inwise = CliRunner().invoke(main, ["providers", "show", "inwise"]).stdout
    assert "`smsspec status --refresh` polls GET info" in inwise and "assumption" in inwise


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # https://www.skycore.com/help/delivery-status-postbacks-v1/: the <POSTBACK> form
        (b"<?xml version='1.0'?><POSTBACK><ORIGIN>SMS_MT</ORIGIN><CODE>N202</CODE>"
         b"<STATUS>Message Sent/Delivered</STATUS><TRACKINGID>t-1</TRACKINGID></POSTBACK>",
         Notice("t-1", "delivered", "N202", "Message Sent/Delivered")),
        (b"<NOTIFICATION><CODE>N201</CODE><BODY><TRACKINGID>t-2</TRACKINGID>"
         b"<STATUS PROTOCOL='3' STATUS='2'/></BODY></NOTIFICATION>",
         Notice("t-2", "failed", "3:2", "delivery failure")),
        (b"<NOTIFICATION><CODE>N201</CODE><BODY><TRACKINGID>t-3</TRACKINGID>"
         b"<STATUS PROTOCOL='2' STATUS='3'/></BODY></NOTIFICATION>",
         Notice("t-3", "pending", "2:3", "Message buffered with carrier and waiting for delivery response")),
        (b"<NOTIFICATION><CODE>N201</CODE><BODY><TRACKINGID>t-4</TRACKINGID>"
         b"<STATUS PROTOCOL='4' STATUS='4242'/></BODY></NOTIFICATION>",
         Notice("t-4", "failed", "4:4242", None)),  # the table marks every other pair "Success: no"
    ],
    ids=["postback-form", "protocol-3-failure", "protocol-2-buffered", "unlisted-pair"],
)
def test_skycore_xml_notifications_read_by_the_protocol_table(body: bytes, expected: Notice) -> None:
    assert read_notice(postback("skycore-xml"), body, "text/xml") == expected


def test_a_notification_without_the_provider_id_or_a_known_status_is_unreadable() -> None:
    reading = postback("skycore")
    missing = read_notice(reading, json.dumps({"code": "N202", "status": "Delivered"}).encode())
    assert missing.state is None and "provider id" in str(missing.problem)
    odd = read_notice(reading, json.dumps({"code": "N999", "tracking-id": "t"}).encode())
    assert odd.state is None and "status" in str(odd.problem)


def test_values_that_are_not_text_are_not_read() -> None:
    reading = postback("skycore")
    for value in (None, True, {"x": 1}, [1]):
        body = json.dumps({"code": "N202", "tracking-id": value}).encode()
        assert read_notice(reading, body).state is None


def test_a_status_answer_is_read_for_the_provider_id_asked_about() -> None:
    provider = registry.get("inwise")
    assert provider is not None and provider.receipts is not None
    reading = provider.receipts["status_api"]["reading"]
    answer = json.dumps([
        {"transaction_id": "other", "status": "sent", "reject_reason": None},
        {"transaction_id": "mine", "status": "queued", "reject_reason": "insufficient-funds"},
    ]).encode()
    assert read_status_answer(reading, answer, "application/json", "mine") == Notice(
        "mine", "failed", "insufficient-funds", "insufficient-funds")
    assert read_status_answer(reading, answer, "application/json", "absent").state is None


def test_a_form_body_is_read_by_its_keys() -> None:
    reading = {"format": "form", "provider_id": "id", "status": [{"fields": ["state"], "map": {"ok": "delivered"}}]}
    assert read_notice(reading, b"id=42&state=OK") == Notice("42", "delivered", "OK", None)


@pytest.mark.parametrize("provider_id", ["skycore", "skycore-xml", "inwise", "sendmachine", "whatcounts"])
def test_providers_show_says_what_each_provider_documents_about_opt_outs(provider_id: str) -> None:
    out = CliRunner().invoke(main, ["providers", "show", provider_id])
    section = " ".join(out.stdout.split("Delivery receipts\n", 1)[1].split("\n\n", 1)[0].split())
    if provider_id == "skycore-xml":
        assert "N302" in section and "opt-in-status-postback-v1" in out.stdout
    else:
        assert "opted out (STOP)" in section and "document" in section


def test_only_a_documented_opt_out_notification_reads_as_one() -> None:
    reading = {"format": "xml", "provider_id": "TRACKINGID", "status": [{"fields": ["CODE"], "map": {"N202": "delivered"}}],
               "opt_out": {"when": {"ORIGIN": "SUB", "CODE": "N302"}, "number": "MOBILE", "number_prefix": "+"}}
    body = b"<POSTBACK><ORIGIN>SUB</ORIGIN><CODE>N302</CODE><MOBILE>%s</MOBILE></POSTBACK>"
    assert read_notice(reading, body % b"16502424956") == Notice(None, None, opted_out="+16502424956")
    assert read_notice(reading, body % b"+16502424956").opted_out == "+16502424956"
    assert read_notice(reading, body % b"12").problem == "an opt-out notification whose number is not a phone number"
    other = read_notice(reading, body.replace(b"SUB", b"SMS_MT") % b"16502424956")
    assert other.opted_out is None and other.state is None
