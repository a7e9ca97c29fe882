"""Real peers for the outbound-delivery tests, all on loopback: Postfix's
`smtp-sink` (`sink.py`), a dnsmasq with given records (`dns.py`), a
private Postfix instance (`postfix.py`), Dovecot's LMTP server
(`dovecot.py`), fetchmail as an ETRN/ODMR client (`fetchmail.py`) and a
scripted SMTP server in a thread (`scripted.py`).  `process.py` holds what
they share: free ports, bounded waits, stopping by PID and the registry that
shows their logs when a test fails (`report.py`).
"""
