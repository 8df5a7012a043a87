#!/usr/bin/env bash
# Load benchmark of the graph_emulator example, against its floor, in one run.
#
#     bash benches/emulator_load.sh
#
# What it measures: 1 000 concurrent calls driven over HTTP (examples/emulator_load.rs:
# create the calls, wait until each is established, then cycles of subscribeToTone,
# playPrompt, a caller tone and cancelMediaProcessing on every call, with a callback
# receiver that counts every notification per call and per kind), and the same request
# mix at the same concurrency against examples/bare_http.rs, a server of the same HTTP
# stack (tokio multi-thread + hyper 1 http1 keep-alive) answering a fixed 200: the floor.
# For each side: requests/s, p50 and p99 latency, notifications/s delivered (emulator),
# notifications lost, errors (any non-2xx), and the server's memory (VmRSS before and
# after the load, VmHWM, from /proc/PID/status). Then a side-by-side table with the
# ratio of requests/s (emulator / floor) and the goals: >= 50% of the floor's
# requests/s, p99 <= 10 ms, no notification lost (and no error).
#
# Needs only bash, cargo and Linux's /proc; the load tool is Rust on the same HTTP
# client, so nothing is installed. It builds the three examples in release first
# (the first build takes a few minutes); then the run takes about a minute.
#
# Knobs (environment): LOAD_CALLS (1000), LOAD_SECONDS (15 measured seconds per side),
# LOAD_WARMUP (1), LOAD_CONNECTIONS (32 requests in flight: workers, each owning every
# 32nd call), LOAD_TONE_VIA (events: the caller's tone as POST .../events; script: as a
# one-event script due at once), CARGO_TARGET_DIR (where cargo builds), EMULATOR_EXAMPLE
# (graph_emulator).
#
# Exit status: 0 when every goal is met, 1 when one is missed, 2 when the run failed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

CALLS=${LOAD_CALLS:-1000}
SECONDS_PER_SIDE=${LOAD_SECONDS:-15}
WARMUP=${LOAD_WARMUP:-1}
CONNECTIONS=${LOAD_CONNECTIONS:-32}
TONE_VIA=${LOAD_TONE_VIA:-events}
EMULATOR=${EMULATOR_EXAMPLE:-graph_emulator}
TARGET_DIR=${CARGO_TARGET_DIR:-target}
BIN=$TARGET_DIR/release/examples

fail() {
    echo "emulator_load.sh: $*" >&2
    exit 2
}

work=$(mktemp -d)
server_pid=
cleanup() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# 1 000 calls hold up to 1 000 callback connections on each side of the loopback.
hard=$(ulimit -Hn)
if [ "$hard" = unlimited ] || [ "$hard" -gt 65536 ]; then hard=65536; fi
ulimit -n "$hard" 2>/dev/null || true
[ "$(ulimit -n)" -ge $((CALLS + CONNECTIONS + 256)) ] ||
    echo "emulator_load.sh: warning: only $(ulimit -n) file descriptors for $CALLS calls" >&2

echo "building (release): bare_http, emulator_load, $EMULATOR" >&2
cargo build --release --example bare_http --example emulator_load --example "$EMULATOR" >&2 ||
    fail "the build failed"

# start_server NAME COMMAND...: starts it, waits for its `listening on` line;
# sets server_pid and server_url.
start_server() {
    local name=$1
    shift
    "$@" >"$work/$name.out" 2>"$work/$name.err" &
    server_pid=$!
    server_url=
    for _ in $(seq 1 200); do
        server_url=$(sed -n 's/^listening on //p' "$work/$name.out")
        [ -n "$server_url" ] && return 0
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.05
    done
    cat "$work/$name.err" >&2
    fail "$name did not print its 'listening on' line"
}

stop_server() {
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
}

# memory FIELD: the server's /proc status field in kB (VmRSS, VmHWM).
memory() {
    awk -v f="$1:" '$1 == f { print $2 }' "/proc/$server_pid/status"
}

# cpu_ticks: the server's user + system CPU time so far, in clock ticks.
cpu_ticks() {
    sed 's/.*) //' "/proc/$server_pid/stat" | awk '{ print $12 + $13 }'
}
TICKS_PER_S=$(getconf CLK_TCK 2>/dev/null || echo 100)

# run_side NAME MODE COMMAND...: the server, then the load against it.
run_side() {
    local name=$1 mode=$2
    shift 2
    start_server "$name" "$@"
    echo "$name: $* at $server_url" >&2
    local rss_idle ticks
    rss_idle=$(memory VmRSS)
    ticks=$(cpu_ticks)
    "$BIN/emulator_load" "$mode" "$server_url" --label "$name" --calls "$CALLS" \
        --seconds "$SECONDS_PER_SIDE" --warmup "$WARMUP" --connections "$CONNECTIONS" \
        --tone-via "$TONE_VIA" \
        >"$work/$name.txt" || fail "the load against $name failed"
    ticks=$(($(cpu_ticks) - ticks))
    echo "$name.server rss_idle_kb=$rss_idle rss_end_kb=$(memory VmRSS) hwm_kb=$(memory VmHWM)" \
        "cpu_s=$(awk -v t="$ticks" -v hz="$TICKS_PER_S" 'BEGIN { printf "%.2f", t / hz }')" \
        >>"$work/$name.txt"
    stop_server
    cat "$work/$name.txt"
}

loadavg_before=$(cut -d' ' -f1-3 /proc/loadavg)
run_side floor --bare "$BIN/bare_http" --listen 127.0.0.1:0
run_side emulator --target "$BIN/$EMULATOR" --listen 127.0.0.1:0 --seed 1 --outbox 100000 --prompt-ms 60000

# get SIDE LINE KEY: a value from the side's output (LINE: the line's first word).
get() {
    awk -v line="$2" -v key="$3" '$1 == line {
        for (i = 2; i <= NF; i++) { n = index($i, "="); if (substr($i, 1, n - 1) == key) print substr($i, n + 1) }
    }' "$work/$1.txt"
}

f_rps=$(get floor floor requests_per_s)
e_rps=$(get emulator emulator requests_per_s)
e_p99=$(get emulator emulator p99_ms)
e_lost=$(get emulator emulator lost)
e_errors=$(get emulator emulator errors)
f_errors=$(get floor floor errors)

for value in "$f_rps" "$e_rps" "$e_p99" "$e_lost" "$e_errors" "$f_errors"; do
    [ -n "$value" ] || fail "a figure is missing from the load's output"
done
check() { # check AWK-CONDITION: prints ok or MISSED
    if awk "BEGIN { exit !($1) }"; then echo ok; else echo MISSED; fi
}
ratio=$(awk -v e="$e_rps" -v f="$f_rps" 'BEGIN { printf "%.1f", (f > 0 ? 100 * e / f : 0) }')
g_ratio=$(check "$ratio >= 50")
g_p99=$(check "$e_p99 <= 10")
g_lost=$(check "$e_lost == 0")
g_errors=$(check "$e_errors == 0 && $f_errors == 0")
verdict=0
for goal in "$g_ratio" "$g_p99" "$g_lost" "$g_errors"; do
    [ "$goal" = ok ] || verdict=1
done

# per_request SIDE: the server's CPU microseconds per request it served.
per_request() {
    awk -v cpu="$(get "$1" "$1.server" cpu_s)" -v n="$(get "$1" "$1" all_requests)" \
        'BEGIN { if (n > 0) printf "%.1f", 1e6 * cpu / n; else print "-" }'
}
row() { printf '%-30s %16s %16s   %s\n' "$@"; }
echo
echo "== graph_emulator under load: $CALLS calls, $CONNECTIONS requests in flight, ${SECONDS_PER_SIDE}s measured per side"
echo "   machine: $(nproc) CPUs, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo);" \
    "load average before the run: $loadavg_before (other work on the machine skews both sides)"
row "" "floor (bare_http)" "emulator" "goal"
row "requests/s" "$f_rps" "$e_rps" "emulator/floor = $ratio% (>= 50%: $g_ratio)"
row "p50 latency (ms)" "$(get floor floor p50_ms)" "$(get emulator emulator p50_ms)" ""
row "p99 latency (ms)" "$(get floor floor p99_ms)" "$e_p99" "<= 10 ms: $g_p99"
row "notifications/s delivered" "-" "$(get emulator emulator notifications_per_s)" ""
row "notifications lost" "-" "$e_lost" "0: $g_lost"
row "  expected / received" "-" "$(get emulator emulator.notifications expected) / $(get emulator emulator.notifications received)" ""
row "  dropped / pending (emulator)" "-" "$(get emulator emulator dropped) / $(get emulator emulator pending)" ""
row "errors (not 2xx)" "$f_errors" "$e_errors" "0: $g_errors"
row "server VmRSS idle (kB)" "$(get floor floor.server rss_idle_kb)" "$(get emulator emulator.server rss_idle_kb)" ""
row "server VmRSS after (kB)" "$(get floor floor.server rss_end_kb)" "$(get emulator emulator.server rss_end_kb)" ""
row "server VmHWM (kB)" "$(get floor floor.server hwm_kb)" "$(get emulator emulator.server hwm_kb)" ""
row "server CPU during the load (s)" "$(get floor floor.server cpu_s)" "$(get emulator emulator.server cpu_s)" ""
row "server CPU per request (us)" "$(per_request floor)" "$(per_request emulator)" ""
exit "$verdict"
