#!/bin/bash
# Does scraping /metrics once a second change the coordinator's AssignTask
# rate?  bench_assign's "cycles" scenario (100 workers, tasks assigned and
# completed) run back to back without and with a scraper that GETs
# /metrics of that very tree every second.  Not a test: it prints figures.
#
#   bench/scrape_load.sh        BENCH_REPS (3) pairs, BENCH_SECS (5) each
#
# The scraper finds the tree bench_assign started from its actord's
# command line (the config) and the log's "dashboard on" line (the port).
set -u
cd "$(dirname "$0")/.."
REPS=${BENCH_REPS:-3}
SECS=${BENCH_SECS:-5}
make --no-print-directory -s -f bench/Makefile build/rel/bench/bench_assign ||
    exit 1

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
echo "# load $(cut -d' ' -f1-3 /proc/loadavg)"
