"""Write a corpus of valid spec files for the benchmarks.

Each file holds ``messages`` messages (5 by default) with ``recipients``
recipients each (2 by default); every text is a template with variables and
the messages are spread over the five providers. An ``smsspec.yaml`` with one
account per provider sits at the top of the corpus.

    python benchmarks/corpus.py OUT_DIR --files 2000
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

PROVIDERS = ("skycore", "skycore-xml", "sendmachine", "inwise", "whatcounts")
FILES_PER_FOLDER = 500

# Number pools libphonenumber knows to be in use, one per provider's market.
_POOLS = {
    "skycore": ("+4474001{:05d}", 20000),
    "skycore-xml": ("+1206555{:04d}", 10000),
    "sendmachine": ("+407120{:05d}", 20000),
    "inwise": ("+9725023{:05d}", 20000),
    "whatcounts": ("+1206555{:04d}", 10000),
}
_GREETINGS = ("Hi {{ name }}", "Hello {{ name }}", "Dear {{ name }}", "{{ name }}", "Good news {{ name }}")
_BODIES = (
    "your order {{ order }} has shipped",
    "your appointment is on {{ day }} at {{ time }}",
    "your code is {{ code }}",
    "{{ store }} opens at {{ time }} on {{ day }}",
    "your parcel {{ order }} is at {{ store }}",
    "{{ percent }}% off at {{ store }} until {{ day }}",
)
_CLOSINGS = ("Thanks!", "See you soon.", "Reply STOP to opt out.", "Questions? Call us.", "")
_NAMES = ("Ann", "Bob", "Dana", "Eli", "Maria", "John", "Noa", "Ravi", "Sara", "Tom", "Yuki", "Zoe")
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")


def config_text(endpoint_base: str = "http://127.0.0.1:8765") -> str:
    """smsspec.yaml with the account layout of examples/smsspec.yaml."""
    base = endpoint_base.rstrip("/")
    return f"""version: 1
accounts:
  skycore-demo:
    provider: skycore
    endpoint: {base}/skycore/v2/sendsms
    allow_insecure_http: true
    credentials:
      api_key: ${{SKYCORE_API_KEY}}
    settings:
      enforce_campaign_check: true
      price_per_segment: 0.0079
      currency: USD
  skycore-xml-demo:
    provider: skycore-xml
    endpoint: {base}/skycore/v1/sendsms
    allow_insecure_http: true
    credentials:
      api_key: ${{SKYCORE_XML_API_KEY}}
  sendmachine-demo:
    provider: sendmachine
    endpoint: {base}/sms/send
    allow_insecure_http: true
    credentials:
      username: ${{SENDMACHINE_USERNAME}}
      api_key: ${{SENDMACHINE_API_KEY}}
    max_segments: 3
  inwise-demo:
    provider: inwise
    endpoint: {base}/transactional/SMS/send
    allow_insecure_http: true
    settings: {{batch_size: 1}}   # one request per recipient, as the send benchmark counts them
    credentials:
      api_key: ${{INWISE_API_KEY}}
  whatcounts-demo:
    provider: whatcounts
    endpoint: {base}/api_web
    allow_insecure_http: true
    credentials:
      password: ${{WHATCOUNTS_PASSWORD}}
    settings:
      realm: sandbox
"""


def q(value: str) -> str:
    """A double-quoted YAML scalar (JSON strings are valid YAML)."""
    return json.dumps(value, ensure_ascii=False)


def number(provider: str, serial: int) -> str:
    pattern, size = _POOLS[provider]
    return pattern.format(serial % size)


def _text(serial: int) -> str:
    greeting = _GREETINGS[serial % len(_GREETINGS)]
    body = _BODIES[(serial // 5) % len(_BODIES)]
    closing = _CLOSINGS[(serial // 30) % len(_CLOSINGS)]
    # A literal that makes every message's text its own, as in a real project.
    text = f"{greeting}, {body} (ref {serial:06d}). {closing}"
    return text.strip()


def _message_vars(serial: int) -> dict[str, str]:
    return {
        "order": f"A-{serial:06d}",
        "day": _DAYS[serial % len(_DAYS)],
        "time": f"{9 + serial % 9:02d}:30",
        "code": f"{(serial * 7919) % 1000000:06d}",
        "store": f"Store {serial % 97}",
        "percent": str(10 + serial % 40),
    }


def _flow(mapping: dict[str, str]) -> str:
    return "{" + ", ".join(f"{k}: {q(v)}" for k, v in mapping.items()) + "}"


def message_yaml(file_index: int, message_index: int, messages_per_file: int, recipients: int) -> str:
    serial = file_index * messages_per_file + message_index
    provider = PROVIDERS[serial % len(PROVIDERS)]
    lines = [
        f"  - id: m{file_index:06d}-{message_index}",
        f"    account: {provider}-demo",
        f"    text: {q(_text(serial))}",
    ]
    if provider in ("skycore", "skycore-xml"):
        lines += ['    from: "60856"', f"    campaign: {q(f'campaign-{serial % 50}')}"]
    elif provider == "whatcounts":
        lines.append('    from: "120162701555"')
    elif provider == "sendmachine":
        lines += ["    type: transactional", f"    campaign: {q(f'spring-{serial % 20}')}"]
    elif provider == "inwise":
        lines += ["    tags: [benchmark]", "    options: {charset: unicode}"]
    lines.append(f"    vars: {_flow(_message_vars(serial))}")
    lines.append("    to:")
    for r in range(recipients):
        name = _NAMES[(serial + r) % len(_NAMES)]
        lines.append(f"      - {{number: {q(number(provider, serial * recipients + r))}, vars: {{name: {name}}}}}")
    return "\n".join(lines)


def spec_yaml(file_index: int, messages: int = 5, recipients: int = 2) -> str:
    body = "\n".join(message_yaml(file_index, m, messages, recipients) for m in range(messages))
    return f"# benchmark spec {file_index}\nversion: 1\nmessages:\n{body}\n"


def write_corpus(root: Path, files: int, messages: int = 5, recipients: int = 2, endpoint_base: str = "http://127.0.0.1:8765") -> list[Path]:
    """Write ``files`` spec files below ``root`` (500 per folder) and root/smsspec.yaml."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "smsspec.yaml").write_text(config_text(endpoint_base), encoding="utf-8")
    paths = []
    for index in range(files):
        folder = root / f"part{index // FILES_PER_FOLDER:03d}"
        folder.mkdir(exist_ok=True)
        path = folder / f"spec{index:06d}.sms.yaml"
        path.write_text(spec_yaml(index, messages, recipients), encoding="utf-8")
        paths.append(path)
    return paths


def big_message_yaml(recipients: int, account: str = "skycore-demo") -> str:
    """One Skycore message to many recipients (up to a million), each with their own variables, in flow style."""
    out = [
        "version: 1",
        "messages:",
        "  - id: big-send",
        f"    account: {account}",
        '    text: "Hi {{ name }}, your order {{ order }} has shipped. Track it at https://example.com/t/{{ order }}"',
        '    from: "60856"',
        "    campaign: campaign2345",
        "    to:",
    ]
    for r in range(recipients):
        out.append(f'      - {{number: "+447400{r:06d}", vars: {{name: {_NAMES[r % len(_NAMES)]}, order: A{r}}}}}')
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--messages", type=int, default=5)
    parser.add_argument("--recipients", type=int, default=2)
    args = parser.parse_args()
    write_corpus(args.out, args.files, args.messages, args.recipients)
    print(f"wrote {args.files} spec files and smsspec.yaml to {args.out}")


if __name__ == "__main__":
    main()
