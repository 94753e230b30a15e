#!/bin/bash
# Compare an older tree with this one, alternating them in one run so
# that both see the same minutes of the machine:
#
#	bench/compare.sh OLD_TREE [ROUNDS]
#
# OLD_TREE is another checkout, built (make all && make -f bench/Makefile),
# e.g. git worktree add /tmp/old <commit>.  Each round runs, old then new:
#   - bench_transport's runtime scenarios (each tree's own binary: the
#     runtime is linked into it), median of BENCH_REPS (default 3);
#   - bench_assign -s assign at windows 16 and 256 (this tree's client
#     against each tree's bin/: the client is the same, the server not).
# ROUNDS defaults to 3.  Not a test: it prints figures, nothing fails.
set -eu
cd "$(dirname "$0")/.."
OLD=${1:?usage: bench/compare.sh OLD_TREE [ROUNDS]}
ROUNDS=${2:-3}
REPS=${BENCH_REPS:-3}
SECS=${BENCH_SECS:-5}
MSGS=${BENCH_MSGS:-1000000}
RTTS=${BENCH_RTTS:-20000}
for f in "$OLD/bin/actord" "$OLD/build/rel/bench/bench_transport"; do
	[ -x "$f" ] || { echo "compare: $f is missing: build $OLD first" >&2;
	    exit 100; }
done
make --no-print-directory -s all
make --no-print-directory -s -f bench/Makefile
echo "old:  $(git -C "$OLD" rev-parse --short HEAD)"
echo "new:  $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- common \
    coordinator worker eventlog 2>/dev/null || echo ' (modified)')"
echo "load: $(uptime)"
for r in $(seq 1 "$ROUNDS"); do
	for side in old new; do
		[ "$side" = old ] && dir=$OLD || dir=.
		echo "== round $r, $side: transport"
		for s in rt-stream64 rt-stream1 rt-rtt; do
			"$dir/build/rel/bench/bench_transport" -r "$REPS" \
			    -n "$MSGS" -t "$RTTS" -s "$s"
		done
	done
	for w in 16 256; do
		for side in old new; do
			[ "$side" = old ] && dir=$OLD || dir=.
			echo "== round $r, $side: assign, window $w"
			build/rel/bench/bench_assign -s assign -w "$w" -r 1 \
			    -t "$SECS" -b "$dir/bin"
		done
	done
done
echo "load: $(uptime)"
