#!/bin/bash
# The coordinator, worker and event log actors end to end: the real tree,
# messages through `actorctl send`, processes killed with SIGKILL.
#
# While a program of the tree is not built yet (the gateway, as this is
# written), bench/stub_actor stands in for it, so that actord starts.
. "$(dirname "$0")/lib.sh"

# A program directory: the real programs, the stand-in for missing ones.
programs() {
	local d p
	d=$(mktemp -d /tmp/actord-prog.XXXXXX)
	T_DIRS+=("$d")
	for p in eventlog coordinator worker gateway session; do
		if [ -x "$BIN/$p" ]; then
			ln -s "$BIN/$p" "$d/$p"
			continue
		fi
		make -s -C "$ROOT" -f bench/Makefile build/rel/bench/stub_actor \
		    >/dev/null || return 1
		ln -s "$ROOT/build/rel/bench/stub_actor" "$d/$p"
	done
	PROGRAM_DIR=$d
}

ctl_quiet() { ctl "$@" >/dev/null; }

# send ADDRESS TYPE [JSON]: the reply, as JSON.
send() { ctl -t 5000 send "$@"; }

# status JQ: a value of the coordinator's snapshot.
status() { send coordinator:main GetStatus '{}' | jq -r ".payload | $1"; }

# until_status SECONDS JQ: until the snapshot makes JQ true.
status_is() { [ "$(status "$1" 2>/dev/null)" = true ]; }
until_status() { wait_for "$1" status_is "$2"; }

# events: every event message in the log, oldest first.
events() {
	local since=0 page n
	while :; do
		page=$(send eventlog:main GetEvents "{\"since\":$since,\"limit\":1000}")
		n=$(jq '.payload.events | length' <<<"$page")
		jq -r '.payload.events[].message' <<<"$page"
		[ "$n" -lt 1000 ] && break
		since=$(jq '.payload.events[-1].seq' <<<"$page")
	done
}

# worker_gone ID: worker:ID answers Ping with an Error (unknown_actor).
worker_gone() {
	[ "$(send "worker:$1" Ping '{}' | jq -r .type)" = Error ]
}

register() {
	local w
	for w in "$@"; do
		send coordinator:main RegisterWorker "{\"workerId\":\"$w\"}" \
		    >/dev/null || return 1
	done
}

t_flow() {
	tree_start || { not_ok "tree starts"; return; }
	local r
	r=$(send coordinator:main RegisterWorker '{"workerId":"w1"}')
	check_eq "RegisterWorker answers WorkerRegistered" WorkerRegistered \
	    "$(jq -r .type <<<"$r")"
	check "the worker process announces w1: idle" \
	    until_status 5 '.workers[0].status == "idle"'
	r=$(send coordinator:main AssignTask \
	    '{"taskId":"e1","kind":"echo","input":{"value":"hi"}}')
	check_eq "AssignTask to an idle worker: assigned to w1" "assigned w1" \
	    "$(jq -r '.payload | "\(.status) \(.workerId)"' <<<"$r")"
	check "e1 completes with the echoed value" until_status 5 \
	    '.recent[] | select(.taskId == "e1") | .status == "completed" and .result == "hi"'
	check_eq "GetState: w1 processed 1" "idle 1" "$(send worker:w1 GetState |
	    jq -r '.payload | "\(.status) \(.processedCount)"')"

	send coordinator:main AssignTask '{"taskId":"s1","input":{"ms":300}}' \
	    >/dev/null
	r=$(send coordinator:main AssignTask '{"taskId":"e2","kind":"echo"}')
	check_eq "a task while w1 is busy is queued at position 1" "queued 1" \
	    "$(jq -r '.payload | "\(.status) \(.position)"' <<<"$r")"
	check "the freed worker takes it" until_status 5 \
	    '.tasks.completed == 3 and .queue.length == 0'
	check "the event log has it, in order" test "$(events | grep -E \
	    '^task (s1 completed|e2 assigned)' | tr '\n' '|')" = \
	    "task s1 completed by w1|task e2 assigned to w1|"
	r=$(send coordinator:main AssignTask '{"workerId":"nobody"}')
	check_eq "pinning to an unknown worker: unknown_actor" unknown_actor \
	    "$(jq -r .payload.code <<<"$r")"
	r=$(send coordinator:main CancelTask '{"taskId":"e2"}')
	check_eq "cancelling a finished task: an Error" Error \
	    "$(jq -r .type <<<"$r")"
	r=$(send coordinator:main UnregisterWorker '{"workerId":"w1"}')
	check_eq "UnregisterWorker answers WorkerUnregistered" \
	    WorkerUnregistered "$(jq -r .type <<<"$r")"
	check "its worker actor is gone" wait_for 5 worker_gone w1
	check "shutdown leaves no process and no socket" tree_stop
}

t_kill_worker() {
	tree_start || { not_ok "tree starts"; return; }
	local pid n
	register w1
	until_status 5 '.workers[0].status == "idle"'
	send coordinator:main AssignTask '{"taskId":"k1","input":{"ms":1500}}' \
	    >/dev/null
	send coordinator:main AssignTask '{"taskId":"k2","kind":"echo"}' \
	    >/dev/null
	sleep 0.3
	pid=$(field worker pid)
	kill -KILL "$pid"
	check "the worker process comes back" ctl_quiet -t 5000 wait worker up \
	    "$pid"
	check "k1 is requeued, runs again and completes (attempts 2)" \
	    until_status 10 '.recent[] | select(.taskId == "k1") |
	    .status == "completed" and .attempts == 2'
	check "k2, queued behind it, completes once" until_status 5 \
	    '.tasks.completed == 2 and .tasks.queued == 0'
	n=$(events | grep -c '^task k1 completed')
	check_eq "one completion of k1 in the event log" 1 "$n"
	n=$(events | grep -c '^task k1 requeued')
	check_eq "the requeue is in the event log" 1 "$n"
	check_eq "processedCount survives the restart" 2 \
	    "$(send worker:w1 GetState | jq .payload.processedCount)"
	check "shutdown leaves no process and no socket" tree_stop
}

t_kill_coordinator() {
	tree_start || { not_ok "tree starts"; return; }
	local pid i ntasks=${IT_TASKS:-1000} accepted dups sum
	# Queue them all before any worker exists, so that however slowly
	# they arrive (ASan, a loaded machine) none has finished yet.
	accepted=$(for i in $(seq 1 "$ntasks"); do echo "$i"; done |
	    xargs -P 8 -I{} "$ACTORCTL" -c "$TMP/actord.conf" -t 5000 send \
	    coordinator:main AssignTask \
	    '{"taskId":"x{}","kind":"sleep","input":{"ms":20}}' |
	    grep -c '"TaskAccepted"')
	check_eq "$ntasks tasks accepted" "$ntasks" "$accepted"
	register w1 w2 w3 w4
	check "tasks are still queued and running when it is killed" \
	    until_status 10 '.tasks.queued > 0 and .tasks.running > 0'
	pid=$(field coordinator pid)
	kill -KILL "$pid"
	check "the coordinator comes back" ctl_quiet -t 5000 wait \
	    coordinator up "$pid"
	check "every accepted task completes" until_status 60 \
	    ".tasks.completed == $ntasks and .tasks.queued == 0 and
	    .tasks.running == 0"
	sum=0
	for i in 1 2 3 4; do
		sum=$((sum + $(send "worker:w$i" GetState |
		    jq .payload.processedCount)))
	done
	check_eq "the workers ran each task to completion exactly once" \
	    "$ntasks" "$sum"
	dups=$(events | sed -n 's/^task \(x[0-9]*\) completed.*/\1/p' |
	    sort | uniq -d | wc -l)
	check_eq "no task completed twice in the event log" 0 "$dups"
	check "shutdown leaves no process and no socket" tree_stop
}

t_corrupt_database() {
	local sum pid
	TMP=$(mktemp -d /tmp/actord-it.XXXXXX)
	T_DIRS+=("$TMP")
	write_config "[supervisor]" "max_restarts = 2" "max_seconds = 60"
	mkdir -p "$TMP/state"
	head -c 8192 /dev/urandom >"$TMP/state/coordinator.db"
	sum=$(md5sum <"$TMP/state/coordinator.db")
	"$ACTORD" -c "$TMP/actord.conf" >"$TMP/actord.log" 2>&1 &
	pid=$!
	T_PIDS+=("$pid")
	check "a corrupt coordinator.db: the coordinator exits 111" wait_for 5 \
	    grep -q 'coordinator: pid [0-9]* exited 111' "$TMP/actord.log"
	check "... saying which file and why" grep -q \
	    "coordinator.db: .*not a database" "$TMP/actord.log"
	kill -TERM "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	check_eq "... and the file is left as it was" "$sum" \
	    "$(md5sum <"$TMP/state/coordinator.db")"
}

# client SOCKET: a session-like client speaking the internal protocol
# itself (python3, with its own msgpack subset): Hello as session:it,
# Subscribe, 50 AssignTask at once, one id sent twice; prints a JSON
# summary of what came back.
client() {
	python3 - "$1" <<'PY'
import json, socket, struct, sys, time

def pack(o):
    if o is None: return b'\xc0'
    if o is True: return b'\xc3'
    if o is False: return b'\xc2'
    if isinstance(o, int):
        if 0 <= o < 128: return bytes([o])
        return (b'\xcf' + struct.pack('>Q', o)) if o >= 0 else \
            (b'\xd3' + struct.pack('>q', o))
    if isinstance(o, str):
        b = o.encode()
        if len(b) < 32: return bytes([0xa0 | len(b)]) + b
        return b'\xda' + struct.pack('>H', len(b)) + b
    if isinstance(o, dict):
        out = bytes([0x80 | len(o)]) if len(o) < 16 else \
            b'\xde' + struct.pack('>H', len(o))
        for k, v in o.items(): out += pack(k) + pack(v)
        return out
    raise TypeError(o)

def unpack(b, i=0):
    t = b[i]; i += 1
    if t < 0x80: return t, i
    if t >= 0xe0: return t - 256, i
    if 0x80 <= t <= 0x8f: return unmap(b, i, t & 15)
    if 0x90 <= t <= 0x9f: return unarr(b, i, t & 15)
    if 0xa0 <= t <= 0xbf: n = t & 31; return b[i:i+n].decode(), i + n
    if t == 0xc0: return None, i
    if t in (0xc2, 0xc3): return t == 0xc3, i
    fixed = {0xcc: '>B', 0xcd: '>H', 0xce: '>I', 0xcf: '>Q', 0xd0: '>b',
        0xd1: '>h', 0xd2: '>i', 0xd3: '>q', 0xca: '>f', 0xcb: '>d'}
    if t in fixed:
        n = struct.calcsize(fixed[t])
        return struct.unpack(fixed[t], b[i:i+n])[0], i + n
    if t in (0xd9, 0xda, 0xdb, 0xc4, 0xc5, 0xc6):
        w = {0xd9: 1, 0xda: 2, 0xdb: 4, 0xc4: 1, 0xc5: 2, 0xc6: 4}[t]
        n = int.from_bytes(b[i:i+w], 'big'); i += w
        v = b[i:i+n]
        return (v.decode() if t >= 0xd9 else v), i + n
    if t in (0xdc, 0xdd):
        w = 2 if t == 0xdc else 4
        return unarr(b, i + w, int.from_bytes(b[i:i+w], 'big'))
    if t in (0xde, 0xdf):
        w = 2 if t == 0xde else 4
        return unmap(b, i + w, int.from_bytes(b[i:i+w], 'big'))
    raise ValueError(hex(t))

def unmap(b, i, n):
    d = {}
    for _ in range(n):
        k, i = unpack(b, i); v, i = unpack(b, i); d[k] = v
    return d, i

def unarr(b, i, n):
    a = []
    for _ in range(n):
        v, i = unpack(b, i); a.append(v)
    return a, i

ME = 'session:it'
seq = 0
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])

def send(typ, payload, to='coordinator:main', mid=None):
    global seq
    seq += 1
    body = pack({'to': to, 'from': ME, 'type': typ,
        'id': mid or 'it-%d' % seq, 'timestamp': int(time.time() * 1000),
        'payload': payload})
    s.sendall(struct.pack('>I', len(body)) + body)

buf = b''
def recv(deadline):
    global buf
    while True:
        if len(buf) >= 4:
            n = struct.unpack('>I', buf[:4])[0]
            if len(buf) >= 4 + n:
                m, _ = unpack(buf[4:4+n]); buf = buf[4+n:]
                return m
        left = deadline - time.time()
        if left <= 0: return None
        s.settimeout(left)
        try:
            d = s.recv(65536)
        except socket.timeout:
            return None
        if not d: return None
        buf += d

send('Hello', {'pid': 0}, to=ME)
send('Subscribe', {})
first = [recv(time.time() + 5), recv(time.time() + 5)]
for i in range(50):
    send('AssignTask', {'taskId': 'p%d' % i, 'kind': 'sleep',
        'input': {'ms': 10}})
send('AssignTask', {'taskId': 'dup', 'kind': 'echo'}, mid='same-id')
send('AssignTask', {'taskId': 'dup', 'kind': 'echo'}, mid='same-id')
accepted, dup, pushes, last = 0, [], [], None
end = time.time() + 15
while time.time() < end:
    m = recv(end)
    if m is None: break
    if m['type'] == 'TaskAccepted':
        if m['payload']['taskId'] == 'dup': dup.append(m['payload'])
        else: accepted += 1
    elif m['type'] == 'StatusUpdated':
        pushes.append(time.time()); last = m['payload']
        if last['tasks']['completed'] >= 51 and len(dup) == 2: break
gaps = [round((b - a) * 1000) for a, b in zip(pushes, pushes[1:])]
print(json.dumps({'first': [m and m['type'] for m in first],
    'accepted': accepted, 'dup': dup, 'pushes': len(pushes),
    'min_gap_ms': min(gaps) if gaps else None,
    'completed': last and last['tasks']['completed'],
    'queued': last and last['queue']['length']}))
PY
}

t_pushes() {
	tree_start || { not_ok "tree starts"; return; }
	local r
	register w1 w2
	until_status 5 '[.workers[] | select(.status == "idle")] | length == 2'
	r=$(client "$TMP/run/coordinator.sock")
	check_eq "Subscribe: Subscribed, then a snapshot" \
	    "Subscribed StatusUpdated" "$(jq -r '.first | join(" ")' <<<"$r")"
	check_eq "50 tasks accepted over the socket" 50 \
	    "$(jq .accepted <<<"$r")"
	check_eq "one id sent twice: one task, the same reply twice" true \
	    "$(jq '.dup | length == 2 and .[0] == .[1]' <<<"$r")"
	check_eq "the last push shows the final state" "51 0" \
	    "$(jq -r '"\(.completed) \(.queued)"' <<<"$r")"
	check "pushes are coalesced: fewer than the changes, spaced out" \
	    coalesced "$r"
	check_eq "the task sent twice ran once" 51 "$(status .tasks.completed)"
	check "the subscriber is forgotten when its connection goes" \
	    wait_for 5 no_subscribers
	check "shutdown leaves no process and no socket" tree_stop
}

# coalesced SUMMARY: fewer pushes than changes, none in a burst (the
# interval is 50 ms; the client's clock sees some jitter).
coalesced() {
	jq -e '.pushes > 1 and .pushes < 50 and .min_gap_ms >= 20' \
	    <<<"$1" >/dev/null
}

no_subscribers() {
	[ "$(ctl --json inspect coordinator |
	    jq .inspect.coordinator.subscribers)" = 0 ]
}

programs || { not_ok "program directory"; finish; exit; }
t_flow
t_kill_worker
t_pushes
t_kill_coordinator
t_corrupt_database
finish
