#!/usr/bin/env python3
"""aiosmtpd as a mail server for bench/compare.py: SMTP on 127.0.0.1:PORT,
each message stored durably into a Maildir per recipient.

    python3 bench/aiosmtpd_maildir.py --port 2527 --root /tmp/x/mail \\
        --mailbox user@example.com --mailbox 2user@example.com

One asyncio loop, aiosmtpd's SMTP protocol per connection (no Controller
thread: the loop runs in the main thread), stopped by SIGTERM or SIGINT.

- RCPT: the given mailboxes get 250, any other address 550 5.1.1.
- End of data: for each recipient, the message (with Return-Path,
  Delivered-To and Received prepended, line ends turned into LF as Maildir
  readers expect, as Tern and Postfix's virtual(8) write it) goes to
  ROOT/<domain>/<local part>/tmp/<unique name>, is fsync()ed, renamed into
  new/, and new/ is fsync()ed: the 250 comes only after every copy is on
  disk.  The same promise as Tern's and Postfix's 250 (each also keeps a
  queue file, which this server does not).  The file writes run in the
  loop's default thread pool, so one session's fsync does not stop the
  others.
- EHLO advertises PIPELINING besides aiosmtpd's own keywords: aiosmtpd reads
  each connection as a buffered stream and answers commands strictly in
  order, so pipelined commands (RFC 2920) are handled correctly; it just
  does not say so by default.

Needs aiosmtpd (Debian: python3-aiosmtpd, for /usr/bin/python3).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import os
import signal
import socket
import sys
import time
from email.utils import formatdate

from aiosmtpd.smtp import SMTP, Envelope, Session

HOSTNAME = "aiosmtpd.example.com"


class MaildirHandler:
    def __init__(self, root: str, mailboxes: list[str]):
        self.root = root
        self.maildirs: dict[str, str] = {}
        for address in mailboxes:
            local, _, domain = address.lower().rpartition("@")
            path = os.path.join(root, domain, local)
            for sub in ("tmp", "new", "cur"):
                os.makedirs(os.path.join(path, sub), exist_ok=True)
            self.maildirs[address.lower()] = path
        self.counter = itertools.count(1)
        self.pid = os.getpid()

    async def handle_EHLO(self, server: SMTP, session: Session, envelope: Envelope,
                          hostname: str, responses: list[str]) -> list[str]:
        session.host_name = hostname
        return responses[:-1] + ["250-PIPELINING", responses[-1]]

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        if address.lower() not in self.maildirs:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8", "surrogateescape")
        queue_id = f"{self.pid}Q{next(self.counter)}"
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(None, self.deliver, envelope.mail_from,
                                       list(envelope.rcpt_tos), content, session.peer,
                                       session.host_name, queue_id)
        except OSError as e:
            logging.error("delivery failed: %s", e)
            return "451 4.3.0 Local delivery failed"
        return f"250 2.0.0 Ok: queued as {queue_id}"

    def deliver(self, sender: str, recipients: list[str], content: bytes, peer,
                helo: str | None, queue_id: str) -> None:
        body = content.replace(b"\r\n", b"\n")
        peer_ip = peer[0] if isinstance(peer, tuple) else str(peer)
        for rcpt in recipients:
            head = (f"Return-Path: <{sender}>\nDelivered-To: {rcpt.lower()}\n"
                    f"Received: from {helo or 'unknown'} ([{peer_ip}])\n"
                    f"\tby {HOSTNAME} (aiosmtpd) with ESMTP id {queue_id}\n"
                    f"\tfor <{rcpt}>; {formatdate(localtime=False)}\n").encode()
            self.write_maildir(self.maildirs[rcpt.lower()], head + body)

    def write_maildir(self, maildir: str, data: bytes) -> None:
        now = time.time()
        name = (f"{int(now)}.M{int(now * 1e6) % 1000000}P{self.pid}"
                f"Q{next(self.counter)}.{HOSTNAME}")
        tmp = os.path.join(maildir, "tmp", name)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        new_dir = os.path.join(maildir, "new")
        os.rename(tmp, os.path.join(new_dir, name))
        dfd = os.open(new_dir, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


async def serve(port: int, root: str, mailboxes: list[str]) -> None:
    loop = asyncio.get_running_loop()
    handler = MaildirHandler(root, mailboxes)
    server = await loop.create_server(
        lambda: SMTP(handler, hostname=HOSTNAME, ident="aiosmtpd bench", loop=loop,
                     data_size_limit=64 * 1024 * 1024),
        "127.0.0.1", port, family=socket.AF_INET, backlog=1024, reuse_address=True)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.close()
    try:
        await asyncio.wait_for(server.wait_closed(), 5)
    except asyncio.TimeoutError:
        pass


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--root", required=True, help="Maildirs go to ROOT/<domain>/<local part>/")
    p.add_argument("--mailbox", action="append", required=True, help="repeat for each")
    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(levelname)s %(message)s")
    asyncio.run(serve(args.port, args.root, args.mailbox))
    return 0


if __name__ == "__main__":
    sys.exit(main())
