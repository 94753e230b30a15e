#!/bin/bash
# The supervisor tree, end to end: real actord, real children, real sockets.
. "$(dirname "$0")/lib.sh"

CHILDREN="eventlog coordinator worker gateway"

t_status_shows_tree() {
	tree_start || { not_ok "tree starts"; return; }
	local up
	up=$(ctl --json status | jq '[.processes[] | select(.state == "up"
	    and .pid > 0)] | length')
	check_eq "status --json shows the four children up" 4 "$up"
	check_eq "status names them in start order" \
	    "eventlog coordinator worker gateway" \
	    "$(ctl --json status | jq -r '[.processes[].name] | join(" ")')"
	check "ps shows which process is which" \
	    test "$(ps -o comm= -p "$(field coordinator pid)")" = coordinator
	check "actor sockets are 0660 or tighter" \
	    test "$(stat -c %a "$TMP/run/coordinator.sock")" = 660
	check "the control socket is 0600" \
	    test "$(stat -c %a "$TMP/run/actord.sock")" = 600
	check "each actor has its own database" \
	    test -f "$TMP/state/coordinator.db" -a -f "$TMP/state/worker.db" \
	    -a -f "$TMP/state/eventlog.db"
	check "shutdown leaves no process and no socket" tree_stop
}

t_kill_restarts() {
	tree_start || { not_ok "tree starts"; return; }
	local n old new r
	for n in $CHILDREN; do
		old=$(field "$n" pid)
		kill -KILL "$old"
		# A new pid, up, within one second of the kill.
		if ctl -t 1000 wait "$n" up "$old" >/dev/null; then
			new=$(field "$n" pid)
			r=$(field "$n" restarts)
			if [ "$new" != "$old" ] && [ "$r" = 1 ]; then
				ok "kill -9 $n: new pid $new up within 1 s"
			else
				not_ok "kill -9 $n: pid $old -> $new, restarts $r"
			fi
		else
			not_ok "kill -9 $n: not up again within 1 s"
		fi
	done
	check_eq "last exit is reported in words" "killed by SIGKILL" \
	    "$(field worker last_exit)"
	check "shutdown leaves no process and no socket" tree_stop
}

t_intensity() {
	tree_start "[supervisor]" "max_restarts = 3" "max_seconds = 30" \
	    "backoff_initial_ms = 1" || { not_ok "tree starts"; return; }
	local i pid pids rc
	pids=$(tree_pids)
	for i in 1 2 3; do
		pid=$(field coordinator pid)
		kill -KILL "$pid"
		ctl -t 5000 wait coordinator up "$pid" >/dev/null ||
		    not_ok "restart $i"
	done
	# The fourth crash within the window is one too many.
	kill -KILL "$(field coordinator pid)"
	wait "$ACTORD_PID"
	rc=$?
	check "more than max_restarts crashes stop actord with an error" \
	    test "$rc" -ne 0
	check "the log says why" grep -q "more than 3 restarts in 30 s" \
	    "$TMP/actord.log"
	for pid in $pids; do
		wait_for 5 gone "$pid" || { not_ok "pid $pid survives"; return; }
	done
	ok "no process of the tree survives"
}

t_rest_for_one() {
	tree_start "[supervisor]" "strategy = rest_for_one" ||
	    { not_ok "tree starts"; return; }
	local e c w g
	e=$(field eventlog pid)
	c=$(field coordinator pid)
	w=$(field worker pid)
	g=$(field gateway pid)
	kill -KILL "$c"
	ctl -t 5000 wait gateway up "$g" >/dev/null
	ctl -t 5000 wait coordinator up "$c" >/dev/null
	check_eq "rest_for_one leaves the earlier sibling alone" "$e" \
	    "$(field eventlog pid)"
	check "rest_for_one restarts the later siblings" test \
	    "$(field worker pid)" != "$w" -a "$(field gateway pid)" != "$g"
	check_eq "every process is up again" "up up up up" \
	    "$(ctl --json status | jq -r '[.processes[].state] | join(" ")')"
	check "shutdown leaves no process and no socket" tree_stop
}

t_one_for_all() {
	tree_start "[supervisor]" "strategy = one_for_all" ||
	    { not_ok "tree starts"; return; }
	local e g
	e=$(field eventlog pid)
	g=$(field gateway pid)
	kill -KILL "$(field worker pid)"
	ctl -t 5000 wait gateway up "$g" >/dev/null
	check "one_for_all restarts every sibling" test \
	    "$(field eventlog pid)" != "$e"
	check "shutdown leaves no process and no socket" tree_stop
}

t_sigterm() {
	tree_start || { not_ok "tree starts"; return; }
	local pids p rc left=0
	pids=$(tree_pids)
	kill -TERM "$ACTORD_PID"
	wait "$ACTORD_PID"
	rc=$?
	check_eq "SIGTERM: actord exits 0" 0 "$rc"
	for p in $pids; do
		wait_for 5 gone "$p" || left=1
	done
	check_eq "SIGTERM: no process is left" 0 "$left"
	check "SIGTERM: no socket and no pid file is left" \
	    test -z "$(ls "$TMP/run")"
	check "SIGTERM: children were stopped, not killed" \
	    grep -q "coordinator: stopped" "$TMP/actord.log"
}

t_second_actord() {
	tree_start || { not_ok "tree starts"; return; }
	local out rc
	out=$("$ACTORD" -c "$TMP/actord.conf" 2>&1)
	rc=$?
	check_eq "a second actord on the same run dir exits 1" 1 "$rc"
	check "and says another actord is running" \
	    grep -q "another actord (pid $ACTORD_PID) is running" <<<"$out"
	check "the first one is unharmed" ctl status >/dev/null
	check "shutdown leaves no process and no socket" tree_stop
}

t_parent_death() {
	tree_start || { not_ok "tree starts"; return; }
	local pids p left=0
	pids=$(pgrep -P "$ACTORD_PID")
	kill -KILL "$ACTORD_PID"
	for p in $pids; do
		wait_for 5 gone "$p" || left=1
	done
	check_eq "children exit by themselves when actord dies" 0 "$left"
}

t_operator_commands() {
	tree_start || { not_ok "tree starts"; return; }
	local pid out rc
	pid=$(field worker pid)
	out=$(ctl restart worker)
	check "restart waits until the process is up again" \
	    grep -q "^worker: up, pid" <<<"$out"
	check "restart gives a new pid" test "$(field worker pid)" != "$pid"
	ctl stop gateway >/dev/null
	check_eq "stop leaves it down" down "$(field gateway state)"
	check_eq "a stopped child is not restarted" 0 "$(field gateway pid)"
	ctl start gateway >/dev/null
	check_eq "start brings it up" up "$(field gateway state)"
	out=$(ctl restart nosuch 2>&1)
	rc=$?
	check_eq "an unknown name exits 1" 1 "$rc"
	check "an unknown name says so" grep -q "unknown process 'nosuch'" \
	    <<<"$out"
	ctl frobnicate >/dev/null 2>&1
	check_eq "an unknown command exits 100" 100 "$?"
	out=$(ctl --json send coordinator:main Ping '{"n": 42}')
	check_eq "send delivers a message and prints the reply" \
	    "Pong 42" "$(jq -r '"\(.type) \(.payload.n)"' <<<"$out")"
	check "inspect shows the process's counters" \
	    test "$(ctl --json inspect coordinator | jq '.inspect.msgsIn')" -ge 1
	check "shutdown leaves no process and no socket" tree_stop
	ctl status >/dev/null 2>&1
	check_eq "actorctl exits 111 when actord is not running" 111 "$?"
}

t_config_errors() {
	local dir out rc
	dir=$(mktemp -d /tmp/actord-it.XXXXXX)
	T_DIRS+=("$dir")
	printf '[actord]\nlog_level = loud\n[supervisor]\nstrategy = ' \
	    >"$dir/bad.conf"
	printf 'all_for_none\nmax_restarts = -1\n[nosuch]\nx = 1\n' \
	    >>"$dir/bad.conf"
	out=$("$ACTORD" -n -c "$dir/bad.conf" 2>&1)
	rc=$?
	check_eq "actord -n on a bad config exits 100" 100 "$rc"
	check "every error is reported with its file:line" test \
	    "$(grep -cE "^$dir/bad.conf:[0-9]+: " <<<"$out")" -eq 4
	check "the log level error names line 2" \
	    grep -q "bad.conf:2: \[actord\] log_level = loud" <<<"$out"
	printf '[gateway]\nlisten = 127.0.0.1:0\n' >"$dir/good.conf"
	"$ACTORD" -n -c "$dir/good.conf" >/dev/null
	check_eq "actord -n on a good config exits 0" 0 "$?"
}

t_child_config_error() {
	# A child that exits 100 (usage/config error) is not restarted in a
	# loop: at start-up actord gives up with 100 too.
	local pdir rc
	pdir=$(mktemp -d /tmp/actord-it.XXXXXX)
	T_DIRS+=("$pdir")
	for p in eventlog coordinator gateway session; do
		ln -s "$BIN/$p" "$pdir/$p"
	done
	printf '#!/bin/sh\necho "worker: bad config" >&2\nexit 100\n' \
	    >"$pdir/worker"
	chmod +x "$pdir/worker"
	PROGRAM_DIR=$pdir
	TMP=$(mktemp -d /tmp/actord-it.XXXXXX)
	T_DIRS+=("$TMP")
	write_config
	unset PROGRAM_DIR
	timeout 20 "$ACTORD" -c "$TMP/actord.conf" >"$TMP/actord.log" 2>&1
	rc=$?
	check_eq "a child exiting 100 at start-up makes actord exit 100" \
	    100 "$rc"
	check_eq "it was started once, not in a loop" 1 \
	    "$(grep -c "worker: pid .* exited 100" "$TMP/actord.log")"
}

# actord is a subreaper: what a killed child leaves comes back to it.
t_reaps_orphans() {
	LOG_LEVEL=debug tree_start || { not_ok "tree starts"; return; }
	local g z s p
	g=$(field gateway pid)
	z=$(pgrep -P "$g" -x session-zygote)
	s=$(pgrep -P "$z")
	kill -KILL "$g"
	check "kill -9 gateway: actord reaps its zygote (not init)" \
	    wait_for 5 grep -q "reaped pid $z, left behind by the tree" \
	    "$TMP/actord.log"
	check "... and its idle sessions" wait_for 5 grep -qE \
	    "reaped pid ($(tr ' \n' '||' <<<"$s" | sed 's/|*$//')), left behind" \
	    "$TMP/actord.log"
	for p in $z $s; do
		check "... pid $p is not left a zombie" wait_for 5 gone "$p"
	done
	check "the gateway comes back" ctl -t 5000 wait gateway up "$g"
	check "shutdown leaves no process and no socket" tree_stop
}

t_status_shows_tree
t_reaps_orphans
t_kill_restarts
t_intensity
t_rest_for_one
t_one_for_all
t_sigterm
t_second_actord
t_parent_death
t_operator_commands
t_config_errors
t_child_config_error
finish
