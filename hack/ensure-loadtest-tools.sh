#!/usr/bin/env bash
# Installs what `make loadtest` compares Turnpike with when it is missing: wrk (the load
# generator) and nginx (the reference reverse proxy), both from the Debian packages.
# Debian/Ubuntu only; run as root.
#
# The harness runs nginx as its own child (`nginx -c CONF -p TMPDIR -g 'daemon off;'`),
# never as the system service: this script makes sure installing the package does not
# start one either, so nothing listens on port 80 and nothing else on the machine changes.
set -euo pipefail

missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
# The package puts the binary in /usr/sbin, which may not be on a user's PATH.
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v taskset >/dev/null 2>&1 || missing+=(util-linux)
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
	echo "${missing[*]} not installed and apt-get is not available: install them by hand." >&2
	exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "${missing[*]} not installed: run this script as root (it uses apt-get)." >&2
	exit 1
fi

# Debian's maintainer scripts start services through invoke-rc.d, which asks
# /usr/sbin/policy-rc.d first: exit code 101 means "do not start". Containers usually
# ship one already; otherwise one is put in place for the install and removed after.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
	trap 'rm -f "$policy"' EXIT
	printf '#!/bin/sh\n# Temporary: installed by hack/ensure-loadtest-tools.sh; no service may start.\nexit 101\n' >"$policy"
	chmod 755 "$policy"
fi

echo "Installing ${missing[*]} for the load harness..." >&2
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; then
	apt-get update >/dev/null
	apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v wrk >/dev/null
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]
command -v taskset >/dev/null
