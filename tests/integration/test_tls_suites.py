"""The TLS 1.2 cipher suites of each listener (docs/configuration.md `[tls]`): `submission`
and `smtps` take only Mozilla's "intermediate" suites (ECDHE with AES-GCM or ChaCha20);
`mx`, opportunistic for any peer (RFC 7435), also ECDHE with AES-CBC, and never a key
exchange without forward secrecy. Each suite OpenSSL knows is offered alone, one handshake
each, as sslyze's cipher scan does."""

import ssl
import subprocess

import pytest

from smtp_client import Session, tls_client_context

STRICT = {"ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-CHACHA20-POLY1305",
          "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305"}


def _tls12_suites() -> list[str]:
    out = subprocess.run(["openssl", "ciphers", "-v", "ALL:COMPLEMENTOFALL:@SECLEVEL=0"],
                         capture_output=True, text=True, check=True, timeout=30).stdout
    return [line.split()[0] for line in out.splitlines() if line.split()[1] in ("TLSv1.2", "TLSv1", "SSLv3")]


def _accepts(srv, role: str, suite: str) -> bool:
    context = tls_client_context()
    context.minimum_version = context.maximum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.set_ciphers(f"{suite}:@SECLEVEL=0")
    except ssl.SSLError:
        return False  # this OpenSSL build can't offer it
    try:
        if role == "smtps":
            with Session(srv.port_of(role), tls=True, tls_context=context):
                return True
        with Session(srv.port_of(role)) as s:
            s.ehlo()
            s.starttls(context)
            return True
    except (ssl.SSLError, ConnectionError, OSError):
        return False


@pytest.fixture(scope="module")
def accepted(module_tern_factory):
    srv = module_tern_factory(tls=True)  # mx, submission, smtps
    suites = _tls12_suites()
    assert len(suites) > 30, suites
    return {role: {suite for suite in suites if _accepts(srv, role, suite)}
            for role in ("mx", "submission", "smtps")}


@pytest.mark.parametrize("role", ["submission", "smtps"])
def test_mandatory_tls_takes_only_the_intermediate_suites(accepted, role):
    assert accepted[role], f"{role} accepted no TLS 1.2 suite"
    assert accepted[role] <= STRICT, f"{role} also accepts {sorted(accepted[role] - STRICT)}"
    assert {"ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-CHACHA20-POLY1305"} <= accepted[role]


def test_mx_keeps_cbc_for_old_peers_but_always_forward_secrecy(accepted):
    assert STRICT & accepted["mx"] == STRICT & accepted["submission"], "mx offers the strong suites too"
    assert "ECDHE-RSA-AES128-SHA" in accepted["mx"], "ECDHE with AES-CBC for older mail servers"
    without_forward_secrecy = {s for s in accepted["mx"] if not s.startswith("ECDHE-")}
    assert not without_forward_secrecy, f"mx accepts {sorted(without_forward_secrecy)}"
