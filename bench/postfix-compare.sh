#!/usr/bin/env bash
# Throughput of Tern against Postfix on this machine, same load for both:
#
#   smtp-source -s 20 -m 5000 -l 4096 -f a@example.com -t user@example.com HOST:PORT
#
# (20 parallel sessions, 5000 messages of 4096 octets, one recipient each), and
# durable delivery into a Maildir.  For each server it prints the messages per
# second accepted (smtp-source finished) and delivered (5000 files in the
# Maildir's new/).  Not part of the tests: run it by hand, as root (Postfix).
#
#   bench/postfix-compare.sh              # both
#   bench/postfix-compare.sh tern         # only Tern
#   bench/postfix-compare.sh postfix      # only Postfix
#
# Environment: TERN_BIN (default: release build of this package), MESSAGES
# (5000), SESSIONS (20), SIZE (4096), TIMEOUT (seconds to wait for delivery, 900),
# TERN_PORT (2525), POSTFIX_PORT (2526).
# Everything runs on 127.0.0.1 (Tern on 2525, Postfix on 2526).
set -euo pipefail

cd "$(dirname "$0")/.."
REPO="$PWD"
WHAT="${1:-both}"
MESSAGES="${MESSAGES:-5000}"
SESSIONS="${SESSIONS:-20}"
SIZE="${SIZE:-4096}"
TIMEOUT="${TIMEOUT:-900}"
TERN_PORT="${TERN_PORT:-2525}"
POSTFIX_PORT="${POSTFIX_PORT:-2526}"

log() { printf '==> %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (Postfix needs it)"

WORK="$(mktemp -d /tmp/tern-bench.XXXXXX)"
chmod 755 "$WORK"
TERN_PID=""
PF_CONF=""

cleanup() {
    if [ -n "$TERN_PID" ] && kill -0 "$TERN_PID" 2>/dev/null; then
        kill -TERM "$TERN_PID" 2>/dev/null || true
        for _ in $(seq 1 100); do kill -0 "$TERN_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$TERN_PID" 2>/dev/null || true
    fi
    if [ -n "$PF_CONF" ] && [ -f "$PF_CONF/main.cf" ]; then
        postfix -c "$PF_CONF" stop >/dev/null 2>&1 || true
        # forget this throwaway instance in the default main.cf again
        local alt rest=""
        alt="$(postconf -h alternate_config_directories 2>/dev/null || true)"
        for d in $alt; do [ "$d" = "$PF_CONF" ] || rest="${rest:+$rest }$d"; done
        if [ -n "$rest" ]; then
            postconf -e "alternate_config_directories = $rest" || true
        else
            postconf -X alternate_config_directories || true
        fi
    fi
    log "work files left in $WORK"
}
trap cleanup EXIT

# --- packages ------------------------------------------------------------------
need_install=()
command -v smtp-source >/dev/null 2>&1 || [ -x /usr/sbin/smtp-source ] || need_install+=(postfix)
command -v python3 >/dev/null 2>&1 || need_install+=(python3)
if [ "${#need_install[@]}" -gt 0 ]; then
    log "installing ${need_install[*]}"
    # Postfix without a system mail configuration: this script runs its own instance.
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_install[@]}"
fi
SMTP_SOURCE="$(command -v smtp-source || echo /usr/sbin/smtp-source)"

now() { date +%s.%N; }
rate() { python3 -c "import sys; n,a,b=map(float,sys.argv[1:]); print(f'{n/(b-a):.1f}')" "$@"; }
secs() { python3 -c "import sys; a,b=map(float,sys.argv[1:]); print(f'{b-a:.2f}')" "$@"; }

count_files() { find "$1" -maxdepth 1 -type f 2>/dev/null | wc -l; }

wait_port() { # host port seconds
    python3 - "$@" <<'EOF'
import socket, sys, time
host, port, limit = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
end = time.monotonic() + limit
while time.monotonic() < end:
    try:
        socket.create_connection((host, port), timeout=1).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
EOF
}

port_free() {
    python3 - "$1" <<'EOF'
import socket, sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
EOF
}

# run_load NAME PORT MAILDIR_NEW
run_load() {
    local name="$1" port="$2" maildir="$3"
    log "$name: $SMTP_SOURCE -s $SESSIONS -m $MESSAGES -l $SIZE -f a@example.com -t user@example.com 127.0.0.1:$port"
    local t0 t1 t2 n
    t0="$(now)"
    "$SMTP_SOURCE" -s "$SESSIONS" -m "$MESSAGES" -l "$SIZE" -f a@example.com -t user@example.com \
        "127.0.0.1:$port"
    t1="$(now)"
    local deadline=$(( $(date +%s) + TIMEOUT ))
    n=0
    while :; do
        n="$(count_files "$maildir")"
        [ "$n" -ge "$MESSAGES" ] && break
        if [ "$(date +%s)" -ge "$deadline" ]; then
            log "$name: only $n of $MESSAGES messages delivered after ${TIMEOUT}s"
            break
        fi
        sleep 0.2
    done
    t2="$(now)"
    printf '%-8s accepted %d msgs in %ss = %s msgs/s; delivered %d in %ss = %s msgs/s\n' \
        "$name" "$MESSAGES" "$(secs "$t0" "$t1")" "$(rate "$MESSAGES" "$t0" "$t1")" \
        "$n" "$(secs "$t0" "$t2")" "$(rate "$n" "$t0" "$t2")" | tee -a "$WORK/results.txt"
}

# --- Tern -------------------------------------------------------------------------
bench_tern() {
    local bin="${TERN_BIN:-}"
    if [ -z "$bin" ]; then
        log "building Tern (release)"
        swift build -c release --product tern >&2
        bin="$(swift build -c release --show-bin-path)/tern"
    fi
    [ -x "$bin" ] || die "no tern binary at $bin"
    port_free "$TERN_PORT" || die "127.0.0.1:$TERN_PORT is taken"
    local dir="$WORK/tern"
    mkdir -p "$dir"
    cat >"$dir/tern.toml" <<EOF
hostname = "mx.example.com"
data_dir = "$dir/data"

[[listen]]
role = "mx"
address = "127.0.0.1:$TERN_PORT"

[limits]
connections_per_client = 100

[local]
domains = ["example.com"]
mailboxes = ["user@example.com"]

[log]
level = "warning"
EOF
    "$bin" check-config "$dir/tern.toml"
    "$bin" serve --config "$dir/tern.toml" >"$dir/tern.log" 2>&1 &
    TERN_PID=$!
    wait_port 127.0.0.1 "$TERN_PORT" 10 || die "Tern did not start: $(tail -20 "$dir/tern.log")"
    run_load tern "$TERN_PORT" "$dir/data/mail/example.com/user/new"
    kill -TERM "$TERN_PID"
    for _ in $(seq 1 100); do kill -0 "$TERN_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$TERN_PID" 2>/dev/null || true
    wait "$TERN_PID" 2>/dev/null || true
    TERN_PID=""
}

# --- Postfix ----------------------------------------------------------------------
bench_postfix() {
    port_free "$POSTFIX_PORT" || die "127.0.0.1:$POSTFIX_PORT is taken"
    local dir="$WORK/postfix"
    PF_CONF="$dir/conf"
    local queue="$dir/queue" data="$dir/data" mail="$dir/mail"
    mkdir -p "$PF_CONF" "$queue" "$data" "$mail"
    local vuid vgid
    vuid="$(id -u nobody)"
    vgid="$(id -g nobody)"
    chown "$vuid:$vgid" "$mail"
    chown postfix "$data"

    # Postfix runs an instance with another config directory only when the
    # default instance's main.cf names that directory.
    [ -f /etc/postfix/main.cf ] || printf 'compatibility_level = 3.6\n' >/etc/postfix/main.cf
    local alt
    alt="$(postconf -h alternate_config_directories 2>/dev/null || true)"
    case " $alt " in
        *" $PF_CONF "*) ;;
        *) postconf -e "alternate_config_directories = ${alt:+$alt }$PF_CONF" ;;
    esac

    cp /etc/postfix/master.cf "$PF_CONF/master.cf" 2>/dev/null || \
        cp /usr/share/postfix/master.cf.dist "$PF_CONF/master.cf"
    cp -r /etc/postfix/dynamicmaps.cf* "$PF_CONF/" 2>/dev/null || true
    cat >"$PF_CONF/main.cf" <<EOF
compatibility_level = 3.6
config_directory = $PF_CONF
queue_directory = $queue
data_directory = $data
mail_owner = postfix
setgid_group = postdrop
myhostname = bench.example.net
mydomain = example.net
myorigin = \$myhostname
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mydestination =
local_recipient_maps =
relay_domains =
mynetworks = 127.0.0.0/8
smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination
virtual_mailbox_domains = example.com
virtual_mailbox_base = $mail
virtual_mailbox_maps = inline:{ user@example.com=example.com/user/ }
virtual_uid_maps = static:$vuid
virtual_gid_maps = static:$vgid
virtual_minimum_uid = 1
virtual_destination_concurrency_limit = 20
maillog_file = $dir/maillog
maillog_file_prefixes = $dir
smtpd_client_connection_count_limit = 100
smtpd_client_message_rate_limit = 0
default_process_limit = 100
biff = no
append_dot_mydomain = no
EOF
    # this instance listens on 127.0.0.1:2526 only; no chroot (no chroot tree here)
    postconf -c "$PF_CONF" -M# smtp/inet >/dev/null 2>&1 || true
    postconf -c "$PF_CONF" -M "127.0.0.1:$POSTFIX_PORT/inet=127.0.0.1:$POSTFIX_PORT inet n - n - - smtpd"
    postconf -c "$PF_CONF" -F '*/*/chroot = n'
    postconf -c "$PF_CONF" -X multi_instance_directories >/dev/null 2>&1 || true
    postconf -c "$PF_CONF" -M "postlog/unix-dgram=postlog unix-dgram n - n - 1 postlogd" 2>/dev/null || true

    # postfix(1) reports to syslog or a terminal only: show errors through the log file
    if ! postfix -c "$PF_CONF" check || ! postfix -c "$PF_CONF" start; then
        die "Postfix setup failed (run: script -qc 'postfix -c $PF_CONF check' /dev/null)"
    fi
    wait_port 127.0.0.1 "$POSTFIX_PORT" 20 || die "Postfix did not start: $(tail -20 "$dir/maillog" 2>/dev/null)"
    run_load postfix "$POSTFIX_PORT" "$mail/example.com/user/new"
    postfix -c "$PF_CONF" stop
}

case "$WHAT" in
    tern) bench_tern ;;
    postfix) bench_postfix ;;
    both) bench_tern; bench_postfix ;;
    *) die "usage: $0 [tern|postfix|both]" ;;
esac

log "results (also in $WORK/results.txt):"
cat "$WORK/results.txt"
