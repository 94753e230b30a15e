#!/bin/bash
# The WebSocket front door beside its peers, measured in the same run:
#
#   actord     bin/actord in a temporary directory (its own config, state
#              and run dirs, the gateway on a free loopback port); /echo,
#              and /ws for the JSON request/reply
#   websocketd Debian's websocketd running `cat` (a process per
#              connection, like actord's sessions)
#   node ws    bench/ws_echo_server.mjs (one process, the `ws` package
#              from node_modules)
#
# All three run for the whole script; every measurement is taken on each
# in turn, and the order rotates from round to round (-r rounds, default
# 3), so that the machine's noise falls on all alike.  The medians of the
# rounds are printed as a table; every raw result (one JSON object per line,
# from build/rel/bench/ws_load and from the memory probes) is kept in
# $WS_OUT/results.jsonl.
#
#   bench/ws_peers.sh [-r rounds] [-d seconds] [-o outdir] [-s tests]
#
#   -d  seconds of each rate measurement (default 5, after 1 s of warm-up)
#   -s  a comma list of tests, default all:
#       echo100,rtt1,json100,connect,first,mem
#
# The machine's conditions (load averages, CPUs, kernel) are printed with
# the results.  Needs websocketd (apt-get install websocketd), node and
# node_modules/ws (scripts/bootstrap.sh test); a missing peer is skipped
# and the table says so.
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
ROUNDS=3
DUR=5
OUTDIR=
TESTS=echo100,rtt1,json100,connect,first,mem
while getopts "r:d:o:s:" opt; do
	case $opt in
	r) ROUNDS=$OPTARG ;;
	d) DUR=$OPTARG ;;
	o) OUTDIR=$OPTARG ;;
	s) TESTS=$OPTARG ;;
	*) sed -n '2,30p' "$0" >&2; exit 2 ;;
	esac
done

# Sizes of the runs (environment overrides, for quick checks).
CONN_N=${WS_CONN_N:-2000}	# usable connections/s: this many held
CONN_F=${WS_CONN_F:-32}		# ... with at most this many handshakes
FIRST_N=${WS_FIRST_N:-200}	# unloaded time to first echo: samples
FIRST_GAP=${WS_FIRST_GAP:-20}	# ... ms between them
MEM_LO=${WS_MEM_LO:-1000}	# PSS slope between LO and HI connections
MEM_HI=${WS_MEM_HI:-5000}
MEM_MAX=${WS_MEM_MAX:-10000}	# then this many, each verified by an echo
WSD_MAX=${WS_WSD_MAX:-4500}	# websocketd: 4 descriptors per connection
POOL=${WS_POOL:-64}		# [gateway] session_pool

LOAD=$ROOT/build/rel/bench/ws_load
SRCBIN=${BINDIR:-$ROOT/bin}
ulimit -n "$(ulimit -Hn)"

if ! make --no-print-directory -s all >&2 ||
    ! make --no-print-directory -s -f bench/Makefile build/rel/bench/ws_load >&2
then
	echo "ws_peers: build failed" >&2
	exit 1
fi

TMP=$(mktemp -d /tmp/ws_peers.XXXXXX)
# The programs as built now: a rebuild during the run must not change them.
BIN=$TMP/bin
mkdir -p "$BIN"
cp "$SRCBIN"/actord "$SRCBIN"/actorctl "$SRCBIN"/coordinator \
    "$SRCBIN"/worker "$SRCBIN"/eventlog "$SRCBIN"/gateway "$SRCBIN"/session \
    "$BIN"/ || exit 1
cp "$LOAD" "$BIN"/ws_load && LOAD=$BIN/ws_load
[ -n "$OUTDIR" ] || OUTDIR=$TMP/out
mkdir -p "$OUTDIR"
RES=$OUTDIR/results.jsonl
: >"$RES"
PIDS=()

stop_actord() {		# stop_actord DIR PID
	[ -n "$2" ] && kill -0 "$2" 2>/dev/null || return 0
	"$BIN/actorctl" -c "$1/actord.conf" shutdown >/dev/null 2>&1 ||
	    kill -TERM "$2" 2>/dev/null
	for _ in $(seq 100); do
		kill -0 "$2" 2>/dev/null || break
		sleep 0.1
	done
}

cleanup() {
	local p
	stop_actord "$TMP/actord" "${ACTORD_PID:-}"
	stop_actord "$TMP/actord0" "${ACTORD0_PID:-}"
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	sleep 0.2
	for p in "${PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	rm -rf "$TMP/actord" "$TMP/actord0" "$TMP/bin"
	[ "$OUTDIR" = "$TMP/out" ] || rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# Runnable processes right now, the mean of 5 looks over 0.5 s (minus
# the one looking): what else wants the CPUs as a test starts.  The load
# average lags by a minute and counts our own bursts of processes.
runq() {
	local i n=0
	for i in 1 2 3 4 5; do
		n=$((n + $(awk '/^procs_running/ { print $2 - 1 }' /proc/stat)))
		sleep 0.1
	done
	echo "$((n / 5)).$((n * 2 % 10))"
}

has_test() { case ",$TESTS," in *",$1,"*) return 0 ;; esac; return 1; }

free_port() {
	python3 -c 'import socket; s = socket.socket(); \
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
	local i
	for i in $(seq 200); do
		port_open "$1" && return 0
		sleep 0.05
	done
	return 1
}

# ---- the servers ----

# Under a gateway: its children (the zygote, sessions it fork+exec'd or
# inherited from a zygote that died) and theirs (the zygote's sessions).
gw_descendants() {
	local c
	for c in $(pgrep -P "$1"); do
		echo "$c"
		pgrep -P "$c"
	done
}

# start_actord NAME POOL: a tree in $TMP/NAME; sets PORT_NAME, PATH_NAME,
# NAME's actord pid in ${NAME^^}_PID and its gateway's in GW_NAME.
start_actord() {
	local name=$1 pool=$2 dir=$TMP/$1 apid gw port
	mkdir -p "$dir"
	cat >"$dir/actord.conf" <<CONF
[actord]
state_dir = $dir/state
run_dir = $dir/run
program_dir = $BIN
web_dir = $ROOT/web
log_level = warn

[gateway]
listen = 127.0.0.1:0
max_sessions = $((MEM_MAX + 1000))
session_pool = $pool

[session]
rate_limit = 1000000
rate_burst = 1000000
CONF
	"$BIN/actord" -c "$dir/actord.conf" >"$dir/actord.log" 2>&1 </dev/null &
	apid=$!
	PIDS+=("$apid")
	printf -v "${name^^}_PID" %s "$apid"
	"$BIN/actorctl" -c "$dir/actord.conf" -t 10000 wait gateway up \
	    >/dev/null 2>&1 || { sleep 1; "$BIN/actorctl" -c \
	    "$dir/actord.conf" -t 10000 wait gateway up >/dev/null; } ||
	    return 1
	port=$("$BIN/actorctl" -c "$dir/actord.conf" --json status |
	    python3 -c 'import json,sys; print(json.load(sys.stdin)["listen"].rsplit(":",1)[1])')
	gw=$(pgrep -P "$apid" -x gateway)
	printf -v "PORT_$name" %s "$port"
	printf -v "PATH_$name" %s /echo
	printf -v "GW_$name" %s "$gw"
	# The pool fills (and the zygote is there).
	for _ in $(seq 100); do
		[ "$(gw_descendants "$gw" | wc -l)" -ge $((pool + 1)) ] && break
		sleep 0.1
	done
}

start_websocketd() {
	command -v websocketd >/dev/null || return 1
	PORT_websocketd=$(free_port)
	(cd "$TMP" && exec websocketd --address=127.0.0.1 \
	    --port="$PORT_websocketd" --loglevel=fatal cat) \
	    >"$TMP/websocketd.log" 2>&1 &
	WSD_PID=$!
	PIDS+=("$WSD_PID")
	PATH_websocketd=/
	wait_port "$PORT_websocketd"
}

start_node() {
	command -v node >/dev/null && [ -d node_modules/ws ] || return 1
	node bench/ws_echo_server.mjs 0 >"$TMP/node.out" 2>&1 &
	NODE_PID=$!
	PIDS+=("$NODE_PID")
	PATH_node=/echo
	for _ in $(seq 100); do
		PORT_node=$(sed -n 's/^port //p' "$TMP/node.out")
		[ -n "$PORT_node" ] && return 0
		sleep 0.05
	done
	return 1
}

SERVERS=()
start_actord actord "$POOL" && SERVERS+=(actord) ||
    { echo "ws_peers: actord did not start" >&2; cat "$TMP/actord/actord.log" >&2; }
# The same without the pool: every connection waits for a zygote fork.
if has_test first && [ "$POOL" -gt 0 ]; then
	start_actord actord0 0 || { echo "ws_peers: actord0 did not start" >&2;
	    cat "$TMP/actord0/actord.log" >&2; }
fi
if start_websocketd; then
	SERVERS+=(websocketd)
else
	echo "ws_peers: websocketd missing: apt-get install websocketd" \
	    "(skipped)" >&2
fi
if start_node; then
	SERVERS+=(node)
else
	echo "ws_peers: node or node_modules/ws missing:" \
	    "scripts/bootstrap.sh test (skipped)" >&2
fi
[ "${#SERVERS[@]}" -gt 0 ] || exit 1

# The processes whose memory a server's connections cost.
server_pids() {
	case $1 in
	actord) echo "$GW_actord"; gw_descendants "$GW_actord" ;;
	websocketd) echo "$WSD_PID"; pgrep -P "$WSD_PID" ;;
	node) echo "$NODE_PID" ;;
	esac
}

# Wait until a server has let go of the last test's connections.
settle() {
	local n
	case $1 in
	actord)
		# The pool and the zygote, and nobody else.
		for _ in $(seq 300); do
			n=$(gw_descendants "$GW_actord" | wc -l)
			[ "$n" -le $((POOL + 1)) ] && [ "$n" -ge $((POOL / 2)) ] &&
			    break
			sleep 0.1
		done ;;
	websocketd)
		for _ in $(seq 300); do
			[ "$(pgrep -c -P "$WSD_PID")" -eq 0 ] && break
			sleep 0.1
		done ;;
	esac
	sleep 0.5
}

# pss_probe LABEL SERVER HELD: one JSON line of the server's memory.
pss_probe() {
	local label=$1 srv=$2 held=$3 pids files=() p pss nproc fds avail pt
	pids=$(server_pids "$srv")
	for p in $pids; do files+=("/proc/$p/smaps_rollup"); done
	nproc=${#files[@]}
	pss=$(cat "${files[@]}" 2>/dev/null | awk '/^Pss:/ { s += $2 }
	    END { print s + 0 }')
	case $srv in
	actord) fds=$(ls "/proc/$GW_actord/fd" | wc -l) ;;
	websocketd) fds=$(ls "/proc/$WSD_PID/fd" | wc -l) ;;
	node) fds=$(ls "/proc/$NODE_PID/fd" | wc -l) ;;
	esac
	avail=$(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo)
	pt=$(awk '/^PageTables:/ { print $2 }' /proc/meminfo)
	printf '{"event":"mem","label":"%s","held":%d,"pss_kb":%d,"procs":%d,"server_fds":%d,"memavail_kb":%d,"pagetables_kb":%d,"load":"%s"}\n' \
	    "$label" "$held" "$pss" "$nproc" "$fds" "$avail" "$pt" "$(loadavg)"
}

# run LABEL SERVER ARGS...: one ws_load run; its lines go to $RES.
run() {
	local label=$1 srv=$2 port path
	shift 2
	port=PORT_$srv
	path=PATH_$srv
	local rq
	rq=$(runq)
	echo "# $label  load $(loadavg), runnable $rq" >&2
	"$LOAD" -p "${!port}" -P "${!path}" -l "$label" "$@" 2>>"$TMP/ws_load.err" |
	    sed "s/^{/{\"load\":\"$(loadavg)\",\"runq\":$rq,/" |
	    tee -a "$RES" >/dev/null
}

# mem LABEL SERVER MAX HOLDS: connect, holding at each count to probe.
mem() {
	local label=$1 srv=$2 max=$3 holds=$4 port path line held lpid cw cr
	port=PORT_$srv
	path=PATH_$srv
	echo "# $label  load $(loadavg)" >&2
	pss_probe "$label" "$srv" 0 >>"$RES"
	rm -f "$TMP/ctl" "$TMP/outp"
	mkfifo "$TMP/ctl" "$TMP/outp"
	"$LOAD" -m connect -p "${!port}" -P "${!path}" -l "$label" \
	    -c "$max" -f "$CONN_F" -H "$holds" -W -i 120 -T 600 \
	    <"$TMP/ctl" >"$TMP/outp" 2>>"$TMP/ws_load.err" &
	lpid=$!
	exec {cw}>"$TMP/ctl" {cr}<"$TMP/outp"
	while IFS= read -r line <&"$cr"; do
		echo "$line" | sed "s/^{/{\"load\":\"$(loadavg)\",/" >>"$RES"
		case $line in
		*'"event":"held"'*)
			held=$(echo "$line" | sed 's/.*"held":\([0-9]*\).*/\1/')
			sleep 2		# let the servers' lazy work settle
			pss_probe "$label" "$srv" "$held" >>"$RES"
			echo >&"$cw" ;;
		esac
	done
	exec {cw}>&- {cr}<&-
	wait "$lpid"
}

{
	echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	rev=$(git rev-parse --short HEAD 2>/dev/null || echo '?')
	git diff --quiet HEAD -- gateway session common 2>/dev/null ||
	    rev="$rev (modified)"
	echo "tree:    $rev"
	echo "cpus:    $(nproc) x $(sed -n 's/^model name[[:space:]]*: //p' \
	    /proc/cpuinfo | head -1)"
	echo "kernel:  $(uname -sr)"
	echo "memory:  $(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' \
	    /proc/meminfo)"
	echo "nofile:  soft $(ulimit -n), hard $(ulimit -Hn)"
	echo "peers:   websocketd $(dpkg-query -W -f='${Version}' websocketd \
	    2>/dev/null || echo '-'), node $(node --version 2>/dev/null ||
	    echo '-'), ws $(node -p 'require("./node_modules/ws/package.json").version' \
	    2>/dev/null || echo '-')"
	echo "actord:  session_pool $POOL (actord0: 0), max_sessions" \
	    "$((MEM_MAX + 1000)), [session] rate_limit 1000000"
	echo "load:    $(uptime)"
} | tee "$OUTDIR/machine.txt"

for r in $(seq "$ROUNDS"); do
	# Rotate the order: round 1 a b c, round 2 b c a, round 3 c a b.
	order=()
	n=${#SERVERS[@]}
	for i in $(seq 0 $((n - 1))); do
		order+=("${SERVERS[$(((i + r - 1) % n))]}")
	done
	echo "== round $r: ${order[*]}  load $(loadavg)" >&2
	if has_test echo100; then
		for s in "${order[@]}"; do
			settle "$s"
			run "r$r/$s/echo100" "$s" -m rate -c 100 -k 1 -w 1 \
			    -d "$DUR"
			if [ "$s" = actord ] && has_test json100; then
				run "r$r/$s/json100" "$s" -m rate -c 100 -k 1 \
				    -w 1 -d "$DUR" -j -P /ws
			fi
		done
	fi
	if has_test rtt1; then
		for s in "${order[@]}"; do
			settle "$s"
			run "r$r/$s/rtt1" "$s" -m rate -c 1 -k 1 -w 1 -d "$DUR"
		done
	fi
	if has_test connect; then
		for s in "${order[@]}"; do
			settle "$s"
			run "r$r/$s/connect" "$s" -m connect -c "$CONN_N" \
			    -f "$CONN_F" -T 120
		done
	fi
	if has_test first; then
		for s in "${order[@]}"; do
			settle "$s"
			run "r$r/$s/first" "$s" -m connect -c "$FIRST_N" -f 1 \
			    -g "$FIRST_GAP" -T 120
			if [ "$s" = actord ] && [ -n "${PORT_actord0:-}" ]; then
				run "r$r/actord0/first" actord0 -m connect \
				    -c "$FIRST_N" -f 1 -g "$FIRST_GAP" -T 120
			fi
		done
	fi
	if has_test mem; then
		for s in "${order[@]}"; do
			settle "$s"
			case $s in
			websocketd) mem "r$r/$s/mem" "$s" "$WSD_MAX" \
			    "$MEM_LO,$((WSD_MAX))" ;;
			*) mem "r$r/$s/mem" "$s" "$MEM_MAX" "$MEM_LO,$MEM_HI" ;;
			esac
		done
	fi
done
echo "load:    $(uptime)" | tee -a "$OUTDIR/machine.txt"

python3 bench/ws_summary.py "$RES" "$MEM_LO" "$MEM_HI" "$WSD_MAX" "$CONN_N" |
    tee "$OUTDIR/summary.txt"
if [ -s "$TMP/ws_load.err" ]; then
	echo "ws_load said (first lines; all in $OUTDIR/ws_load.err):"
	head -n 20 "$TMP/ws_load.err" | sed 's/^/  /'
	cp "$TMP/ws_load.err" "$OUTDIR/"
fi
echo "raw results: $RES"
