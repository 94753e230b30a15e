#!/bin/bash
# GET /metrics on a real tree: the token, the exposition format (Debian's
# promtool), a real Prometheus server scraping the tree, counters across
# a restart of the coordinator, a process that does not answer, and the
# bound on (kind, queue) label pairs.
. "$(dirname "$0")/lib.sh"

TOKEN=access-secret
MTOKEN=metrics-secret
N=7			# tasks the test completes

# scrape [CURL-ARGS...]: the body of GET /metrics (with the metrics token).
scrape() {
	curl -sf -m 10 -H "Authorization: Bearer $MTOKEN" "$@" \
	    "http://127.0.0.1:$PORT/metrics"
}

# status_of [CURL-ARGS...]: the HTTP status of GET /metrics.
status_of() {
	curl -s -o /dev/null -w '%{http_code}' -m 10 "$@" \
	    "http://127.0.0.1:$PORT/metrics"
}

# sample NAME-AND-LABELS: its value in a fresh scrape ("" if absent).
sample() {
	scrape | awk -v k="$1" '$1 == k { print $2 }'
}

# completed: actord_tasks_completed_total summed over every series.
completed() {
	scrape | awk '$1 ~ /^actord_tasks_completed_total[{]/ { s += $2 }
	    END { print s + 0 }'
}

completed_is() { [ "$(completed)" = "$1" ]; }

# lacks TEXT PATTERN: TEXT has no line matching PATTERN.
lacks() { ! grep -q -- "$2" <<<"$1"; }

# A free TCP port on 127.0.0.1 for Prometheus.
free_port() {
	python3 -c 'import socket; s = socket.socket(); \
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

tree_start "access_token = $TOKEN" "metrics_token = $MTOKEN" \
    "[coordinator]" "metrics_series = 2" || { echo "Bail out!"; exit 1; }

# --- the token
check_eq "no token: 401" 401 "$(status_of)"
check_eq "a wrong token: 401" 401 "$(status_of -H 'Authorization: Bearer no')"
body=$(curl -s -m 10 "http://127.0.0.1:$PORT/metrics")
check "the 401 carries no metric" lacks "$body" actord_
check_eq "the metrics token: 200" 200 \
    "$(status_of -H "Authorization: Bearer $MTOKEN")"
check_eq "the access token: 200" 200 \
    "$(status_of -H "Authorization: Bearer $TOKEN")"
ctype=$(curl -s -o /dev/null -w '%{content_type}' -m 10 \
    -H "Authorization: Bearer $MTOKEN" "http://127.0.0.1:$PORT/metrics")
check_eq "text format 0.0.4" "text/plain; version=0.0.4; charset=utf-8" \
    "$ctype"

# --- tasks through the real tree
ctl send coordinator:main RegisterWorker '{"workerId":"w1"}' >/dev/null
for i in $(seq 1 $N); do
	ctl send coordinator:main AssignTask \
	    "{\"kind\":\"echo\",\"input\":{\"value\":$i}}" >/dev/null
done
check "the scrape counts the $N completed tasks" wait_for 20 completed_is $N
# Two more pairs: (echo, q2) fits the bound of 2, (fail, q3) does not.
ctl send coordinator:main AssignTask \
    '{"kind":"echo","input":{"value":0},"queue":"q2"}' >/dev/null
ctl send coordinator:main AssignTask \
    '{"kind":"fail","input":{"message":"x"},"queue":"q3"}' >/dev/null
failed_other() {
	[ "$(sample 'actord_tasks_failed_total{kind="other",queue="other"}')" = 1 ]
}
check "past metrics_series, the pair is counted as other/other" \
    wait_for 20 failed_other
check "and the third pair is not named" lacks "$(scrape)" 'kind="fail"'
N=$((N + 1))
check "completed in q2 too" wait_for 20 completed_is $N

# --- a WebSocket session: a message, a bad one, a close with 1000
node -e '
const WebSocket = require(process.argv[1] + "/node_modules/ws");
const ws = new WebSocket("ws://127.0.0.1:" + process.argv[2] + "/ws?token=" +
    process.argv[3]);
let n = 0;
ws.on("message", (d) => {
	const m = JSON.parse(d);
	if (m.type === "SessionEstablished") {
		ws.send("not json");
		ws.send(JSON.stringify({ to: "session", from: "client:t",
		    type: "Ping", id: "p1", timestamp: Date.now(), payload: {} }));
	}
	if (m.type === "Pong")
		ws.close(1000, "done");
});
ws.on("close", () => process.exit(0));
setTimeout(() => process.exit(1), 10000);
' "$ROOT" "$PORT" "$TOKEN"
check "a WebSocket client talked and closed" test $? -eq 0
closed_1000() {
	[ "$(sample 'actord_sessions_closed_by_code_total{code="1000"}')" = 1 ]
}
check "sessions closed by code: 1000" wait_for 10 closed_1000
check_eq "an Error by code: bad_json" 1 \
    "$(sample 'actord_websocket_errors_total{code="bad_json"}')"
check_eq "sessions opened" 1 "$(sample actord_sessions_opened_total)"
check_eq "messages received from the client" 2 \
    "$(sample actord_websocket_messages_received_total)"
check_eq "the upgrade counted as 101" 1 \
    "$(sample 'actord_http_requests_total{path="websocket",code="101"}')"
check_eq "the three 401s counted" 3 \
    "$(sample 'actord_http_requests_total{path="metrics",code="401"}')"

# --- the format
scrape >"$TMP/scrape.txt"
check "promtool check metrics passes on a live scrape" \
    promtool check metrics <"$TMP/scrape.txt"
for p in actord eventlog coordinator worker gateway; do
	check_eq "actord_up{process=\"$p\"} 1" 1 \
	    "$(awk -v k="actord_up{process=\"$p\"}" '$1 == k { print $2 }' \
	    "$TMP/scrape.txt")"
done
check "task wait histogram" grep -q \
    '^actord_task_wait_seconds_count [1-9]' "$TMP/scrape.txt"
check "commits per database" grep -q \
    '^actord_db_commits_total{db="coordinator"} [1-9]' "$TMP/scrape.txt"

# --- a real Prometheus scrapes the tree
PPORT=$(free_port)
mkdir -p "$TMP/prom"
cat >"$TMP/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: actord
    metrics_path: /metrics
    authorization:
      credentials: $MTOKEN
    static_configs:
      - targets: ['127.0.0.1:$PORT']
YML
prometheus --config.file="$TMP/prometheus.yml" \
    --storage.tsdb.path="$TMP/prom" \
    --web.listen-address="127.0.0.1:$PPORT" >"$TMP/prometheus.log" 2>&1 &
PROM_PID=$!
T_PIDS+=("$PROM_PID")
# prom_query EXPR: the first value of an instant query ("" if none yet).
prom_query() {
	curl -s -m 5 "http://127.0.0.1:$PPORT/api/v1/query" \
	    --data-urlencode "query=$1" 2>/dev/null |
	    jq -r '.data.result[0].value[1] // empty' 2>/dev/null
}
prom_has() { [ "$(prom_query "$1")" = "$2" ]; }
check "Prometheus: sum(actord_tasks_completed_total) is $N" \
    wait_for 60 prom_has 'sum(actord_tasks_completed_total)' "$N"
check "Prometheus: the target is up" wait_for 10 prom_has 'up{job="actord"}' 1
kill "$PROM_PID" 2>/dev/null
wait "$PROM_PID" 2>/dev/null

# --- counters across a restart of the coordinator
before=$(completed)
start_before=$(sample 'actord_process_start_time_seconds{process="coordinator"}')
ctl restart coordinator >/dev/null
ctl -t 10000 wait coordinator up >/dev/null
check_eq "completed does not go back across a restart" "$before" "$(completed)"
start_after=$(sample 'actord_process_start_time_seconds{process="coordinator"}')
check "the coordinator's start time moved" \
    awk -v a="$start_before" -v b="$start_after" 'BEGIN { exit !(b > a) }'
check_eq "its restart is counted" 1 \
    "$(sample 'actord_process_restarts_total{process="coordinator"}')"
ctl send coordinator:main AssignTask \
    '{"kind":"echo","input":{"value":1}}' >/dev/null
N=$((N + 1))
check "and counts on from there" wait_for 20 completed_is $N

# --- a process that does not answer
ctl stop coordinator >/dev/null
t0=$(date +%s%N)
scrape >"$TMP/down.txt"
t1=$(date +%s%N)
check_eq "a stopped coordinator: actord_up 0" 0 "$(awk \
    '$1 == "actord_up{process=\"coordinator\"}" { print $2 }' "$TMP/down.txt")"
check "the scrape still returns the others" grep -q \
    '^actord_up{process="worker"} 1' "$TMP/down.txt"
check "within metrics_timeout_ms and a margin" \
    test $(((t1 - t0) / 1000000)) -lt 3000
check "still valid for promtool" promtool check metrics <"$TMP/down.txt"
ctl start coordinator >/dev/null
ctl -t 10000 wait coordinator up >/dev/null

check "the tree stops cleanly" tree_stop
finish
