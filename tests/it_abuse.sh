#!/bin/bash
# Abuse: hostile and broken clients each get their documented answer (an
# HTTP status, a close code, an Error or a rate limit) while a
# well-behaved client keeps its Ping round trips to coordinator:main at
# normal latency, memory stays bounded and no process of the tree dies.
# The clients are tests/ws/abuse.mjs, one scenario per run, each printing
# one JSON line that the checks below read.
#
#   slowloris        200 connections, a request head byte per second:
#                    408 after header_timeout_ms (1.5 s here), closed
#   never reads      (a) subscribed to the event log while big events are
#                    logged: 1008 past send_queue_bytes (256 KiB here),
#                    the session's memory bounded; (b) 2,000 requests
#                    sent without reading: the session stops reading too,
#                    stays bounded, and answers every one afterwards
#   flood            2,000 Pings at once on one session: rate_limited
#                    past the burst, the session lives
#   oversize         frames and messages over max_message_bytes: 1009;
#                    a control frame over 125 bytes or a length with its
#                    top bit set: 1002
#   invalid UTF-8    1007, also when cut across fragments
#   JSON             10,000 levels deep, 1e400: bad_json; 25 levels:
#                    bad_payload; huge integers become doubles; long
#                    ids and names: bad_envelope, bad_payload
#   max_sessions     10,000 upgrade attempts past it: 503 + Retry-After
. "$(dirname "$0")/lib.sh"

ABUSE=$ROOT/tests/ws/abuse.mjs
PROBE_PID=

abuse_cleanup() {
	[ -n "$PROBE_PID" ] && kill -KILL "$PROBE_PID" 2>/dev/null
	cleanup
}
trap abuse_cleanup EXIT

# run SCENARIO ARGS...: its JSON line in $OUT ({} if it failed).
run() {
	local name=$1
	shift
	OUT=$(node "$ABUSE" "$name" "$PORT" "$@" 2>"$TMP/$name.err" | tail -1)
	if ! jq -e 'has("error") | not' <<<"$OUT" >/dev/null 2>&1; then
		not_ok "$name runs: ${OUT:-no output} $(head -c 500 \
		    "$TMP/$name.err")"
		OUT='{}'
		return 1
	fi
	echo "# $name: $OUT"
}

# mem_check DESCRIPTION COMMAND...: a memory bound.  ASan keeps freed
# memory in quarantine (256 MiB) and shadows the rest, so under
# SANITIZE=1 the bounds say nothing: skipped there.
mem_check() {
	case $BIN in
	*/build/san/*) ok "$1 # SKIP under ASan" ;;
	*) check "$@" ;;
	esac
}

# j FILTER: a value of the last scenario's result.
j() { jq -r "$1" <<<"$OUT"; }

# rtt_pct P FROM TO: the P-th percentile of the probe's round trips (ms)
# between two times (ms since the epoch).
rtt_pct() {
	jq -s --argjson p "$1" --argjson a "$2" --argjson b "$3" '
	    [.[] | select(.t >= $a and .t < $b and .rtt != null) | .rtt] |
	    sort | if length == 0 then -1 else
	    .[((length * $p / 100) | floor | if . >= length then length - 1
	    else . end)] | ceil end' "$TMP/probe.jsonl"
}
probe_count() { [ "$(wc -l <"$TMP/probe.jsonl" 2>/dev/null)" -ge "$1" ]; }
now_ms() { date +%s%3N; }

tree_start "[gateway]" "max_sessions = 24" "header_timeout_ms = 1500" \
    "[session]" "send_queue_bytes = 256k" || {
	not_ok "tree starts"
	finish
	exit
}
export ACTORCTL ACTORD_CONF=$TMP/actord.conf
declare -A PID0 RSS0
for n in eventlog coordinator worker gateway; do
	PID0[$n]=$(field "$n" pid)
	RSS0[$n]=$(($(field "$n" rss_bytes) / 1024))
done

# The well-behaved client, all along.
node "$ABUSE" probe "$PORT" "$TMP/probe.jsonl" "$TMP/probe.stop" \
    >"$TMP/probe.out" 2>&1 &
PROBE_PID=$!
T0=$(now_ms)
check "the probe gets 60 round trips before the abuse" wait_for 30 \
    probe_count 60
T1=$(now_ms)

run slowloris 200 1000 && {
	check_eq "slowloris: every connection gets 408" 200 \
	    "$(j '.statuses["408"] // 0')"
	check "slowloris: closed after header_timeout_ms, within 1 s of it" \
	    test "$(j .minMs)" -ge 1400 -a "$(j .maxMs)" -le 2500
	check_eq "slowloris: none left open" 0 "$(j .stillOpen)"
}

run noread-pushes "$TMP/actord.log" && {
	check_eq "never reading pushes: closed with 1008" 1008 "$(j .code)"
	mem_check "never reading pushes: the session stays under 8 MiB\
 ($(j .peakKiB) KiB)" test "$(j .peakKiB)" -lt 8192
	check_eq "never reading pushes: the session process is gone" true \
	    "$(j .sessionGone)"
	check_eq "the client logging the events is unaffected" Pong \
	    "$(j .driverAlive)"
}

run noread-requests && {
	check_eq "never reading replies: the session waits, not closed" \
	    true "$(j .aliveWhileStalled)"
	mem_check "never reading replies: the session stays under 8 MiB\
 ($(j .peakKiB) KiB)" test "$(j .peakKiB)" -lt 8192
	check_eq "never reading replies: all 2,000 answered once read" \
	    2000 "$(j '.answers.Pong + ([.answers.Error[]] | add // 0)')"
}

run flood 2000 && {
	check "flood: rate_limited past the burst ($(j .rate_limited))" \
	    test "$(j .rate_limited)" -gt 0
	check "flood: at least the burst answered ($(j .Pong) Pongs)" \
	    test "$(j .Pong)" -ge 400
	check_eq "flood: every message answered, nothing else" 2000 \
	    "$(j '.Pong + .rate_limited')"
	check_eq "flood: the session answers again once the bucket refills" \
	    Pong "$(j .after)"
}

run oversize && {
	check_eq "a text frame over max_message_bytes: 1009" 1009 \
	    "$(j .text)"
	check_eq "a binary frame over it: 1009" 1009 "$(j .binary)"
	check_eq "fragments adding up over it: 1009" 1009 "$(j .fragmented)"
	check_eq "a frame declaring 2^62 bytes: 1009 at its first bytes" \
	    1009 "$(j .declared)"
	check_eq "a 64-bit length with its top bit set: 1002" 1002 \
	    "$(j .msb)"
	check_eq "a 126-byte ping: 1002" 1002 "$(j .bigPing)"
}

run utf8 && {
	for k in badByte overlong surrogate truncated splitBad; do
		check_eq "invalid UTF-8 ($k): 1007" 1007 "$(j ".$k")"
	done
	check_eq "a character cut across fragments is fine" answered \
	    "$(j .splitGood)"
}

run json && {
	check_eq "JSON arrays 10,000 deep: bad_json (no id readable)" \
	    bad_json/noreply "$(j .arrays10k)"
	check_eq "JSON objects 10,000 deep: bad_json" bad_json/noreply \
	    "$(j .objects10k)"
	check_eq "a payload 25 deep: bad_payload, with replyTo" bad_payload \
	    "$(j .arrays25)"
	check_eq "a payload 19 deep goes through" Pong "$(j .arrays20)"
	check_eq "1e400: bad_json" bad_json/noreply "$(j .hugeExponent)"
	check_eq "a 39-digit integer: read as a double" \
	    "Pong 1.2345678901234568e+38" \
	    "$(j '"\(.hugeInteger) \(.hugeIntegerValue)"')"
	check_eq "a 60,000-byte string: echoed whole" echoed \
	    "$(j .string60k)"
	check_eq "a 200-byte id: bad_envelope" bad_envelope/noreply \
	    "$(j .longId)"
	check_eq "a 1,000-byte workerId: bad_payload" bad_payload \
	    "$(j .longWorkerId)"
	check_eq "a 10,000-byte taskId: bad_payload" bad_payload \
	    "$(j .longTaskId)"
	check_eq "a 50,000-byte task input: accepted" TaskAccepted \
	    "$(j .bigInput)"
	check_eq "after all that the session lives" "Pong null" \
	    "$(j '"\(.alive) \(.closed)"')"
}

run maxsessions 10000 50 && {
	check_eq "max_sessions (24): filled" 24 "$(j '.held + 1')"
	check_eq "10,000 attempts past it: all 503" 10000 \
	    "$(j '.statuses["503"] // 0')"
	check_eq "each with Retry-After" 10000 "$(j .retryAfter)"
	check_eq "the sessions held meanwhile still answer" "$(j .held)" \
	    "$(j .alive)"
}
T2=$(now_ms)
touch "$TMP/probe.stop"
wait_for 15 gone "$PROBE_PID"
wait "$PROBE_PID"
check_eq "the probe was never disconnected" 0 "$?"
PROBE_PID=
check_eq "every probe Ping got its Pong" 0 \
    "$(jq -s '[.[] | select(.rtt == null)] | length' "$TMP/probe.jsonl")"
before=$(rtt_pct 99 "$T0" "$T1")
during=$(rtt_pct 99 "$T1" "$T2")
echo "# probe round trips: p50 $(rtt_pct 50 "$T0" "$T1") ms before," \
    "$(rtt_pct 50 "$T1" "$T2") ms during; p99 $before before, $during" \
    "during ($(jq -s length "$TMP/probe.jsonl") pings)"
# Generous: this runs on loaded 2-core CI machines, sanitizers included.
check "p99 round trip during the abuse under 250 ms (or 10x before)" \
    test "$during" -ge 0 -a \( "$during" -le 250 -o "$during" -le \
    $((before * 10)) \)

for n in eventlog coordinator worker gateway; do
	check_eq "$n never restarted" "${PID0[$n]}" "$(field "$n" pid)"
done
now=$(($(field gateway rss_bytes) / 1024))
mem_check "the gateway's memory is bounded (${RSS0[gateway]} KiB before,\
 $now after)" test "$now" -le $((RSS0[gateway] + 16384))
check_eq "no crash, no sanitizer report" "" "$(grep -E \
    'killed by SIG|dumped core|ERROR: (Address|Leak)Sanitizer|runtime error:' \
    "$TMP/actord.log" | head -3)"
check "shutdown leaves no process and no socket" tree_stop
finish
