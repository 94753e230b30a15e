# Integration test harness, sourced by tests/it_*.sh.
#
# tree_start [CONFIG-LINES]  start a real actord in a fresh temporary dir
#                            (own state and run dirs, gateway on a free
#                            port); CONFIG-LINES are appended to its config
# ctl ARGS...                actorctl against that tree
# field NAME KEY             a process's field from `status --json`
# tree_stop                  shut it down and check nothing is left behind
# ok / not_ok / check ...    record results; finish prints the total
#
# Every process a test starts is killed by the EXIT trap, whatever happens.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
case ${BINDIR:-bin} in
/*) BIN=${BINDIR} ;;
*) BIN=$ROOT/${BINDIR:-bin} ;;
esac
ACTORD=$BIN/actord
ACTORCTL=$BIN/actorctl
T_PASS=0
T_FAIL=0
T_DIRS=()
T_PIDS=()
TMP=
ACTORD_PID=
PORT=

cleanup() {
	local p
	for p in "${T_PIDS[@]}"; do
		pkill -KILL -P "$p" 2>/dev/null
		kill -KILL "$p" 2>/dev/null
	done
	for p in "${T_DIRS[@]}"; do
		rm -rf "$p"
	done
}
trap cleanup EXIT

ok() {
	T_PASS=$((T_PASS + 1))
	echo "ok - $*"
}

not_ok() {
	T_FAIL=$((T_FAIL + 1))
	echo "not ok - $*"
	if [ -n "$TMP" ] && [ -f "$TMP/actord.log" ]; then
		echo "# last lines of actord.log:"
		tail -n 15 "$TMP/actord.log" | sed 's/^/#   /'
	fi
}

# check DESCRIPTION COMMAND...: ok when the command succeeds.
check() {
	local desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

# check_eq DESCRIPTION EXPECTED ACTUAL
check_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1: expected '$2', got '$3'"
	fi
}

finish() {
	echo "$T_PASS passed, $T_FAIL failed"
	[ "$T_FAIL" -eq 0 ]
}

ctl() {
	"$ACTORCTL" -c "$TMP/actord.conf" "$@"
}

# field NAME KEY: one field of one process from status --json.
field() {
	ctl --json status | jq -r --arg n "$1" \
	    ".processes[] | select(.name == \$n) | .$2"
}

# wait_for SECONDS COMMAND...: retry a condition that has no event to
# wait on (a file appearing, a process disappearing) every 10 ms.
wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.01
	done
}

gone() { ! kill -0 "$1" 2>/dev/null; }

# actord made its control socket, or already exited.
started() { test -S "$TMP/run/actord.sock" || gone "$ACTORD_PID"; }

# Write a config for a tree in $TMP; extra lines are appended.
write_config() {
	cat >"$TMP/actord.conf" <<CONF
[actord]
state_dir = $TMP/state
run_dir = $TMP/run
program_dir = ${PROGRAM_DIR:-$BIN}
web_dir = $ROOT/web
log_level = ${LOG_LEVEL:-info}

[gateway]
listen = 127.0.0.1:0
CONF
	local line
	for line in "$@"; do
		printf '%s\n' "$line" >>"$TMP/actord.conf"
	done
}

# tree_start [CONFIG-LINES]: start actord and wait until it is ready.
tree_start() {
	TMP=$(mktemp -d /tmp/actord-it.XXXXXX)
	T_DIRS+=("$TMP")
	write_config "$@"
	"$ACTORD" -c "$TMP/actord.conf" >"$TMP/actord.log" 2>&1 &
	ACTORD_PID=$!
	T_PIDS+=("$ACTORD_PID")
	if ! wait_for 10 started || ! test -S "$TMP/run/actord.sock"; then
		echo "# actord did not create its control socket"
		cat "$TMP/actord.log"
		return 1
	fi
	ctl -t 10000 wait gateway up >/dev/null || return 1
	PORT=$(ctl --json status | jq -r '.listen' | sed 's/.*://')
}

# The pids of every process of the tree: actord, its children, the
# gateway's (the zygote, sessions it fork+exec'd or inherited) and the
# zygote's (the sessions it forked).
tree_pids() {
	echo "$ACTORD_PID"
	pgrep -P "$ACTORD_PID"
	local g z
	g=$(pgrep -P "$ACTORD_PID" -x gateway)
	[ -n "$g" ] || return 0
	pgrep -P "$g"
	for z in $(pgrep -P "$g" -x session-zygote); do
		pgrep -P "$z"
	done
	return 0
}

# tree_stop: orderly shutdown; true when no process and no socket is left.
tree_stop() {
	local pids p
	pids=$(tree_pids)
	ctl shutdown >/dev/null 2>&1 || kill -TERM "$ACTORD_PID" 2>/dev/null
	wait "$ACTORD_PID" 2>/dev/null
	for p in $pids; do
		wait_for 5 gone "$p" || { echo "# pid $p left running"; return 1; }
	done
	if compgen -G "$TMP/run/*.sock" >/dev/null; then
		echo "# sockets left: $(ls "$TMP/run")"
		return 1
	fi
}
