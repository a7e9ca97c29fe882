"""Clients sending while the server is killed with SIGKILL and restarted (docs/behaviour.md
§11: a 250 survives `kill -9`). Every wait is bounded: a client stops after 20 s or
`max_messages`, a round's kill comes 0.5–2.5 s into the load.
"""

from __future__ import annotations

import random
import re
import threading
import time

from smtp_client import Session, dot_stuff, make_message, unique_marker


def send_until_killed(port: int, rcpt: str, prefix: str, acked: dict, attempted: list,
                      stop: threading.Event, errors: list, max_messages: int) -> None:
    """One client on one connection: messages to `rcpt`, Subject `crash-<prefix>-...`,
    until the server dies or `stop` is set; a 250 records the marker in `acked`."""
    deadline = time.monotonic() + 20
    try:
        s = Session(port, timeout=5)
        s.ehlo()
        for i in range(max_messages):
            if stop.is_set() or time.monotonic() > deadline:
                break
            marker = f"crash-{prefix}-{i:04d}-{unique_marker('c')}"
            attempted.append(marker)
            s.cmd("MAIL FROM:<sender@other.example>")
            s.cmd(f"RCPT TO:<{rcpt}>")
            rep = s.cmd("DATA")
            if rep.code != 354:
                errors.append(f"DATA: {rep}")
                break
            s.send(dot_stuff(make_message(marker, b"crash test\r\n", to=rcpt)) + b".\r\n")
            rep = s.read_reply()
            if rep.code == 250 and re.search(r"queued as (\S+)$", rep.text):
                acked[marker] = rcpt
            else:
                errors.append(f"final reply: {rep}")
                break
    except (OSError, ConnectionError, TimeoutError, AssertionError):
        pass  # the server died under us


def kill_rounds(srv, rcpts: tuple[str, ...], rounds: int, clients: int,
                max_messages: int) -> tuple[dict[str, str], list[str]]:
    """`rounds` times: `clients` clients (client n sends to `rcpts[n % len(rcpts)]`), the
    server killed at a random moment and started again. Returns the acknowledged markers
    (→ recipient) and every marker a client began to send."""
    acked: dict[str, str] = {}
    attempted: list[str] = []
    errors: list[str] = []
    for round_number in range(rounds):
        stop = threading.Event()
        threads = [threading.Thread(
            target=send_until_killed,
            args=(srv.port, rcpts[n % len(rcpts)], f"r{round_number}t{n}", acked, attempted, stop, errors,
                  max_messages),
            daemon=True) for n in range(clients)]
        for t in threads:
            t.start()
        kill_after = random.uniform(0.5, 2.5)
        time.sleep(kill_after)
        alive_at_kill = all(t.is_alive() for t in threads)
        srv.kill9()
        print(f"round {round_number}: SIGKILL {kill_after:.2f}s into the load; "
              f"{len(acked)} acknowledged, {len(attempted)} attempted so far")
        stop.set()
        for t in threads:
            t.join(timeout=10)
            assert not t.is_alive()
        assert not errors, errors
        assert alive_at_kill, "a client had finished before the kill: raise max_messages"
        srv.start()
    assert acked, "no message was acknowledged before a kill: the test proves nothing"
    return acked, attempted
