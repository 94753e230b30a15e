#!/bin/sh
# Install the Debian packages that building and testing actord need.
#
# Usage: scripts/bootstrap.sh [build|test]
#   build  the C toolchain and libraries (default)
#   test   build, plus what the test suites use (node, chromium, jq) and
#          their node packages (npm ci, when node_modules is missing or
#          older than package-lock.json)
#
# Already installed packages are skipped, so this is cheap to run on every
# `make`.  As root it runs apt-get; otherwise it prints the exact command and
# fails, so nothing is half set up.
set -eu

BUILD_PKGS="build-essential pkg-config libevent-dev libmsgpack-dev
libsqlite3-dev check libinih-dev libwslay-dev libjansson-dev
libhttp-parser-dev libssl-dev libseccomp-dev libnats-dev"
TEST_PKGS="jq procps sqlite3 chromium clang libclang-rt-14-dev
systemd python3 strace valgrind prometheus curl nats-server openssl"

pkgs=$BUILD_PKGS
[ "${1:-build}" = test ] && pkgs="$BUILD_PKGS $TEST_PKGS"

missing=""
for p in $pkgs; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing="$missing $p"
done
# Node may come from elsewhere than Debian (e.g. a newer nodejs package
# that bundles npm); only ask Debian for it when there is none at all.
if [ "${1:-build}" = test ]; then
	command -v node >/dev/null 2>&1 || missing="$missing nodejs"
	command -v npm >/dev/null 2>&1 || missing="$missing npm"
fi
# The node packages of the test suites (playwright-core, ws), as
# package-lock.json pins them; again whenever the lock file is newer than
# node_modules.  Run after the packages, as npm may be one of them.
node_modules() {
	[ "${1:-build}" = test ] || return 0
	cd "$(dirname "$0")/.."
	if [ -d node_modules ] &&
	    [ -z "$(find package-lock.json -newer node_modules)" ]; then
		return 0
	fi
	echo "bootstrap: npm ci" >&2
	npm ci --no-audit --no-fund >&2
}

if [ -z "$missing" ]; then
	node_modules "$@"
	exit 0
fi

cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" -ne 0 ]; then
	echo "bootstrap: missing packages:$missing" >&2
	echo "bootstrap: run as root: apt-get update && $cmd" >&2
	exit 1
fi
echo "bootstrap: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
node_modules "$@"
