"""docs/behaviour.md §16 on Tern's own SMTP client: Tern relays a 20 MB message to
another Tern through a loopback proxy that drops the link after 8 MB.  The
peer keeps the text it synced; on the next attempt Tern's MAIL carries the
same TRANSID, gets `355 <offset>`, and sends only the rest — counted at the
proxy — and exactly one copy, byte for byte, reaches the mailbox."""

from __future__ import annotations

import time

from peers.cutting_proxy import CuttingProxy
from smtp_client import find_in_maildir, make_message, send_message, unique_marker

BIG = "64MiB"
CUT = 8_000_000


def lines(count: int) -> bytes:
    """Text lines of different lengths, every fifth starting with a dot."""
    return b"".join((b"." if i % 5 == 0 else b"") + b"line %07d " % i + b"x" * (i % 70) + b"\r\n"
                    for i in range(count))


def stuffed_length(message: bytes) -> int:
    return len(message) + sum(1 for line in message.split(b"\r\n") if line.startswith(b"."))


def test_relay_resumes_after_the_link_drops(tern_factory):
    peer = tern_factory({
        "hostname": "mx.example.net",
        "local": {"domains": ["example.net"], "mailboxes": ["dave@example.net"], "aliases": None,
                  "forward": None, "relocated": None, "unavailable": None, "disabled": None},
        "routes": None,
        "limits": {"message_size": BIG},
        "checkpoint": {"sync_every": "256KiB"},
    })
    proxy = CuttingProxy(peer.port, cut_after=[CUT]).start()
    try:
        relay = tern_factory({
            "routes": {"example.net": f"smtp:127.0.0.1:{proxy.port}"},
            "relay": {"networks": ["127.0.0.1"]},
            "delivery": {"retry": ["1s"]},
            "limits": {"message_size": BIG},
        })
        marker = unique_marker("resume")
        message = make_message(marker, lines(420_000), sender="user@example.com", to="dave@example.net")
        assert len(message) > 20_000_000
        send_message(relay.port, message, "user@example.com", ["dave@example.net"])
        deadline = time.monotonic() + 120
        while not (found := find_in_maildir(peer.data_dir, "dave@example.net", marker)):
            assert time.monotonic() < deadline, f"not delivered; proxy saw {proxy.client_octets}"
            time.sleep(0.2)
        relay.wait_queue_empty(timeout=30)
        time.sleep(0.5)
        assert len(find_in_maildir(peer.data_dir, "dave@example.net", marker)) == 1
        [stored] = found
        assert stored.endswith(message.replace(b"\r\n", b"\n")), "the message differs"
        first, second = proxy.client_octets[0], proxy.client_octets[1]
        assert first == CUT
        total = stuffed_length(message)
        # The peer kept nearly all of the first 8 MB (synced every 256 KiB and at the cut):
        # the second attempt carries the rest and little more.
        assert second < total - CUT + 1_000_000, (first, second, total)
        assert len(proxy.client_octets) == 2, proxy.client_octets
        print(f"relay resume: first attempt {first} octets (cut), second {second} of {total}")
    finally:
        proxy.stop()
