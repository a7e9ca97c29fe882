#!/usr/bin/env bash
# End-to-end relay throughput and latency of Tern against Postfix on this
# machine, same load for both: MESSAGES (5000) messages of SIZE (4096) octets
# over SESSIONS (20) parallel SMTP sessions from 127.0.0.1, each relayed to
# one sink on 127.0.0.1 that notes the arrival time of every Message-ID.
# For each relay it prints messages per second accepted (last 250 after DATA)
# and relayed (last arrival at the sink), and the median and p95 latency from
# the relay's 250 to the arrival at the sink, matched by Message-ID.  The
# measuring is bench/relay_latency.py (its doc says how and why); this script
# checks the machine, picks the Tern binary and runs it once per relay.  Not
# part of the tests: run it by hand, as root (Postfix needs it).
#
#   bench/relay-compare.sh              # both
#   bench/relay-compare.sh tern         # only Tern
#   bench/relay-compare.sh postfix      # only Postfix
#
# Environment: TERN_BIN (default: release build of this package), MESSAGES
# (5000), SESSIONS (20), SIZE (4096), TIMEOUT (seconds to send, and again to
# wait for the sink, 900), TERN_NEXT_HOP (routes: `[routes] "sink.test" =
# "smtp:127.0.0.1:PORT"`; smarthost: `[relay] smarthost`), TERN_PORT,
# POSTFIX_PORT, SINK_PORT (default: free ports).  Postfix runs as a private
# instance under /tmp (tests/integration/peers/postfix.py); /etc/postfix is
# not touched.  Exit status: 3 when Tern refuses the relay configuration
# (docs/configuration.md keys it does not know yet), 1 when messages were lost or refused.
set -euo pipefail

cd "$(dirname "$0")/.."
WHAT="${1:-both}"

log() { printf '==> %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (Postfix needs it)"

# --- packages ------------------------------------------------------------------
need_install=()
command -v postfix >/dev/null 2>&1 || [ -x /usr/sbin/postfix ] || need_install+=(postfix)
command -v python3 >/dev/null 2>&1 || need_install+=(python3)
if [ "${#need_install[@]}" -gt 0 ]; then
    log "installing ${need_install[*]}"
    # Postfix without a system mail configuration: the benchmark runs its own instance.
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_install[@]}"
fi

WORK="$(mktemp -d /tmp/tern-relay-bench.XXXXXX)"
chmod 755 "$WORK"
RESULTS="$WORK/results.txt"
: >"$RESULTS"
status=0

run_one() { # tern|postfix
    local rc
    set +e
    python3 bench/relay_latency.py "$1" --workdir "$WORK/$1" --json "$WORK/results.jsonl" \
        | tee -a "$RESULTS"
    rc="${PIPESTATUS[0]}"
    set -e
    if [ "$rc" -eq 3 ]; then
        log "tern refused the relay configuration (see above)"
    elif [ "$rc" -ne 0 ]; then
        log "$1: run failed with status $rc"
    fi
    [ "$rc" -eq 0 ] || status="$rc"
}

bench_tern() {
    if [ -z "${TERN_BIN:-}" ]; then
        log "building Tern (release)"
        swift build -c release --product tern >&2
        TERN_BIN="$(swift build -c release --show-bin-path)/tern"
    fi
    [ -x "$TERN_BIN" ] || die "no tern binary at $TERN_BIN"
    export TERN_BIN
    run_one tern
}

case "$WHAT" in
    tern) bench_tern ;;
    postfix) run_one postfix ;;
    both) bench_tern; run_one postfix ;;
    *) die "usage: $0 [tern|postfix|both]" ;;
esac

log "results (also in $RESULTS, JSON lines in $WORK/results.jsonl):"
cat "$RESULTS"
exit "$status"
