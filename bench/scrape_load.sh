#!/bin/bash
# Does scraping /metrics once a second change the coordinator's AssignTask
# rate, or the echo rate of the front door?  bench_assign's "cycles"
# scenario (100 workers, tasks assigned and completed) run back to back
# without and with a scraper that GETs /metrics of that very tree every
# second; then ws_load on /echo of one tree (32 connections, 4 messages in
# flight each), again without and with the scraper.  Not a test: it
# prints figures.
#
#   bench/scrape_load.sh        BENCH_REPS (3) pairs, BENCH_SECS (5) each
#
# The scraper finds the tree bench_assign started from its actord's
# command line (the config) and the log's "dashboard on" line (the port).
set -u
cd "$(dirname "$0")/.."
REPS=${BENCH_REPS:-3}
SECS=${BENCH_SECS:-5}
make --no-print-directory -s -f bench/Makefile build/rel/bench/bench_assign \
    build/rel/bench/ws_load || exit 1

# scrape_children PID: every second, GET /metrics of each tree PID runs.
scrape_children() {
	local a conf port n=0
	while kill -0 "$1" 2>/dev/null; do
		for a in $(pgrep -P "$1" -x actord); do
			conf=$(tr '\0' '\n' <"/proc/$a/cmdline" 2>/dev/null |
			    sed -n '3p')
			[ -n "$conf" ] || continue
			port=$(grep -o 'dashboard on http://127.0.0.1:[0-9]*' \
			    "$(dirname "$conf")/actord.log" 2>/dev/null |
			    sed 's/.*://' | tail -1)
			[ -n "$port" ] || continue
			curl -s -o /dev/null -m 2 \
			    "http://127.0.0.1:$port/metrics" && n=$((n + 1))
		done
		sleep 1
	done
	echo "# $n scrapes" >&2
}

# run LABEL [scrape]: completed tasks per second, median of one run.
run() {
	local out
	build/rel/bench/bench_assign -s cycles -r 1 -t "$SECS" \
	    >"/tmp/scrape_load.$$" 2>&1 &
	local b=$!
	[ "${2:-}" = scrape ] && scrape_children "$b" &
	wait "$b"
	wait
	out=$(grep -o 'median: .*' "/tmp/scrape_load.$$" | tr -d '*')
	printf '%-16s %s\n' "$1" "$out"
	rm -f "/tmp/scrape_load.$$"
}

echo "# $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for _ in $(seq 1 "$REPS"); do
	run "no scraping"
	run "scrape every 1s" scrape
done

# The echo rate of one tree, without and with a scrape every second.
dir=$(mktemp -d /tmp/scrape_load.XXXXXX)
printf '[actord]\nstate_dir = %s/state\nrun_dir = %s/run\nprogram_dir = %s/bin\nweb_dir = %s/web\nlog_level = warning\n[gateway]\nlisten = 127.0.0.1:0\n' \
    "$dir" "$dir" "$PWD" "$PWD" >"$dir/actord.conf"
bin/actord -c "$dir/actord.conf" >"$dir/actord.log" 2>&1 &
tree=$!
for _ in $(seq 1 200); do	# its control socket, within 10 s
	[ -S "$dir/run/actord.sock" ] && break
	sleep 0.05
done
if ! bin/actorctl -c "$dir/actord.conf" -t 10000 wait gateway up >/dev/null
then
	kill "$tree"
	exit 1
fi
port=$(bin/actorctl -c "$dir/actord.conf" status |
    sed -n 's/.*listening on [0-9.]*:\([0-9]*\).*/\1/p')
echo_run() {
	local s=
	if [ "${2:-}" = scrape ]; then
		( while :; do curl -s -o /dev/null -m 2 \
		    "http://127.0.0.1:$port/metrics"; sleep 1; done ) &
		s=$!
	fi
	build/rel/bench/ws_load -m rate -p "$port" -P /echo -c 32 -k 4 \
	    -w 1 -d "$SECS" -l "$1" | grep '"result"' |
	    python3 -c 'import json, sys
r = json.loads(sys.stdin.read())
print("%-16s echo %.0f msg/s, p50 %.0f us" % (sys.argv[1],
    r["msg_per_s"], r["rtt_p50_us"]))' "$1"
	if [ -n "$s" ]; then
		kill "$s" 2>/dev/null
		wait "$s" 2>/dev/null
	fi
}
for _ in $(seq 1 "$REPS"); do
	echo_run "no scraping"
	echo_run "scrape every 1s" scrape
done
kill "$tree"
wait "$tree"
rm -rf "$dir"
echo "# load $(cut -d' ' -f1-3 /proc/loadavg)"

