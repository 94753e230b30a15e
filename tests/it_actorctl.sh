#!/bin/bash
# Every actorctl command against a real tree: its --json parsed by jq, its
# text output, and its exit code (0 done, 1 failed, 100 usage, 111 actord
# not reachable).
. "$(dirname "$0")/lib.sh"

OUT=
ERR=
RC=

# run CMD...: its stdout in OUT, stderr in ERR, exit code in RC.
run() {
	OUT=$("$@" 2>"$TMP/stderr")
	RC=$?
	ERR=$(cat "$TMP/stderr")
}

# json_ok DESCRIPTION JQ-FILTER: OUT parses as JSON and the filter is true.
json_ok() {
	if jq -e "$2" <<<"$OUT" >/dev/null 2>&1; then
		ok "$1"
	else
		not_ok "$1: $2 on: $(head -c 400 <<<"$OUT")"
	fi
}

# rc_is DESCRIPTION CODE [STDERR-PATTERN]
rc_is() {
	if [ "$RC" = "$2" ] && { [ -z "${3:-}" ] || grep -qE -- "$3" <<<"$ERR"; }
	then
		ok "$1"
	else
		not_ok "$1: exit $RC (want $2), stderr: $ERR"
	fi
}

stand_in_gateway() { cmp -s "$BIN/gateway" "$BIN/worker"; }

t_status() {
	local pid
	run ctl --json status
	rc_is "status --json exits 0" 0
	json_ok "it names the four processes in start order" \
	    '[.processes[].name] == ["eventlog","coordinator","worker","gateway"]'
	json_ok "each: state, pid, uptime, restarts, exit, memory, counters" \
	    '[.processes[] | keys == (["name",
	    "pid", "state", "uptime_ms", "restarts", "last_exit", "rss_bytes",
	    "msgs_in", "msgs_out", "mailbox_bytes", "counters_at"] | sort)] |
	    all'
	json_ok "all up, with a pid, memory and counters as of now" \
	    "[.processes[] | .state == \"up\" and .pid > 0 and .rss_bytes > 0
	    and .msgs_in >= 0 and .msgs_out >= 1 and .mailbox_bytes >= 0 and
	    (.counters_at - $(date +%s%3N) | fabs) < 5000] | all"
	json_ok "and actord itself: pid, state, listen, version, sessions" \
	    ".pid == $ACTORD_PID and .state == \"running\" and
	    .listen == \"127.0.0.1:$PORT\" and (.version | length > 0) and
	    .sessions == 0"
	run ctl status --json
	json_ok "--json is accepted after the command too" '.ok == true'
	run ctl status
	rc_is "status (text) exits 0" 0
	local head='^NAME +STATE +PID +UPTIME +RESTARTS +RSS +MSGS IN/OUT'
	check "its header names the columns, counters and mailbox included" \
	    grep -qE "$head +MAILBOX +LAST EXIT" <<<"$OUT"
	pid=$(field coordinator pid)
	check "one line per process" grep -qE "^coordinator +up +$pid " \
	    <<<"$OUT"
	check "and a line about actord" \
	    grep -qE "^actord .*, pid $ACTORD_PID, .*listening on 127.0.0.1:$PORT" \
	    <<<"$OUT"
}

t_start_stop_restart() {
	local pid new
	run ctl --json stop worker
	rc_is "stop exits 0 once the process is down" 0
	json_ok "and answers with it down" \
	    '.process.name == "worker" and .process.state == "down" and
	    .process.pid == 0'
	sleep 0.3
	check_eq "a stopped process stays down" down "$(field worker state)"
	run ctl stop worker
	rc_is "stop of a stopped process exits 0" 0
	check "and says it is down" grep -q '^worker: down$' <<<"$OUT"
	run ctl --json start worker
	rc_is "start exits 0 once the process is up" 0
	json_ok "and answers with it up" \
	    '.process.state == "up" and .process.pid > 0'
	pid=$(field worker pid)
	run ctl start worker
	rc_is "start of a running process exits 0" 0
	check_eq "and leaves it alone" "$pid" "$(field worker pid)"
	run ctl --json restart worker
	rc_is "restart exits 0 once the process is up again" 0
	new=$(jq .process.pid <<<"$OUT")
	check "restart: a new pid" test "$new" -gt 0 -a "$new" != "$pid"
	check_eq "restart: status agrees" "$new" "$(field worker pid)"
	run ctl restart worker
	check "restart (text) says so" grep -qE '^worker: up, pid [0-9]+$' \
	    <<<"$OUT"
}

t_kill_wait() {
	local pid
	pid=$(field worker pid)
	run ctl --json kill worker
	rc_is "kill (default TERM) exits 0 once the process has exited" 0
	json_ok "and reports its exit" \
	    '.last_exit == "exited 0" or .last_exit == "killed by SIGTERM"'
	run ctl -t 5000 --json wait worker up "$pid"
	rc_is "wait NAME up PID: it is restarted with a new pid" 0
	json_ok "wait answers with the process" \
	    ".process.state == \"up\" and .process.pid != $pid"
	pid=$(field worker pid)
	run ctl --json kill worker KILL
	rc_is "kill NAME KILL exits 0" 0
	json_ok "the exit says SIGKILL" '.last_exit == "killed by SIGKILL"'
	ctl -t 5000 wait worker up "$pid" >/dev/null
	pid=$(field worker pid)
	run ctl kill worker 9
	rc_is "a signal by number" 0
	check "kill (text) says how it ended" \
	    grep -q '^worker: killed by SIGKILL; now' <<<"$OUT"
	ctl -t 5000 wait worker up "$pid" >/dev/null
	pid=$(field worker pid)
	run ctl --json kill worker SIGHUP
	rc_is "a signal that does not end it: exits 0 at once" 0
	json_ok "the process goes on" ".process.pid == $pid and
	    .process.state == \"up\""
	run ctl kill worker NOSUCH
	rc_is "an unknown signal exits 1" 1 'unknown signal'
	run ctl wait worker up
	rc_is "wait for a state it is in returns at once" 0
	run ctl -t 300 wait worker failed
	rc_is "wait that times out exits 1, saying so" 1 \
	    'timed out \(state up\)'
	ctl stop worker >/dev/null
	run ctl kill worker
	rc_is "kill of a stopped process exits 1" 1 'not running'
	ctl start worker >/dev/null
}

t_unknown_name() {
	local c
	for c in start stop restart kill inspect; do
		run ctl "$c" nosuch
		rc_is "$c nosuch: exit 1, naming the known processes" 1 \
		    "unknown process 'nosuch' \(known: eventlog, coordinator,"
	done
	run ctl wait nosuch up
	rc_is "wait nosuch: exit 1" 1 "unknown process 'nosuch'"
}

# A WebSocket to the gateway on fd 5: true on 101 Switching Protocols.
ws_open() {
	local line
	exec 5<>"/dev/tcp/127.0.0.1/$PORT" || return 1
	printf '%s\r\n' "GET /ws HTTP/1.1" "Host: 127.0.0.1:$PORT" \
	    "Origin: http://127.0.0.1:$PORT" "Upgrade: websocket" \
	    "Connection: Upgrade" \
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==" \
	    "Sec-WebSocket-Version: 13" "" >&5
	IFS= read -r -t 5 line <&5 || return 1
	[[ $line == "HTTP/1.1 101"* ]]
}

sessions_are() {
	[ "$(ctl --json sessions | jq '.sessions | length')" = "$1" ]
}

t_sessions() {
	run ctl --json sessions
	rc_is "sessions --json exits 0" 0
	json_ok "it lists the sessions: none yet" '.sessions == []'
	run ctl sessions
	check "sessions (text) has its header" \
	    grep -qE '^ID +PID +PEER +AGE +MSGS IN +MSGS OUT' <<<"$OUT"
	if stand_in_gateway; then
		echo "skip - a live session in sessions: bin/gateway is a stand-in"
		return
	fi
	if ! ws_open; then
		not_ok "a WebSocket to the gateway opens"
		return
	fi
	wait_for 5 sessions_are 1
	run ctl --json sessions
	json_ok "an open WebSocket is a session: id, pid, peer, age, counters" \
	    '.sessions | length == 1 and (.[0] | (.id | length > 0) and
	    .pid > 0 and (.peer | startswith("127.0.0.1")) and .ageMs >= 0
	    and .msgsIn >= 0 and .msgsOut >= 0)'
	check_eq "status counts it" 1 "$(ctl --json status | jq .sessions)"
	exec 5>&-
	check "a closed one goes away" wait_for 5 sessions_are 0
}

t_inspect() {
	local k
	for k in eventlog coordinator worker; do
		run ctl --json inspect "$k"
		rc_is "inspect $k exits 0" 0
		json_ok "inspect $k: counters, mailbox and the actor's summary" \
		    ".inspect | .msgsIn >= 0 and .msgsOut >= 1 and
		    .mailboxBytes >= 0 and .unsentBytes >= 0 and
		    .[\"$k\"].dbBytes > 0"
	done
	OUT=$(ctl --json inspect coordinator)
	json_ok "inspect coordinator: queue lengths and worker counts" \
	    '.inspect.coordinator | has("queueLength") and has("workers")'
	run ctl inspect coordinator
	json_ok "inspect (text) prints the summary as JSON" \
	    '.coordinator.dbBytes > 0'
	ctl stop worker >/dev/null
	run ctl inspect worker
	rc_is "inspect of a stopped process exits 1" 1 'not running'
	ctl start worker >/dev/null
}

t_send() {
	run ctl --json send coordinator:main Ping '{"n": 42}'
	rc_is "send exits 0 with the reply" 0
	json_ok "and prints the reply: type, from, replyTo, payload" \
	    '.type == "Pong" and .from == "coordinator:main" and
	    (.replyTo | length > 0) and .payload.n == 42'
	run ctl send eventlog:main GetEvents '{"limit": 1}'
	json_ok "send (text) prints the reply as JSON too" \
	    '.type == "Events" and (.payload.events | type == "array")'
	run ctl send coordinator:main Ping
	json_ok "the payload defaults to {}" '.type == "Pong"'
	run ctl --json send worker:nosuch-actor Ping
	rc_is "send exits 1 when the actor answers Error" 1
	json_ok "an Error reply is printed like any other" \
	    '.type == "Error" and .payload.code == "unknown_actor"'
	run ctl send nosuch:main Ping
	rc_is "send to an unknown kind exits 1" 1 'no actor process'
	run ctl send coordinator:main NoSuchType
	rc_is "send of an unknown type exits 1" 1 'unknown message type'
	run ctl send nocolon Ping
	rc_is "send to a malformed address exits 1" 1 'bad address'
	run ctl send coordinator:main Ping '{bad'
	rc_is "send with bad JSON is a usage error: 100" 100 'bad JSON'
	ctl stop coordinator >/dev/null
	run ctl send coordinator:main Ping
	rc_is "send to a stopped process exits 1" 1 'not running'
	ctl start coordinator >/dev/null
}

subscribers_are() {
	[ "$(ctl --json inspect eventlog |
	    jq '.inspect.eventlog.subscribers')" = "$1" ]
}

t_logs() {
	local pid f fpid line
	pid=$(field worker pid)
	ctl restart worker >/dev/null
	run ctl --json logs -n 1
	rc_is "logs -n 1 --json exits 0" 0
	check_eq "logs -n 1: one event" 1 "$(grep -c . <<<"$OUT")"
	json_ok "an event per line: seq, timestamp, level, source, message" \
	    ".seq > 0 and .timestamp > 0 and .level == \"info\" and
	    .source == \"system:supervisor\" and
	    .message == \"worker (pid $pid) stopped\""
	run ctl logs -n 3
	rc_is "logs -n 3 exits 0" 0
	check_eq "logs -n 3: three lines" 3 "$(grep -c . <<<"$OUT")"
	line='^ *[0-9]+ [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z [a-z]+ +[a-z]+:'
	check "each: seq, UTC time, level, source, message" test -z \
	    "$(grep -vE "$line[a-z-]+ +.+" <<<"$OUT")"
	f=$TMP/follow
	ctl --json logs -n 0 -f >"$f" 2>&1 &
	fpid=$!
	T_PIDS+=("$fpid")
	if ! wait_for 5 subscribers_are 1; then
		not_ok "logs -f subscribes to the event log"
		return
	fi
	pid=$(field worker pid)
	kill -KILL "$pid"
	check "logs -f prints new events as they come" wait_for 5 grep -q \
	    "\"message\":\"worker (pid $pid) killed by SIGKILL\"" "$f"
	kill "$fpid"
	wait "$fpid" 2>/dev/null
	check "logs -f: nothing but events" test -z \
	    "$(jq -c 'select(.seq == null)' "$f" 2>&1)"
	ctl -t 5000 wait worker up "$pid" >/dev/null
	run ctl logs -n 1 -x
	rc_is "logs with a bad option: 100" 100
}

t_reload() {
	local conf=$TMP/actord.conf sock=$TMP/run/actord.sock pid
	cp "$conf" "$TMP/orig.conf"
	# A log level for one process: its old process gets SIGHUP, logs at
	# debug from then on, and says so when it is stopped.
	printf '\n[coordinator]\nlog_level = debug\n' >>"$conf"
	run ctl reload
	rc_is "reload of a good config exits 0" 0
	check_eq "and says so" reloaded "$OUT"
	pid=$(field coordinator pid)
	ctl restart coordinator >/dev/null
	check "[coordinator] log_level applies to that process at once" \
	    grep -qE "^.* coordinator\[$pid\]: debug: " "$TMP/actord.log"
	check "but not to actord" \
	    not_grep "actord\[$ACTORD_PID\]: debug: " "$TMP/actord.log"
	sed -i 's/^log_level = info$/log_level = debug/' "$conf"
	run ctl --json reload
	rc_is "reload --json exits 0" 0
	json_ok "and answers ok" '.ok == true'
	ctl restart worker >/dev/null
	check "[actord] log_level applies to actord" \
	    grep -q "actord\[$ACTORD_PID\]: debug: worker: " "$TMP/actord.log"
	# A broken config: refused whole, with every error, exit 1.  actorctl
	# reaches actord by its socket: it could not read the broken file.
	printf '[supervisor]\nstrategy = all_for_none\nmax_restarts = x\n' \
	    >>"$conf"
	run "$ACTORCTL" -s "$sock" reload
	rc_is "reload of a broken config exits 1" 1 'the config has errors'
	check "and prints every error with its file:line" test \
	    "$(grep -cE "^  $conf:[0-9]+: " <<<"$ERR")" -eq 2
	check_eq "the running tree is untouched" "up up up up" \
	    "$("$ACTORCTL" -s "$sock" --json status |
	    jq -r '[.processes[].state] | join(" ")')"
	run ctl reload
	rc_is "actorctl itself refuses a broken -c config: 100" 100 \
	    'all_for_none'
	cp "$TMP/orig.conf" "$conf"
	run ctl reload
	rc_is "the fixed config reloads" 0
}

not_grep() { ! grep -q "$@"; }

t_version() {
	local v
	v=$("$ACTORD" -V | awk '{ print $2 }')
	run ctl --json version
	rc_is "version --json exits 0" 0
	json_ok "it has actord's version and the protocol" \
	    ".version == \"$v\" and .protocol >= 1"
	run ctl version
	check_eq "version (text): actorctl's and actord's" \
	    "actorctl $v|actord $v (protocol $(jq .protocol < <(ctl --json \
	    version)))" "$(paste -sd '|' <<<"$OUT")"
	run "$ACTORCTL" -V
	rc_is "actorctl -V needs no actord" 0
	check_eq "and prints its version" "actorctl $v" "$OUT"
}

# A task's status, from task get --json.
task_status() {
	ctl --json task get "$1" | jq -r .status
}

status_is() { [ "$(task_status "$1")" = "$2" ]; }

t_workers() {
	local id
	run ctl worker list
	rc_is "worker list of a tree without workers: exit 0" 0
	check_eq "a header and no row" 1 "$(wc -l <<<"$OUT")"
	run ctl task submit echo '{"value": 1}' --id ctl-early
	rc_is "a task submitted with no worker: exit 0" 0 \
	    'no worker is registered: ctl-early waits in its queue'
	check_eq "it is queued" "ctl-early: queued, position 1" "$OUT"
	run ctl worker add ctl-w0
	rc_is "worker add: exit 0" 0
	check_eq "it says so" "worker ctl-w0 registered" "$OUT"
	check "the waiting task runs on it" wait_for 5 status_is ctl-early \
	    completed
	run ctl --json worker list
	json_ok "worker list --json: the worker, idle, with its task done" \
	    'length == 1 and .[0].workerId == "ctl-w0" and
	    .[0].status == "idle" and .[0].processedCount == 1'
	run ctl worker list
	check "worker list: its row" grep -qE \
	    '^ctl-w0 +- +idle +- +1$' <<<"$OUT"
	run ctl worker add ctl-w9 --host elsewhere
	rc_is "worker add --host without a cluster: exit 1" 1 \
	    'no cluster is configured \(bad_payload\)'
	run ctl worker remove ctl-nobody
	rc_is "worker remove of an unknown worker: exit 1" 1 \
	    'Unknown worker: ctl-nobody \(unknown_actor\)'
	run ctl worker remove ctl-w0
	rc_is "worker remove: exit 0" 0
	run ctl --json worker list
	json_ok "and it is gone from the list" 'length == 0'
	ctl task delete ctl-early >/dev/null
	for id in "frob" "add" "add a b" "remove" "list x" "add a --queue q"; do
		# shellcheck disable=SC2086
		run ctl worker $id
		rc_is "worker $id: usage, 100" 100 usage
	done
}

t_tasks() {
	local id f wpid a b
	ctl send coordinator:main RegisterWorker '{"workerId": "ctl-w1"}' \
	    >/dev/null
	run ctl task submit echo '{"value": "hi there"}' --wait
	rc_is "task submit --wait of a task that completes: exit 0" 0
	id=$(head -1 <<<"$OUT" | cut -d: -f1)
	check_eq "it says so, with the attempts" \
	    "$id: completed after 1 attempt" "$(head -1 <<<"$OUT")"
	check_eq "and prints the result as JSON" '"hi there"' \
	    "$(tail -n +2 <<<"$OUT")"
	run ctl --json task submit echo '{"value": [1, "two"]}' --wait
	rc_is "task submit --wait --json: exit 0" 0
	json_ok "--json prints TaskFinished: status, result, attempts" \
	    '.status == "completed" and .result == [1, "two"] and
	    .attempts == 1 and (.taskId | length > 0)'
	run ctl task submit fail '{"message": "boom"}' --wait
	rc_is "task submit --wait of a task that fails: exit 1" 1
	check "it says how it failed" grep -qE \
	    '^[^ ]+: failed after 1 attempt: boom$' <<<"$OUT"
	run ctl --json task submit sleep '{"ms": 10}' --queue ctl-q \
	    --priority 7 --id ctl-sleep
	rc_is "task submit (no wait) exits 0 at once" 0
	json_ok "--json prints TaskAccepted" \
	    '.taskId == "ctl-sleep" and (.status == "assigned" or
	    .status == "queued")'
	ctl task watch ctl-sleep >/dev/null
	run ctl --json task get ctl-sleep
	rc_is "task get --json: exit 0" 0
	json_ok "the record: kind, queue, priority, input, result, history" \
	    '.kind == "sleep" and .queue == "ctl-q" and .priority == 7 and
	    .input == {"ms": 10} and .result == {"sleptMs": 10} and
	    (.history | length == 1 and .[0].status == "completed" and
	    .[0].workerId == "ctl-w1")'
	run ctl task get ctl-sleep
	check "task get (text): one line per field" grep -qE \
	    '^status +completed$' <<<"$OUT"
	check "its input and result as JSON" grep -qE \
	    '^result +\{"sleptMs":10\}$' <<<"$OUT"
	check "and a table of its attempts" grep -qE \
	    '^ +1 ctl-w1 +[0-9-]+ [0-9:]+ [0-9-]+ [0-9:]+ completed' <<<"$OUT"
	run ctl task get no-such-task
	rc_is "task get of an unknown id: exit 1, not_found" 1 \
	    'Unknown task: no-such-task \(not_found\)'
	run ctl task submit no-such-kind
	rc_is "task submit of an unknown kind: exit 1, naming the field" 1 \
	    "'kind'"
	run ctl task submit sleep --priority 12
	rc_is "a priority out of range: exit 1, naming the field" 1 \
	    "'priority'"
	run ctl task submit sleep '{bad'
	rc_is "task submit with bad JSON: 100" 100 'bad JSON'
	run ctl task submit sleep --priority high
	rc_is "a number that is not one: 100" 100 'not a whole number'

	run ctl --json task list --limit 2
	rc_is "task list --json: exit 0" 0
	json_ok "--limit 2: two tasks, newest first, and a cursor" \
	    '(.tasks | length == 2) and .tasks[0].taskId == "ctl-sleep" and
	    (.nextCursor | type == "string")'
	a=$(ctl --json task list --limit 4 | jq -c '[.tasks[].taskId]')
	b=$(ctl --json task list --limit 2 --cursor "$(jq -r .nextCursor \
	    <<<"$OUT")" | jq -c '[.tasks[].taskId]')
	check_eq "--cursor goes on where a page ended" "$a" \
	    "$(jq -c --argjson p "$(jq -c '[.tasks[].taskId]' <<<"$OUT")" \
	    '$p + .' <<<"$b")"
	run ctl --json task list --all
	json_ok "--all: every task, and no cursor" \
	    '(.tasks | length == 4) and .nextCursor == null'
	run ctl --json task list --status failed
	json_ok "--status failed: the failed one" \
	    '[.tasks[].status] == ["failed"]'
	run ctl --json task list --kind echo --queue default
	json_ok "--kind and --queue" \
	    '(.tasks | length == 2) and ([.tasks[].kind] | unique == ["echo"])'
	run ctl --json task list --worker ctl-w1 --limit 500
	json_ok "--worker" '(.tasks | length == 4)'
	run ctl task list
	check "task list (text): a header" grep -qE \
	    '^TASK +STATUS +KIND +QUEUE +PRI +ATT +WORKER +CREATED' <<<"$OUT"
	check "and a line per task" grep -qE \
	    '^ctl-sleep +completed +sleep +ctl-q +7 +1 +ctl-w1 ' <<<"$OUT"
	run ctl task list --status nonsense
	rc_is "task list --status of no status: exit 1" 1 "'status'"

	# watch: the end of a running task, across a coordinator restart.
	ctl task submit sleep '{"ms": 2500}' --id ctl-long >/dev/null
	f=$TMP/watch.out
	ctl task watch ctl-long >"$f" 2>&1 &
	wpid=$!
	T_PIDS+=("$wpid")
	check "task watch says what it waits for" wait_for 5 grep -qx \
	    'ctl-long: running, worker ctl-w1, attempt 1; watching it' "$f"
	ctl restart coordinator >/dev/null
	wait "$wpid"
	check_eq "task watch across a coordinator restart: exit 0" 0 "$?"
	check "it watched again when the coordinator came back" grep -q \
	    '^the coordinator is back; ctl-long: running' "$f"
	check "it prints the end and the result" grep -qx \
	    'ctl-long: completed after 1 attempt' "$f"
	ctl task submit sleep '{"ms": 60000}' --id ctl-60 >/dev/null
	run ctl -t 300 task watch ctl-60
	rc_is "task watch -t: exit 1 when it has not ended in time" 1 \
	    'has not ended within 300 ms'
	ctl task submit sleep '{"ms": 60000}' --wait --id ctl-w >"$f" 2>&1 &
	wpid=$!
	T_PIDS+=("$wpid")
	wait_for 5 status_is ctl-w queued
	run ctl task cancel ctl-w
	rc_is "task cancel of a queued task: exit 0" 0
	check_eq "it says so" "ctl-w: cancelled" "$OUT"
	wait "$wpid"
	check_eq "task submit --wait of a task cancelled meanwhile: exit 1" \
	    1 "$?"
	check "and says it was cancelled" grep -qx \
	    'ctl-w: cancelled after 0 attempts' "$f"
	run ctl task delete ctl-60
	rc_is "task delete of a running task: exit 1" 1 'cancel it first'
	run ctl task retry ctl-60
	rc_is "task retry of a running task: exit 1" 1 \
	    'only a failed or cancelled task'
	ctl task cancel ctl-60 >/dev/null
	run ctl task retry ctl-60
	rc_is "task retry of a cancelled task: exit 0" 0
	check "it is queued or running again" grep -qE \
	    '^ctl-60: (queued|assigned) again' <<<"$OUT"
	ctl task cancel ctl-60 >/dev/null
	run ctl task delete ctl-60
	rc_is "task delete of a finished task: exit 0" 0
	check_eq "it says so" "ctl-60: deleted" "$OUT"
	run ctl task get ctl-60
	rc_is "a deleted task is gone" 1 'not_found'
	id=$(ctl --json task list --status failed | jq -r '.tasks[0].taskId')
	run ctl task watch "$id"
	rc_is "task watch of a task that failed: exit 1 at once" 1
	run ctl --json task retry "$id"
	rc_is "task retry --json of a failed task: exit 0" 0
	json_ok "prints TaskAccepted" ".taskId == \"$id\""

	run ctl queue pause default
	rc_is "queue pause: exit 0" 0
	check "it says how the queue stands" grep -qE \
	    '^queue default: paused; [0-9]+ queued, [0-9]+ running' <<<"$OUT"
	ctl task submit echo '"later"' --id ctl-paused >/dev/null
	check_eq "a task of a paused queue waits" queued \
	    "$(task_status ctl-paused)"
	run ctl -t 300 --json task watch ctl-paused
	rc_is "task watch past -t: exit 1" 1 'has not ended within 300 ms'
	json_ok "and --json prints the failure as JSON" \
	    '.ok == false and (.error | test("ctl-paused has not ended"))'
	run ctl --json queue resume default
	rc_is "queue resume --json: exit 0" 0
	json_ok "prints QueueState" '.queue == "default" and .paused == false'
	run ctl task watch ctl-paused
	rc_is "and the task runs" 0
	run ctl queue pause no-such-queue
	rc_is "queue pause of an unknown queue: exit 1" 1 'Unknown queue'
	ctl task submit echo '{"value": "a string"}' --id ctl-str --wait \
	    >/dev/null
	run ctl task get ctl-str
	check "a string result quoted, as task watch prints it" \
	    grep -qxE 'result +"a string"' <<<"$OUT"

	ctl stop coordinator >/dev/null
	run ctl task list
	rc_is "task list with the coordinator down: exit 1" 1 \
	    'coordinator is not running \(state down\)'
	run ctl --json task get ctl-paused
	rc_is "task get --json with the coordinator down: exit 1" 1
	json_ok "and prints actord's refusal as JSON" \
	    '.ok == false and (.error | test("coordinator is not running"))'
	run ctl task watch ctl-paused
	rc_is "task watch with the coordinator down: exit 1" 1 'not running'
	ctl start coordinator >/dev/null
	ctl send coordinator:main UnregisterWorker '{"workerId": "ctl-w1"}' \
	    >/dev/null
}

t_usage() {
	local args
	while IFS= read -r args; do
		# shellcheck disable=SC2086
		run ctl $args
		rc_is "usage error: actorctl ${args:-(nothing)}: 100" 100 \
		    'usage: actorctl'
	done <<'ARGS'

frobnicate
status extra
start
stop a b
kill
kill worker TERM extra
wait worker
send coordinator:main
logs -x
-t 0 status
-x status
task
task frob
task get
task get a b
task list extra
task list --frob
task submit
task submit echo 1 2
task watch
task retry
queue
queue pause
queue frob q
ARGS
	run ctl --help
	rc_is "--help exits 0" 0
	check "--help lists the exit codes" grep -q \
	    '100 usage error, 111 cannot reach actord' <<<"$OUT"
	for args in "task submit --help" "task list -h" "worker add x --help"
	do
		# shellcheck disable=SC2086
		run ctl $args
		rc_is "actorctl $args: the help on stdout, exit 0" 0
		check "... which is the usage" grep -q '^usage: actorctl' <<<"$OUT"
	done
	run ctl task list --limit 0
	rc_is "task list --limit 0: 100, saying why" 100 \
	    '--limit: 0 lists nothing'
	run ctl task submit sleep --priority -1
	rc_is "task submit --priority -1: 100, saying why" 100 \
	    "--priority: '-1' is not a whole number from 0 up"
}

# complete WORDS...: what dist/actorctl.bash offers for the last word, on
# one line, for a command line against this tree (or the given -s).
complete_line() {
	# shellcheck disable=SC2016
	bash -c '. "$1"; shift; COMP_WORDS=("$@")
	    COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _actorctl
	    echo "${COMPREPLY[*]}"' _ "$ROOT/dist/actorctl.bash" "$ACTORCTL" "$@"
}

t_completion() {
	local here=(-c "$TMP/actord.conf")
	check_eq "completion: the commands" "task" "$(complete_line ta)"
	check_eq "completion: the process names" \
	    "eventlog coordinator worker link gateway" \
	    "$(complete_line "${here[@]}" restart '')"
	check_eq "completion: a process state" "backoff" \
	    "$(complete_line wait worker b)"
	check_eq "completion: the task commands" "retry" \
	    "$(complete_line task r)"
	check "completion: the tree's task ids" grep -qw ctl-sleep \
	    <<<"$(complete_line "${here[@]}" task get '')"
	check "completion: the tree's kinds" grep -qw echo \
	    <<<"$(complete_line "${here[@]}" task submit '')"
	ctl worker add ctl-c1 >/dev/null
	check_eq "completion: the tree's workers" "ctl-c1" \
	    "$(complete_line "${here[@]}" worker remove '')"
	check_eq "completion: a worker for --worker" "ctl-c1" \
	    "$(complete_line "${here[@]}" task list --worker '')"
	ctl worker remove ctl-c1 >/dev/null
	check_eq "completion: a status" "failed" \
	    "$(complete_line task list --status fa)"
	check_eq "completion: options of task submit" "--worker --wait" \
	    "$(complete_line task submit echo --w)"
	check_eq "completion: nothing from a tree that is not there" "" \
	    "$(complete_line -s "$TMP/none.sock" worker remove '')"
}

t_permissions() {
	local sock=$TMP/run/actord.sock
	if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null; then
		echo "skip - control socket permissions: needs root and setpriv"
		return
	fi
	chmod 755 "$TMP"
	run setpriv --reuid=65534 --regid=65534 --clear-groups \
	    "$ACTORCTL" -s "$sock" status
	rc_is "another user cannot open actord.sock (0600): 111" 111 \
	    'Permission denied'
	chmod 666 "$sock"
	run setpriv --reuid=65534 --regid=65534 --clear-groups \
	    "$ACTORCTL" -s "$sock" status
	chmod 600 "$sock"
	rc_is "nor get through if the mode is opened: SO_PEERCRED: 111" 111
	check "actord logs the refusal" \
	    grep -q "control socket: refused uid 65534" "$TMP/actord.log"
}

t_shutdown() {
	local pids p left=0 c
	pids=$(tree_pids)
	run ctl --json shutdown
	rc_is "shutdown exits 0 once the tree is down" 0
	json_ok "and answers with actord's exit code" \
	    '.ok == true and .exit_code == 0'
	wait "$ACTORD_PID"
	check_eq "actord exited 0" 0 "$?"
	for p in $pids; do
		wait_for 5 gone "$p" || left=1
	done
	check_eq "no process of the tree is left" 0 "$left"
	for c in status "start worker" "stop worker" "restart worker" \
	    "kill worker" "wait worker up" sessions "inspect worker" \
	    "send coordinator:main Ping" logs reload version shutdown \
	    "task list" "task get t1" "task submit echo" "queue pause q" \
	    "worker list"; do
		# shellcheck disable=SC2086
		run ctl $c
		rc_is "actord not running: $c exits 111" 111 \
		    'cannot reach actord'
	done
}

if [ ! -x "$BIN/gateway" ]; then
	echo "skip - all: $BIN/gateway is not built yet"
	finish
	exit
fi
tree_start || { not_ok "the tree starts"; finish; exit; }
t_status
t_start_stop_restart
t_kill_wait
t_unknown_name
t_sessions
t_inspect
t_send
t_logs
t_workers
t_tasks
t_completion
t_reload
t_version
t_usage
t_permissions
t_shutdown
finish
