"""A second corpus for benchmark 1, written differently from corpus.py on purpose.

corpus.py writes one shape over and over (5 messages, 2 flow-style recipients, one
text pattern); a validator tuned on it could look faster than it is. This one is
drawn at random from a fixed seed: 1 to 12 messages per file, block-style and
flow-style recipients (1 to 6, some with their own variables), a file-level
account or one per message, comments, quoted and plain scalars, texts with and
without variables, some non-GSM characters, send_at and max_segments here and
there, numbers from seven countries.

    python benchmarks/corpus_independent.py OUT --files 2000 [--seed 7]
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

from corpus import config_text, q

SEED = 20261202
_NUMBERS = ("+49151{:08d}", "+3361{:07d}", "+6141{:07d}", "+8190{:08d}", "+55119{:08d}", "+447400{:06d}", "+346{:08d}")
_WORDS = ("order", "parcel", "visit", "table", "ticket", "refund", "seat", "class", "delivery", "booking")
_UNICODE = ("’", "é", "ü", "—", "ß", "…")


def _number(rng: random.Random, used: set[str]) -> str:
    while True:
        pattern = rng.choice(_NUMBERS)
        digits = int(pattern.split("{:0")[1][0])
        number = pattern.format(rng.randrange(10 ** (digits - 1), 10**digits))
        if number not in used:
            used.add(number)
            return number


def _text(rng: random.Random, names: list[str]) -> str:
    word = rng.choice(_WORDS)
    parts = [rng.choice(("Hello", "Hi", "Dear customer", "Reminder:"))]
    for name in names:
        parts.append(f"{{{{ {name} }}}}")
    parts.append(f"your {word} is confirmed")
    if rng.random() < 0.2:
        parts.append(rng.choice(_UNICODE))
    if rng.random() < 0.3:
        parts.append("Reply STOP to opt out.")
    return " ".join(parts)


def _message(rng: random.Random, file_index: int, index: int, account: str | None, used: set[str]) -> list[str]:
    names = rng.sample(["first", "code", "when", "place"], rng.randint(0, 3))
    shared = [n for n in names if rng.random() < 0.5]
    own = [n for n in names if n not in shared]
    lines = [f"  - id: {rng.choice(('n', 'msg', 'x'))}-{file_index}-{index}"]
    if account is None:
        lines.append("    account: skycore-demo")
    text = _text(rng, names)
    lines.append(f"    text: {q(text)}" if rng.random() < 0.5 else f"    text: >-\n      {text}")
    lines += ['    from: "60856"', f"    campaign: {rng.choice(('spring', 'autumn', q('c-' + str(index))))}"]
    if rng.random() < 0.2:
        lines.append(f"    send_at: \"2027-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T1{rng.randint(0, 9)}:00:00+01:00\"")
    if rng.random() < 0.2:
        lines.append(f"    max_segments: {rng.randint(2, 4)}")
    if shared:
        lines.append("    vars:")
        lines += [f"      {n}: {q(rng.choice(_WORDS))}" for n in shared]
    if rng.random() < 0.15:
        lines.append("    # recipients agreed to be contacted")
    lines.append("    to:")
    for _ in range(rng.randint(1, 6)):
        number = _number(rng, used)
        values = {n: rng.choice(_WORDS) + str(rng.randint(1, 99)) for n in own}
        if rng.random() < 0.5:
            flow = ", ".join(f"{k}: {q(v)}" for k, v in values.items())
            lines.append(f"      - {{number: {q(number)}" + (f", vars: {{{flow}}}" if values else "") + "}")
        else:
            lines.append(f"      - number: {q(number) if rng.random() < 0.5 else chr(39) + number + chr(39)}")
            if values:
                lines.append("        vars:")
                lines += [f"          {k}: {v}" for k, v in values.items()]
    return lines


def spec_text(rng: random.Random, file_index: int) -> str:
    account = "skycore-demo" if rng.random() < 0.6 else None
    used: set[str] = set()
    lines = [f"# drawn with seed {SEED}, file {file_index}", "version: 1"]
    if account:
        lines.append(f"account: {account}")
    lines.append("messages:")
    for index in range(rng.randint(1, 12)):
        lines += _message(rng, file_index, index, account, used)
    return "\n".join(lines) + "\n"


def write_independent(root: Path, files: int, seed: int = SEED) -> list[Path]:
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    (root / "smsspec.yaml").write_text(config_text(), encoding="utf-8")
    paths = []
    for index in range(files):
        folder = root / rng.choice(("a", "b/c", "d/e/f", "g"))
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{rng.choice(('promo', 'notice', 'alert'))}-{index:05d}.sms.yaml"
        path.write_text(spec_text(rng, index), encoding="utf-8")
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    write_independent(args.out, args.files, args.seed)
    print(f"wrote {args.files} spec files and smsspec.yaml to {args.out}")


if __name__ == "__main__":
    main()
