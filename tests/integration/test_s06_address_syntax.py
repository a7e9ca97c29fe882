"""docs/behaviour.md §6: address syntax, on MAIL (553 5.1.7), RCPT and VRFY (553 5.1.3)."""

import pytest

from smtp_client import check, smtp, smtp_close

BAD_ADDR = "Requested action not taken: mailbox name not allowed"

VALID = [
    "user@example.com",
    "first.last@example.com",
    "a!#$%&'*+/=?^_`{|}~-b@other.example",
    '"john doe"@other.example',
    '"a\\"b"@other.example',
    '"a@b"@other.example',
    "user@localhost",
    "user@[192.0.2.1]",
    "user@[IPv6:2001:db8::1]",
    "user@a-b.example",
    "user@123.example",
    "@a.example,@b.example:user@c.example",
    "@a.example:user@c.example",
]

INVALID = [
    "user@@example.com",
    "a b@example.com",
    " user@example.com",
    "user@example.com ",
    "a..b@example.com",
    ".a@example.com",
    "a.@example.com",
    "a@exa_mple.com",
    "a@exa_mple..com",
    "a@example..com",
    "a@.example.com",
    "a@-example.com",
    "a@example-.com",
    "a@",
    "@example.com",
    "example.com",
    '"unterminated@example.com',
    "a(comment)@example.com",
    "a@[192.0.2.1",
    "a@[300.1.1.1]",
    "@a.example:",
    "a,b@example.com",
]


# docs/behaviour.md §6 lengths (RFC 5321 §4.5.3.1), in octets as written: local part
# ≤ 64, domain ≤ 255, the whole path ≤ 256.  example.org takes every local part.
LABEL63 = "d" * 63
TOO_LONG = [
    "l" * 65 + "@example.org",                                     # local part 65
    "l" * 10 + "@" + ".".join([LABEL63] * 4) + ".org",              # domain 259
    "l" * 64 + "@" + ".".join([LABEL63] * 3) + ".example.org",      # path 268
]
LONGEST = [
    "l" * 64 + "@example.org",                                      # local part 64
    "l" * 12 + "@" + ".".join([LABEL63] * 3) + "." + "e" * 51,      # path 256, domain 243
]


@pytest.fixture
def client(server):
    c = smtp(server.port, ehlo=True)
    yield c
    smtp_close(c)


@pytest.mark.parametrize("addr", VALID)
def test_valid_sender(client, addr):
    check(client.docmd("MAIL", f"FROM:<{addr}>"), 250, "2.1.0", text="Sender OK")


@pytest.mark.parametrize("addr", INVALID)
def test_invalid_sender(client, addr):
    check(client.docmd("MAIL", f"FROM:<{addr}>"), 553, "5.1.7", text=BAD_ADDR)


@pytest.mark.parametrize("addr", INVALID)
def test_invalid_recipient(client, addr):
    check(client.docmd("MAIL", "FROM:<sender@other.example>"), 250, "2.1.0")
    check(client.docmd("RCPT", f"TO:<{addr}>"), 553, "5.1.3", text=BAD_ADDR)


@pytest.mark.parametrize("addr", ["user@@example.com", "a..b@example.com", "a@exa_mple.com"])
def test_invalid_vrfy(client, addr):
    check(client.docmd("VRFY", f"<{addr}>"), 553, "5.1.3")


@pytest.mark.parametrize("local", ["a!#$%&'*+=?^_`{|}~-b", '"john doe"', "first.last", '"x\\"y"'])
def test_local_part_forms_as_recipient(client, local):
    check(client.docmd("MAIL", "FROM:<sender@other.example>"), 250, "2.1.0")
    check(client.docmd("RCPT", f"TO:<{local}@example.org>"), 250, "2.1.5", text="Recipient OK")


def test_source_route_ignored_for_local_recipient(client):
    check(client.docmd("MAIL", "FROM:<@x.example:sender@other.example>"), 250, "2.1.0")
    check(client.docmd("RCPT", "TO:<@a.example,@b.example:user@example.com>"), 250, "2.1.5")


def test_spaces_after_colon_and_parameters_after_bracket(client):
    check(client.docmd("MAIL", "FROM:   <sender@other.example>   SIZE=10"), 250, "2.1.0")
    check(client.docmd("RCPT", "TO:  <user@example.com>  NOTIFY=FAILURE"), 250, "2.1.5")


def test_missing_brackets_are_malformed(client):
    check(client.docmd("MAIL", "FROM:sender@other.example"), 501, "5.5.4")
    check(client.docmd("MAIL", "FROM:<sender@other.example>"), 250, "2.1.0")
    check(client.docmd("RCPT", "TO:user@example.com"), 501, "5.5.4")


@pytest.mark.parametrize("addr", ["jöran@bücher.example", "用户@例子.example", "ä@other.example"])
def test_utf8_with_smtputf8(client, addr):
    check(client.docmd("MAIL", f"FROM:<{addr}> SMTPUTF8"), 250, "2.1.0")


def test_utf8_recipient_with_smtputf8(client):
    check(client.docmd("MAIL", "FROM:<sender@other.example> SMTPUTF8"), 250, "2.1.0")
    check(client.docmd("RCPT", "TO:<jöran@example.org>"), 250, "2.1.5")
    check(client.docmd("RCPT", "TO:<x@bücher.example>"), 554, "5.7.1")


@pytest.mark.parametrize("addr", ["jöran@example.com", "user@bücher.example"])
def test_non_ascii_without_smtputf8(client, addr):
    check(client.docmd("MAIL", f"FROM:<{addr}>"), 553, "5.6.7")
    check(client.docmd("MAIL", "FROM:<sender@other.example>"), 250, "2.1.0")
    check(client.docmd("RCPT", f"TO:<{addr}>"), 553, "5.6.7")


def test_non_ascii_octet_that_is_not_utf8(server):
    with server.session() as s:
        s.ehlo()
        check(s.cmd(b"MAIL FROM:<j\xf6ran@example.com>"), 553, "5.6.7")


@pytest.mark.parametrize("addr", TOO_LONG)
def test_over_long_addresses_are_bad_syntax(client, addr):
    check(client.docmd("MAIL", f"FROM:<{addr}>"), 553, "5.1.7", text=BAD_ADDR)
    check(client.docmd("MAIL", "FROM:<sender@other.example>"), 250, "2.1.0")
    check(client.docmd("RCPT", f"TO:<{addr}>"), 553, "5.1.3", text=BAD_ADDR)
    check(client.docmd("VRFY", f"<{addr}>"), 553, "5.1.3")


@pytest.mark.parametrize("addr", LONGEST)
def test_longest_addresses_are_accepted(client, addr):
    assert len(addr) in (76, 256)
    check(client.docmd("MAIL", f"FROM:<{addr}>"), 250, "2.1.0", text="Sender OK")
