"""The queue on PostgreSQL (`[spool] backend = "postgres"`, docs/configuration.md `[spool]`,
docs/architecture.md "The queue on PostgreSQL"): `tern spool migrate`, mail kept across a
restart and a `kill -9`, two nodes sharing one queue (one of them killed, held mail released
by ETRN on the other), and the lease counters of `/metrics` (docs/operations.md "Metrics and
health") on the node that takes over the dead node's messages. The database is a private
PostgreSQL server on loopback (peers/postgres.py), one fresh database per test.
"""

import hashlib
import random
import re
import threading
import time

import pytest

from crash_load import kill_rounds, send_until_killed
from metrics_client import Scrape, show, wait_http, wait_scrape
from smtp_client import check, free_port, queue_marked, unique_marker
from tern_server import output, run_tern

MAX_CRASH_MESSAGES = 5000  # per client and round; the kill comes at 0.5–2.5 s
CRASH_ROUNDS = 2
CRASH_CLIENTS = 4
# The tests' clients may relay (other.example is not local).
RELAY = {"networks": ["127.0.0.0/8"]}
TAKEN, EXPIRED = "tern_spool_leases_taken_total", "tern_spool_leases_expired_total"


@pytest.fixture
def queue_database(postgres):
    """A fresh database on the private server and the `[spool]` table that names it."""
    name = f"tern_{random.getrandbits(48):x}"
    postgres.create_database(name)
    spool = {"backend": "postgres", "postgres_url": postgres.url(name),
             "postgres_password_file": str(postgres.password_file)}
    yield name, spool
    postgres.drop_database(name)


def _count(postgres, database: str, sql: str) -> int:
    return int(postgres.psql(sql, database=database).strip())


def _held_by(postgres, database: str, node: str) -> int:
    """The messages whose lease `node` holds now."""
    return _count(postgres, database, f"SELECT count(*) FROM tern_message WHERE lease_owner = '{node}'")


def _metrics() -> tuple[int, dict]:
    """A free loopback port and the `[metrics]` table naming it."""
    port = free_port()
    return port, {"metrics": {"address": f"127.0.0.1:{port}"}}


def _leases(scrape: Scrape) -> str:
    return show({k: v for k, v in scrape.samples.items() if k[0] in (TAKEN, EXPIRED)})


def _write_config(path, spool: dict) -> None:
    lines = ['hostname = "mx.example.com"', "", "[spool]"]
    lines += [f'{key} = "{value}"' for key, value in spool.items()]
    path.write_text("\n".join(lines) + "\n")


def test_spool_migrate_creates_the_schema_once(tmp_path, postgres, queue_database):
    database, spool = queue_database
    config = tmp_path / "tern.toml"
    _write_config(config, spool)
    first = run_tern(["spool", "migrate", "--config", str(config)], cwd=tmp_path)
    assert first.returncode == 0, output(first)
    migrated = re.search(r"migrated from version 0 to (\d+)", output(first))
    assert migrated, output(first)
    current = int(migrated.group(1))
    assert _count(postgres, database, "SELECT version FROM tern_schema") == current
    again = run_tern(["spool", "migrate", "--config", str(config)], cwd=tmp_path)
    assert again.returncode == 0, output(again)
    assert f"at version {current}: nothing to do" in output(again)

    postgres.psql("UPDATE tern_schema SET version = 99", database=database)
    newer = run_tern(["spool", "migrate", "--config", str(config)], cwd=tmp_path)
    assert newer.returncode == 1, output(newer)
    assert "version 99, newer than this Tern knows" in output(newer)

    files = tmp_path / "files.toml"
    files.write_text('hostname = "mx.example.com"\n')
    plain = run_tern(["spool", "migrate", "--config", str(files)], cwd=tmp_path)
    assert plain.returncode == 0 and "nothing to migrate" in output(plain), output(plain)


def test_a_node_refuses_a_schema_newer_than_it_knows(tern_factory, postgres, queue_database):
    database, spool = queue_database
    srv = tern_factory({"spool": spool, "relay": RELAY})
    srv.stop()
    postgres.psql("UPDATE tern_schema SET version = 99", database=database)
    srv.start(wait=False)
    assert srv.wait_exit() not in (None, 0), srv.log()
    assert "newer than this Tern knows" in srv.log()


def test_queued_mail_lives_in_the_database_across_a_restart(tern_factory, postgres, queue_database):
    database, spool = queue_database
    srv = tern_factory({"spool": spool, "relay": RELAY})
    marker = unique_marker("pgqueue")
    body = b"".join(b"line %06d of a text stored in chunks\r\n" % n for n in range(20000))
    with srv.session() as s:
        s.ehlo()
        # other.example goes to a closed port: the message is deferred and stays queued.
        queue_id = s.send_mail(marker, rcpts=("someone@other.example",), body=body)
        local = s.send_mail(unique_marker("local"))
        s.quit()
    assert _count(postgres, database, f"SELECT count(*) FROM tern_message WHERE id = '{queue_id}'") == 1
    assert _count(postgres, database, f"SELECT count(*) FROM tern_text WHERE owner = '{queue_id}'") >= 3, \
        "a text over 256 KiB is stored in several chunks"
    assert _count(postgres, database, f"SELECT count(*) FROM tern_message WHERE id = '{local}'") == 0, \
        "local mail is delivered at acceptance, never queued"
    srv.stop()
    srv.start()
    entries = {entry["id"]: entry for entry in srv.queue_list()}
    assert list(entries) == [queue_id], entries
    assert entries[queue_id]["recipients"][0]["address"] == "someone@other.example"
    shown = srv.queue("show", queue_id)
    assert shown.returncode == 0 and marker in shown.stdout, output(shown)
    deleted = srv.queue("delete", queue_id)
    assert deleted.returncode == 0, output(deleted)
    assert _count(postgres, database, "SELECT count(*) FROM tern_message") == 0
    assert _count(postgres, database, "SELECT count(*) FROM tern_text") == 0
    assert _count(postgres, database, "SELECT count(*) FROM tern_upload") == 0


def test_a_large_message_is_relayed_from_the_database_intact(tern_factory, sink_factory, queue_database):
    _, spool = queue_database
    sink = sink_factory()
    srv = tern_factory({"spool": spool, "relay": RELAY, "routes": {"other.example": f"smtp:{sink.address}"}})
    marker = unique_marker("pgbig")
    body = b"".join(b"%06d abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ\r\n" % n for n in range(14000))
    with srv.session() as s:
        s.ehlo()
        s.send_mail(marker, rcpts=("far@other.example",), body=body)
        s.quit()
    arrived = sink.wait_messages(1, timeout=20)
    assert len(arrived) == 1 and marker.encode() in arrived[0].data
    sent = body.replace(b"\r\n", b"\n")
    assert hashlib.sha256(arrived[0].data[-len(sent):]).hexdigest() == hashlib.sha256(sent).hexdigest()
    srv.wait_queue_empty(timeout=20)


def test_kill_9_loses_no_acknowledged_message(tern_factory, sink_factory, postgres, queue_database):
    """Clients relaying through a node whose queue is in PostgreSQL, the node killed at a
    random moment and restarted: every acknowledged message reaches the peer, and the only
    copies sent twice are messages whose delivery was under way at a kill."""
    database, spool = queue_database
    sink = sink_factory()
    srv = tern_factory({"spool": spool, "relay": RELAY, "routes": {"other.example": f"smtp:{sink.address}"}})
    acked, attempted = kill_rounds(srv, ("far@other.example",), CRASH_ROUNDS, CRASH_CLIENTS, MAX_CRASH_MESSAGES)
    srv.wait_queue_empty(timeout=60)

    copies: dict[str, int] = {}
    for message in sink.messages():
        found = re.search(rb"Subject: (crash-\S+)", message.data)
        if found:
            copies[found.group(1).decode()] = copies.get(found.group(1).decode(), 0) + 1
    missing = [m for m in acked if m not in copies]
    assert not missing, f"{len(missing)} of {len(acked)} acknowledged messages lost, e.g. {missing[:5]}"
    assert not set(copies) - set(attempted), "messages nobody sent"
    twice = {m: n for m, n in copies.items() if n > 1}
    # A copy sent twice is one the peer had accepted when the kill came, before the node
    # recorded it: at most the messages of the batches under way, a few per round.
    assert len(twice) <= 16 * CRASH_ROUNDS, f"too many duplicates: {twice}"
    print(f"{len(acked)} acknowledged, {len(copies)} arrived, {len(twice)} twice")
    assert _count(postgres, database, "SELECT count(*) FROM tern_upload") == 0, "uploads left behind"
    assert _count(postgres, database, "SELECT count(*) FROM tern_text") == 0, "texts left behind"


def _crash_copies(sink) -> dict[str, int]:
    """Crash-test marker → copies that reached `sink`."""
    copies: dict[str, int] = {}
    for message in sink.messages():
        found = re.search(rb"Subject: (crash-\S+)", message.data)
        if found:
            copies[found.group(1).decode()] = copies.get(found.group(1).decode(), 0) + 1
    return copies


def test_two_nodes_share_one_queue_and_carry_on_when_one_dies(tern_factory, sink_factory, postgres, queue_database):
    """Clients relaying through two nodes of one queue; node A is killed in the middle; node B
    delivers everything A acknowledged once A's leases run out; A, restarted later, finds
    nothing left to do. Only messages whose delivery was under way at the kill may arrive
    twice."""
    database, spool = queue_database
    sink = sink_factory()
    overrides = {"relay": RELAY, "routes": {"other.example": f"smtp:{sink.address}"}}
    port_a, metrics_a = _metrics()
    port_b, metrics_b = _metrics()
    node_a = tern_factory({**overrides, **metrics_a, "spool": {**spool, "node": "node-a", "lease": "3s"}})
    node_b = tern_factory({**overrides, **metrics_b, "spool": {**spool, "node": "node-b", "lease": "3s"}})
    wait_http(port_a)
    wait_http(port_b)
    acked: dict[str, str] = {}
    attempted: list[str] = []
    errors: list[str] = []
    stop_a, stop_b = threading.Event(), threading.Event()
    threads = [threading.Thread(
        target=send_until_killed,
        args=(node.port, "far@other.example", f"{name}{n}", acked, attempted, stop, errors, MAX_CRASH_MESSAGES),
        daemon=True) for n in range(2) for node, name, stop in ((node_a, "a", stop_a), (node_b, "b", stop_b))]
    for t in threads:
        t.start()
    time.sleep(random.uniform(1.0, 2.0))
    node_a.kill9()
    stop_a.set()
    # Leases A held when it died (≥ 2 s left of each: it renews every second): B takes
    # each over once it has run out, and counts it expired.
    held_by_a = _held_by(postgres, database, "node-a")
    time.sleep(1.0)  # node B goes on alone for a while
    stop_b.set()
    for t in threads:
        t.join(timeout=10)
        assert not t.is_alive()
    assert not errors, errors
    assert any(m.startswith("crash-a") for m in acked) and any(m.startswith("crash-b") for m in acked), \
        "both nodes acknowledged mail before the kill"

    deadline = time.monotonic() + 60
    missing = list(acked)
    while missing and time.monotonic() < deadline:
        copies = _crash_copies(sink)
        missing = [m for m in acked if m not in copies]
        time.sleep(0.5)
    assert not missing, f"node B did not deliver {len(missing)} of {len(acked)}, e.g. {missing[:5]}"
    node_b.wait_queue_empty(timeout=30)
    assert _held_by(postgres, database, "node-a") == 0, "a lease of the dead node A was never taken over"
    scrape_b = Scrape.get(port_b)
    assert scrape_b.value(TAKEN) > 0, f"node B:\n{_leases(scrape_b)}"
    # A kill mostly leaves a few, but one between two deliveries may leave none (the test
    # below always leaves one).
    assert scrape_b.value(EXPIRED) == held_by_a, \
        f"node A held {held_by_a} leases when killed; node B:\n{_leases(scrape_b)}"

    node_a.start()
    node_a.wait_queue_empty(timeout=30)
    wait_http(port_a)
    scrape_a = Scrape.get(port_a)
    assert scrape_a.value(EXPIRED) == 0, f"node A, restarted with nothing left to do:\n{_leases(scrape_a)}"
    copies = _crash_copies(sink)
    assert not set(copies) - set(attempted), "messages nobody sent"
    twice = {m: n for m, n in copies.items() if n > 1}
    assert len(twice) <= 16, f"too many duplicates: {twice}"
    print(f"{len(acked)} acknowledged ({sum(m.startswith('crash-a') for m in acked)} by node A), "
          f"{len(copies)} arrived, {len(twice)} twice, {held_by_a} leases taken over")
    assert _count(postgres, database, "SELECT count(*) FROM tern_upload") == 0, "uploads left behind"
    assert _count(postgres, database, "SELECT count(*) FROM tern_text") == 0, "texts left behind"


def test_a_dead_node_s_lease_is_taken_over_and_counted(tern_factory, sink_factory, scripted_peer_factory,
                                                      postgres, queue_database):
    """Node A holds the lease of its one message while its next hop never greets; A is
    killed; node B, relaying to a working peer, takes the message over once the lease has
    run out and delivers it. B's `/metrics`: leases taken, exactly one of them expired."""
    database, spool = queue_database
    silent, sink = scripted_peer_factory(silent=True), sink_factory()
    port_a, metrics_a = _metrics()
    port_b, metrics_b = _metrics()
    node_a = tern_factory({"relay": RELAY, **metrics_a, "routes": {"other.example": f"smtp:127.0.0.1:{silent.port}"},
                           "spool": {**spool, "node": "node-a", "lease": "3s"}})
    wait_http(port_a)
    marker = unique_marker("lease")
    queue_marked(node_a.port, marker, b"Left behind by node A.\r\n", "user@example.com", ["far@other.example"])
    silent.wait_connections(1)  # A's delivery is under way, waiting for a greeting
    assert _held_by(postgres, database, "node-a") == 1
    scrape_a = wait_scrape(port_a, lambda sc: sc.value(TAKEN) >= 1)
    assert scrape_a.value(TAKEN) >= 1 and scrape_a.value(EXPIRED) == 0, f"node A:\n{_leases(scrape_a)}"
    node_a.kill9()

    node_b = tern_factory({"relay": RELAY, **metrics_b, "routes": {"other.example": f"smtp:{sink.address}"},
                           "spool": {**spool, "node": "node-b", "lease": "3s"}})
    wait_http(port_b)
    [arrived] = sink.wait_messages(1, timeout=20)
    assert marker.encode() in arrived.data
    node_b.wait_queue_empty(timeout=20)
    assert _held_by(postgres, database, "node-a") == 0
    scrape_b = wait_scrape(port_b, lambda sc: sc.value(EXPIRED) >= 1)
    assert scrape_b.value(TAKEN) >= 1 and scrape_b.value(EXPIRED) == 1, f"node B:\n{_leases(scrape_b)}"
    assert scrape_b.family_type(TAKEN) == "counter" and scrape_b.family_type(EXPIRED) == "counter", scrape_b.types
    time.sleep(1.5)  # nothing more to take: the count stays
    scrape_b = Scrape.get(port_b)
    assert scrape_b.value(EXPIRED) == 1 and len(sink.find(marker)) == 1, f"node B:\n{_leases(scrape_b)}"


def test_mail_held_on_one_node_is_released_by_etrn_on_the_other(tern_factory, sink_factory, queue_database):
    _, spool = queue_database
    sink = sink_factory()
    node = "node.example.net"
    overrides = {"relay": RELAY, "etrn": {"node": [{"domain": node}]},
                 "routes": {node: f"smtp:{sink.address}"}}
    node_a = tern_factory({**overrides, "spool": {**spool, "node": "node-a"}})
    node_b = tern_factory({**overrides, "spool": {**spool, "node": "node-b"}})
    marker = unique_marker("held")
    queue_marked(node_a.port, marker, b"Held for the customer.\r\n", "user@example.com", [f"customer@{node}"])
    node_b.wait_held({f"customer@{node}"})
    time.sleep(1.5)  # both nodes have looked at it: it stays held
    assert not sink.find(marker)
    with node_b.session() as s:
        s.ehlo()
        check(s.cmd(f"ETRN {node}"), 253, "2.0.0")
        s.quit()
    arrived = sink.wait_messages(1, timeout=20)
    assert marker.encode() in arrived[0].data
    node_a.wait_queue_empty(timeout=20)
    assert len(sink.find(marker)) == 1


@pytest.mark.parametrize("problem", ["no database", "wrong password"])
def test_a_database_that_cannot_be_used_stops_the_start_with_its_reason(tern_factory, tmp_path, postgres, problem):
    wrong = tmp_path / "wrong-password"
    wrong.write_text("not the password\n")
    wrong.chmod(0o600)
    spool = {"backend": "postgres", "postgres_url": postgres.url("tern_missing"),
             "postgres_password_file": str(postgres.password_file)}
    if problem == "wrong password":
        spool = {**spool, "postgres_url": postgres.url("postgres"), "postgres_password_file": str(wrong)}
    srv = tern_factory({"spool": spool}, start=False)
    srv.start(wait=False)
    assert srv.wait_exit() == 1, srv.log()
    reason = 'database "tern_missing" does not exist' if problem == "no database" else "password authentication failed"
    assert "cannot use the queue's database" in srv.log() and reason in srv.log(), srv.log()
