"""Reading answers by each provider's descriptor, hostile bodies included, and the answer size cap."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from smsspec.model import RenderedRequest
from smsspec.providers import registry as providers
from smsspec.send.ledger import DeliveryStatus
from smsspec.send.ratelimit import RateLimiter, parse_rate
from smsspec.send.responses import Answer, RetryOn, read_answer
from smsspec.send.transport import FailureKind, RetryPolicy, Timeouts, Transport, parse_retry_after

ONE = ("+447400123456",)
TWO = ("+972502345678", "+972502345679")


def read(provider: str, status: int, body: str | bytes, recipients: tuple[str, ...] = ONE, content_type: str | None = None) -> list[Any]:
    descriptor = providers.registry()[provider].response
    raw = body.encode() if isinstance(body, str) else body
    return list(read_answer(descriptor, Answer(status, raw, content_type), recipients))


def test_skycore_success_and_failure() -> None:
    [ok] = read("skycore", 200, '{"status":"Success","tracking-id":"abc123"}')
    [bad] = read("skycore", 200, '{"status":"Failure","error-code":"E111","error-info":"Invalid Sender."}')

    assert (ok.status, ok.provider_id) == (DeliveryStatus.ACCEPTED, "abc123")
    assert (bad.status, bad.definitive, bad.error_code, bad.error_text) == (
        DeliveryStatus.REJECTED, True, "E111", "Invalid Sender.")


def test_skycore_xml_fields_are_matched_without_regard_to_case() -> None:
    [ok] = read("skycore-xml", 200, "<response><status>SUCCESS</status><trackingid>SMS_7</trackingid></response>")

    assert (ok.status, ok.provider_id) == (DeliveryStatus.ACCEPTED, "SMS_7")


def test_an_xml_entity_bomb_is_refused_and_unknown() -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><RESPONSE><STATUS>&b;</STATUS></RESPONSE>'
    )
    external = '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><RESPONSE><STATUS>&x;</STATUS></RESPONSE>'

    for body in (bomb, external):
        [result] = read("skycore-xml", 200, body)
        assert result.status is DeliveryStatus.UNKNOWN
        assert result.error_text == "answer is not valid XML"


def test_sendmachine_reads_the_reason_from_error_reason_else_status() -> None:
    """Sendmachine's API client (github.com/Sendmachine/SendmachineApiClient, SendmachineApiClient.php) takes
    an error's reason from `error_reason`, else from `status`; 001_9b905a786e07397a.txt lists the 400 codes
    ("invalid_recipient: Recipient phone number is invalid.") and the statuses (401 denied)."""
    [ok] = read("sendmachine", 202, '{"status":"accepted","count":1,"request_id":"r-1"}')
    [bad] = read("sendmachine", 400, '{"status":"validation_error","error_reason":"invalid_recipient"}')
    [denied] = read("sendmachine", 401, '{"status":"denied"}')
    [worded] = read("sendmachine", 400, '{"status":"validation_error","error_reason":"Sender is blocked"}')

    assert (ok.status, ok.provider_id) == (DeliveryStatus.ACCEPTED, "r-1")
    assert (bad.status, bad.definitive, bad.error_code, bad.error_text) == (
        DeliveryStatus.REJECTED, True, "invalid_recipient", "Recipient phone number is invalid.")
    assert (denied.status, denied.definitive, denied.error_code, denied.error_text) == (
        DeliveryStatus.REJECTED, False, "denied", "Authentication failed or access denied.")
    assert (worded.error_code, worded.error_text) == ("Sender is blocked", '{"status":"validation_error","error_reason":"Sender is blocked"}')


def test_inwise_reads_one_entry_per_recipient_by_number_not_only_by_position() -> None:
    body = (
        '[{"mobile_number":"972-50-2345679","status":"invalid","reject_reason":"invalid-number","transaction_id":"b"},'
        '{"mobile_number":"972-50-2345678","status":"sent","reject_reason":null,"transaction_id":"a"}]'
    )
    first, second = read("inwise", 200, body, TWO)

    assert (first.status, first.provider_id) == (DeliveryStatus.ACCEPTED, "a")
    assert (second.status, second.error_code) == (DeliveryStatus.REJECTED, "invalid-number")


def test_inwise_says_nothing_about_a_recipient_means_unknown_for_that_one() -> None:
    body = '[{"mobile_number":"972-50-2345678","status":"sent","reject_reason":null,"transaction_id":"a"}]'
    first, second = read("inwise", 200, body, TWO)

    assert first.status is DeliveryStatus.ACCEPTED
    assert second.status is DeliveryStatus.UNKNOWN


def test_inwise_exception_is_a_rejection_with_its_reason_and_the_id_is_transaction_id() -> None:
    """002_a95422e87021d54b.txt: "There are more reject reasons as: exception, ..."; a real answer seen publicly
    (issue 15) carries the id in `transaction_id` and `"status": "exception"` with
    `"reject_reason": "no-available-gateways"`. Not definitive: the provider failed, not the number."""
    body = ('[{"mobile_number":"972-50-2345678","status":"exception","reject_reason":"no-available-gateways",'
            '"transaction_id":"t-9"}]')
    [result] = read("inwise", 200, body, ("+972502345678",))

    assert (result.status, result.definitive, result.error_code, result.error_text, result.provider_id) == (
        DeliveryStatus.REJECTED, False, "no-available-gateways", "exception", "t-9")


def test_inwise_401_in_plain_text_is_a_rejection() -> None:
    [result] = read("inwise", 401, "you are not authorized to use rest API")

    assert (result.status, result.definitive) == (DeliveryStatus.REJECTED, False)
    assert result.error_text == "answer is not valid JSON"


def test_whatcounts_failure_reason_follows_the_prefix() -> None:
    [ok] = read("whatcounts", 200, "SUCCESS: Sending message to phone was successful")
    [bad] = read("whatcounts", 200, "FAILURE: Phone number is missing")

    assert ok.status is DeliveryStatus.ACCEPTED
    assert (bad.status, bad.error_text) == (DeliveryStatus.REJECTED, "Phone number is missing")


@pytest.mark.parametrize(
    ("status", "expected"),
    [(200, DeliveryStatus.UNKNOWN), (404, DeliveryStatus.REJECTED), (502, DeliveryStatus.UNKNOWN)],
)
@pytest.mark.parametrize("provider", sorted(providers.registry()))
@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("<!DOCTYPE html><html><body>Bad gateway</body></html>", "text/html"),
        ("", None),
        (b"\xff\xfe\x00garbage", "application/octet-stream"),
        ('{"status": "Succ', "application/json"),
        ("[1, 2, 3]", "application/json"),
    ],
)
def test_bodies_that_say_nothing_never_crash(
    provider: str, status: int, expected: DeliveryStatus, body: str | bytes, content_type: str | None
) -> None:
    results = read(provider, status, body, ONE, content_type)

    assert [r.status for r in results] == [expected]
    assert results[0].definitive is False


def test_retry_after_reads_seconds_and_dates() -> None:
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)

    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("0.25") == 0.25
    assert parse_retry_after(format_datetime(now + timedelta(seconds=90), usegmt=True), now) == 90.0
    assert parse_retry_after(format_datetime(now - timedelta(seconds=90), usegmt=True), now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_backoff_stays_within_the_capped_exponential_bound() -> None:
    policy = RetryPolicy(base=0.5, cap=30.0)

    for attempt in range(1, 12):
        bound = min(30.0, 0.5 * 2 ** (attempt - 1))
        assert all(0.0 <= policy.backoff(attempt) <= bound for _ in range(50))


def test_rates_are_read_per_second() -> None:
    assert parse_rate("10") == 10.0
    assert parse_rate("10/s") == 10.0
    assert parse_rate("120/min") == 2.0
    assert parse_rate("3600/h") == 1.0
    for bad in ("0", "-1/s", "ten", "5/fortnight", "inf"):
        with pytest.raises(ValueError):
            parse_rate(bad)


def test_the_rate_limiter_spaces_an_accounts_requests() -> None:
    now = [0.0]
    limiter = RateLimiter(2.0, clock=lambda: now[0])
    waits: list[float] = []
    limiter.stop.wait = lambda delay: bool(waits.append(delay))  # type: ignore[method-assign]

    for _ in range(3):
        assert limiter.acquire("a")
    assert limiter.acquire("b")

    assert waits == [0.5, 1.0]  # a's second and third slots; b has its own bucket


# --------------------------------------------------------------------------- a real server


class _Handler(BaseHTTPRequestHandler):
    size = 0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(self.size))
        self.end_headers()
        chunk = b" " * 65536
        left = self.size
        while left > 0:
            self.wfile.write(chunk[: min(left, len(chunk))])
            left -= len(chunk)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def big_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(("size", "too_large"), [(1024 * 1024, False), (1024 * 1024 + 1, True)])
def test_answers_over_one_mebibyte_are_cut_and_unknown(big_server: str, size: int, too_large: bool) -> None:
    _Handler.size = size
    request = RenderedRequest("f", "m", "a", "skycore", "POST", big_server + "/", {}, "{}", ONE, ("t",), 1)
    with Transport(concurrency=1, timeouts=Timeouts(1, 5), policy=RetryPolicy(), limiter=RateLimiter(None)) as transport:
        exchange = transport.exchange(request, RetryOn(frozenset({429, 503})))

    if too_large:
        assert exchange.failure is not None
        assert exchange.failure.kind is FailureKind.UNKNOWN
        assert "answer too large" in exchange.failure.reason
    else:
        assert exchange.failure is None
        assert exchange.answer is not None and len(exchange.answer.body) == size
