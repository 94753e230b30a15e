#!/bin/bash
# The front door of an older tree beside this one's, alternated in one run
# so that both see the same minutes of the machine (compare.sh's habit,
# for the WebSocket side):
#
#	bench/ws_compare.sh OLD_TREE [ROUNDS]
#
# OLD_TREE is another checkout with its programs built (make all), e.g.
# `git archive <commit> | tar -x -C /tmp/old && make -C /tmp/old all`.
# Both trees run at once, each in a temporary directory, started as
# ws_peers.sh starts actord (session_pool 64, the rate limit off); this
# tree's build/rel/bench/ws_load measures each, old then new (new then old
# on even rounds):
#
#   echo100   /echo, 100 connections x 1 message in flight, 5 s: msg/s, RTT
#   json100   Ping to coordinator:main over /ws, the same
#   first     /ws, 200 connections one at a time, 20 ms apart: connect(2)
#             to the first Pong from coordinator:main (a session's first
#             message to an actor is when its connection there is made)
#
# ROUNDS defaults to 5; WS_TESTS picks some of the tests (default all:
# "echo100 json100 first"), WS_DUR the seconds of a rate (5).  Prints
# every run's JSON line, then the medians.
# Not a test: it prints figures, nothing fails.
set -eu
cd "$(dirname "$0")/.."
ROOT=$PWD
OLD=${1:?usage: bench/ws_compare.sh OLD_TREE [ROUNDS]}
ROUNDS=${2:-5}
DUR=${WS_DUR:-5}
TESTS=" ${WS_TESTS:-echo100 json100 first} "
for f in "$OLD/bin/actord" "$OLD/bin/session"; do
	[ -x "$f" ] || { echo "ws_compare: $f is missing: build $OLD" \
	    "first" >&2; exit 100; }
done
make --no-print-directory -s all
make --no-print-directory -s -f bench/Makefile build/rel/bench/ws_load
ulimit -n "$(ulimit -Hn)"
TMP=$(mktemp -d /tmp/ws_compare.XXXXXX)
APIDS=()

cleanup() {
	local p
	for p in "${APIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "${APIDS[@]}"; do
		for _ in $(seq 100); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$p" 2>/dev/null || true
	done
	rm -rf "$TMP"
}
trap cleanup EXIT

# start SIDE BINDIR: a tree in $TMP/SIDE; its port in PORT_SIDE.
start() {
	local side=$1 bin=$2 dir=$TMP/$1
	mkdir -p "$dir"
	cp -r "$bin" "$dir/bin"		# a rebuild meanwhile changes nothing
	cat >"$dir/actord.conf" <<CONF
[actord]
state_dir = $dir/state
run_dir = $dir/run
program_dir = $dir/bin
web_dir = $ROOT/web
log_level = warn

[gateway]
listen = 127.0.0.1:0
max_sessions = 2000
session_pool = 64

[session]
rate_limit = 1000000
rate_burst = 1000000
CONF
	"$dir/bin/actord" -c "$dir/actord.conf" >"$dir/actord.log" 2>&1 \
	    </dev/null &
	APIDS+=("$!")
	for _ in $(seq 100); do
		[ -S "$dir/run/actord.sock" ] && break
		sleep 0.1
	done
	"$dir/bin/actorctl" -c "$dir/actord.conf" -t 10000 wait gateway up \
	    >/dev/null
	printf -v "PORT_$side" %s "$("$dir/bin/actorctl" -c \
	    "$dir/actord.conf" --json status | python3 -c \
	    'import json,sys; print(json.load(sys.stdin)["listen"].rsplit(":",1)[1])')"
}

start old "$OLD/bin"
start new "$ROOT/bin"
echo "old:  $(git -C "$OLD" rev-parse --short HEAD 2>/dev/null ||
    echo "$OLD")"
echo "new:  $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- common \
    gateway session 2>/dev/null || echo ' (modified)')"
echo "load: $(uptime)"
RES=$TMP/results.jsonl
: >"$RES"

# run SIDE TEST ARGS...: one ws_load run, its result line kept.
run() {
	local side=$1 test=$2 port
	shift 2
	port=PORT_$side
	sleep 1		# the pool refilled, the last run's sessions gone
	build/rel/bench/ws_load -p "${!port}" -l "$side/$test" "$@" \
	    2>>"$TMP/ws_load.err" | grep '"result"' | tee -a "$RES"
}

for r in $(seq 1 "$ROUNDS"); do
	if [ $((r % 2)) = 1 ]; then sides="old new"; else sides="new old"; fi
	echo "== round $r: $sides  load $(cut -d' ' -f1-3 /proc/loadavg)"
	for side in $sides; do
		case $TESTS in *" echo100 "*)
			run "$side" echo100 -P /echo -m rate -c 100 -k 1 -w 1 \
			    -d "$DUR" ;;
		esac
		case $TESTS in *" json100 "*)
			run "$side" json100 -P /ws -j -m rate -c 100 -k 1 -w 1 \
			    -d "$DUR" ;;
		esac
		case $TESTS in *" first "*)
			run "$side" first -P /ws -j -m connect -c 200 -f 1 \
			    -g 20 -T 120 ;;
		esac
	done
done
echo "load: $(uptime)"
python3 - "$RES" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
keys = {"echo100": ("msg_per_s", "rtt_p50_us", "rtt_p99_us"),
        "json100": ("msg_per_s", "rtt_p50_us", "rtt_p99_us"),
        "first": ("first_echo_p50_us", "first_echo_p99_us")}
# Each round ran old and new back to back: ratios within a round, then
# the median of those, beside the medians of the figures.
def series(side, test, k):
    return [r[k] for r in rows if r.get("label") == f"{side}/{test}"
            and k in r]
print(f"{'median of the rounds':28} {'old':>9} {'new':>9} {'new/old':>8}"
      "  (per round)")
for test, ks in keys.items():
    for k in ks:
        o, n = series("old", test, k), series("new", test, k)
        if not o or not n:
            continue
        ratios = [b / a for a, b in zip(o, n) if a]
        print(f"{test + ' ' + k:28} {statistics.median(o):9.0f} "
              f"{statistics.median(n):9.0f} "
              f"{statistics.median(ratios):8.3f}  "
              + " ".join(f"{x:.2f}" for x in ratios))
PY
