"""`smsspec preview` counts what opt-outs remove: an opt-out file and the ledger's own list in,
the page out (read back with an HTML parser)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.browser.dom import parse

CONFIG = """\
version: 1
accounts:
  sky:
    provider: skycore
    endpoint: https://api.example.net/send
    credentials: {api_key: "${SKY_KEY}"}
    settings: {price_per_segment: 0.01, currency: USD}
opt_out: {files: [optouts.csv]}
"""

SPEC = """\
version: 1
account: sky
defaults: {from: "60856"}
messages:
  - id: offer
    text: "Hi {{ name }}, winter sale: 20% off."
    to:
      - number: "+447400123456"
        vars: {name: Ann}
      - number: "+447911123456"
        vars: {name: Bob}
      - number: "+447700900123"
        vars: {name: Cat}
      - number: "+447700900124"
        vars: {name: Dan}
  - id: notice
    text: "Your order has shipped."
    to: ["+447700900124"]
"""


def smsspec(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "smsspec", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, check=False, env={**os.environ, "NO_COLOR": "1"})


def test_preview_shows_how_many_recipients_opt_outs_remove_and_counts_without_them(tmp_path: Path) -> None:
    (tmp_path / "smsspec.yaml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "offers.sms.yaml").write_text(SPEC, encoding="utf-8")
    (tmp_path / "optouts.csv").write_text("number\n+447400123456\n", encoding="utf-8")  # Ann, the first

    page = tmp_path / "preview.html"
    done = smsspec(tmp_path, "preview", ".", "-o", str(page))
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / ".smsspec").exists()  # preview reads a ledger, never makes one
    cards = {c.attrs["data-message"]: c for c in parse(page.read_text(encoding="utf-8")).all("message")}
    assert cards["offer"].one("opted-out").text == "1 opted out (not counted)"
    assert cards["offer"].one("recipients").text == "3 recipients"
    assert cards["notice"].all("opted-out") == []

    added = smsspec(tmp_path, "opt-out", "add", "+447911123456", "+447700900124", "--source", "STOP reply")
    assert added.returncode == 0, added.stderr
    done = smsspec(tmp_path, "preview", ".", "-o", str(page))
    assert done.returncode == 0, done.stderr
    cards = {c.attrs["data-message"]: c for c in parse(page.read_text(encoding="utf-8")).all("message")}
    offer = cards["offer"]
    assert offer.one("opted-out").text == "3 opted out (not counted)"
    assert offer.one("recipients").text == "1 recipient"
    assert offer.one("billed").text == "1 segment in all"
    assert offer.one("cost").text == "cost 0.01 USD"
    # the phones show those who will get it: Cat, not Ann (the file) or Bob (the ledger)
    assert [p.attrs["data-recipient"] for p in offer.all("phone")] == ["+447700900123"]
    notice = cards["notice"]
    assert notice.one("opted-out").text == "1 opted out (not counted)"
    assert notice.one("recipients").text == "0 recipients" and notice.all("phone") == []
