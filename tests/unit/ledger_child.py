"""A separate process holding a ledger run, for the liveness tests.

    python ledger_child.py LOCATION claim RECIPIENT...   # claims, prints "claimed", waits to be killed
"""

from __future__ import annotations

import sys
import time

from smsspec.send.ledger import Intent, Ledger

HASH = "0" * 64


def main() -> None:
    location, command, *recipients = sys.argv[1:]
    assert command == "claim"
    ledger = Ledger.open(location)
    ledger.claim([Intent("child-request", "acc", "m1", [(r, HASH) for r in recipients])])
    print("claimed", flush=True)
    time.sleep(600)


if __name__ == "__main__":
    main()
