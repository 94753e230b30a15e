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
#   sessions            hold no listening socket and no database
#
# The uid checks need root (setpriv to nobody); without it they are
# skipped and say so.
. "$(dirname "$0")/lib.sh"

SEC=$ROOT/tests/ws/security.mjs
HOLD_PID=

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

t_session_reach() {
	local sid spid f listening bad="" fds
	tree_start || { not_ok "tree starts"; return; }
	node "$SEC" hold "$PORT" 30000 >"$TMP/hold.out" 2>&1 &
	HOLD_PID=$!
	held() { grep -q sessionId "$TMP/hold.out"; }
	wait_for 10 held
	sid=$(head -1 "$TMP/hold.out" | jq -r .sessionId)
	listed() {
		spid=$(ctl --json sessions | jq -r --arg i "$sid" \
		    '.sessions[] | select(.id == $i) | .pid')
		[ -n "$spid" ]
	}
	if ! wait_for 5 listed; then
		not_ok "a session to look at"
		return
	fi
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
	kill -KILL "$HOLD_PID" 2>/dev/null
	wait "$HOLD_PID" 2>/dev/null
	HOLD_PID=
	check "shutdown leaves no process and no socket" tree_stop
}

t_messages
t_control_socket
t_front_door
t_files
t_session_reach
finish
