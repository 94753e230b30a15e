#!/bin/bash
# Security: who can reach what (docs/security.md is the threat model).
#
#   WebSocket clients   every INTERNAL and SERVER type of common/msgtypes.h
#                       is `forbidden`, to every kind of actor; the system
#                       actor answers only GetTree, Subscribe, Unsubscribe
#                       and Ping
#   system.sock         control operations and the tree's own internal
#                       messages, framed straight onto the socket: refused,
#                       nothing applied, the tree unchanged
#   control socket      mode 0600; another uid is refused by the mode,
#                       and by SO_PEERCRED when the mode lets it connect
#   front door          Origin allow-list and access token when set
#   static files        nothing outside web_dir: dot segments, their
#                       percent-encodings, encoded slashes, backslashes,
#                       symlinks leading out
#   sessions            hold no listening socket and no database; run
#                       sandboxed (no new privileges, a seccomp filter of
#                       their own, not dumpable), serve clients through an
#                       actor's restart all the same; `sandbox = no` turns
#                       it off
#   control socket      refuses a process running under the gateway
#   a session's code    a session process running an attacker's code
#                       (tests/probe_session.c, started by the gateway as
#                       a session): no socket, no connect; its connections,
#                       which the gateway made, refuse every internal type
#                       (ProcessTask, TaskCompleted, StartWorker, the rest)
#                       and a Hello with another name, stamp its own name
#                       on what it sends, and stay up; the running task,
#                       the worker, the coordinator and the client's
#                       session beside it are untouched
#
# The uid checks need root (setpriv to nobody); without it they are
# skipped and say so.  session/sandbox.c's own refusals (files, exec,
# fork, ptrace, signals, sockets) are unit-tested by check_sandbox.
. "$(dirname "$0")/lib.sh"

SEC=$ROOT/tests/ws/security.mjs
PROBE=$ROOT/${BUILD:-build/rel}/tests/probe_session
HOLD_PID=
SPID=

sec_cleanup() {
	[ -n "$HOLD_PID" ] && kill -KILL "$HOLD_PID" 2>/dev/null
	cleanup
}
trap sec_cleanup EXIT

skip() { ok "$* # SKIP"; }
ctl_quiet() { ctl "$@" >/dev/null; }
pids() { ctl --json status | jq -c '[.processes[] | .pid]'; }

# probe WHAT ARGS...: the helper's JSON line in $OUT.
probe() {
	OUT=$(node "$SEC" "$@" 2>&1 | tail -1)
	jq -e 'has("error") | not' <<<"$OUT" >/dev/null 2>&1 || {
		not_ok "security.mjs $1: $OUT"
		OUT='{}'
		return 1
	}
}
j() { jq -r "$1" <<<"$OUT"; }

# as_nobody COMMAND...: run as uid/gid 65534 with no groups.
as_nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
}

t_messages() {
	tree_start || { not_ok "tree starts"; return; }
	local before
	before=$(pids)
	probe types "$PORT" && {
		echo "# $(j .internal) internal and $(j .server) server types," \
		    "$(j .asked) requests"
		check_eq "every INTERNAL and SERVER type, to every kind: forbidden" \
		    "" "$(j '.notForbidden[:3] | join("; ")')"
	}
	check_eq "system:supervisor from a client: these four, the rest forbidden" \
	    "GetTree=TreeUpdated Ping=Pong Subscribe=Subscribed Unsubscribe=Unsubscribed" \
	    "$(j '.system | to_entries | map(select(.value != "forbidden")) |
	    map("\(.key)=\(.value)") | join(" ")')"

	probe system "$TMP/run/system.sock" && {
		check_eq "system.sock: every control operation is forbidden" "" \
		    "$(j '.answers | to_entries | map(select((.key |
		    startswith("Ctl")) and .value != "forbidden")) |
		    map("\(.key)=\(.value)") | join(" ")')"
		check_eq "system.sock: no internal type is applied (refused or dropped)" \
		    "" "$(j '.answers | to_entries |
		    map(select(.value != "forbidden" and .value !=
		    "unknown_type" and .value != "none")) |
		    map("\(.key)=\(.value)") | join(" ")')"
		check_eq "system.sock: SessionsChanged cannot fake the sessions" \
		    forbidden "$(j .answers.SessionsChanged)"
		check_eq "system.sock: GetTree works" TreeUpdated \
		    "$(j .getTree)"
		check_eq "system.sock: nothing is relayed to other actors" \
		    unknown_actor "$(j .relay)"
		check_eq "system.sock: an oversize frame drops the connection" \
		    true "$(j .oversizeDropped)"
	}
	check_eq "the tree is untouched: same processes" "$before" "$(pids)"
	check_eq "actord is still running" running \
	    "$(ctl --json status | jq -r .state)"
	check "shutdown leaves no process and no socket" tree_stop
}

t_control_socket() {
	local rc
	tree_start || { not_ok "tree starts"; return; }
	check_eq "actord.sock is mode 0600" 600 \
	    "$(stat -c %a "$TMP/run/actord.sock")"
	check_eq "actord.sock belongs to actord's user" "$(id -u)" \
	    "$(stat -c %u "$TMP/run/actord.sock")"
	check_eq "the actor sockets are 0660" "660 660 660 660" \
	    "$(stat -c %a "$TMP"/run/{coordinator,worker,eventlog,system}.sock |
	    xargs)"
	if [ "$(id -u)" != 0 ] || ! as_nobody true 2>/dev/null; then
		skip "another uid is refused (needs root for setpriv)"
		check "shutdown leaves no process and no socket" tree_stop
		return
	fi
	# Let nobody reach the directory, so that the socket's own mode
	# is what refuses it.
	chmod 0755 "$TMP" "$TMP/run"
	as_nobody "$ACTORCTL" -s "$TMP/run/actord.sock" status \
	    >"$TMP/nobody.out" 2>&1
	rc=$?
	check_eq "uid 65534: actorctl cannot connect (exit 111)" 111 "$rc"
	check "... refused by the socket's mode" grep -q \
	    'Permission denied' "$TMP/nobody.out"
	for s in coordinator system; do
		as_nobody "$ACTORCTL" -s "$TMP/run/$s.sock" status \
		    >/dev/null 2>&1
		check_eq "uid 65534 cannot connect to $s.sock either" 111 "$?"
	done
	check "shutdown leaves no process and no socket" tree_stop

	# A mode that lets anyone connect: SO_PEERCRED still refuses.
	tree_start "[actord]" "control_mode = 0666" ||
	    { not_ok "tree starts"; return; }
	chmod 0755 "$TMP" "$TMP/run"
	check_eq "control_mode = 0666 gives a 0666 socket" 666 \
	    "$(stat -c %a "$TMP/run/actord.sock")"
	as_nobody "$ACTORCTL" -s "$TMP/run/actord.sock" -t 2000 shutdown \
	    >"$TMP/nobody.out" 2>&1
	check "uid 65534 connects, but shutdown is refused (SO_PEERCRED)" \
	    test $? -ne 0
	check "actord logs the refused uid" grep -q \
	    'control socket: refused uid 65534' "$TMP/actord.log"
	check_eq "and the tree still runs" running \
	    "$(ctl --json status | jq -r .state)"
	check "root (the same uid) is served" ctl_quiet version
	check "shutdown leaves no process and no socket" tree_stop
}

t_front_door() {
	tree_start "[gateway]" \
	    "allowed_origins = http://good.example https://dash.example:8443" \
	    "access_token = tok-123" || { not_ok "tree starts"; return; }
	local t
	up() { probe upgrade "$PORT" "$@" && j .status; }
	check_eq "no Origin, no token: 401" 401 "$(up /ws)"
	check_eq "an allowed Origin without the token: 401" 401 \
	    "$(up /ws 'Origin: http://good.example')"
	check_eq "a WWW-Authenticate: Bearer with the 401" true \
	    "$(probe upgrade "$PORT" /ws && j '.head |
	    test("\r\nWWW-Authenticate: Bearer"; "i")')"
	check_eq "the token in the query, allowed Origin: 101" 101 \
	    "$(up '/ws?token=tok-123' 'Origin: http://good.example')"
	check_eq "the token as a Bearer header: 101" 101 \
	    "$(up /ws 'Origin: https://dash.example:8443' \
	    'Authorization: Bearer tok-123')"
	check_eq "percent-encoded token: 101" 101 \
	    "$(up '/ws?x=1&token=tok%2D123')"
	for t in tok-12 tok-1234 TOK-123 '' 'tok-123%00'; do
		check_eq "a wrong token ('$t'): 401" 401 \
		    "$(up "/ws?token=$t" 'Origin: http://good.example')"
	done
	check_eq "a wrong Bearer token: 401" 401 \
	    "$(up /ws 'Authorization: Bearer tok-124')"
	check_eq "a foreign Origin, with the token: 403" 403 \
	    "$(up '/ws?token=tok-123' 'Origin: http://evil.example')"
	for t in http://good.example.evil.com http://good.example:80 \
	    https://good.example null http://dash.example:8443; do
		check_eq "Origin $t: 403" 403 \
		    "$(up '/ws?token=tok-123' "Origin: $t")"
	done
	check_eq "Origin compares without case, as origins do: 101" 101 \
	    "$(up '/ws?token=tok-123' 'Origin: HTTP://GOOD.EXAMPLE')"
	check_eq "no Origin (not a browser) with the token: 101" 101 \
	    "$(up '/ws?token=tok-123')"
	check_eq "the token guards /echo too" 401 "$(up /echo)"
	check_eq "files and /healthz need no token" "200 200" \
	    "$(curl -s -o /dev/null -o /dev/null -w '%{http_code} ' \
	    "http://127.0.0.1:$PORT/" "http://127.0.0.1:$PORT/healthz" |
	    xargs)"
	check "shutdown leaves no process and no socket" tree_stop
}

t_files() {
	local w p code body n=0
	w=$(mktemp -d /tmp/actord-web.XXXXXX)
	T_DIRS+=("$w")
	mkdir -p "$w/web/sub"
	echo '<h1>ok</h1>' >"$w/web/index.html"
	echo inner >"$w/web/sub/inner.txt"
	echo hidden >"$w/web/.hidden"
	echo SECRET-OUTSIDE >"$w/secret.txt"
	ln -s /etc "$w/web/etc"
	ln -s /etc/passwd "$w/web/passwd"
	ln -s ../secret.txt "$w/web/up"
	ln -s "$w/secret.txt" "$w/web/abs"
	ln -s sub/inner.txt "$w/web/inlink"
	tree_start "[actord]" "web_dir = $w/web" ||
	    { not_ok "tree starts"; return; }
	get() {
		curl -s --path-as-is -o "$TMP/body" -w '%{http_code}' \
		    "http://127.0.0.1:$PORT$1"
	}
	check_eq "/sub/inner.txt is served" 200 "$(get /sub/inner.txt)"
	check_eq "a symlink that stays inside web_dir is served" 200 \
	    "$(get /inlink)"
	for p in /../secret.txt /../../../../../etc/passwd \
	    /sub/../../secret.txt /%2e%2e/secret.txt /%2E%2E/secret.txt \
	    /.%2e/secret.txt /%2e./secret.txt /sub/%2e%2e/%2e%2e/secret.txt \
	    /%2e%2e%2fsecret.txt /sub%2f..%2f..%2fsecret.txt \
	    /..%2fsecret.txt /..%5csecret.txt '/..\secret.txt' \
	    /%252e%252e/secret.txt //etc/passwd /etc/passwd /etc/hostname \
	    /passwd /up /abs /.hidden /%2ehidden /sub/ /sub '/%00' \
	    /index.html%00.txt /sub/inner.txt/ '/sub//inner.txt' \
	    /%c0%ae%c0%ae/secret.txt /./index.html; do
		code=$(get "$p")
		body=$(cat "$TMP/body" 2>/dev/null)
		n=$((n + 1))
		case $code in
		4??) ;;
		*) not_ok "GET $p: $code"; continue ;;
		esac
		case $body in
		*SECRET*|*root:*) not_ok "GET $p: leaked $body" ;;
		esac
	done
	ok "$n paths that leave web_dir, hide, or are not files: all 4xx," \
	    "nothing leaked"
	# The absolute form of the request target, on a raw connection.
	exec 5<>"/dev/tcp/127.0.0.1/$PORT"
	printf 'GET http://x/../../etc/passwd HTTP/1.1\r\nHost: x\r\n%s' \
	    $'Connection: close\r\n\r\n' >&5
	check_eq "an absolute-form target: 400" "HTTP/1.1 400 Bad Request" \
	    "$(head -1 <&5 | tr -d '\r')"
	exec 5<&-
	check "shutdown leaves no process and no socket" tree_stop
}

# hold_session: open one WebSocket session and keep it; its pid in SPID.
hold_session() {
	local sid
	node "$SEC" hold "$PORT" 30000 >"$TMP/hold.out" 2>&1 &
	HOLD_PID=$!
	held() { grep -q sessionId "$TMP/hold.out"; }
	wait_for 10 held || return 1
	sid=$(head -1 "$TMP/hold.out" | jq -r .sessionId)
	listed() {
		SPID=$(ctl --json sessions | jq -r --arg i "$sid" \
		    '.sessions[] | select(.id == $i) | .pid')
		[ -n "$SPID" ]
	}
	wait_for 5 listed
}

release_session() {
	kill -KILL "$HOLD_PID" 2>/dev/null
	wait "$HOLD_PID" 2>/dev/null
	HOLD_PID=
}

t_session_reach() {
	local spid f listening bad="" fds
	tree_start || { not_ok "tree starts"; return; }
	if ! hold_session; then
		not_ok "a session to look at"
		return
	fi
	spid=$SPID
	# Every listening socket on the machine, by inode.
	listening=$(awk 'NR > 1 && $4 == "0A" { print $10 }' \
	    /proc/net/tcp /proc/net/tcp6; awk 'NR > 1 &&
	    $4 == "00010000" { print $7 }' /proc/net/unix)
	fds=$(ls "/proc/$spid/fd" | wc -l)
	for f in /proc/"$spid"/fd/*; do
		f=$(readlink "$f")
		case $f in
		socket:*)
			grep -qx "${f//[^0-9]/}" <<<"$listening" &&
			    bad+=" listener $f"
			;;
		*.db|*.db-wal|*.db-shm|"$TMP"/state*) bad+=" $f" ;;
		esac
	done
	check_eq "a session holds no listening socket and no database" "" \
	    "$bad"
	check "... and few descriptors ($fds)" test "$fds" -le 12
	check_eq "sessions run as actord's user (see docs/security.md)" \
	    "$(stat -c %u "/proc/$ACTORD_PID")" \
	    "$(stat -c %u "/proc/$spid")"
	release_session
	check "shutdown leaves no process and no socket" tree_stop
}

# status PID FIELD: a field of /proc/PID/status.
status() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

# as_user COMMAND...: run as the tree's user, without root's capabilities
# (which read any process's memory): nobody when we are root.
as_user() {
	if [ "$(id -u)" = 0 ]; then as_nobody "$@"; else "$@"; fi
}

# peek PID: read the process's environment as another process of its user
# would; only a dumpable process lets it.
peek() { as_user head -c 1 "/proc/$1/environ" >/dev/null 2>&1; }

# sandbox_tree [CONFIG-LINES]: tree_start, as nobody when we are root, so
# that peek compares like with like.  The programs are copied where nobody
# can run them: the checkout may sit in a directory only root can enter
# (a CI clone in a mktemp -d).
sandbox_tree() {
	local a=$ACTORD w p
	if [ "$(id -u)" = 0 ]; then
		w=$(mktemp -d /tmp/actord-as.XXXXXX)
		T_DIRS+=("$w")
		mkdir "$w/bin"
		for p in actord eventlog coordinator worker gateway session; do
			cp "$BIN/$p" "$w/bin/$p" || return 1
		done
		cat >"$w/actord" <<SH
#!/bin/sh
d=\$(dirname "\$2")
mkdir "\$d/state" "\$d/run" && chown 65534:65534 "\$d/state" "\$d/run" &&
    chmod 755 "\$d" || exit 111
exec setpriv --reuid=65534 --regid=65534 --clear-groups "$w/bin/actord" "\$@"
SH
		chmod 755 "$w" "$w/bin" "$w/actord"
		ACTORD=$w/actord
	fi
	PROGRAM_DIR=${w:+$w/bin} tree_start "$@"
	local rc=$?
	ACTORD=$a
	return $rc
}

# The session's sandbox (session/sandbox.c) as the kernel reports it,
# against its gateway's state: the tree may itself run under a filter (a
# container's, the unit's), so a session must have one filter more.
t_sandbox() {
	local gw
	sandbox_tree || { not_ok "tree starts"; return; }
	gw=$(field gateway pid)
	if ! hold_session; then
		not_ok "a session to look at"
		return
	fi
	check_eq "a session has NoNewPrivs" 1 "$(status "$SPID" NoNewPrivs)"
	check_eq "a session is under a seccomp filter" 2 \
	    "$(status "$SPID" Seccomp)"
	check_eq "... one more than its gateway" \
	    "$(($(status "$gw" Seccomp_filters) + 1))" \
	    "$(status "$SPID" Seccomp_filters)"
	check "a session is not dumpable: its user cannot read its memory" \
	    test "$(peek "$SPID"; echo $?)" != 0
	check "... as it can the gateway's" peek "$gw"
	release_session
	probe reconnect "$PORT" "$ACTORCTL" "$TMP/actord.conf" && {
		check_eq "a sandboxed session starts with SessionEstablished" \
		    SessionEstablished "$(j .first)"
		check_eq "Ping to coordinator:main through it" Pong \
		    "$(j .before)"
		check_eq "... and again after a coordinator restart" Pong \
		    "$(j .after)"
	}
	check "shutdown leaves no process and no socket" tree_stop

	sandbox_tree "[session]" "sandbox = no" ||
	    { not_ok "tree starts"; return; }
	gw=$(field gateway pid)
	if ! hold_session; then
		not_ok "a session to look at"
		return
	fi
	check_eq "sandbox = no: no filter of the session's own" \
	    "$(status "$gw" Seccomp_filters)" \
	    "$(status "$SPID" Seccomp_filters)"
	check "sandbox = no: dumpable" peek "$SPID"
	release_session
	check "shutdown leaves no process and no socket" tree_stop
}

# A process under the gateway asks actord to shut down: the gateway runs
# a `session` that calls actorctl before it execs the real one (a
# sandboxed session could not exec actorctl; the ancestry is the same).
t_control_from_gateway() {
	local d p out
	d=$(mktemp -d /tmp/actord-prog.XXXXXX)
	T_DIRS+=("$d")
	for p in coordinator worker eventlog gateway; do
		ln -s "$BIN/$p" "$d/$p"
	done
	cat >"$d/session" <<SH
#!/bin/sh
"$ACTORCTL" -c "\$ACTORD_CONFIG" -t 2000 status >"$d/st.\$\$" 2>&1
echo "exit \$?" >>"$d/st.\$\$"
"$ACTORCTL" -c "\$ACTORD_CONFIG" -t 2000 shutdown >"$d/ctl.\$\$" 2>&1
echo "exit \$?" >>"$d/ctl.\$\$"
exec "$BIN/session" "\$@"
SH
	chmod 755 "$d/session"
	PROGRAM_DIR=$d tree_start || { not_ok "tree starts"; return; }
	answered() { compgen -G "$d/ctl.*" >/dev/null &&
	    grep -q '^exit ' "$d"/ctl.*; }
	if ! wait_for 10 answered; then
		not_ok "actorctl under the gateway ran"
		check "shutdown leaves no process and no socket" tree_stop
		return
	fi
	out=$(cat "$(compgen -G "$d/ctl.*" | head -1)")
	check_eq "actorctl shutdown under the gateway: refused (exit 1)" \
	    "exit 1" "$(tail -1 <<<"$out")"
	check "... with the reason" grep -q \
	    'refused: this process is the gateway or runs under it' \
	    <<<"$out"
	out=$(cat "$(compgen -G "$d/st.*" | head -1)")
	check_eq "actorctl status under the gateway: refused (exit 1)" \
	    "exit 1" "$(tail -1 <<<"$out")"
	check "actord logs the refusal" grep -q \
	    'control socket: refused pid [0-9]*: it is the gateway' \
	    "$TMP/actord.log"
	check_eq "the tree still runs" running \
	    "$(ctl --json status | jq -r .state)"
	check "actorctl from outside the tree is served" ctl_quiet version
	check "shutdown leaves no process and no socket" tree_stop
}

# A session running an attacker's code.  The program slot runs the real
# session for the zygote and for the sessions it forks, and the probe for
# the first session the gateway fork+execs once the probe's details are
# written: the gateway does that while its zygote is down, so the test
# kills the zygote and has a client take the pool's session, whose refill
# is then the probe.  It has exactly a session's privileges: the
# descriptors the gateway gave it, the sandbox (it links session/sandbox.c),
# the same uid.
t_forged() {
	local d p r
	if [ ! -x "$PROBE" ]; then
		not_ok "$PROBE is built (make tests)"
		return
	fi
	d=$(mktemp -d /tmp/actord-prog.XXXXXX)
	T_DIRS+=("$d")
	for p in coordinator worker eventlog gateway; do
		ln -s "$BIN/$p" "$d/$p"
	done
	cat >"$d/session" <<SH
#!/bin/sh
[ "\$1" = -z ] && exec "$BIN/session" "\$@"
if [ -f "$d/probe.env" ] && mkdir "$d/probe.once" 2>/dev/null; then
	exec env \$(cat "$d/probe.env") "$PROBE" "\$@"
fi
exec "$BIN/session" "\$@"
SH
	chmod 755 "$d/session"
	PROGRAM_DIR=$d tree_start "[gateway]" "session_pool = 1" ||
	    { not_ok "tree starts"; return; }
	local before
	before=$(pids)
	probe forge "$PORT" "$d" "$ACTORCTL" "$TMP/actord.conf" \
	    "$TMP/actord.log" || { tree_stop; return; }
	r='.report'
	check_eq "the victim's task runs on w1" "Accepted sec-sleep" \
	    "$(j '"\(.assign | sub("Task"; "")) \(.running)"')"
	check "the probe reported (it ran as a session)" \
	    test "$(j "$r != null")" = true
	check_eq "in the probe: socket(2), socketpair(2), connect(2) refused" \
	    "EPERM EPERM EPERM EPERM" "$(j "$r.sandbox | [.socketUnix,
	    .socketInet, .socketpair, .connect] | join(\" \")")"
	check_eq "... its connections to the four actors made by the gateway" \
	    "true true true true" "$(j "$r.connections | [.coordinator,
	    .worker, .eventlog, .system] | map(tostring) | join(\" \")")"
	check_eq "ProcessTask, TaskCompleted, StartWorker from it: forbidden" \
	    "forbidden forbidden forbidden" "$(j "$r.forged | [.ProcessTask,
	    .TaskCompleted, .StartWorker] | join(\" \")")"
	echo "# $(j "$r.swept") more messages a client may not send, to" \
	    "every actor"
	check_eq "... every internal one forbidden, every reply dropped" "" \
	    "$(j "$r.notRefused[:3] | join(\"; \")")"
	check "... and there were (at least 100)" test "$(j "$r.swept")" -ge 100
	check_eq "a Ping from another session's address: the Pong is its own" \
	    "$(j "$r.self")" "$(j "$r.pongTo")"
	check_eq "after Hello as the worker and others, the worker ran its task" \
	    "completed after-hello 0" "$(j "$r.assignAfterHello |
	    [.status, .result, .processTaskHere] | map(tostring) |
	    join(\" \")")"
	check_eq "each connection still serves it, nothing unasked came" \
	    "true true true true 0 0 0 0" "$(j "[$r.stillUp[], $r.unasked[]] |
	    map(tostring) | join(\" \")")"
	check_eq "a second Ready, as the victim: its next connection is its own" \
	    "$(j "$r.self")" "$(j "$r.gateway.pongToAfterReady")"
	check_eq "no connection to session, gateway, client or an unknown kind" \
	    "null null null null" "$(j "$r.gateway | [.session, .gateway,
	    .client, .nosuch] | map(tostring) | join(\" \")")"
	echo "# twenty ConnectActor at once: $(j "$r.gateway.burstGiven") given," \
	    "$(j "$r.gateway.burstRefused") refused"
	check "twenty ConnectActor at once: some given, the rest refused" \
	    test "$(j "$r.gateway | .burstGiven >= 1 and .burstGiven <= 16 and
	    .burstRefused >= 4")" = true
	check_eq "... the last one given serves, the older replaced" true \
	    "$(j "$r.gateway.lastServes")"
	check_eq "the victim is still served, and sees its own replies" \
	    "Pong StatusUpdated" "$(j '"\(.victimPing) \(.victimStatus)"')"
	check_eq "the running task ends as the worker ran it, not as forged" \
	    'completed {"sleptMs":3000}' \
	    "$(j '.sleepFinished | "\(.status) \(.result | tojson)"')"
	check_eq "no forged task ran, no forged worker exists" \
	    "false false unknown_actor" "$(j '"\(.recent | index("forged-run")
	    != null) \(.workers | index("forged-w") != null) \(.forgedWorker)"')"
	check "w1 never ran the forged task" test \
	    "$(j '.w1.lastTask')" != forged-run
	check_eq "the other client's session serves" Pong "$(j .otherPing)"
	check "the probe session ended cleanly (no failed idle session)" \
	    test -z "$(grep 'idle session [0-9]* ' "$TMP/actord.log")"
	check "the runtime logs the first refusal" grep -q \
	    "sent ProcessTask, which a client may not send: refused" \
	    "$TMP/actord.log"
	check_eq "the tree is untouched: same processes" "$before" "$(pids)"
	check "shutdown leaves no process and no socket" tree_stop
}

t_messages
t_forged
t_control_socket
t_front_door
t_files
t_session_reach
t_sandbox
t_control_from_gateway
finish
