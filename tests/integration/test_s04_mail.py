"""docs/behaviour.md §4: MAIL FROM (the rows of a plain mx listener; AUTH and
TRANSID resumes are in test_s13_auth.py and test_s16_checkpoint.py)."""

import pytest

from smtp_client import check, smtp, smtp_close

SIZE_552 = "Requested mail action aborted: exceeded storage allocation"
BAD_ADDR = "Requested action not taken: mailbox name not allowed"


@pytest.fixture
def client(server):
    c = smtp(server.port, ehlo=True)
    yield c
    smtp_close(c)


@pytest.mark.parametrize("args", [
    "FROM:<user@example.com>",
    "FROM:<>",
    "from:<user@example.com>",
    "FROM: <user@example.com>",
    "FROM:<sender@other.example>",
    "FROM:<user@example.com> SIZE=1048576",
    "FROM:<user@example.com> SIZE=0",
    "FROM:<user@example.com> BODY=7BIT",
    "FROM:<user@example.com> BODY=8BITMIME",
    "FROM:<user@example.com> body=8bitmime",
    "FROM:<user@example.com> SMTPUTF8",
    "FROM:<user@example.com> RET=HDRS ENVID=abc",
    "FROM:<user@example.com> RET=FULL",
    "FROM:<user@example.com> AUTH=<>",
    "FROM:<user@example.com> AUTH=user+40example.com",
    "FROM:<> SIZE=10 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=QQ+2Bxyz AUTH=<>",
    "FROM:<jöran@example.com> SMTPUTF8",
    "FROM:<@a.example,@b.example:user@c.example>",
])
def test_accepted(client, args):
    check(client.docmd("MAIL", args), 250, "2.1.0", text="Sender OK")


def test_before_helo(server):
    c = smtp(server.port)
    try:
        check(c.docmd("MAIL", "FROM:<user@example.com>"), 503, "5.5.1")
    finally:
        smtp_close(c)


def test_sequence_comes_before_syntax(server):
    c = smtp(server.port)
    try:
        check(c.docmd("MAIL", "user@example.com FOO=BAR"), 503, "5.5.1")
    finally:
        smtp_close(c)


def test_nested_mail(client):
    check(client.docmd("MAIL", "FROM:<user@example.com>"), 250, "2.1.0")
    check(client.docmd("MAIL", "FROM:<user@example.com>"), 503, "5.5.1")
    # the first transaction is untouched
    check(client.docmd("RCPT", "TO:<user@example.com>"), 250, "2.1.5")


@pytest.mark.parametrize("args", [
    "user@example.com", "FROM user@example.com", "TO:<user@example.com>", "FROM:user@example.com",
    "FROM:", "", "FROM:<user@example.com", "FROM<user@example.com>",
])
def test_malformed(client, args):
    check(client.docmd("MAIL", args), 501, "5.5.4")


@pytest.mark.parametrize("params", [
    "SIZE=", "SIZE=1 SIZE=2", "BODY=7BIT BODY=7BIT", "SMTPUTF8 SMTPUTF8", "=x",
])
def test_malformed_or_repeated_parameter(client, params):
    check(client.docmd("MAIL", f"FROM:<user@example.com> {params}"), 501, "5.5.4")


@pytest.mark.parametrize("params", ["FOO=BAR", "FOO", "X-UNKNOWN=1"])
def test_unknown_parameter(client, params):
    check(client.docmd("MAIL", f"FROM:<user@example.com> {params}"), 555, "5.5.4")


def test_unknown_parameter_named_in_text(client):
    rep = check(client.docmd("MAIL", "FROM:<user@example.com> FOO=BAR"), 555, "5.5.4")
    assert "FOO" in rep.text


@pytest.mark.parametrize("params", ["SIZE=x", "SIZE=-1", "SIZE=1k", "SIZE=1.5"])
def test_size_not_a_number(client, params):
    check(client.docmd("MAIL", f"FROM:<user@example.com> {params}"), 501, "5.5.4")


@pytest.mark.parametrize("size", ["1048577", "10485760"])
def test_size_over_limit(client, size):
    check(client.docmd("MAIL", f"FROM:<user@example.com> SIZE={size}"), 552, "5.3.4",
          text=SIZE_552)


@pytest.mark.parametrize("params", ["BODY=BINARYMIME", "BODY=8BIT", "BODY=", "BODY=FOO"])
def test_body_refused(client, params):
    check(client.docmd("MAIL", f"FROM:<user@example.com> {params}"), 501, "5.5.4")


def test_smtputf8_with_value(client):
    check(client.docmd("MAIL", "FROM:<user@example.com> SMTPUTF8=x"), 501, "5.5.4")


@pytest.mark.parametrize("addr", ["jöran@example.com", "user@bücher.example"])
def test_non_ascii_without_smtputf8(client, addr):
    check(client.docmd("MAIL", f"FROM:<{addr}>"), 553, "5.6.7")


@pytest.mark.parametrize("addr", [
    "user@@example.com", "a b@example.com", "a..b@example.com", ".a@example.com",
    "a.@example.com", "a@exa_mple.com", "a@example..com", "a@-example.com", "a@example-.com",
    "a@", "@example.com", "a@[300.1.1.1]", "a\"b@example.com",
])
def test_bad_address_syntax(client, addr):
    check(client.docmd("MAIL", f"FROM:<{addr}>"), 553, "5.1.7", text=BAD_ADDR)


# ---------------------------------------------------------------- order of checks
# sequence, command syntax, parameter syntax, authentication, parameter values,
# address, storage, size

def test_parameter_syntax_before_address(client):
    check(client.docmd("MAIL", "FROM:<user@@example.com> SIZE=x"), 501, "5.5.4")


def test_unknown_parameter_before_address(client):
    check(client.docmd("MAIL", "FROM:<user@@example.com> FOO=BAR"), 555, "5.5.4")


def test_parameter_value_before_address(client):
    check(client.docmd("MAIL", "FROM:<user@@example.com> BODY=BINARYMIME"), 501, "5.5.4")


def test_address_before_size(client):
    check(client.docmd("MAIL", "FROM:<user@@example.com> SIZE=1048577"), 553, "5.1.7")


def test_huge_declared_size_is_a_storage_question_first(client):
    """Order: storage (declared SIZE counted) before size."""
    check(client.docmd("MAIL", "FROM:<user@example.com> SIZE=99999999999999999999999"),
          452, "4.3.1", text="Requested action not taken: insufficient system storage")


def test_refused_mail_opens_no_transaction(client):
    check(client.docmd("MAIL", "FROM:<user@example.com> SIZE=1048577"), 552, "5.3.4")
    check(client.docmd("RCPT", "TO:<user@example.com>"), 503, "5.5.1")
    check(client.docmd("MAIL", "FROM:<user@example.com>"), 250, "2.1.0")
