"""Helper process for the ledger tests (locking across processes, SIGKILL).

Usage:
    ledger_child.py hold PATH          open the ledger, print "ready", hold it until stdin closes
    ledger_child.py probe PATH         try to open once; print "ok" or "locked <pid>"
    ledger_child.py writer PATH RUN    write intents and outcomes forever, printing each
                                       commit only after the ledger call returned:
                                       "I <request_id> <account> <message_id> <recipient>..."
                                       "O <request_id> <recipient> <status>"
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import sys

from smsspec.send.ledger import (
    DeliveryStatus,
    Intent,
    Ledger,
    LedgerLocked,
    Outcome,
    RequestOutcome,
)


def _hold(path: str) -> None:
    with Ledger.open(path):
        print("ready", flush=True)
        sys.stdin.read()


def _probe(path: str) -> None:
    try:
        ledger = Ledger.open(path)
    except LedgerLocked as exc:
        print(f"locked {exc.pid}", flush=True)
        return
    ledger.close()
    print("ok", flush=True)


def _die(path: str) -> None:
    ledger = Ledger.open(path)
    digest = hashlib.sha256(b"die").hexdigest()
    ledger.record_intents(
        [Intent("die-1", "acc", "m-die", [("+15550001", digest), ("+15550002", digest)])]
    )
    print("committed", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)


def _writer(path: str, run: str) -> None:
    rng = random.Random(run)
    statuses = [DeliveryStatus.ACCEPTED, DeliveryStatus.REJECTED, DeliveryStatus.UNKNOWN]
    out = sys.stdout
    with Ledger.open(path, wait=30.0) as ledger:
        out.write("ready\n")
        out.flush()
        serial = 0
        while True:
            intents = []
            for _ in range(rng.randint(1, 4)):
                serial += 1
                recipients = [f"+1555{n:07d}" for n in rng.sample(range(50), rng.randint(1, 5))]
                digest = hashlib.sha256(f"{run}-{serial}".encode()).hexdigest()
                intents.append(
                    Intent(
                        request_id=f"{run}-{serial}",
                        account="acc",
                        message_id=f"msg-{run}-{serial}",
                        deliveries=[(r, digest) for r in recipients],
                        meta={
                            "provider": "test",
                            "preview": "héllo\u2028wörld " * rng.randint(0, 30),
                        },
                    )
                )
            ledger.record_intents(intents)
            for intent in intents:
                numbers = " ".join(r for r, _ in intent.deliveries)
                out.write(f"I {intent.request_id} acc {intent.message_id} {numbers}\n")
            out.flush()
            done = [i for i in intents if rng.random() < 0.7]
            if not done:
                continue
            outcomes = [
                RequestOutcome(
                    i.request_id,
                    [
                        Outcome(r, rng.choice(statuses), provider_id=f"p-{r}")
                        for r, _ in i.deliveries
                    ],
                    meta={"http_status": 200},
                )
                for i in done
            ]
            ledger.record_outcomes(outcomes)
            for outcome in outcomes:
                for d in outcome.deliveries:
                    out.write(f"O {outcome.request_id} {d.recipient} {d.status.value}\n")
            out.flush()


def main(argv: list[str]) -> None:
    mode, path = argv[1], argv[2]
    if mode == "hold":
        _hold(path)
    elif mode == "probe":
        _probe(path)
    elif mode == "die":
        _die(path)
    elif mode == "writer":
        _writer(path, argv[3])
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main(sys.argv)
