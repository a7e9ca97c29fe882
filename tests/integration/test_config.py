"""docs/configuration.md: `tern check-config`, `tern serve --config`, TERN_CONFIG, error
reporting `FILE:LINE: key: message`, the hold-domain sections of ETRN and
ODMR, and keys that must be refused for now."""

import json
import re
import socket
import time

import pytest

import smtp_client
from smtp_client import check, check_queued, dot_stuff, make_message, unique_marker, wait_delivered
from tern_server import TernServer, base_config, run_tern, to_toml

GOOD = """\
hostname = "mx.example.com"
data_dir = "data"
accept_mail = true

[[listen]]
role = "mx"
address = "127.0.0.1:2599"

[limits]
message_size = "35MiB"
recipients = 100
connections = 1000
connections_per_client = 50
exempt_networks = ["127.0.0.0/8", "::1"]
idle_timeout = "5m"
bad_commands = 20
min_free_disk = "100MiB"

[local]
domains = ["example.com"]
mailboxes = ["user@example.com", "*@example.com"]
aliases = { "staff@example.com" = ["user@example.com"] }
forward = { "fwd@example.com" = "fwd@other.example" }
relocated = { "old@example.com" = "new@other.example" }
unavailable = ["busy@example.com"]
disabled = ["gone@example.com"]
vrfy = "verify"

[log]
level = "info"
format = "text"
"""


def write(tmp_path, text, name="tern.toml"):
    p = tmp_path / name
    p.write_text(text)
    return p


def output(res) -> str:
    return (res.stdout + res.stderr).decode("utf-8", "replace")


def error_line_re(line: int, key: str, message: str = ".+") -> str:
    # FILE:LINE: key: message, FILE as given on the command line; a list
    # element may be named with its index (limits.exempt_networks[0])
    return rf"(?m)^(?:.*/)?tern\.toml:{line}: {re.escape(key)}(?:\[\d+\])?: {message}$"


def test_good_file_passes(tmp_path):
    write(tmp_path, GOOD)
    res = run_tern(["check-config", "tern.toml"], cwd=tmp_path)
    assert res.returncode == 0, output(res)


@pytest.mark.parametrize("size", ['"512KiB"', '"35MiB"', '"1GiB"', '"10MB"', "1048576"])
def test_size_forms(tmp_path, size):
    write(tmp_path, f"[limits]\nmessage_size = {size}\n")
    res = run_tern(["check-config", "tern.toml"], cwd=tmp_path)
    assert res.returncode == 0, output(res)


@pytest.mark.parametrize("dur", ['"250ms"', '"30s"', '"5m"', '"2h"', '"5d"'])
def test_duration_forms(tmp_path, dur):
    write(tmp_path, f"[limits]\nidle_timeout = {dur}\n")
    res = run_tern(["check-config", "tern.toml"], cwd=tmp_path)
    assert res.returncode == 0, output(res)


def test_bad_size_message_exact(tmp_path):
    write(tmp_path, 'hostname = "mx.example.com"\n\n[limits]\nmessage_size = "big"\n')
    res = run_tern(["check-config", "tern.toml"], cwd=tmp_path)
    assert res.returncode == 1, output(res)
    assert re.search(error_line_re(4, "limits.message_size",
                                   re.escape('expected a size like "35MiB", got "big"')),
                     output(res)), output(res)


def test_unknown_top_level_key(tmp_path):
    write(tmp_path, 'hostname = "mx.example.com"\ncolour = "blue"\n')
    res = run_tern(["check-config", "tern.toml"], cwd=tmp_path)
    assert res.returncode == 1
    assert re.search(error_line_re(2, "colour"), output(res)), output(res)


def test_unknown_key_in_limits(tmp_path):
    write(tmp_path, "[limits]\nrecipients = 10\nmessages_per_hour = 5\n")
    res = run_tern(["check-config", "tern.toml"], cwd=tmp_path)
    assert res.returncode == 1
    assert re.search(error_line_re(3, "limits.messages_per_hour"), output(res)), output(res)


@pytest.mark.parametrize("section,body", [
    ("telemetry", 'address = "127.0.0.1:9100"'),
    ("spool", 'backend = "postgres"'),
])
def test_unknown_or_incomplete_sections_refused(tmp_path, section, body):
    write(tmp_path, f'hostname = "mx.example.com"\n\n[{section}]\n{body}\n')
    res = run_tern(["check-config", "tern.toml"], cwd=tmp_path)
    assert res.returncode == 1, output(res)
    assert re.search(rf"(?m)^(?:.*/)?tern\.toml:[34]: {section}(\.[\w\".-]+)?: .+$",
                     output(res)), output(res)


@pytest.mark.parametrize("section,body", [
    ("relay", 'networks = ["127.0.0.1"]\nsmarthost = "127.0.0.1:2526"'),
    ("routes", '"example.net" = "smtp:127.0.0.1:2526"\n".example.org" = "lmtp:unix:/run/lmtp"'),
    ("dns", 'servers = ["127.0.0.1:53", "[::1]:5353"]'),
    ("delivery", 'smtp_port = 25\nretry = ["1m", "1h"]\nmax_lifetime = "3d"\nrequire_tls = true'),
    ("checkpoint", 'keep_partial = "2h"\nsync_every = "1MiB"'),
])
def test_outbound_sections_are_accepted(tmp_path, section, body):
    write(tmp_path, f'hostname = "mx.example.com"\n\n[{section}]\n{body}\n')
    res = run_tern(["check-config", "tern.toml"], cwd=tmp_path)
    assert res.returncode == 0, output(res)


@pytest.mark.parametrize("section,body,key", [
    ("relay", 'smarthost = "nohost"', "relay.smarthost"),
    ("routes", '"example.net" = "ftp:host:21"', "routes"),
    ("dns", 'servers = ["dns.example:53"]', "dns.servers"),
    ("delivery", 'per_destination = 0', "delivery.per_destination"),
    ("checkpoint", 'sync_every = "big"', "checkpoint.sync_every"),
])
def test_outbound_sections_name_a_bad_value(tmp_path, section, body, key):
    write(tmp_path, f'hostname = "mx.example.com"\n\n[{section}]\n{body}\n')
    res = run_tern(["check-config", "tern.toml"], cwd=tmp_path)
    assert res.returncode == 1, output(res)
    assert re.search(rf"(?m)^(?:.*/)?tern\.toml:4: {re.escape(key)}[\w\".\[\]-]*: .+$", output(res)), output(res)


HOLD_DOMAINS = """\
hostname = "mx.example.com"

[[listen]]
role = "mx"
address = "127.0.0.1:2599"

[[listen]]
role = "odmr"
address = "127.0.0.1:2598"

[[etrn.node]]
domain = "node.example.net"
clients = ["127.0.0.1", "192.0.2.0/24"]

[[etrn.node]]
domain = "open.example.net"

[odmr.domains]
"odmr.example.net" = "customer"

[delivery]
hold_lifetime = "2d"
"""


def test_hold_domain_sections_are_accepted(tmp_path):
    """docs/configuration.md `[[etrn.node]]`, `[odmr] domains`, an `odmr` listener
    (no [tls] needed), `[delivery] hold_lifetime`."""
    write(tmp_path, HOLD_DOMAINS)
    res = run_tern(["check-config", "tern.toml"], cwd=tmp_path)
    assert res.returncode == 0, output(res)


@pytest.mark.parametrize("old,new,key", [
    ('clients = ["127.0.0.1", "192.0.2.0/24"]', 'clients = ["not-a-network"]', "etrn"),
    ('domain = "open.example.net"', 'domain = "a..b"', "etrn"),
    ('"odmr.example.net" = "customer"', '"odmr.example.net" = 5', "odmr"),
])
def test_hold_domain_sections_name_a_bad_value(tmp_path, old, new, key):
    write(tmp_path, HOLD_DOMAINS.replace(old, new))
    res = run_tern(["check-config", "tern.toml"], cwd=tmp_path)
    assert res.returncode == 1, output(res)
    assert re.search(rf"(?m)^(?:.*/)?tern\.toml:\d+: {key}[\w.\[\]\"-]*: .+$", output(res)), output(res)


@pytest.mark.parametrize("text,line,key", [
    ("[limits]\nrecipients = \"many\"\n", 2, "limits.recipients"),
    ("[limits]\nidle_timeout = \"soon\"\n", 2, "limits.idle_timeout"),
    ("[limits]\nidle_timeout = 5\n", 2, "limits.idle_timeout"),
    ("[limits]\nconnections = -1\n", 2, "limits.connections"),
    ("[limits]\nexempt_networks = [\"not-a-network\"]\n", 2, "limits.exempt_networks"),
    ("[limits]\nmin_free_disk = \"lots\"\n", 2, "limits.min_free_disk"),
    ("accept_mail = \"yes\"\n", 1, "accept_mail"),
    ("hostname = 42\n", 1, "hostname"),
    ("[log]\nlevel = \"loud\"\n", 2, "log.level"),
    ("[log]\nformat = \"xml\"\n", 2, "log.format"),
    ("[local]\nvrfy = \"sometimes\"\n", 2, "local.vrfy"),
    ("[local]\ndomains = \"example.com\"\n", 2, "local.domains"),
])
def test_wrong_type_or_bad_value(tmp_path, text, line, key):
    write(tmp_path, text)
    res = run_tern(["check-config", "tern.toml"], cwd=tmp_path)
    assert res.returncode == 1, output(res)
    assert re.search(error_line_re(line, key), output(res)), output(res)


def test_one_line_per_error(tmp_path):
    write(tmp_path, '[limits]\nmessage_size = "big"\nrecipients = "many"\nbogus = 1\n')
    res = run_tern(["check-config", "tern.toml"], cwd=tmp_path)
    assert res.returncode == 1
    out = output(res)
    assert re.search(error_line_re(2, "limits.message_size"), out), out
    assert re.search(error_line_re(3, "limits.recipients"), out), out
    assert re.search(error_line_re(4, "limits.bogus"), out), out


@pytest.mark.parametrize("text", [
    '[[listen]]\nrole = "smtps"\naddress = "127.0.0.1:2465"\n',
    '[[listen]]\nrole = "pop3"\naddress = "127.0.0.1:2110"\n',
    '[[listen]]\nrole = "mx"\n',
    '[[listen]]\nrole = "mx"\naddress = "nowhere"\n',
    '[local]\ndomains = ["example.com"]\nforward = { "fwd@other.example" = "x@y.example" }\n',
    '[local]\ndomains = ["example.com"]\nmailboxes = ["user@other.example"]\n',
    "this is not toml\n",
])
def test_contradictions_and_bad_listeners(tmp_path, text):
    write(tmp_path, text)
    res = run_tern(["check-config", "tern.toml"], cwd=tmp_path)
    assert res.returncode == 1, output(res)
    assert re.search(r"(?m)^(?:.*/)?tern\.toml:\d+: ", output(res)), output(res)


def test_missing_file(tmp_path):
    res = run_tern(["check-config", "absent.toml"], cwd=tmp_path)
    assert res.returncode != 0
    assert "absent.toml" in output(res)


def test_serve_with_bad_file_exits_before_binding(tmp_path):
    port = smtp_client.free_port()
    cfg = base_config(port, tmp_path / "data")
    text = to_toml(cfg) + '\n[tls]\ncertificate = "cert.pem"\n'
    srv = TernServer(tmp_path, config_text=text, port=port)
    srv.config = cfg
    srv.start(wait=False)
    code = srv.wait_exit(10)
    assert code is not None, "tern serve kept running with a bad file"
    assert code != 0
    assert re.search(r"tern\.toml:\d+: tls", srv.log()), srv.log()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_tern_config_environment_variable(tmp_path):
    port = smtp_client.free_port()
    cfg = base_config(port, tmp_path / "data")
    cfg["hostname"] = "env.example.com"
    p = tmp_path / "env.toml"
    p.write_text(to_toml(cfg))
    srv = TernServer(tmp_path, None, port=port, args=["serve"], env={"TERN_CONFIG": str(p)})
    srv.start()
    try:
        with srv.session() as s:
            check(s.greeting, 220, text="env.example.com ESMTP service ready")
    finally:
        srv.stop()


def test_hostname_used_everywhere(tern_factory):
    srv = tern_factory({"hostname": "relay.example.net"})
    with srv.session() as s:
        check(s.greeting, 220, text="relay.example.net ESMTP service ready")
        rep = s.ehlo()
        assert rep.lines[0] == "relay.example.net Hello client.example.net"
        check(s.cmd("QUIT"), 221, "2.0.0", text="relay.example.net Service closing transmission channel")


def test_log_milestones_text(tern_factory):
    srv = tern_factory({"log": {"level": "info", "format": "text"}})
    with srv.session() as s:
        s.start_mail()
        qid = check_queued(s.data(dot_stuff(make_message(unique_marker("log")))))
        s.cmd("RCPT TO:<nobody@example.com>")
    deadline = time.monotonic() + 5
    while qid not in srv.log(tail=100000) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert qid in srv.log(tail=100000), "the accepted message's queue id is logged"


def test_log_format_json(tern_factory):
    srv = tern_factory({"log": {"level": "info", "format": "json"}})
    with srv.session() as s:
        s.start_mail()
        qid = check_queued(s.data(dot_stuff(make_message(unique_marker("json")))))
    deadline = time.monotonic() + 5
    objs = []
    while time.monotonic() < deadline:
        objs = []
        for line in srv.log(tail=100000).splitlines():
            try:
                o = json.loads(line)
            except ValueError:
                continue
            if isinstance(o, dict):
                objs.append(o)
        if any(qid in json.dumps(o) for o in objs):
            break
        time.sleep(0.1)
    assert any(qid in json.dumps(o) for o in objs), f"no JSON log line names {qid}:\n{srv.log()}"


def test_log_level_error_is_quiet_for_normal_mail(tern_factory):
    srv = tern_factory({"log": {"level": "error"}})
    marker = unique_marker("quiet")
    with srv.session() as s:
        s.start_mail()
        qid = check_queued(s.data(dot_stuff(make_message(marker))))
    wait_delivered(srv.data_dir, "user@example.com", marker)
    time.sleep(0.3)
    assert qid not in srv.log(tail=100000), srv.log()
