"""`smsspec preview` in a real headless Chromium: the page loads nothing, runs nothing, and each
phone shows exactly the rendered text, cut at its real segment boundaries."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from smsspec.sms.encoding import split_segments
from smsspec.validate.check import check_paths
from tests.browser.devtools import Browser
from tests.browser.dom import parse
from tests.browser.test_inbox_page import png_size

CONFIG = """\
version: 1
accounts:
  sky:
    provider: skycore
    endpoint: https://api.example.net/send
    credentials: {api_key: "${SKY_KEY}"}
    settings: {price_per_segment: 0.01, currency: USD}
  machine:
    provider: sendmachine
    endpoint: https://api.example.net/sm
    credentials: {username: "${SM_USER}", api_key: "${SM_KEY}"}
"""

# A recipient's name that would end a script, add an element or run code if it were HTML;
# carriage returns (an HTML parser turns raw ones into line feeds), runs of spaces, an emoji
# (a surrogate pair in UCS-2) and characters with GSM-7 look-alikes.
HOSTILE = "</script><img src=x onerror=document.title='pwned'><!-- &amp; \r\n  two  spaces\r{{ 7*7 }}\x1b[2J\x07"
SPEC = f"""\
version: 1
messages:
  - id: party
    account: sky
    from: "60856"
    sender_mask: "<b>Dunder"
    text: "Hi {{{{ name }}}}, party on Friday — it’s “big” 🎉 bring snacks, bring friends, and bring your best dance moves; the office closes at 4pm so everyone can come!"
    to:
      - number: "+447400123456"
        vars: {{name: Ann}}
      - number: "+447911123456"
        vars: {{name: {json.dumps(HOSTILE)}}}
  - id: notice
    account: machine
    text: "Plain GSM text with a [bracket] and a € sign, {{{{ who }}}}."
    vars: {{who: "<i>everyone</i>"}}
    to: ["+40712034567", "+40712034568"]
"""

PHONES = """
[...document.querySelectorAll("article.phone")].map((p) => ({
  message: p.closest("section.message").dataset.message,
  role: p.dataset.role,
  recipient: p.dataset.recipient,
  sender: p.querySelector(".sender").textContent,
  segments: [...p.querySelectorAll(".segment-text")].map((s) => s.textContent),
  marks: [...p.querySelectorAll("mark.ucs2")].map((m) => [m.textContent, m.dataset.lookalike || null]),
}))
"""


def write_project(folder: Path) -> None:
    (folder / "smsspec.yaml").write_text(CONFIG, encoding="utf-8")
    (folder / "party.sms.yaml").write_text(SPEC, encoding="utf-8")


def make_preview(folder: Path) -> Path:
    page = folder / "preview.html"
    done = subprocess.run([sys.executable, "-m", "smsspec", "preview", str(folder), "-o", str(page)],
                          capture_output=True, text=True, timeout=120, check=False, env={**os.environ, "NO_COLOR": "1"})
    assert done.returncode == 0, done.stderr
    assert "wrote " in done.stderr and "2 messages" in done.stderr
    return page


def rendered_texts(folder: Path) -> dict[tuple[str, str], str]:
    result = check_paths([str(folder)])
    return {(c.message.id, n): t for c in result.checked for n, t in zip(c.numbers, c.texts, strict=True)}


def test_the_page_is_one_file_with_no_script_and_a_strict_policy(tmp_path: Path) -> None:
    write_project(tmp_path)
    html = make_preview(tmp_path).read_text(encoding="utf-8")
    document = parse(html)
    policy = next(m.attrs["content"] for m in document.all(tag="meta") if m.attrs.get("http-equiv") == "Content-Security-Policy")
    assert policy.startswith("default-src 'none'; style-src 'unsafe-inline'")
    assert document.all(tag="script") == [] and document.all(tag="img") == [] and document.all(tag="link") == []
    assert "http://" not in html and "https://" not in html and "<b>Dunder" not in html
    assert "&lt;/script&gt;&lt;img src=x" in html and "&#13;" in html
    assert "\x1b" not in html and "\x07" not in html and "\r" not in html  # written as references


def test_each_phone_shows_exactly_the_rendered_text_and_the_page_loads_nothing(chromium: str, tmp_path: Path, artifacts: Path) -> None:
    write_project(tmp_path)
    page_file = make_preview(tmp_path)
    url = page_file.resolve().as_uri()
    texts = rendered_texts(tmp_path)
    assert HOSTILE in texts[("party", "+447911123456")]  # a variable's value is data

    with Browser(chromium, "about:blank", tmp_path / "profile", width=1200, height=1400) as page:
        for domain in ("Network", "Runtime", "Log", "Page"):
            page.call(f"{domain}.enable")
        page.call("Page.navigate", url=url)
        page.wait_for("document.readyState === 'complete' && document.querySelectorAll('article.phone').length > 0", "the preview")
        phones = page.evaluate(PHONES)
        assert page.evaluate("document.title") == "smsspec preview"
        assert page.evaluate("document.querySelectorAll('img, script, iframe, object').length") == 0
        page.screenshot(artifacts / "preview.png")
        print(f"screenshot: {artifacts / 'preview.png'}")

    # Nothing was requested but the page itself, nothing was logged as an error, no script ran.
    requests = [e["params"]["request"]["url"] for e in page.events if e["method"] == "Network.requestWillBeSent"]
    assert requests == [url]
    errors = [e for e in page.events if e["method"] in ("Runtime.exceptionThrown", "Log.entryAdded")
              and (e["method"] == "Runtime.exceptionThrown" or e["params"]["entry"]["level"] == "error")]
    errors += [e for e in page.events if e["method"] == "Runtime.consoleAPICalled"]
    assert errors == []
    assert png_size(artifacts / "preview.png") == (1200, 1400)

    # party: Ann is the sample; the hostile name makes the worst case. notice: both the same
    # length, so one phone.
    assert [(p["message"], p["role"], p["recipient"]) for p in phones] == [
        ("party", "sample recipient", "+447400123456"),
        ("party", "worst case", "+447911123456"),
        ("notice", "sample recipient", "+40712034567"),
    ]
    for shown in phones:
        text = texts[(shown["message"], shown["recipient"])]
        assert "".join(shown["segments"]) == text
        assert shown["segments"] == split_segments(text)
    assert len(phones[1]["segments"]) > len(phones[0]["segments"]) > 1
    assert {p["sender"] for p in phones[:2]} == {"<b>Dunder"}
    assert phones[2]["sender"] == "(no sender in the request)"
    # The characters that force UCS-2, each with its GSM-7 look-alike (the emoji has none).
    assert phones[0]["marks"] == [["—", "-"], ["’", "'"], ["“", '"'], ["”", '"'], ["🎉", None]]
    assert phones[2]["marks"] == []  # GSM-7 (the euro sign and brackets are in its extension table)
