"""The client side of Tern's metrics listener (`[metrics] address`, docs/operations.md
"Metrics and health"): plain HTTP/1.1 GETs over loopback with `http.client`, the
Prometheus text exposition (format 0.0.4) parsed by the official Python client's parser
(`prometheus_client.parser.text_string_to_metric_families`), and the differences between
two scrapes.

    scrape = Scrape.get(port)
    scrape.value("tern_smtp_connections_total", role="mx")   # 0.0 when absent
    delta = after.delta(before)                              # {(sample, labels): change}

A counter or label set that has never moved may be absent from the exposition: it reads
as 0.  Every socket has a 5 s timeout and every wait is bounded.
"""

from __future__ import annotations

import http.client
import math
import re
import time
from dataclasses import dataclass, field

from prometheus_client.parser import text_string_to_metric_families

SOCKET_TIMEOUT = 5.0

# The families of the metrics contract, name → `# TYPE` (names exact).
SPEC_FAMILIES = {
    "tern_build_info": "gauge",
    "tern_smtp_connections_open": "gauge",
    "tern_smtp_connections_total": "counter",
    "tern_smtp_replies_total": "counter",
    "tern_messages_accepted_total": "counter",
    "tern_message_bytes_total": "counter",
    "tern_messages_refused_total": "counter",
    "tern_tls_handshakes_total": "counter",
    "tern_auth_attempts_total": "counter",
    "tern_delivery_attempts_total": "counter",
    "tern_delivery_delay_seconds": "histogram",
    "tern_queue_messages": "gauge",
    "tern_dns_lookups_total": "counter",
    "tern_on_demand_runs_total": "counter",
    "tern_spool_commit_seconds": "histogram",
    "tern_spool_commit_batch_size": "histogram",
    "tern_spool_leases_taken_total": "counter",
    "tern_spool_leases_expired_total": "counter",
}

# The label names of each family (histograms: besides `le` on `_bucket`).
SPEC_LABELS = {
    "tern_build_info": {"version", "revision"},
    "tern_smtp_connections_open": {"role"},
    "tern_smtp_connections_total": {"role"},
    "tern_smtp_replies_total": {"code", "enhanced"},
    "tern_messages_accepted_total": {"role"},
    "tern_message_bytes_total": {"role"},
    "tern_messages_refused_total": {"stage", "reason"},
    "tern_tls_handshakes_total": {"side", "result"},
    "tern_auth_attempts_total": {"mechanism", "result"},
    "tern_delivery_attempts_total": {"courier", "outcome"},
    "tern_delivery_delay_seconds": {"courier"},
    "tern_queue_messages": {"state"},
    "tern_dns_lookups_total": {"type", "result"},
    "tern_on_demand_runs_total": {"command"},
    "tern_spool_commit_seconds": {"backend"},
    "tern_spool_commit_batch_size": set(),
    "tern_spool_leases_taken_total": set(),
    "tern_spool_leases_expired_total": set(),
}

EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4"

_SAMPLE_NAME = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{|\s)")
_TYPE_LINE = re.compile(r"^# TYPE (\S+) (\S+)\s*$")

Key = tuple[str, frozenset]  # (sample name, frozenset of (label, value))


@dataclass
class HttpAnswer:
    status: int
    headers: dict[str, str]  # names lower-cased
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def http_request(port: int, path: str, method: str = "GET", host: str = "127.0.0.1") -> HttpAnswer:
    """One HTTP/1.1 request to host:port with `http.client`; the whole answer."""
    conn = http.client.HTTPConnection(host, port, timeout=SOCKET_TIMEOUT)
    try:
        conn.request(method, path, headers={"Accept": "text/plain"})
        resp = conn.getresponse()
        body = resp.read()
        return HttpAnswer(resp.status, {k.lower(): v for k, v in resp.getheaders()}, body)
    finally:
        conn.close()


def wait_http(port: int, path: str = "/health", timeout: float = 10.0) -> HttpAnswer:
    """Poll (≤ timeout) until the metrics listener answers `path` at all (any status)."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            return http_request(port, path)
        except (ConnectionError, OSError, http.client.HTTPException) as e:
            last = e
        time.sleep(0.1)
    raise AssertionError(f"no HTTP answer on 127.0.0.1:{port}{path} within {timeout}s ({last!r})")


def _key(name: str, labels: dict[str, str]) -> Key:
    return name, frozenset(labels.items())


def show_key(key: Key) -> str:
    name, labels = key
    inner = ",".join(f'{k}="{v}"' for k, v in sorted(labels))
    return f"{name}{{{inner}}}" if inner else name


@dataclass
class Scrape:
    """One parsed exposition: `types` (family name as the parser gives it → type),
    `samples` ((sample name, labels) → value), the raw text and its sample names and
    `# TYPE` lines as written."""
    text: str
    types: dict[str, str] = field(default_factory=dict)
    samples: dict[Key, float] = field(default_factory=dict)
    raw_names: set[str] = field(default_factory=set)
    raw_types: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> "Scrape":
        """Parse with the official parser (which raises on a malformed exposition); a
        sample seen twice with the same labels is an error."""
        scrape = cls(text)
        for family in text_string_to_metric_families(text):
            assert family.name not in scrape.types, f"family {family.name} declared twice"
            scrape.types[family.name] = family.type
            for s in family.samples:
                key = _key(s.name, s.labels)
                assert key not in scrape.samples, f"sample {show_key(key)} appears twice"
                scrape.samples[key] = s.value
        for line in text.splitlines():
            if m := _TYPE_LINE.match(line):
                assert m.group(1) not in scrape.raw_types, f"two # TYPE lines for {m.group(1)}"
                scrape.raw_types[m.group(1)] = m.group(2)
            elif line and not line.startswith("#"):
                m = _SAMPLE_NAME.match(line)
                assert m, f"not a sample line: {line!r}"
                scrape.raw_names.add(m.group(1))
        return scrape

    @classmethod
    def get(cls, port: int) -> "Scrape":
        """GET /metrics: 200, the 0.0.4 content type, parsed."""
        answer = http_request(port, "/metrics")
        assert answer.status == 200, f"GET /metrics: {answer.status} {answer.body[:300]!r}"
        ctype = answer.headers.get("content-type", "")
        assert ctype.startswith(EXPOSITION_CONTENT_TYPE), f"GET /metrics Content-Type: {ctype!r}"
        return cls.parse(answer.text)

    # -- reading
    def value(self, name: str, **labels: str) -> float:
        """The sample `name` with exactly these labels; 0.0 when absent."""
        return self.samples.get(_key(name, labels), 0.0)

    def matching(self, name: str, **labels: str) -> dict[Key, float]:
        """Every sample `name` whose labels include `labels`."""
        want = set(labels.items())
        return {k: v for k, v in self.samples.items() if k[0] == name and want <= k[1]}

    def total(self, name: str, **labels: str) -> float:
        return sum(self.matching(name, **labels).values())

    def family_type(self, spec_name: str) -> str | None:
        """The parsed type of a family named as in the contract (the parser names a
        counter family without its `_total`)."""
        for name in (spec_name, spec_name.removesuffix("_total")):
            if name in self.types:
                return self.types[name]
        return None

    def delta(self, before: "Scrape") -> dict[Key, float]:
        """Every sample whose value differs from `before` (absent = 0)."""
        keys = set(self.samples) | set(before.samples)
        out = {}
        for k in keys:
            d = self.samples.get(k, 0.0) - before.samples.get(k, 0.0)
            if d != 0:
                out[k] = d
        return out

    def family_delta(self, before: "Scrape", name: str) -> dict[Key, float]:
        """The changes of the samples called `name`."""
        return {k: v for k, v in self.delta(before).items() if k[0] == name}


def by_labels(changes: dict[Key, float]) -> dict[frozenset, float]:
    """{(name, labels): v} of one sample name → {labels: v}."""
    return {labels: v for (_, labels), v in changes.items()}


def labels(**kw: str) -> frozenset:
    return frozenset(kw.items())


def show(changes: dict[Key, float]) -> str:
    return "\n".join(f"  {show_key(k)} {v:+g}" for k, v in sorted(changes.items(), key=lambda kv: show_key(kv[0]))) \
        or "  (none)"


def check_histograms(scrape: Scrape) -> None:
    """Each histogram series: buckets cumulative in `le` order, a `+Inf` bucket equal to
    `_count`, a `_sum` beside it."""
    for family, ftype in scrape.types.items():
        if ftype != "histogram":
            continue
        series: dict[frozenset, list[tuple[float, float]]] = {}
        for (name, lbls), v in scrape.samples.items():
            if name == f"{family}_bucket":
                d = dict(lbls)
                le = d.pop("le")
                series.setdefault(frozenset(d.items()), []).append((float(le), v))
        for lbls, buckets in series.items():
            buckets.sort()
            values = [v for _, v in buckets]
            shown = show_key((family, lbls))
            assert values == sorted(values), f"{shown}: buckets not cumulative: {buckets}"
            assert buckets[-1][0] == math.inf, f"{shown}: no +Inf bucket: {buckets}"
            count = scrape.samples.get((f"{family}_count", lbls))
            assert count == buckets[-1][1], f"{shown}: _count {count} != +Inf bucket {buckets[-1][1]}"
            assert (f"{family}_sum", lbls) in scrape.samples, f"{shown}: no _sum"


def check_spec_names(scrape: Scrape) -> None:
    """Every `tern_` family is one of the contract's, with its type and label names, and
    its samples carry the names as written in the contract (the parser would add a
    missing `_total` to a counter's sample; the raw text must have it)."""
    for name, ftype in scrape.types.items():
        if not name.startswith("tern_"):
            continue
        spec = name if name in SPEC_FAMILIES else f"{name}_total"
        assert spec in SPEC_FAMILIES, f"family {name} is not in the metrics contract"
        assert ftype == SPEC_FAMILIES[spec], f"{spec}: # TYPE {ftype}, the contract says {SPEC_FAMILIES[spec]}"
        assert scrape.raw_types.get(spec) == SPEC_FAMILIES[spec], \
            f"no line '# TYPE {spec} {SPEC_FAMILIES[spec]}' (TYPE lines: {scrape.raw_types})"
        for (sample, lbls) in scrape.samples:
            if sample == spec or (ftype == "histogram" and sample.startswith(spec + "_")):
                got = {k for k, _ in lbls} - ({"le"} if sample.endswith("_bucket") else set())
                assert got == SPEC_LABELS[spec], \
                    f"{show_key((sample, lbls))}: labels {sorted(got)}, the contract says {sorted(SPEC_LABELS[spec])}"
    for raw in scrape.raw_names:
        if raw.startswith("tern_"):
            base = re.sub(r"_(bucket|sum|count)$", "", raw)
            assert raw in SPEC_FAMILIES or (base in SPEC_FAMILIES and SPEC_FAMILIES[base] == "histogram"), \
                f"sample name {raw} is not in the metrics contract"


def wait_scrape(port: int, ready, timeout: float = 10.0, interval: float = 0.2) -> Scrape:
    """Scrape until `ready(scrape)` is true, ≤ timeout; returns the last scrape either way
    (the caller's exact assertions then say what differs)."""
    deadline = time.monotonic() + timeout
    while True:
        scrape = Scrape.get(port)
        if ready(scrape) or time.monotonic() >= deadline:
            return scrape
        time.sleep(interval)
