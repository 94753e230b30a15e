#!/bin/bash
# Command kinds end to end: the real tree, the operator's programs (/bin/sh
# scripts written here), tasks through `actorctl send`.  Each program that
# must not survive carries a token unique to this run in its argv, and the
# test looks for it in the process table (pgrep -f) after the task ends.
. "$(dirname "$0")/lib.sh"

SCRIPTS=$(mktemp -d /tmp/actord-cmd.XXXXXX)
T_DIRS+=("$SCRIPTS")
TOKEN=itcmd$$x$RANDOM

# script NAME BODY: an executable /bin/sh script.
script() {
	printf '#!/bin/sh\n%s\n' "$2" >"$SCRIPTS/$1"
	chmod +x "$SCRIPTS/$1"
}

# A process that ignores SIGTERM and says so in its argv: $SCRIPTS/stay-X.
stay() {
	script "stay-$TOKEN-$1" "trap '' TERM
while :; do sleep 0.05; done"
}

stay child
stay grandchild
stay escaped
stay orphan
stay cancelled
stay stopped
script args 'printf "<%s>\n" "$@"; echo "on stderr" >&2'
script exit3 'echo out; echo err >&2; exit 3'
script flood 'head -c 10485760 /dev/zero | tr "\0" "x"; echo " end"'
script binary "printf 'ok\377\376\000z'"
script segv 'kill -SEGV $$'
script closer 'exec >&-; sleep 0.2; echo "still here" >&2'
# A tree that ignores SIGTERM: itself, a child, a grandchild.
script tree "trap '' TERM
$SCRIPTS/stay-$TOKEN-child &
sh -c '$SCRIPTS/stay-$TOKEN-grandchild & wait' &
wait"
# Leaves a process in a session of its own, by a double fork, and exits.
script escape "setsid sh -c '$SCRIPTS/stay-$TOKEN-escaped & exit 0' &
sleep 0.2
echo left"
# First run: a child in its group, then sleeps; later runs: done at once.
script once "if [ -e $SCRIPTS/ran ]; then echo second; exit 0; fi
touch $SCRIPTS/ran
$SCRIPTS/stay-$TOKEN-orphan &
while :; do sleep 0.05; done"
script cancelled "exec $SCRIPTS/stay-$TOKEN-cancelled"
script gone 'exit 0'
script stopped "$SCRIPTS/stay-$TOKEN-stopped &
while :; do sleep 0.05; done"
script noexec 'exit 0'
printf '#!/nonexistent/interpreter\n' >"$SCRIPTS/badinterp"
chmod +x "$SCRIPTS/badinterp"

kind() {
	# kind NAME PROGRAM [KEY=VALUE...]: a [kind.NAME] section's lines.
	local name=$1 prog=$2
	shift 2
	printf '%s\n' "[kind.$name]" "argv = $prog" "env = PATH=/usr/bin:/bin" \
	    "$@"
}

CONF=(
	"$(kind args "$SCRIPTS/args fixed\\ word" "input = args" "max_args = 4")"
	"$(kind exit3 "$SCRIPTS/exit3")"
	"$(kind stdin /bin/cat "input = stdin")"
	"$(kind flood "$SCRIPTS/flood" "max_output_bytes = 4k")"
	"$(kind binary "$SCRIPTS/binary")"
	"$(kind segv "$SCRIPTS/segv")"
	"$(kind closer "$SCRIPTS/closer")"
	"$(kind tree "$SCRIPTS/tree" "timeout_ms = 400" "grace_ms = 300")"
	"$(kind escape "$SCRIPTS/escape")"
	"$(kind once "$SCRIPTS/once")"
	"$(kind cancelled "$SCRIPTS/cancelled" "grace_ms = 200")"
	"$(kind gone "$SCRIPTS/gone")"
	"$(kind noexec "$SCRIPTS/noexec")"
	"$(kind badinterp "$SCRIPTS/badinterp")"
	"$(kind env /usr/bin/env)"
)

send() { ctl -t 5000 send "$@"; }
status() { send coordinator:main GetStatus '{}' | jq -r ".payload | $1"; }
status_is() { [ "$(status "$1" 2>/dev/null)" = true ]; }
until_status() { wait_for "$1" status_is "$2"; }

# task ID: the task as the snapshot's recent list shows it.
task() { status ".recent[] | select(.taskId == \"$1\")"; }
task_done() {
	[ "$(status ".recent[] | select(.taskId == \"$1\") |
	    .status == \"completed\" or .status == \"failed\"")" = true ]
}
# run ID KIND [INPUT]: assign, wait until it ends, print the task.
run() {
	local input=${3:-null}
	send coordinator:main AssignTask \
	    "{\"taskId\":\"$1\",\"kind\":\"$2\",\"input\":$input}" >/dev/null
	wait_for 15 task_done "$1" || echo "# $1 did not end" >&2
	task "$1"
}
# The code of the worker's last failure, from worker.db.
last_code() {
	sqlite3 "$TMP/state/worker.db" \
	    "SELECT last_code FROM workers WHERE id = '$1'"
}
# Nothing with this test's token (or the given pattern) runs any more.
not() { ! "$@"; }
ctl_quiet() { ctl "$@" >/dev/null 2>&1; }
none_left() { ! pgrep -f "${1:-$TOKEN}" >/dev/null; }
running() { pgrep -f "$1" >/dev/null; }

t_results() {
	local r out
	r=$(run a1 args '["a b","c"]')
	check_eq "args: the kind's words, then the task's, each one argument" \
	    '<fixed word>|<a b>|<c>|' "$(jq -j .result.stdout <<<"$r" | tr '\n' '|')"
	check_eq "args: completed, exit 0, stderr captured" \
	    "completed 0 on stderr" \
	    "$(jq -r '"\(.status) \(.result.exitCode) \(.result.stderr)"' \
	    <<<"$r" | tr -d '\n')"
	check_eq "the result's fields" \
	    "durationMs,exitCode,stderr,stdout,truncated" \
	    "$(jq -r '.result | keys | join(",")' <<<"$r")"
	r=$(send coordinator:main AssignTask \
	    '{"taskId":"a2","kind":"args","input":["1","2","3","4","5"]}')
	if [ "$(jq -r .type <<<"$r")" = Error ]; then
		check_eq "five args for four: refused" bad_payload \
		    "$(jq -r .payload.code <<<"$r")"
	else
		wait_for 10 task_done a2
		check_eq "five args for four: the run fails to start" \
		    "failed 'input' has 5 strings; kind args takes at most 4" \
		    "$(task a2 | jq -r '"\(.status) \(.error)"')"
	fi
	r=$(run e1 exit3)
	check_eq "exit 3: failed, 'exit 3', with its output" \
	    "failed exit 3 3 out|err|" \
	    "$(jq -j '"\(.status) \(.error) \(.result.exitCode) \(.result.stdout)\(.result.stderr)"' \
	    <<<"$r" | tr '\n' '|')"
	check_eq "... code exit" exit "$(last_code w1)"
	r=$(run s1 stdin '{"n":[1,2],"s":"é"}')
	check_eq "stdin: the input as JSON" '{"n":[1,2],"s":"é"}' \
	    "$(jq -r .result.stdout <<<"$r")"
	r=$(run g1 segv)
	check_eq "a signal: failed, 'killed by SIGSEGV', exitCode null" \
	    "failed killed by SIGSEGV null SIGSEGV" \
	    "$(jq -r '"\(.status) \(.error) \(.result.exitCode) \(.result.signal)"' \
	    <<<"$r")"
	check_eq "... code signal" signal "$(last_code w1)"
	r=$(run c1 closer)
	check_eq "stdout closed early: it runs on to its exit" \
	    "completed still here" \
	    "$(jq -r '"\(.status) \(.result.stderr)"' <<<"$r" | tr -d '\n')"
	r=$(run v1 env)
	check_eq "the environment: the kind's and the marker, nothing else" \
	    "ACTORD_RUN PATH" \
	    "$(jq -j .result.stdout <<<"$r" | sed 's/=.*//' | sort | tr '\n' ' ' |
	    sed 's/ $//')"
}

# The worker's last outcome: the snapshot leaves results over 1 KiB out.
last() { send worker:w1 GetState | jq '.payload | {status: .lastStatus,
    error: .lastError, result: .lastResult}'; }

t_output() {
	local r out
	run f1 flood >/dev/null
	r=$(last)
	out=$(jq -r .result.stdout <<<"$r")
	check_eq "10 MiB flood: completed, stdout cut" "completed true false" \
	    "$(jq -r '"\(.status) \(.result.truncated.stdout) \(.result.truncated.stderr)"' \
	    <<<"$r")"
	check "... its first and last bytes kept, with a marker between" \
	    grep -Eq '^x{2048}$' <(head -1 <<<"$out")
	check_eq "... the marker counts the bytes cut" \
	    "... [10481669 bytes cut] ..." "$(sed -n 2p <<<"$out")"
	check_eq "... ending with the last bytes" "xxxx end" "${out: -8}"
	check "... the worker's memory stayed small" test \
	    "$(field worker rss_bytes)" -lt $((64 * 1024 * 1024))
	r=$(run b1 binary)
	check_eq "non-UTF-8 stdout: base64, with its encoding" \
	    "completed base64 b2v//gB6" \
	    "$(jq -r '"\(.status) \(.result.stdoutEncoding) \(.result.stdout)"' \
	    <<<"$r")"
	check_eq "... the bytes as written" "$(printf 'ok\377\376\000z' | od -An -tx1)" \
	    "$(jq -r .result.stdout <<<"$r" | base64 -d | od -An -tx1)"
}

t_timeout() {
	local r
	r=$(run t1 tree)
	check_eq "timeout: failed, 'timeout after 400 ms'" \
	    "failed timeout after 400 ms" \
	    "$(jq -r '"\(.status) \(.error)"' <<<"$r")"
	check_eq "... code timeout" timeout "$(last_code w1)"
	check "... took the grace: SIGTERM, then SIGKILL 300 ms later" test \
	    "$(jq .result.durationMs <<<"$r")" -ge 650
	check "... no process of its tree is left, grandchildren included" \
	    wait_for 5 none_left "stay-$TOKEN-.*child"
}

t_escape() {
	local r
	r=$(run x1 escape)
	check_eq "a double fork into a session of its own: completed" \
	    "completed left" \
	    "$(jq -r '"\(.status) \(.result.stdout)"' <<<"$r" | tr -d '\n')"
	check "... what escaped its group is killed at its end" \
	    wait_for 5 none_left "stay-$TOKEN-escaped"
}

t_cancel() {
	local r pid
	send coordinator:main AssignTask '{"taskId":"k1","kind":"cancelled"}' \
	    >/dev/null
	check "cancel: the program runs" wait_for 5 running \
	    "stay-$TOKEN-cancelled"
	r=$(send coordinator:main CancelTask '{"taskId":"k1"}')
	check_eq "... CancelTask: TaskCancelled" TaskCancelled \
	    "$(jq -r .type <<<"$r")"
	check "... its process ignores SIGTERM and is killed after the grace" \
	    wait_for 5 none_left "stay-$TOKEN-cancelled"
	check_eq "... the task stays cancelled" cancelled \
	    "$(task k1 | jq -r .status)"
	r=$(run k2 exit3)
	check_eq "... the worker takes the next task, no report of k1 came" \
	    "failed cancelled" \
	    "$(jq -r .status <<<"$r") $(task k1 | jq -r .status)"
}

t_spawn() {
	local r pid
	pid=$(field worker pid)
	rm "$SCRIPTS/gone"
	r=$(run m1 gone)
	check_eq "a missing program: failed, clearly" \
	    "failed cannot run $SCRIPTS/gone: No such file or directory" \
	    "$(jq -r '"\(.status) \(.error)"' <<<"$r")"
	check_eq "... code spawn" spawn "$(last_code w1)"
	chmod -x "$SCRIPTS/noexec"
	r=$(run m2 noexec)
	check_eq "not executable: failed" \
	    "failed cannot run $SCRIPTS/noexec: Permission denied" \
	    "$(jq -r '"\(.status) \(.error)"' <<<"$r")"
	r=$(run m3 badinterp)
	check_eq "an interpreter that is not there: failed at exec" \
	    "failed cannot run $SCRIPTS/badinterp: No such file or directory" \
	    "$(jq -r '"\(.status) \(.error)"' <<<"$r")"
	check_eq "... and the worker process stayed up" "$pid" \
	    "$(field worker pid)"
	check "a reload while a kind's program is missing is refused" \
	    not ctl_quiet reload
	check "... saying which, at its line" grep -q \
	    "reload: .*actord.conf:[0-9]*: \[kind.gone\] argv: .*: No such file" \
	    "$TMP/actord.log"
}

# SIGHUP: a kind added to the file runs for new tasks.
t_reload() {
	local r
	r=$(send coordinator:main AssignTask '{"taskId":"n0","kind":"added"}')
	check_eq "a kind not in the config: refused" bad_payload \
	    "$(jq -r .payload.code <<<"$r")"
	kind added /bin/echo "input = args" >>"$TMP/actord.conf"
	check "actorctl reload takes the new kind" ctl_quiet reload
	r=$(run n1 added '["fresh"]')
	check_eq "... and new tasks run it" "completed fresh" \
	    "$(jq -j '"\(.status) \(.result.stdout)"' <<<"$r" | tr -d '\n')"
}

t_kill_worker() {
	local pid n
	send coordinator:main AssignTask '{"taskId":"o1","kind":"once"}' \
	    >/dev/null
	check "kill -9 of the worker: its command and child run" wait_for 5 \
	    running "stay-$TOKEN-orphan"
	pid=$(field worker pid)
	kill -KILL "$pid"
	check "... the worker process comes back" ctl -t 5000 wait worker up \
	    "$pid" >/dev/null
	check "... nothing its command started is left" wait_for 5 none_left \
	    "stay-$TOKEN-orphan"
	check "... the task is requeued and completes (attempts 2)" \
	    until_status 10 '.recent[] | select(.taskId == "o1") |
	    .status == "completed" and .attempts == 2 and
	    .result.stdout == "second\n"'
	n=$(send eventlog:main GetEvents '{"limit":1000}' |
	    jq '[.payload.events[].message | select(test("^task o1 completed"))] | length')
	check_eq "... completed once" 1 "$n"
}

# A killed worker that is not restarted: what its command left is
# actord's (a subreaper), and actord ends it when it stops.
t_orphans_at_stop() {
	local pid p
	tree_start "[worker]" "restart = temporary" \
	    "$(kind stopped "$SCRIPTS/stopped")" ||
	    { not_ok "tree starts"; return; }
	send coordinator:main RegisterWorker '{"workerId":"w1"}' >/dev/null
	until_status 5 '.workers[0].status == "idle"'
	send coordinator:main AssignTask '{"taskId":"z1","kind":"stopped"}' \
	    >/dev/null
	check "a command's child runs" wait_for 5 running "stay-$TOKEN-stopped"
	pid=$(field worker pid)
	kill -KILL "$pid"
	p=$(pgrep -f "stay-$TOKEN-stopped" | head -1)
	check "kill -9 of a worker that is not restarted: actord adopts it" \
	    wait_for 5 test "$(ps -o ppid= -p "$p" | tr -d ' ')" = \
	    "$ACTORD_PID"
	check "shutdown leaves no process and no socket" tree_stop
	check "... it ended what the tree left, SIGKILL for what ignored \
SIGTERM" none_left "stay-$TOKEN-stopped"
	check "... and said so" grep -q "ending 1 processes the tree left" \
	    "$TMP/actord.log"
}

# actord -n checks every kind; -p prints them.
t_config() {
	local dir out rc
	dir=$(mktemp -d /tmp/actord-it.XXXXXX)
	T_DIRS+=("$dir")
	printf '%s\n' "[kind.a]" "argv = $SCRIPTS/nowhere" "[kind.b]" \
	    "argv = bin/relative" "[kind.c]" "argv = /bin/true" \
	    "rlimit_nofile = lots" "[kind.d]" "argv = /bin/true" \
	    "program = /bin/false" >"$dir/bad.conf"
	out=$("$ACTORD" -n -c "$dir/bad.conf" 2>&1)
	rc=$?
	check_eq "actord -n on bad kinds exits 100" 100 "$rc"
	check_eq "... each error at its file:line" \
	    "$dir/bad.conf:4: [kind.b] argv = bin/relative: the program must be an absolute path|$dir/bad.conf:7: [kind.c] rlimit_nofile = lots: not an integer|$dir/bad.conf:10: unknown key 'program' in [kind.d]|" \
	    "$(tr '\n' '|' <<<"$out")"
	printf '%s\n' "[kind.a]" "argv = $SCRIPTS/nowhere" >"$dir/missing.conf"
	out=$("$ACTORD" -n -c "$dir/missing.conf" 2>&1)
	check_eq "a missing program: exit 100, at its line" \
	    "100 $dir/missing.conf:2: [kind.a] argv: $SCRIPTS/nowhere: No such file or directory" \
	    "$? $out"
	printf '%s\n' "[kind.ok]" "argv = /bin/echo 'two words'" \
	    "input = args" >"$dir/good.conf"
	check "a good one: exit 0" "$ACTORD" -n -c "$dir/good.conf"
	out=$("$ACTORD" -p -c "$dir/good.conf")
	check "actord -p prints the kind, each key documented" grep -qzP \
	    "\[kind.ok\]\n# [^\n]*\nargv = /bin/echo two\\\\ words\n" <<<"$out"
	check "... and -p's output reads back the same" cmp -s \
	    <("$ACTORD" -p -c <(printf '%s\n' "$out")) <(printf '%s\n' "$out")
}

t_config
tree_start "${CONF[@]}" || { not_ok "tree starts"; finish; exit; }
send coordinator:main RegisterWorker '{"workerId":"w1"}' >/dev/null
until_status 5 '.workers[0].status == "idle"'
t_results
t_output
t_timeout
t_escape
t_cancel
t_reload
t_spawn
t_kill_worker
check "shutdown leaves no process and no socket" tree_stop
check "nothing of any command is left" none_left
t_orphans_at_stop
finish
