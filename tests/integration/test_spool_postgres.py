"""The queue on PostgreSQL (`[spool] backend = "postgres"`, docs/configuration.md `[spool]`,
docs/architecture.md "The queue on PostgreSQL"): `tern spool migrate`, mail kept across a
restart and a `kill -9`, two nodes sharing one queue (one of them killed, held mail released
by ETRN on the other), and the lease counters of `/metrics` (docs/operations.md "Metrics and
health") on the node that takes over the dead node's messages. Two things one node's lease
keeps from the others (docs/operations.md "The queue on PostgreSQL"): an operator command on
a message another node is delivering answers "being delivered by another node" until that
node's attempt is over (or its lease has run out), and a hold domain has one ETRN run or
ATRN session in the whole cluster (`458` and `451` on the other node while a run lasts).
The database is a private PostgreSQL server on loopback (peers/postgres.py), one fresh
database per test.
"""

import hashlib
import random
import re
import threading
import time

import pytest

from crash_load import kill_rounds, send_until_killed
from metrics_client import Scrape, show, wait_http, wait_scrape
from smtp_client import Reply, check, free_port, make_message, queue_marked, send_message, unique_marker
from tern_server import output, run_tern

MAX_CRASH_MESSAGES = 5000  # per client and round; the kill comes at 0.5–2.5 s
CRASH_ROUNDS = 2
CRASH_CLIENTS = 4
# The tests' clients may relay (other.example is not local).
RELAY = {"networks": ["127.0.0.0/8"]}
TAKEN, EXPIRED = "tern_spool_leases_taken_total", "tern_spool_leases_expired_total"
SENDER = "user@example.com"
# A hold domain (`[[etrn.node]]`, and on one node also an `[odmr] domains` entry of ACCOUNT's).
NODE = "node.example.net"
ACCOUNT, PASSWORD = "customer", "customer-pw"
# The control socket's answer to a command on a message whose lease another node holds.
ANOTHER_NODE = "message {} is being delivered by another node: try again"
ETRN_BUSY = f"Unable to queue messages for node {NODE}"  # 458 4.3.0
ATRN_BUSY = "Unable to process ATRN request now"  # 451 4.3.0
WAIT = 20.0  # the longest wait for a run to end, a lease to run out, a message to arrive


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
    # Only a message A was working on when it died can arrive twice: A had it leased, so it
    # is among the leases B took over (how many depends on where the kill fell).
    assert len(twice) <= held_by_a, f"{len(twice)} duplicates, more than the {held_by_a} leases A held: {twice}"
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


def _hold_domain_leases(postgres, database: str, node: str) -> int:
    """The hold domains whose lease `node` holds now (an ETRN run or ATRN session under way)."""
    return _count(postgres, database, f"SELECT count(*) FROM tern_hold_lease WHERE node = '{node}'")


def _queue_command(srv, command: str, queue_id: str) -> tuple[int, str, str]:
    """`tern queue COMMAND ID` on `srv`: exit status, standard output, standard error."""
    res = srv.queue(command, queue_id)
    return res.returncode, res.stdout, res.stderr


def _until_not_busy(srv, command: str, queue_id: str) -> tuple[int, str, str]:
    """`tern queue COMMAND ID` again while it answers that another node is delivering the
    message (≤ WAIT); the last answer."""
    busy = (1, "", f"tern: {ANOTHER_NODE.format(queue_id)}\n")
    deadline = time.monotonic() + WAIT
    while (answer := _queue_command(srv, command, queue_id)) == busy and time.monotonic() < deadline:
        time.sleep(0.2)
    return answer


@pytest.mark.parametrize("ending", ["the next hop goes away", "kill -9"])
def test_an_operator_command_on_a_message_another_node_is_delivering(tern_factory, scripted_peer_factory,
                                                                    postgres, queue_database, ending):
    """Node A's delivery attempt waits for a next hop that never greets, holding the message's
    lease. On node B (same queue, its own data folder and control socket) `tern queue hold`,
    `bounce` and `delete` of that message fail with "being delivered by another node" (exit 1)
    and change nothing. Once A's attempt is over the same commands on B succeed: the next hop
    closes the connection and A gives the lease back (a lease longer than the test, so only
    that frees the message), or A is killed and its lease (`lease = "3s"`) runs out."""
    database, spool = queue_database
    silent = scripted_peer_factory(silent=True)
    lease = "10m" if ending == "the next hop goes away" else "3s"
    node_a = tern_factory({"relay": RELAY, "routes": {"other.example": f"smtp:127.0.0.1:{silent.port}"},
                           "spool": {**spool, "node": "node-a", "lease": lease}})
    marker = unique_marker("another")
    rcpt = "far@other.example"
    queue_id = send_message(node_a.port, make_message(marker, sender=SENDER, to=rcpt), SENDER, [rcpt])
    silent.wait_connections(1)  # A's attempt is under way, waiting for a greeting
    assert _held_by(postgres, database, "node-a") == 1
    # B starts only now, so that A, not B, took the message. Its other.example is the example
    # configuration's closed port: once B may take the message, its attempts end at once.
    node_b = tern_factory({"relay": RELAY, "spool": {**spool, "node": "node-b", "lease": lease}})
    busy = (1, "", f"tern: {ANOTHER_NODE.format(queue_id)}\n")
    for command in ("hold", "bounce", "delete"):
        assert _queue_command(node_b, command, queue_id) == busy, command
    [entry] = node_b.queue_list()
    assert entry["id"] == queue_id and entry["held"] is False, entry
    assert [(r["address"], r["status"]) for r in entry["recipients"]] == [(rcpt, "pending")], entry
    listed = node_b.queue("list")
    assert listed.returncode == 0 and queue_id in listed.stdout, output(listed)
    assert _held_by(postgres, database, "node-a") == 1 and len(silent.sessions) == 1

    if ending == "kill -9":
        node_a.kill9()
    else:
        silent.stop()  # the connection closes before any greeting: A's attempt ends, deferred
    held = _until_not_busy(node_b, "hold", queue_id)
    assert held == (0, f"{queue_id}: placed on hold\n", ""), held
    assert _held_by(postgres, database, "node-a") == 0
    if ending != "kill -9":
        assert node_a.running(), node_a.log()
    [entry] = node_b.queue_list()
    assert entry["id"] == queue_id and entry["held"] is True, entry
    assert _queue_command(node_b, "delete", queue_id) == (0, f"{queue_id}: deleted\n", "")
    assert node_b.queue_list() == []
    assert _count(postgres, database, "SELECT count(*) FROM tern_message") == 0


def _atrn(srv, domain: str) -> Reply:
    """One session on the odmr listener: EHLO, AUTH CRAM-MD5 as ACCOUNT, `ATRN domain`; the
    ATRN reply (the session is closed without QUIT: a 250 would have turned it)."""
    with srv.session("odmr") as s:
        check(s.greeting, 220)
        s.ehlo()
        check(s.auth_cram_md5(ACCOUNT, PASSWORD), 235, "2.7.0")
        return s.cmd(f"ATRN {domain}")


def _wait_odmr(srv) -> None:
    """Until the odmr listener greets (≤ 10 s; TernServer.wait_ready probes only the others)."""
    deadline = time.monotonic() + 10
    while True:
        try:
            with srv.session("odmr") as s:
                check(s.greeting, 220)
                s.quit()
            return
        except (ConnectionError, OSError):
            assert time.monotonic() < deadline, f"the odmr listener does not answer\n{srv.log()}"
            time.sleep(0.1)


@pytest.mark.parametrize("end", ["the node's host goes away", "kill -9"])
def test_one_etrn_run_or_atrn_session_per_hold_domain_in_the_cluster(tern_factory, scripted_peer_factory,
                                                                     sink_factory, postgres, queue_database,
                                                                     end):
    """Mail held for NODE on a queue shared by two nodes. ETRN on node A starts a run whose
    connection to the node's host is never greeted, so the run lasts and A keeps NODE's lease.
    Meanwhile on node B `ETRN NODE` (and `#NODE`) gets `458 4.3.0` and ATRN for NODE on B's
    odmr listener `451 4.3.0`. When A's run is over (the host closes the connection and A gives
    the domain back, with leases longer than the test; or A is killed and its leases,
    `lease = "3s"`, run out) ETRN on B starts a run of its own, which delivers the message to
    B's route for NODE, once."""
    database, spool = queue_database
    silent, sink = scripted_peer_factory(silent=True), sink_factory()
    lease = "3s" if end == "kill -9" else "10m"
    node_a = tern_factory({"relay": RELAY, "etrn": {"node": [{"domain": NODE}]},
                           "routes": {NODE: f"smtp:127.0.0.1:{silent.port}"},
                           "spool": {**spool, "node": "node-a", "lease": lease}})
    node_b = tern_factory({"relay": RELAY, "etrn": {"node": [{"domain": NODE}]}, "odmr": {"domains": {NODE: ACCOUNT}},
                           "routes": {NODE: f"smtp:{sink.address}"},
                           "spool": {**spool, "node": "node-b", "lease": lease}}, roles=("mx", "odmr"))
    node_b.add_user(ACCOUNT, PASSWORD, "--allow-cram-md5")
    _wait_odmr(node_b)
    marker = unique_marker("oneperdomain")
    queue_marked(node_a.port, marker, b"Held for the node.\r\n", SENDER, [f"customer@{NODE}"])
    node_b.wait_held({f"customer@{NODE}"})

    check(node_a.etrn(NODE), 253, "2.0.0", text=f"OK, 1 pending messages for node {NODE} started")
    silent.wait_connections(1)  # A's run waits for the node's greeting
    assert _hold_domain_leases(postgres, database, "node-a") == 1
    check(node_b.etrn(NODE), 458, "4.3.0", text=ETRN_BUSY)
    check(node_b.etrn(f"#{NODE}"), 458, "4.3.0", text=ETRN_BUSY)
    check(_atrn(node_b, NODE), 451, "4.3.0", text=ATRN_BUSY)
    assert _hold_domain_leases(postgres, database, "node-b") == 0
    assert node_b.held_recipients() == {f"customer@{NODE}"} and sink.messages() == []

    if end == "kill -9":
        node_a.kill9()
        # A's leases of NODE and of the message run out (≤ 3 s after its last renewal).
        over = ("SELECT (SELECT count(*) FROM tern_hold_lease WHERE node = 'node-a' AND until > now())"
                " + (SELECT count(*) FROM tern_message WHERE lease_owner = 'node-a' AND lease_until > now()) = 0")
    else:
        silent.stop()  # the connection closes before any greeting: the run fails, the mail stays held
        # A gives NODE back, and the message, which A's scheduler takes once more after the run
        # and gives back due when its hold runs out; until then a run on B could not take it.
        over = ("SELECT NOT EXISTS (SELECT 1 FROM tern_hold_lease WHERE node = 'node-a')"
                " AND (SELECT lease_owner IS NULL AND due > now() FROM tern_message)")
    deadline = time.monotonic() + WAIT
    while postgres.psql(over, database=database).strip() != "t":
        assert time.monotonic() < deadline, f"node A's run did not end: {over}"
        time.sleep(0.2)
    if end != "kill -9":
        assert node_a.running(), node_a.log()
    reply = node_b.etrn(NODE)
    check(reply, 253, "2.0.0", text=f"OK, 1 pending messages for node {NODE} started")
    [arrived] = sink.wait_messages(1, timeout=WAIT)
    assert marker.encode() in arrived.data
    node_b.wait_queue_empty(timeout=WAIT)
    assert len(sink.find(marker)) == 1 and len(silent.sessions) == 1


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
