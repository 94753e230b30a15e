#!/bin/bash
# actord as a task system beside BullMQ, measured in the same run:
#
#   actord        bin/actord in a temporary directory ([coordinator]
#                 synchronous = full: a task's acceptance is on disk before
#                 TaskAccepted leaves); the producer is a WebSocket client
#   bullmq        BullMQ (bench/peers/node_modules) on Debian's
#                 redis-server, with Redis's defaults
#   bullmq-fsync  the same with appendonly yes, appendfsync always: a
#                 durable acknowledgement like actord's
#
# Each round runs bench/tasks_load.mjs against each in turn (the order
# rotates), one node producer each: N no-op jobs with F in flight and W
# workers (enqueue to completion, jobs/s), then M jobs one at a time
# (enqueue to the submitter learning of the completion: TaskFinished, or
# BullMQ's QueueEvents), p50 and p99.  The medians of the rounds are
# printed as a table.
#
#   bench/tasks_peers.sh [-r rounds] [-n jobs] [-f inflight] [-w workers]
#                        [-m latency jobs] [-S synchronous]
#
# -S sets actord's [coordinator] synchronous (full by default; normal or
# off only to see what the disk costs: the acknowledgement is then not
# durable).
#
# Needs redis-server (apt-get install redis-server, done here when root)
# and bench/peers' node packages (npm ci there, done here).  Not a test.
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
ROUNDS=3 N=20000 F=100 W=100 M=2000 SYNC=full
while getopts "r:n:f:w:m:S:" opt; do
	case $opt in
	r) ROUNDS=$OPTARG ;;
	n) N=$OPTARG ;;
	f) F=$OPTARG ;;
	w) W=$OPTARG ;;
	m) M=$OPTARG ;;
	S) SYNC=$OPTARG ;;
	*) sed -n '2,29p' "$0" >&2; exit 100 ;;
	esac
done
if ! command -v redis-server >/dev/null; then
	if [ "$(id -u)" -eq 0 ]; then
		apt-get install -y --no-install-recommends redis-server \
		    >/dev/null || exit 111
	else
		echo "tasks_peers: redis-server is missing; as root:" \
		    "apt-get install redis-server" >&2
		exit 111
	fi
fi
if [ ! -d bench/peers/node_modules/bullmq ]; then
	(cd bench/peers && npm ci --no-audit --no-fund >&2) || exit 111
fi
make --no-print-directory -s all || exit 111

TMP=$(mktemp -d /tmp/tasks_peers.XXXXXX)
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# redis-server NAME PORT [extra config lines]
start_redis() {
	local name=$1 port=$2
	shift 2
	mkdir -p "$TMP/$name"
	{
		echo "port $port"
		echo "bind 127.0.0.1"
		echo "dir $TMP/$name"
		echo "save \"\""
		for l in "$@"; do echo "$l"; done
	} >"$TMP/$name/redis.conf"
	redis-server "$TMP/$name/redis.conf" >"$TMP/$name/log" 2>&1 &
	PIDS+=($!)
	until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.05; done
}

# actord in $TMP/actord; its gateway's port in APORT.
start_actord() {
	local d=$TMP/actord
	mkdir -p "$d"
	cat >"$d/actord.conf" <<-EOF
	[actord]
	state_dir = $d/state
	run_dir = $d/run
	program_dir = $ROOT/bin
	web_dir = $ROOT/web
	log_level = warning
	[coordinator]
	synchronous = $SYNC
	[gateway]
	listen = 127.0.0.1:$APORT
	[session]
	rate_limit = 1000000
	rate_burst = 1000000
	EOF
	bin/actord -c "$d/actord.conf" >"$d/log" 2>&1 &
	PIDS+=($!)
	local i=0
	# The control socket appears once actord has set up; then the gateway.
	until [ -S "$d/run/actord.sock" ] || [ $((i += 1)) -gt 200 ]; do
		kill -0 "${PIDS[-1]}" 2>/dev/null || break
		sleep 0.05
	done
	bin/actorctl -c "$d/actord.conf" -t 20000 wait gateway up >/dev/null ||
	    { cat "$d/log" >&2; exit 111; }
}

APORT=$(free_port)
RPORT=$(free_port)
FPORT=$(free_port)
start_actord
start_redis redis "$RPORT"
start_redis redis-fsync "$FPORT" "appendonly yes" "appendfsync always"

echo "== Task systems: $N no-op jobs, $F in flight, $W workers; $M jobs" \
    "one at a time; $ROUNDS rounds; actord synchronous=$SYNC"
echo "date:   $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "tree:   $(git rev-parse --short HEAD 2>/dev/null)"
echo "cpus:   $(nproc); $(uname -sr); redis $(redis-server --version |
    sed 's/.*v=\([^ ]*\).*/\1/'); node $(node --version)"
echo "load:   $(cut -d' ' -f1-3 /proc/loadavg)"
RES=$TMP/results.jsonl
systems=(actord bullmq bullmq-fsync)
for r in $(seq 1 "$ROUNDS"); do
	for i in 0 1 2; do
		s=${systems[$(( (i + r) % 3 ))]}
		case $s in
		actord) sys=actord port=$APORT ;;
		bullmq) sys=bullmq port=$RPORT ;;
		bullmq-fsync) sys=bullmq port=$FPORT ;;
		esac
		node bench/tasks_load.mjs "$sys" "$port" "$N" "$F" "$W" "$M" |
		    sed "s/\"system\":\"[a-z]*\"/\"system\":\"$s\"/" |
		    tee -a "$RES"
	done
done
echo "load:   $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$RES" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
def med(system, test, key):
    v = [r[key] for r in rows if r["system"] == system and r["test"] == test]
    return statistics.median(v) if v else None
print("\n| system | jobs/s (median) | completion p50 ms | p99 ms |")
print("|---|---:|---:|---:|")
for s in ("actord", "bullmq", "bullmq-fsync"):
    print(f"| {s} | {med(s, 'throughput', 'perSec'):.0f} | "
          f"{med(s, 'latency', 'p50'):.3f} | {med(s, 'latency', 'p99'):.3f} |")
a, b, f = (med(s, "throughput", "perSec") for s in ("actord", "bullmq", "bullmq-fsync"))
la, lb = med("actord", "latency", "p50"), med("bullmq", "latency", "p50")
print(f"\nthroughput: {a / f:.2f}x bullmq-fsync (target 3x), {a / b:.2f}x "
      f"bullmq (target 2x); completion p50: {la / lb:.2f}x bullmq's "
      "(target at most 0.6x)")
PY
