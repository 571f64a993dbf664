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

# pg-boss 10.4.2 for the pgboss adapter's tests: the same cached install the
# adapter makes itself (sqlload/pgboss.go), so pg-boss creates its own schema.
if [ "${1:-}" = "--test" ]; then
	if command -v npm >/dev/null 2>&1; then
		dir="${XDG_CACHE_HOME:-$HOME/.cache}/pgqtune/pgboss-10.4.2"
		if [ ! -f "$dir/node_modules/pg-boss/package.json" ]; then
			mkdir -p "$dir"
			cp sqlload/pgbossjs/package.json sqlload/pgbossjs/package-lock.json sqlload/pgbossjs/setup.js "$dir/"
			(cd "$dir" && npm ci --no-audit --no-fund >/dev/null) ||
				echo "deps: npm ci of pg-boss 10.4.2 failed: the pgboss adapter's tests will skip"
		fi
	else
		echo "deps: npm not found: the pgboss adapter's tests will skip (install Node.js 20+ with npm)"
	fi
fi
