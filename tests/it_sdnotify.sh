#!/bin/bash
# actord and systemd: sd_notify against a test NOTIFY_SOCKET (READY=1,
# STATUS=, RELOADING=1, STOPPING=1, WATCHDOG=1), socket activation with
# LISTEN_FDS, and journald's priority prefixes with JOURNAL_STREAM.
. "$(dirname "$0")/lib.sh"

NOTIFY=
NLOG=

# notify_listen: a datagram socket at $TMP/notify.sock, like systemd's.
# Every field of every datagram becomes a line "SEQ TIME FIELD" of
# $TMP/notify.log (TIME in seconds since the epoch, as $EPOCHREALTIME).
notify_listen() {
	NOTIFY=$TMP/notify.sock
	NLOG=$TMP/notify.log
	: >"$NLOG"
	python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
n = 0
with open(sys.argv[2], "a", buffering=1) as out:
    while True:
        data = s.recv(65536)
        t = time.time()
        n += 1
        for field in data.decode("utf-8", "replace").split("\n"):
            if field:
                out.write("%d %.6f %s\n" % (n, t, field))
' "$NOTIFY" "$NLOG" &
	T_PIDS+=("$!")
	disown "$!"
	wait_for 5 test -S "$NOTIFY"
}

# start_notified [ENV=VALUE...] [-- CONFIG-LINES...]: a tree that notifies
# $NOTIFY; returns once actord's control socket is up (not when ready).
start_notified() {
	local envs=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		envs+=("$1")
		shift
	done
	[ "${1:-}" = -- ] && shift
	TMP=$(mktemp -d /tmp/actord-it.XXXXXX)
	T_DIRS+=("$TMP")
	write_config "$@"
	notify_listen || return 1
	env NOTIFY_SOCKET="$NOTIFY" "${envs[@]}" "$ACTORD" \
	    -c "$TMP/actord.conf" >"$TMP/actord.log" 2>&1 &
	ACTORD_PID=$!
	T_PIDS+=("$ACTORD_PID")
	wait_for 10 test -S "$TMP/run/actord.sock"
}

# How many times FIELD was notified (after datagram SEQ, if given).
notes() {
	awk -v f="$1" -v after="${2:-0}" '$1 > after && substr($0,
	    index($0, $3)) == f { n++ } END { print n + 0 }' "$NLOG"
}

# The datagram number of the first FIELD after datagram SEQ; 0 if none.
seq_of() {
	awk -v f="$1" -v after="${2:-0}" '$1 > after && substr($0,
	    index($0, $3)) == f { print $1; exit }' "$NLOG" | grep . || echo 0
}

last_seq() { tail -n 1 "$NLOG" | awk '{ print $1 + 0 }'; }

noted() { [ "$(notes "$@")" -gt 0 ]; }

# WATCHDOG=1 notifications between two $EPOCHREALTIME values.
pings_between() {
	awk -v a="$1" -v b="$2" '$3 == "WATCHDOG=1" && $2 >= a && $2 <= b {
	    n++ } END { print n + 0 }' "$NLOG"
}

state_is() { [ "$(field "$1" state)" = "$2" ]; }

states() { ctl --json status | jq -r '[.processes[].state] | join(" ")'; }

t_ready_after_all_up() {
	local pdir p
	# A gateway that takes two seconds to start: READY=1 must wait for it.
	pdir=$(mktemp -d /tmp/actord-it.XXXXXX)
	T_DIRS+=("$pdir")
	for p in eventlog coordinator worker session; do
		ln -s "$BIN/$p" "$pdir/$p"
	done
	printf '#!/bin/sh\nsleep 2\nexec %q "$@"\n' "$BIN/gateway" \
	    >"$pdir/gateway"
	chmod +x "$pdir/gateway"
	PROGRAM_DIR=$pdir start_notified ||
	    { not_ok "the tree starts"; return; }
	wait_for 5 state_is gateway starting
	check_eq "while the last child starts, the others are up" \
	    "up up up starting" "$(states)"
	check_eq "nothing is notified before every child is up" 0 \
	    "$(wc -l <"$NLOG")"
	if ! wait_for 10 noted READY=1; then
		not_ok "READY=1 arrives"
		return
	fi
	check_eq "when READY=1 arrives, status shows all four up" \
	    "up up up up" "$(states)"
	check_eq "READY=1 comes with STATUS= in the same datagram" \
	    "1 READY=1|1 STATUS=4/4 up, 0 sessions, 0 restarts" \
	    "$(awk '$1 == 1 { print $1, substr($0, index($0, $3)) }' \
	    "$NLOG" | paste -sd '|')"
	check "the log has the gateway up before ready" test \
	    "$(grep -n 'gateway: up' "$TMP/actord.log" | cut -d: -f1)" -lt \
	    "$(grep -n 'ready: 4/4 up' "$TMP/actord.log" | cut -d: -f1)"
	check "shutdown leaves no process and no socket" tree_stop
}

t_status_lines() {
	local w mark
	start_notified || { not_ok "the tree starts"; return; }
	wait_for 10 noted READY=1 || { not_ok "READY=1 arrives"; return; }
	w=$(field worker pid)
	kill -KILL "$w"
	ctl -t 5000 wait worker up "$w" >/dev/null
	wait_for 2 noted "STATUS=4/4 up, 0 sessions, 1 restarts"
	check "STATUS= says when a child is down" \
	    noted "STATUS=3/4 up, 0 sessions, 1 restarts"
	check "STATUS= says when it is up again, counting the restart" \
	    noted "STATUS=4/4 up, 0 sessions, 1 restarts"
	check_eq "READY=1 is sent once, not again after a restart" 1 \
	    "$(notes READY=1)"
	check "every STATUS= is one line" test -z \
	    "$(grep -v -E '^[0-9]+ [0-9.]+ [A-Z]+=' "$NLOG")"
	if cmp -s "$BIN/gateway" "$BIN/worker"; then
		echo "skip - sessions in STATUS=: bin/gateway is a stand-in"
	else
		PORT=$(ctl --json status | jq -r .listen | sed 's/.*://')
		ws_open
		check "STATUS= counts the WebSocket sessions" wait_for 5 \
		    noted "STATUS=4/4 up, 1 sessions, 1 restarts"
		mark=$(last_seq)
		exec 5>&-
		check "and their end" wait_for 5 noted \
		    "STATUS=4/4 up, 0 sessions, 1 restarts" "$mark"
	fi
	check "shutdown leaves no process and no socket" tree_stop
}

# A WebSocket to the gateway on fd 5: true on 101 Switching Protocols.
ws_open() {
	local line
	exec 5<>"/dev/tcp/127.0.0.1/$PORT" || return 1
	printf '%s\r\n' "GET /ws HTTP/1.1" "Host: 127.0.0.1:$PORT" \
	    "Upgrade: websocket" "Connection: Upgrade" \
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==" \
	    "Sec-WebSocket-Version: 13" "" >&5
	IFS= read -r -t 5 line <&5 || return 1
	[[ $line == "HTTP/1.1 101"* ]]
}

t_reload() {
	local mark r
	start_notified || { not_ok "the tree starts"; return; }
	wait_for 10 noted READY=1 || { not_ok "READY=1 arrives"; return; }
	mark=$(last_seq)
	kill -HUP "$ACTORD_PID"
	wait_for 5 noted READY=1 "$mark"
	r=$(seq_of RELOADING=1 "$mark")
	check "SIGHUP: RELOADING=1" test "$r" -gt 0
	check "then READY=1 once the config is applied" test \
	    "$(seq_of READY=1 "$mark")" -gt "$r"
	mark=$(last_seq)
	ctl reload >/dev/null
	check "actorctl reload: RELOADING=1, then READY=1" test \
	    "$(seq_of RELOADING=1 "$mark")" -gt 0 -a \
	    "$(seq_of READY=1 "$mark")" -gt "$(seq_of RELOADING=1 "$mark")"
	cp "$TMP/actord.conf" "$TMP/good.conf"
	printf '[supervisor]\nstrategy = all_for_none\n' >>"$TMP/actord.conf"
	mark=$(last_seq)
	kill -HUP "$ACTORD_PID"
	wait_for 5 noted READY=1 "$mark"
	check "a refused config: RELOADING=1, then READY=1 all the same" test \
	    "$(seq_of RELOADING=1 "$mark")" -gt 0 -a \
	    "$(seq_of READY=1 "$mark")" -gt "$(seq_of RELOADING=1 "$mark")"
	check "and the log says the running config is kept" \
	    grep -q "reload: keeping the running configuration" \
	    "$TMP/actord.log"
	cp "$TMP/good.conf" "$TMP/actord.conf"
	check_eq "the tree is still up" "up up up up" "$(states)"
	check "shutdown leaves no process and no socket" tree_stop
}

t_stopping() {
	local mark rc
	start_notified || { not_ok "the tree starts"; return; }
	wait_for 10 noted READY=1 || { not_ok "READY=1 arrives"; return; }
	mark=$(last_seq)
	kill -TERM "$ACTORD_PID"
	wait "$ACTORD_PID"
	rc=$?
	check_eq "SIGTERM: actord exits 0" 0 "$rc"
	check_eq "SIGTERM: STOPPING=1, and nothing after it" \
	    "STOPPING=1" "$(awk -v m="$mark" '$1 > m { print $3 }' "$NLOG" |
	    paste -sd ' ')"
}

t_watchdog() {
	local t0 t1 n gap w
	# WATCHDOG_PID is actord's own pid: set it, then exec actord.
	TMP=$(mktemp -d /tmp/actord-it.XXXXXX)
	T_DIRS+=("$TMP")
	write_config "[supervisor]" "backoff_initial_ms = 1500" \
	    "backoff_max_ms = 5000"
	notify_listen
	NOTIFY_SOCKET=$NOTIFY WATCHDOG_USEC=200000 bash -c \
	    'export WATCHDOG_PID=$$; exec "$@"' _ "$ACTORD" \
	    -c "$TMP/actord.conf" >"$TMP/actord.log" 2>&1 &
	ACTORD_PID=$!
	T_PIDS+=("$ACTORD_PID")
	wait_for 10 noted READY=1 || { not_ok "READY=1 arrives"; return; }
	t0=$EPOCHREALTIME
	sleep 1.2
	t1=$EPOCHREALTIME
	n=$(pings_between "$t0" "$t1")
	check "WATCHDOG_USEC=200000: about 12 pings in 1.2 s (got $n)" \
	    test "$n" -ge 9 -a "$n" -le 14
	gap=$(awk -v a="$t0" -v b="$t1" '$3 == "WATCHDOG=1" && $2 >= a &&
	    $2 <= b { if (p) { s += $2 - p; k++ } p = $2 }
	    END { printf "%d", k ? s / k * 1000 : 0 }' "$NLOG")
	check "one every half of WATCHDOG_USEC: 100 ms (got $gap ms)" \
	    test "$gap" -ge 85 -a "$gap" -le 120

	# A crash restarts at once; a second one within stable_ms waits
	# backoff_initial_ms (1.5 s): down past its restart, no pings.
	w=$(field worker pid)
	kill -KILL "$w"
	ctl -t 5000 wait worker up "$w" >/dev/null
	w=$(field worker pid)
	kill -KILL "$w"
	ctl -t 2000 wait worker backoff "$w" >/dev/null
	# Leave 150 ms for a ping that was on its way at the crash.
	t0=$(awk -v t="$EPOCHREALTIME" 'BEGIN { printf "%.6f", t + 0.15 }')
	sleep 1
	check_eq "no WATCHDOG=1 while a child is down in its backoff" 0 \
	    "$(pings_between "$t0" "$EPOCHREALTIME")"
	ctl -t 5000 wait worker up >/dev/null
	t0=$EPOCHREALTIME
	sleep 0.6
	n=$(pings_between "$t0" "$EPOCHREALTIME")
	check "WATCHDOG=1 resumes once it is up again (got $n in 0.6 s)" \
	    test "$n" -ge 4

	# An operator's stop is not a failure: the child is not wanted.
	ctl stop worker >/dev/null
	t0=$EPOCHREALTIME
	sleep 0.6
	n=$(pings_between "$t0" "$EPOCHREALTIME")
	check "actorctl stop worker does not stop the pings (got $n)" \
	    test "$n" -ge 4
	ctl start worker >/dev/null
	check "shutdown leaves no process and no socket" tree_stop
}

t_watchdog_pid() {
	local t0
	# WATCHDOG_PID names another process: the watchdog is not ours.
	start_notified WATCHDOG_USEC=200000 WATCHDOG_PID=1 ||
	    { not_ok "the tree starts"; return; }
	wait_for 10 noted READY=1 || { not_ok "READY=1 arrives"; return; }
	t0=$EPOCHREALTIME
	sleep 0.5
	check_eq "WATCHDOG_PID of another process: no WATCHDOG=1" 0 \
	    "$(pings_between 0 "$EPOCHREALTIME")"
	check "shutdown leaves no process and no socket" tree_stop
	start_notified || { not_ok "the tree starts"; return; }
	wait_for 10 noted READY=1
	sleep 0.3
	check_eq "without WATCHDOG_USEC: no WATCHDOG=1" 0 \
	    "$(pings_between 0 "$EPOCHREALTIME")"
	check "shutdown leaves no process and no socket" tree_stop
}

# Socket activation as systemd does it: the listening socket on fd 3,
# LISTEN_FDS=1 and LISTEN_PID=<actord's pid>.
t_socket_activation() {
	local port g body
	TMP=$(mktemp -d /tmp/actord-it.XXXXXX)
	T_DIRS+=("$TMP")
	write_config
	python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(64)
with open(sys.argv[1], "w") as f:
    f.write("%d\n" % s.getsockname()[1])
if s.fileno() != 3:
    os.dup2(s.fileno(), 3)
os.set_inheritable(3, True)
os.environ["LISTEN_FDS"] = "1"
os.environ["LISTEN_PID"] = str(os.getpid())
os.execv(sys.argv[2], sys.argv[2:])
' "$TMP/port" "$ACTORD" -c "$TMP/actord.conf" >"$TMP/actord.log" 2>&1 &
	ACTORD_PID=$!
	T_PIDS+=("$ACTORD_PID")
	if ! wait_for 10 test -S "$TMP/run/actord.sock" ||
	    ! ctl -t 10000 wait gateway up >/dev/null; then
		not_ok "the tree starts with a socket from LISTEN_FDS"
		return
	fi
	port=$(cat "$TMP/port")
	check_eq "LISTEN_FDS: the gateway serves the inherited socket" \
	    "127.0.0.1:$port" "$(ctl --json status | jq -r .listen)"
	check "and the log says so" grep -q \
	    "using the listening socket from systemd" "$TMP/actord.log"
	g=$(field gateway pid)
	check "the children do not inherit LISTEN_FDS" \
	    not_grep LISTEN_ "/proc/$g/environ"
	if cmp -s "$BIN/gateway" "$BIN/worker"; then
		echo "skip - HTTP on the inherited socket: bin/gateway is a" \
		    "stand-in"
	else
		body=$(exec 3<>"/dev/tcp/127.0.0.1/$port" &&
		    printf 'GET / HTTP/1.0\r\nHost: x\r\n\r\n' >&3 &&
		    timeout 5 cat <&3)
		check "HTTP works on the inherited socket" \
		    grep -q '^HTTP/1.1 200' <<<"$body"
	fi
	check "shutdown leaves no process and no socket" tree_stop
}

not_grep() { ! tr '\0' '\n' <"$2" | grep -q "$1"; }

# JOURNAL_STREAM set: "<N>name[pid]: " on every line, no timestamp.
t_journal() {
	local bad
	TMP=$(mktemp -d /tmp/actord-it.XXXXXX)
	T_DIRS+=("$TMP")
	write_config
	JOURNAL_STREAM=8:12345 "$ACTORD" -c "$TMP/actord.conf" \
	    >"$TMP/actord.log" 2>&1 &
	ACTORD_PID=$!
	T_PIDS+=("$ACTORD_PID")
	wait_for 10 test -S "$TMP/run/actord.sock" &&
	    ctl -t 10000 wait gateway up >/dev/null ||
	    { not_ok "the tree starts"; return; }
	ctl restart coordinator >/dev/null
	check "JOURNAL_STREAM: actord's lines carry <6> and name[pid]" \
	    grep -qE "^<6>actord\[$ACTORD_PID\]: ready: " "$TMP/actord.log"
	ctl kill worker KILL >/dev/null
	ctl -t 5000 wait worker up >/dev/null
	check "a warning is <4>" grep -qE '^<4>actord\[[0-9]+\]: worker: pid ' \
	    "$TMP/actord.log"
	check "the children's lines too" grep -qE \
	    '^<[0-7]>(eventlog|coordinator|worker)\[[0-9]+\]: ' \
	    "$TMP/actord.log"
	tree_stop >/dev/null
	bad=$(grep -vcE '^<[0-7]>[a-z]+\[[0-9]+\]: ' "$TMP/actord.log")
	check_eq "every line has the prefix" 0 "$bad"
}

if [ ! -x "$BIN/gateway" ]; then
	echo "skip - all: $BIN/gateway is not built yet"
	finish
	exit
fi
if ! command -v python3 >/dev/null; then
	echo "skip - all: python3 (the test's NOTIFY_SOCKET listener) is" \
	    "missing; scripts/bootstrap.sh test installs it"
	finish
	exit
fi
t_ready_after_all_up
t_status_lines
t_reload
t_stopping
t_watchdog
t_watchdog_pid
t_socket_activation
t_journal
finish
