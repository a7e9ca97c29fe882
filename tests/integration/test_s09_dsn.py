"""docs/behaviour.md §9: DSN parameters on MAIL and RCPT (validation; the reports
themselves are tested in test_relay.py)."""

import pytest

from smtp_client import check, smtp, smtp_close


@pytest.fixture
def client(server):
    c = smtp(server.port, ehlo=True)
    yield c
    smtp_close(c)


@pytest.mark.parametrize("params", [
    "RET=HDRS ENVID=abc", "RET=FULL", "RET=hdrs", "RET=Full", "ENVID=" + "a" * 100,
    "ENVID=a+3Db", "ENVID=QQ+2B+2B",
])
def test_valid_mail_parameters(client, params):
    check(client.docmd("MAIL", f"FROM:<a@b.example> {params}"), 250, "2.1.0", text="Sender OK")


@pytest.mark.parametrize("params", [
    "RET=EVERYTHING", "RET=", "ENVID=a=b", "ENVID=" + "a" * 101, "ENVID=", "ENVID=a+ZZ",
    "RET=HDRS RET=FULL", "ENVID=a ENVID=b",
])
def test_invalid_mail_parameters(client, params):
    check(client.docmd("MAIL", f"FROM:<a@b.example> {params}"), 501, "5.5.4")


@pytest.mark.parametrize("params", [
    "NOTIFY=FAILURE,DELAY ORCPT=rfc822;user@example.com", "NOTIFY=NEVER", "NOTIFY=SUCCESS",
    "NOTIFY=success,failure,delay", "ORCPT=rfc822;user+2Bx@example.com", "ORCPT=RFC822;u@x.example",
])
def test_valid_rcpt_parameters(client, params):
    check(client.docmd("MAIL", "FROM:<a@b.example>"), 250, "2.1.0")
    check(client.docmd("RCPT", f"TO:<user@example.com> {params}"), 250, "2.1.5",
          text="Recipient OK")


@pytest.mark.parametrize("params", [
    "NOTIFY=NEVER,SUCCESS", "NOTIFY=SOMETIMES", "NOTIFY=", "NOTIFY=FAILURE,,DELAY",
    "ORCPT=user", "ORCPT=;user@example.com", "ORCPT=rfc822;a=b",
])
def test_invalid_rcpt_parameters(client, params):
    check(client.docmd("MAIL", "FROM:<a@b.example>"), 250, "2.1.0")
    check(client.docmd("RCPT", f"TO:<user@example.com> {params}"), 501, "5.5.4")
