#!/usr/bin/env bash
# System calls per message of `tern serve`, counted by `strace -f -c`, under one of two loads:
#   local  smtp-source -s 20 sends N messages of 4 KiB to one local mailbox (delivery at acceptance)
#   relay  the same to a routed domain; Tern relays them to Postfix's smtp-sink
#
#   bench/syscall_counts.sh TERN_BINARY local|relay [N]     (N defaults to 2000)
#
# Prints strace's table (the 15 most frequent calls) and the calls per message. Needs strace,
# smtp-source and smtp-sink (Debian's strace and postfix packages). Loopback only; every
# process is stopped by its PID; every wait is bounded.
set -euo pipefail
BIN="$1"; MODE="$2"; N="${3:-2000}"
[ "$MODE" = local ] || [ "$MODE" = relay ] || { echo "mode: local or relay" >&2; exit 2; }
W="$(mktemp -d /tmp/tern-syscalls.XXXXXX)"
SINK=""; TERN=""
cleanup() {
  [ -n "$TERN" ] && kill -TERM "$TERN" 2>/dev/null || true
  [ -n "$SINK" ] && kill -TERM "$SINK" 2>/dev/null || true
  rm -rf "$W"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PORT="$(free_port)"; SINK_PORT="$(free_port)"
cat > "$W/tern.toml" <<EOF
hostname = "mx.example.com"
data_dir = "$W/data"

[[listen]]
role = "mx"
address = "127.0.0.1:$PORT"

[limits]
connections_per_client = 200

[local]
domains = ["example.com"]
mailboxes = ["user@example.com"]

[relay]
networks = ["127.0.0.1"]

[routes]
"sink.test" = "smtp:127.0.0.1:$SINK_PORT"

[delivery]
per_destination = 20

[log]
level = "warning"
EOF
if [ "$MODE" = relay ]; then
  smtp-sink -u nobody "127.0.0.1:$SINK_PORT" 100 > "$W/sink.log" 2>&1 & SINK=$!
  TO="u@sink.test"
else
  TO="user@example.com"
fi
strace -f -c -o "$W/strace.txt" "$BIN" serve --config "$W/tern.toml" > "$W/tern.log" 2>&1 & TERN=$!
for _ in $(seq 1 100); do (echo > "/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.2; done
smtp-source -s 20 -m "$N" -l 4096 -f a@example.com -t "$TO" "127.0.0.1:$PORT"
# Until every message is delivered (local) or has reached the sink (relay): at most 120 s.
count() { find "$1" -type f 2>/dev/null | wc -l; }
for _ in $(seq 1 600); do
  if [ "$MODE" = local ]; then
    [ "$(count "$W/data/mail/example.com/user/new")" -ge "$N" ] && break
  else
    [ "$(count "$W/data/spool/incoming")" -eq 0 ] && break
  fi
  sleep 0.2
done
sleep 1
# Stop Tern itself (strace's child); strace ends with it and writes its table.
CHILD="$(pgrep -P "$TERN" || true)"
[ -n "$CHILD" ] && kill -TERM "$CHILD"
wait "$TERN" || true; TERN=""
head -17 "$W/strace.txt"
awk -v n="$N" '$NF == "total" { printf "%d system calls, %.1f per message\n", $4, $4 / n }' "$W/strace.txt"
