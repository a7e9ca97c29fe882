"""Real peers for the outbound-delivery tests, all on loopback: Postfix's
`smtp-sink` (`sink.py`), a dnsmasq with given records (`dns.py`) and a
private Postfix instance (`postfix.py`).  `process.py` holds what they share:
free ports, bounded waits, stopping by PID and the registry that shows their
logs when a test fails (`report.py`).
"""
