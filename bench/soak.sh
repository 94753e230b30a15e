#!/bin/bash
# Soak: IDLE idle WebSocket sessions and ACTIVE active ones (a Ping to
# coordinator:main each second) against a real tree for MINUTES, with
# memory and latency sampled every SAMPLE_S seconds (bench/soak.mjs).
# Not part of CI: the target, 10,000 + 1,000 for 10 minutes, takes a
# quarter of an hour and most of a small machine.
#
#   bench/soak.sh                       the target
#   IDLE=1000 ACTIVE=100 MINUTES=1 bench/soak.sh      a quick look
#
# The timelines go to bench/out/soak-<date>.{clients,memory}.jsonl and a
# summary to stdout.  Every session is a process, so it needs a descriptor in the
# gateway and one in this client: ulimit -n is raised to its hard limit.
set -u
cd "$(dirname "$0")/.."
. tests/lib.sh

IDLE=${IDLE:-10000}
ACTIVE=${ACTIVE:-1000}
MINUTES=${MINUTES:-10}
SAMPLE_S=${SAMPLE_S:-10}
NODE_PID=

soak_cleanup() {
	[ -n "$NODE_PID" ] && kill -KILL "$NODE_PID" 2>/dev/null
	cleanup
}
trap soak_cleanup EXIT

ulimit -n "$(ulimit -Hn)"
need=$(((IDLE + ACTIVE) + 1000))
if [ "$(ulimit -n)" -lt "$need" ]; then
	echo "soak: ulimit -n is $(ulimit -n), $need needed" >&2
	exit 1
fi
mkdir -p bench/out
OUT=bench/out/soak-$(date +%Y%m%d-%H%M%S)
: >"$OUT.clients.jsonl"
: >"$OUT.memory.jsonl"

tree_start "[gateway]" "max_sessions = $((IDLE + ACTIVE + 100))" \
    "session_pool = 16" || exit 1
echo "soak: $IDLE idle + $ACTIVE active sessions for $MINUTES min," \
    "tree on port $PORT; timelines in $OUT.*.jsonl"
SAMPLE_S=$SAMPLE_S node bench/soak.mjs memory "$ACTORD_PID" \
    "$OUT.memory.jsonl" &
MEM_PID=$!
T_PIDS+=("$MEM_PID")
IDLE=$IDLE ACTIVE=$ACTIVE MINUTES=$MINUTES SAMPLE_S=$SAMPLE_S \
    node bench/soak.mjs clients "$PORT" "$OUT.clients.jsonl" &
NODE_PID=$!
wait "$NODE_PID"
rc=$?
NODE_PID=
# One more memory sample with the clients gone.
sleep "$SAMPLE_S"
kill "$MEM_PID" 2>/dev/null
wait "$MEM_PID" 2>/dev/null
restarts=$(ctl --json status | jq '[.processes[].restarts] | add')
tree_stop
stopped=$?

# The summary of the soak phase.
jq -n --argjson restarts "$restarts" \
    --slurpfile c "$OUT.clients.jsonl" --slurpfile m "$OUT.memory.jsonl" '
    ($c | map(select(.phase == "soak"))) as $s |
    ($c | map(select(.phase == "connected")) | .[0]) as $conn |
    ($m | max_by(.sessions) | .sessions) as $peak |
    ($m | map(select(.sessions >= $peak * 0.99))) as $full |
    ($m[0]) as $b | ($m[-1]) as $a |
    def kernel: .memMiB.pageTables + .memMiB.kernelStack +
        .memMiB.slabUnreclaim;
    {
      connected: {sessions: $conn.sessions, seconds: $conn.t},
      sessions_at_the_end: $s[-1].sessions,
      pings: $s[-1].pings,
      errors: $s[-1].errors,
      restarts: $restarts,
      rtt_p50_ms: ($s | map(.rtt.p50) | {min: min, max: max}),
      rtt_p99_ms: ($s | map(.rtt.p99) | {min: min, max: max}),
      rtt_max_ms: ($s | map(.rtt.max) | max),
      session_rss_kib_each: ($full[0] | .sessionRssKiB / .sessions | floor),
      session_pss_kib_each: ($full | map(select(.sessionPssKiB != null) |
          .sessionPssKiB / .sessions | floor) | {min: min, max: max}),
      kernel_mib: ($full | map(kernel - ($b | kernel)) |
          {first: .[0], last: .[-1]}),
      mem_available_drop_mib: ($full | map($b.memMiB.available -
          .memMiB.available) | {first: .[0], last: .[-1], min: min,
          max: max}),
      after_mem_available_drop_mib: ($b.memMiB.available -
          $a.memMiB.available),
      rss_kib: ($full | {first: .[0].rssKiB, last: .[-1].rssKiB}),
      client_rss_mib: ($s[-1].clientRssKiB / 1024 | floor),
      memory_sample_ms: ($m | map(.sampleMs) | max)
    }'
[ "$rc" = 0 ] && [ "$stopped" = 0 ]
