#!/bin/bash
# make install into a DESTDIR, run the installed tree from there (paths from
# its config, not from the source tree), check the units with systemd-analyze
# and the syscall filter against what the tree really calls, make uninstall.
. "$(dirname "$0")/lib.sh"

BUILD_DIR=${BUILD:-build/rel}
T_SKIP=0

skip() {
	T_SKIP=$((T_SKIP + 1))
	echo "skip - $*"
}

quiet() { "$@" >/dev/null 2>&1; }

# make in the source tree, for the programs under test ($BIN), unaffected
# by the flags of a make that may be running this test.
mk() {
	local san=()

	[ "$BUILD_DIR" = build/san ] && san=(SANITIZE=1)
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$ROOT" \
	    --no-print-directory "${san[@]}" BINDIR="$BIN" BUILD="$BUILD_DIR" \
	    PREFIX=/usr DESTDIR="$D" "$@"
}

# The keys of an actord config as "section.key", one per line, sorted;
# commented-out keys ("#key = v") count.
conf_keys() {
	awk '/^#?\[.*\]$/ { s = $0; sub(/^#/, "", s)
	    s = substr(s, 2, length(s) - 2); next }
	    /^#?[a-z_]+ =/ { k = $1; sub(/^#/, "", k); print s "." k }' "$@" |
	    sort
}

# The keys actord.conf(5) lists, as "section.key"; [kind.NAME]'s come as
# -p's commented template when no kind is configured.
man_keys() {
	awk '/^\.Ss "\\&\[/ { s = $2; gsub(/"|\\&|\[|\]/, "", s); next }
	    /^\.It Ic / && s != "" { print s "." $3 }' "$1" | sort
}

D=$(mktemp -d /tmp/actord-inst.XXXXXX)
T_DIRS+=("$D")
chmod 755 "$D"
P=$D/usr/libexec/actord

t_install() {
	local f out
	out=$(mk install 2>&1)
	check_eq "make install DESTDIR PREFIX=/usr succeeds" 0 "$?"
	[ -x "$D/usr/sbin/actord" ] || { echo "$out"; return 1; }
	for f in usr/sbin/actord usr/bin/actorctl usr/libexec/actord/coordinator \
	    usr/libexec/actord/worker usr/libexec/actord/eventlog \
	    usr/libexec/actord/gateway usr/libexec/actord/session; do
		check "installs $f, mode 755" \
		    test "$(stat -c %a "$D/$f" 2>/dev/null)" = 755
	done
	for f in usr/share/actord/web/index.html etc/actord/actord.conf \
	    usr/share/actord/actord.conf.sample \
	    usr/share/man/man8/actord.8 usr/share/man/man8/actorctl.8 \
	    usr/share/man/man5/actord.conf.5 \
	    usr/lib/systemd/system/actord.service \
	    usr/lib/systemd/system/actord.socket \
	    usr/share/bash-completion/completions/actorctl; do
		check "installs $f, mode 644" \
		    test "$(stat -c %a "$D/$f" 2>/dev/null)" = 644
	done
	check_eq "installs every dashboard file" \
	    "$(cd "$ROOT/web" && find . -type f ! -name '*.md' | sort)" \
	    "$(cd "$D/usr/share/actord/web" && find . -type f | sort)"
	check "the installed programs are the ones built" \
	    cmp -s "$BIN/coordinator" "$P/coordinator"
	return 0
}

t_config() {
	local c=$D/etc/actord/actord.conf
	check "the sample config is valid" quiet "$D/usr/sbin/actord" -n -c "$c"
	check_eq "it lists every key of actord -p" \
	    "$("$D/usr/sbin/actord" -p | conf_keys)" "$(conf_keys "$c")"
	check_eq "it sets the installed paths, and nothing else" \
	    "state_dir = /var/lib/actord
run_dir = /run/actord
program_dir = /usr/libexec/actord
web_dir = /usr/share/actord/web" "$(grep -E '^[a-z_]+ =' "$c")"
	check "every key has its doc line and default" test \
	    "$(grep -cE '^# .*\(default: .*\)$' "$c")" -eq \
	    "$(conf_keys "$c" | wc -l)"
}

t_man() {
	local m=$D/usr/share/man page cmd missing=
	check_eq "actord.conf(5) lists exactly the keys of actord -p" \
	    "$("$D/usr/sbin/actord" -p | conf_keys)" \
	    "$(man_keys "$m/man5/actord.conf.5")"
	for page in man8/actord.8 man8/actorctl.8 man5/actord.conf.5; do
		check_eq "$page formats without warnings" "" \
		    "$(groff -mandoc -Tutf8 -ww -z "$m/$page" 2>&1)"
	done
	check "the installed man pages name the installed paths" \
	    grep -q '^\.It Pa /etc/actord/actord.conf$' "$m/man8/actord.8"
	for cmd in $("$D/usr/bin/actorctl" --help |
	    sed -n '/^Commands:/,/^$/s/^  \([a-z]\+\) .*/\1/p'); do
		grep -q "^\.It Cm $cmd\( \|$\)" "$m/man8/actorctl.8" ||
		    missing="$missing $cmd"
	done
	check_eq "actorctl(8) describes every command of actorctl --help" \
	    "" "$missing"
}

# Run the installed tree with a config that points into the DESTDIR.
t_run() {
	local pid exe bad=0 body
	TMP=$(mktemp -d /tmp/actord-it.XXXXXX)
	T_DIRS+=("$TMP")
	cat >"$TMP/actord.conf" <<CONF
[actord]
state_dir = $TMP/state
run_dir = $TMP/run
program_dir = $P
web_dir = $D/usr/share/actord/web

[gateway]
listen = 127.0.0.1:0
CONF
	ACTORCTL=$D/usr/bin/actorctl
	(cd / && exec "$D/usr/sbin/actord" -c "$TMP/actord.conf") \
	    >"$TMP/actord.log" 2>&1 &
	ACTORD_PID=$!
	T_PIDS+=("$ACTORD_PID")
	if ! wait_for 10 test -S "$TMP/run/actord.sock" ||
	    ! ctl -t 10000 wait gateway up >/dev/null; then
		not_ok "the installed actord starts its tree"
		return
	fi
	PORT=$(ctl --json status | jq -r .listen | sed 's/.*://')
	check_eq "the installed tree: status shows 4 up" 4 \
	    "$(ctl --json status | jq '[.processes[] |
	    select(.state == "up")] | length')"
	for pid in $(pgrep -P "$ACTORD_PID"); do
		exe=$(readlink "/proc/$pid/exe")
		[[ $exe == "$P"/* ]] || { bad=1; echo "# pid $pid runs $exe"; }
	done
	check_eq "every child runs from the installed program_dir" 0 "$bad"
	if cmp -s "$BIN/gateway" "$BIN/worker"; then
		skip "the dashboard from web_dir: bin/gateway is a stand-in"
	else
		body=$(exec 3<>"/dev/tcp/127.0.0.1/$PORT" &&
		    printf 'GET / HTTP/1.0\r\nHost: x\r\n\r\n' >&3 &&
		    timeout 5 cat <&3)
		check "the gateway serves the installed dashboard" \
		    grep -q '<html' <<<"$body"
	fi
	check "the installed tree shuts down cleanly" tree_stop
	ACTORCTL=$BIN/actorctl
}

# systemd-analyze verify on the installed units.  The executables the unit
# names are under DESTDIR, so a copy is checked with ExecStart= pointing
# there, and the man pages of Documentation= are looked up there too.
t_units() {
	local v out rc score
	if ! command -v systemd-analyze >/dev/null; then
		skip "systemd-analyze verify: not installed" \
		    "(scripts/bootstrap.sh test installs systemd)"
		skip "systemd-analyze security: not installed"
		return
	fi
	v=$(mktemp -d /tmp/actord-unit.XXXXXX)
	T_DIRS+=("$v")
	printf '[Service]\nExecStart=/bin/true\n' >"$v/probe.service"
	if ! out=$(systemd-analyze verify --man=no "$v/probe.service" 2>&1); then
		skip "systemd-analyze verify cannot run here: $out"
		skip "systemd-analyze security: cannot run here"
		return
	fi
	sed -e "s|=/usr/sbin/actord |=$D/usr/sbin/actord |" \
	    "$D/usr/lib/systemd/system/actord.service" >"$v/actord.service"
	cp "$D/usr/lib/systemd/system/actord.socket" "$v/"
	out=$(MANPATH=$D/usr/share/man systemd-analyze verify \
	    "$v/actord.service" "$v/actord.socket" 2>&1)
	rc=$?
	check_eq "systemd-analyze verify accepts the units, no warning" \
	    "0:" "$rc:$out"
	out=$(systemd-analyze security --offline=true "$v/actord.service" 2>&1)
	score=$(sed -n 's/.*Overall exposure level for [a-z.]*: \([0-9.]*\).*/\1/p' \
	    <<<"$out")
	if [ -z "$score" ]; then
		skip "systemd-analyze security --offline: no score: $out"
		return
	fi
	echo "# systemd-analyze security: exposure $score"
	check "the unit's exposure is at most 2.0 (got $score)" \
	    awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }'
	grep -q "exposure level.*$score" "$ROOT/docs/operations.md" ||
	    echo "# note: docs/operations.md does not record score $score"
}

# Every syscall of a run is allowed by the unit's SystemCallFilter=: run
# the installed tree as an unprivileged user under strace and compare.
expand_set() {
	case $1 in
	@*) ;;
	*) echo "$1"; return ;;	# a single call, not a set
	esac
	systemd-analyze syscall-filter "$1" | sed -e 1d -e 's/^ *//' \
	    -e '/^#/d' -e '/^$/d' | while read -r s; do
		case $s in
		@*) expand_set "$s" ;;
		*) echo "$s" ;;
		esac
	done
}

t_syscalls() {
	local a unit allow deny used extra set
	unit=$D/usr/lib/systemd/system/actord.service
	if ! command -v strace >/dev/null ||
	    ! command -v systemd-analyze >/dev/null; then
		skip "syscall audit: needs strace and systemd-analyze"
		return
	fi
	if [ "$(id -u)" -ne 0 ]; then
		skip "syscall audit: needs root to run the tree as nobody"
		return
	fi
	if [ "$BUILD_DIR" = build/san ]; then
		skip "syscall audit: the sanitizers' runtime makes calls of its" \
		    "own (LeakSanitizer even ptraces)"
		return
	fi
	if ! strace -qq -o /dev/null true 2>/dev/null; then
		skip "syscall audit: strace cannot trace here (ptrace denied)"
		return
	fi
	a=$(mktemp -d /tmp/actord-it.XXXXXX)
	T_DIRS+=("$a")
	chmod 755 "$a"
	mkdir "$a/run" "$a/state"
	chown nobody "$a/run" "$a/state"
	TMP=$a
	cat >"$TMP/actord.conf" <<CONF
[actord]
state_dir = $TMP/state
run_dir = $TMP/run
program_dir = $P
web_dir = $D/usr/share/actord/web

[gateway]
listen = 127.0.0.1:0
CONF
	ACTORCTL=$D/usr/bin/actorctl
	(cd / && exec strace -f -qq -u nobody -o "$TMP/strace.out" \
	    "$D/usr/sbin/actord" -c "$TMP/actord.conf") \
	    >"$TMP/actord.log" 2>&1 &
	ACTORD_PID=$!
	T_PIDS+=("$ACTORD_PID")
	if ! wait_for 20 test -S "$TMP/run/actord.sock" ||
	    ! ctl -t 20000 wait gateway up >/dev/null; then
		not_ok "the tree starts under strace"
		return
	fi
	PORT=$(ctl --json status | jq -r .listen | sed 's/.*://')
	# Exercise what a service does: status, inspect, a restart, a
	# reload, a page and a WebSocket session from the gateway, shutdown.
	ctl status >/dev/null
	ctl inspect coordinator >/dev/null
	ctl restart worker >/dev/null
	ctl reload >/dev/null
	(exec 3<>"/dev/tcp/127.0.0.1/$PORT" &&
	    printf 'GET / HTTP/1.0\r\n\r\n' >&3 && timeout 2 cat <&3) \
	    >/dev/null 2>&1
	(exec 3<>"/dev/tcp/127.0.0.1/$PORT" &&
	    printf '%s\r\n' "GET /ws HTTP/1.1" "Host: 127.0.0.1:$PORT" \
	    "Upgrade: websocket" "Connection: Upgrade" \
	    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==" \
	    "Sec-WebSocket-Version: 13" "" >&3 && timeout 1 cat <&3) \
	    >/dev/null 2>&1
	ctl sessions >/dev/null
	ctl shutdown >/dev/null
	wait "$ACTORD_PID"
	ACTORCTL=$BIN/actorctl
	# The unit's filter: the allow list minus the deny list.
	allow=$(grep '^SystemCallFilter=[^~]' "$unit" | sed 's/^[^=]*=//')
	deny=$(grep '^SystemCallFilter=~' "$unit" | sed 's/^[^~]*~//')
	for set in $allow; do expand_set "$set"; done | sort -u >"$TMP/allow"
	for set in $deny; do expand_set "$set"; done | sort -u >"$TMP/deny"
	comm -23 "$TMP/allow" "$TMP/deny" >"$TMP/ok"
	sed -E -e 's/^[0-9]+ +//' -e 's/^<\.\.\. ([a-z0-9_]+) resumed.*/\1/' \
	    -e 's/\(.*//' "$TMP/strace.out" | grep -E '^[a-z0-9_]+$' |
	    sort -u >"$TMP/used"
	used=$(wc -l <"$TMP/used")
	extra=$(comm -23 "$TMP/used" "$TMP/ok" | tr '\n' ' ')
	check "the tree made syscalls under strace ($used distinct)" \
	    test "$used" -gt 20
	check_eq "SystemCallFilter= allows every syscall the tree made" "" \
	    "${extra% }"
}

# Reinstall keeps an edited config; uninstall removes everything else, and
# the config too when it is still the installed sample.
t_reinstall_uninstall() {
	local c=$D/etc/actord/actord.conf out left
	printf '\n[eventlog]\nretention = 5\n' >>"$c"
	cp "$c" "$D/edited"
	out=$(mk install 2>&1)
	check_eq "a second make install succeeds" 0 "$?"
	check "it keeps the edited config" cmp -s "$c" "$D/edited"
	check "and says so" grep -q "keeping the existing" <<<"$out"
	out=$(mk uninstall 2>&1)
	check_eq "make uninstall succeeds" 0 "$?"
	rm -f "$D/edited"
	left=$(cd "$D" && find . ! -type d | sort)
	check_eq "it leaves only the edited config" "./etc/actord/actord.conf" \
	    "$left"
	check "and says it keeps it" grep -q "keeping .*actord.conf" <<<"$out"
	rm -f "$c"
	mk install >/dev/null 2>&1
	mk uninstall >/dev/null 2>&1
	left=$(cd "$D" && find . ! -type d | sort)
	check_eq "install then uninstall leaves no file" "" "$left"
	left=$(cd "$D" && find . -type d -path '*actord*' | sort)
	check_eq "nor a directory of actord's own" "" "$left"
}

if [ ! -x "$BIN/gateway" ] || [ ! -x "$BIN/session" ]; then
	skip "all: $BIN/gateway or $BIN/session is not built yet"
	finish
	exit
fi
if t_install; then
	t_config
	t_man
	t_run
	t_units
	t_syscalls
	t_reinstall_uninstall
fi
[ "$T_SKIP" -gt 0 ] && echo "# $T_SKIP skipped"
finish
