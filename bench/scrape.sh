#!/bin/bash
# GET /metrics latency on a real tree with a big coordinator.db and open
# WebSocket sessions.  Not a test: it prints figures.
#
#   bench/scrape.sh
#
#   BENCH_TASKS     finished tasks put in coordinator.db (default 1000000)
#   BENCH_SESSIONS  WebSocket sessions held open while scraping (default
#                   100; each is a process, so mind the machine)
#   BENCH_SCRAPES   scrapes measured, one after the other (default 200)
#
# The tasks are written straight into coordinator.db with sqlite3 while
# the coordinator is stopped (rows, totals and the metrics' counters), so
# that filling it takes seconds, not the hours a million AssignTasks
# through one fsync each would.  Each scrape is timed by curl (the client's
# view, connect included) and by the gateway itself
# (actord_scrape_duration_seconds: from its GetMetrics to the last reply).
set -u
. "$(dirname "$0")/../tests/lib.sh"
TASKS=${BENCH_TASKS:-1000000}
SESSIONS=${BENCH_SESSIONS:-100}
SCRAPES=${BENCH_SCRAPES:-200}

# p QUANTILE: the quantile of the numbers on stdin, one a line.
p() { sort -g | awk -v q="$1" '{ v[NR] = $1 }
    END { i = int(q * NR + 0.5); if (i < 1) i = 1; print v[i] }'; }

echo "# $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
tree_start "max_sessions = $((SESSIONS + 64))" >/dev/null ||
    { echo "tree did not start"; exit 1; }
ctl stop coordinator >/dev/null
t0=$(date +%s)
sqlite3 "$TMP/state/coordinator.db" >/dev/null <<SQL
PRAGMA journal_mode = WAL;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n
    WHERE i < $TASKS)
INSERT INTO tasks (id, kind, status, attempts, created, updated, chg,
    finished, queue)
SELECT 'b' || i, 'echo', 2, 1, 0, 0, i, 0, 'default' FROM n;
UPDATE totals SET n = $TASKS WHERE status = 2;
INSERT OR REPLACE INTO task_counts VALUES
    ('echo', 'default', $TASKS, $TASKS, 0, 0, 0, 0);
INSERT OR REPLACE INTO meta (key, value) VALUES ('chg', $TASKS);
COMMIT;
SQL
ctl start coordinator >/dev/null
ctl -t 60000 wait coordinator up >/dev/null
echo "# $TASKS tasks written in $(($(date +%s) - t0)) s;" \
    "coordinator.db $(du -m "$TMP/state/coordinator.db" | cut -f1) MB"

# Hold SESSIONS WebSocket sessions open until killed, opened 200 at a
# time (the gateway closes HTTP connections past 1,024 waiting at once).
node -e '
const WebSocket = require(process.argv[1] + "/node_modules/ws");
const want = Number(process.argv[3]);
let started = 0, open = 0;
const keep = [];
function one() {
	if (started >= want)
		return;
	started++;
	const ws = new WebSocket("ws://127.0.0.1:" + process.argv[2] + "/ws");
	keep.push(ws);
	ws.once("message", () => {
		if (++open === want)
			console.log("open");
		one();
	});
	ws.on("error", (e) => { console.error(e.message); process.exit(1); });
}
for (let i = 0; i < 200; i++)
	one();' "$ROOT" "$PORT" "$SESSIONS" >"$TMP/hold.out" 2>&1 &
HOLD=$!
T_PIDS+=("$HOLD")
held() { grep -q open "$TMP/hold.out"; }
if ! wait_for 600 held; then
	echo "sessions did not open: $(head -3 "$TMP/hold.out")"
	exit 1
fi
echo "# $SESSIONS sessions open"

url="http://127.0.0.1:$PORT/metrics"
curl -s "$url" >"$TMP/one.txt"
echo "# one scrape: $(wc -c <"$TMP/one.txt") bytes," \
    "$(grep -vc '^#' "$TMP/one.txt") samples;" \
    "completed $(awk '$1 ~ /^actord_tasks_completed_total/ { s += $2 }
    END { print s }' "$TMP/one.txt")," \
    "sessions open $(awk '$1 == "actord_sessions_open" { print $2 }' \
    "$TMP/one.txt")"
: >"$TMP/client.txt"
: >"$TMP/gateway.txt"
for _ in $(seq 1 "$SCRAPES"); do
	curl -s -o "$TMP/body.txt" -w '%{time_total}\n' "$url" \
	    >>"$TMP/client.txt"
	awk '$1 == "actord_scrape_duration_seconds" { print $2 }' \
	    "$TMP/body.txt" >>"$TMP/gateway.txt"
done
ms() { awk '{ printf "%.2f\n", $1 * 1000 }'; }
printf '%-34s %8s %8s %8s\n' "$SCRAPES scrapes, ms" p50 p90 p99
printf '%-34s %8s %8s %8s\n' "client (curl time_total)" \
    "$(p 0.5 <"$TMP/client.txt" | ms)" "$(p 0.9 <"$TMP/client.txt" | ms)" \
    "$(p 0.99 <"$TMP/client.txt" | ms)"
printf '%-34s %8s %8s %8s\n' "gateway (actord_scrape_duration)" \
    "$(p 0.5 <"$TMP/gateway.txt" | ms)" "$(p 0.9 <"$TMP/gateway.txt" | ms)" \
    "$(p 0.99 <"$TMP/gateway.txt" | ms)"
echo "# target (issue 16): under 10 ms at the gateway, p50"
kill "$HOLD" 2>/dev/null
wait "$HOLD" 2>/dev/null
tree_stop >/dev/null
echo "# load $(cut -d' ' -f1-3 /proc/loadavg)"
