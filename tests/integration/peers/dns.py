"""dnsmasq as the DNS server of a test: answers only from the records it is
given, on 127.0.0.1:<free port> (UDP and TCP).

    dns = DnsServer(tmp_path / "dns",
                    mx={"dest.test": [(10, "mx1.dest.test"), (20, "mx2.dest.test")]},
                    a={"mx1.dest.test": ["127.0.0.1"]},
                    aaaa={"mx2.dest.test": ["::1"]},
                    null_mx=["nomail.test"]).start()
    dns.port  # → [dns] servers = [f"127.0.0.1:{dns.port}"]

Every top-level domain that a record names (here `test`) is answered from
these records only (`--local=/test/`): other names in it get NXDOMAIN, and a
name without the asked type gets an empty answer (NODATA).  Names under any
other top-level domain get REFUSED, which a resolver takes as a temporary
failure.  A null MX (RFC 7505) is `--dns-rr=NAME,15,000000`: preference 0,
target the root.

`query(name, qtype)` is a minimal stdlib client (one UDP question, A, AAAA,
MX and CNAME answers decoded) for checking the server itself.
"""

from __future__ import annotations

import ipaddress
import random
import shutil
import socket
import struct
import time
from dataclasses import dataclass
from pathlib import Path

from . import process

DNSMASQ = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"
START_TIMEOUT = 10.0

TYPES = {"A": 1, "CNAME": 5, "MX": 15, "AAAA": 28}
RCODES = {0: "NOERROR", 2: "SERVFAIL", 3: "NXDOMAIN", 5: "REFUSED"}


@dataclass
class DnsAnswer:
    rcode: str  # "NOERROR", "NXDOMAIN", "REFUSED", ...
    records: list  # A/AAAA: address strings; MX: (preference, host); CNAME: host


class DnsServer(process.ChildPeer):
    """A dnsmasq subprocess with `.port`, `.query()`, `.stop()`."""

    def __init__(self, workdir: Path, mx: dict[str, list[tuple[int, str]]] | None = None,
                 a: dict[str, list[str]] | None = None,
                 aaaa: dict[str, list[str]] | None = None,
                 null_mx: list[str] | tuple[str, ...] = (),
                 cname: dict[str, str] | None = None,
                 zones: list[str] | tuple[str, ...] = (),
                 extra_args: list[str] | tuple[str, ...] = (), name: str = "dnsmasq"):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.port = process.free_port()
        self.log_path = self.workdir / f"{name}.log"
        args = [DNSMASQ, "--keep-in-foreground", "--no-resolv", "--no-hosts", "--no-poll",
                "--conf-file=/dev/null", "--bind-interfaces", "--listen-address=127.0.0.1",
                f"--port={self.port}", "--pid-file=", "--user=root", "--log-queries",
                f"--log-facility={self.log_path}", "--cache-size=0"]
        names: list[str] = []
        for domain, hosts in (mx or {}).items():
            names.append(domain)
            for pref, host in hosts:
                args.append(f"--mx-host={domain},{host},{int(pref)}")
        for table in (a or {}), (aaaa or {}):
            for host, addresses in table.items():
                names.append(host)
                for addr in addresses:
                    ipaddress.ip_address(addr)  # a typo here is the test's bug
                    args.append(f"--host-record={host},{addr}")
        for domain in null_mx:
            names.append(domain)
            args.append(f"--dns-rr={domain},15,000000")
        for alias, target in (cname or {}).items():
            names.append(alias)
            args.append(f"--cname={alias},{target}")
        tlds = sorted({n.rstrip(".").rsplit(".", 1)[-1] for n in names} | set(zones))
        args += [f"--local=/{tld}/" for tld in tlds]
        args += list(extra_args)
        self.args = args
        self.output_path = self.workdir / f"{name}.out"

    @property
    def server(self) -> str:
        """`host:port` for `[dns] servers`."""
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = START_TIMEOUT) -> "DnsServer":
        self.launch(timeout, f"dnsmasq on {self.server}")
        return self

    def ready(self) -> bool:
        try:
            # any answer at all (REFUSED included) means it is serving
            query(self.port, "ready.invalid", "A", timeout=0.5)
            return True
        except OSError:
            return False

    def query(self, name: str, qtype: str = "A") -> DnsAnswer:
        return query(self.port, name, qtype)

    def log(self, tail: int = 200) -> str:
        return (process.tail(self.output_path, 20) + "\n" + process.tail(self.log_path, tail))


# --------------------------------------------------------------------------
# A minimal DNS client (RFC 1035 §4), for sanity checks only
# --------------------------------------------------------------------------

def _encode_name(name: str) -> bytes:
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode("ascii")
    return out + b"\0"


def _read_name(msg: bytes, pos: int) -> tuple[str, int]:
    """The name at `pos` (following compression pointers) and the offset after it."""
    labels: list[str] = []
    end = None
    for _ in range(128):  # bounded: a pointer loop is a malformed answer
        length = msg[pos]
        if length & 0xC0 == 0xC0:
            if end is None:
                end = pos + 2
            pos = ((length & 0x3F) << 8) | msg[pos + 1]
            continue
        if length == 0:
            return ".".join(labels), (end if end is not None else pos + 1)
        labels.append(msg[pos + 1:pos + 1 + length].decode("ascii"))
        pos += 1 + length
    raise ValueError("DNS name too long or looping")


def query(port: int, name: str, qtype: str = "A", timeout: float = 2.0) -> DnsAnswer:
    """One question over UDP to 127.0.0.1:port; the answer section decoded."""
    code = TYPES[qtype]
    tid = random.randrange(65536)
    packet = struct.pack(">HHHHHH", tid, 0x0100, 1, 0, 0, 0) + _encode_name(name) + \
        struct.pack(">HH", code, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(packet, ("127.0.0.1", port))
        deadline = time.monotonic() + timeout
        while True:
            s.settimeout(max(0.01, deadline - time.monotonic()))
            msg = s.recv(65535)
            if len(msg) >= 12 and struct.unpack(">H", msg[:2])[0] == tid:
                break
    flags, qdcount, ancount = struct.unpack(">HHH", msg[2:8])
    pos = 12
    for _ in range(qdcount):
        _, pos = _read_name(msg, pos)
        pos += 4
    records: list = []
    for _ in range(ancount):
        _, pos = _read_name(msg, pos)
        rtype, _cls, _ttl, rdlen = struct.unpack(">HHIH", msg[pos:pos + 10])
        pos += 10
        rdata = msg[pos:pos + rdlen]
        if rtype == code == 1:
            records.append(str(ipaddress.IPv4Address(rdata)))
        elif rtype == code == 28:
            records.append(str(ipaddress.IPv6Address(rdata)))
        elif rtype == code == 15:
            pref = struct.unpack(">H", rdata[:2])[0]
            records.append((pref, _read_name(msg, pos + 2)[0]))
        elif rtype == 5:
            records.append(_read_name(msg, pos)[0])
        pos += rdlen
    rcode = flags & 0xF
    return DnsAnswer(RCODES.get(rcode, str(rcode)), records)
