"""docs/behaviour.md §13: AUTH tells nobody which account names exist, and probing costs
what guessing costs — an unknown user's SCRAM salt does not depend on the case of the name
or on the listener, and a cancelled exchange counts as a failed AUTH."""

import base64

from smtp_client import b64e, check
from tern_server import BOB, BOB_PASSWORD


def _scram_salt(srv, role: str, name: str) -> str:
    """The salt of the server-first message for `name`, the exchange then cancelled."""
    with srv.tls_session(role) as s:
        rep = check(s.cmd(f"AUTH SCRAM-SHA-256 {b64e(f'n,,n={name},r=probe0nce')}"), 334)
        fields = dict(f.split("=", 1) for f in base64.b64decode(rep.text).decode().split(","))
        check(s.cmd("*"), 501, "5.7.0")
        return fields["s"]


def test_unknown_names_get_one_salt_for_any_case_on_every_listener(tern_factory):
    srv = tern_factory(tls=True)  # mx, submission, smtps
    srv.add_user(BOB, BOB_PASSWORD)
    unknown = {(role, name): _scram_salt(srv, role, name)
               for role in ("submission", "smtps") for name in ("nosuch", "NoSuch")}
    assert len(set(unknown.values())) == 1, unknown
    real = {name: _scram_salt(srv, "submission", name) for name in (BOB, BOB.upper())}
    assert len(set(real.values())) == 1, real
    assert set(real.values()) != set(unknown.values())


def test_cancelled_exchanges_count_toward_the_failure_limit(tern_factory):
    srv = tern_factory({"limits": {"auth_failures": 3}}, tls=True, roles=("mx",))
    srv.add_user(BOB, BOB_PASSWORD)
    with srv.tls_session("mx") as s:
        check(s.cmd("AUTH PLAIN"), 334)
        check(s.cmd("*"), 501, "5.7.0")
        check(s.cmd("AUTH LOGIN"), 334)
        check(s.cmd("!!!not-base64!!!"), 501, "5.5.2")
        check(s.cmd(f"AUTH LOGIN {b64e(BOB)}"), 334)
        check(s.cmd("*"), 501, "5.7.0")
        # Three exchanges ended without credentials: even the right password is refused now.
        check(s.auth_plain(BOB, BOB_PASSWORD), 454, "4.7.0")
    srv.wait_log(r"outcome=abandoned session=\d+ .*authentication failed$", count=3)
