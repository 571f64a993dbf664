#!/usr/bin/env bash
# Installs what pgqtune needs on a fresh Debian machine: PostgreSQL server
# binaries with contrib (pg_stat_statements), hypopg for index what-ifs,
# pgbench and GNU time for `make bench`, Chromium for the report's browser test, and the Go
# modules. Idempotent: installs only what is missing.
set -euo pipefail

want=(postgresql postgresql-contrib postgresql-15-hypopg postgresql-client time)
# Chromium is only for the report's browser test.
if [ "${1:-}" = "--test" ]; then want+=(chromium); fi
missing=()
for p in "${want[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done

if ((${#missing[@]})); then
	echo "deps: installing Debian packages: ${missing[*]}"
	SUDO=""
	if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
	export DEBIAN_FRONTEND=noninteractive
	# Don't let the package's post-install start a system cluster we don't use.
	$SUDO apt-get update -qq
	if ! $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/pgqtune-apt.log 2>&1; then
		# Optional extras must not block the core: retry without them.
		echo "deps: full install failed (see /tmp/pgqtune-apt.log); retrying with the required packages only"
		$SUDO apt-get install -y -qq --no-install-recommends postgresql postgresql-contrib
	fi
fi

go mod download

# pg-boss 10.4.2 (the pgboss adapter's tests, the real-library suite) and
# graphile-worker 0.16.6 (the real-library suite): the same cached installs
# the Go code makes itself (sqlload/nodepkg), so a failed install here only
# means the tests install (or skip) later.
npm_pin() { # NAME MARKER DIR...: npm ci the pinned package set of DIR into the cache
	local name=$1 marker=$2 src=$3
	local dir="${XDG_CACHE_HOME:-$HOME/.cache}/pgqtune/$name"
	[ -f "$dir/$marker" ] && return 0
	local tmp
	tmp=$(mktemp -d "$(dirname "$dir")/.$name-XXXXXX")
	cp "$src"/* "$tmp/"
	if (cd "$tmp" && npm ci --no-audit --no-fund >/dev/null); then
		rm -rf "$dir" && mv "$tmp" "$dir"
	else
		rm -rf "$tmp"
		echo "deps: npm ci of $name failed: its tests will skip"
	fi
}
if [ "${1:-}" = "--test" ]; then
	if command -v npm >/dev/null 2>&1 && command -v node >/dev/null 2>&1; then
		mkdir -p "${XDG_CACHE_HOME:-$HOME/.cache}/pgqtune"
		npm_pin pgboss-10.4.2 node_modules/pg-boss/package.json sqlload/adapter/pgboss/pgbossjs
		npm_pin graphile-worker-0.16.6 node_modules/graphile-worker/package.json internal/reallibs/js/graphile-worker
	else
		echo "deps: node or npm not found: the pgboss adapter's and the real-library tests will skip (install Node.js 20+ with npm)"
	fi
fi
