"""Runs on a shared (PostgreSQL) ledger start at a random place of their plan, so cooperating
runs rarely claim the same rows at once; the results still come back in plan order."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone

from smsspec.sandbox import Sandbox
from smsspec.send.ledger import Ledger
from smsspec.send.plan import Policy, make_plan
from smsspec.send.redact import Redactor
from smsspec.send.service import SendSettings, requests_of, run_requests
from smsspec.send.transport import Timeouts
from smsspec.validate.check import check_paths
from tests.e2e.send_helpers import API_KEY, Project, account_name


def test_a_run_on_a_shared_ledger_reports_in_plan_order_and_sends_each_once(
    project: Project, sandbox: Sandbox, postgres_url: str
) -> None:
    numbers = [f"+1555010{n:04d}" for n in range(12)]
    project.spec("many", [
        {"id": f"m-{n}", "account": account_name("skycore"), "from": "60856", "text": f"Hi {n}", "to": [number]}
        for n, number in enumerate(numbers)
    ])
    checked = check_paths([str(project.root / "many.sms.yaml")])
    assert checked.errors == 0
    credentials = {account_name("skycore"): {"api_key": API_KEY}}
    with Ledger.open(postgres_url) as run:
        plan = make_plan(checked.checked, run, Policy(), datetime.now(timezone.utc))
        pairs = requests_of(plan, credentials)
        result = run_requests(pairs, run, Redactor(), SendSettings(1, None, Timeouts(5.0, 10.0, None), 1), credentials)

    assert [r.outgoing.request_id for r in result.results] == [o.request_id for o, _ in pairs]
    assert [r.results[0].recipient for r in result.results] == numbers
    assert {r.status for r in result.results} == {"accepted"}
    assert Counter("+" + str(m["recipient"]).lstrip("+") for m in sandbox.messages()) == Counter(numbers)
