#!/usr/bin/env bash
# Installs redis-server when it is not on PATH: the rate-limit tests start a real one
# (global mode shares counters through Redis). Debian/Ubuntu only; run as root.
set -euo pipefail

if command -v redis-server >/dev/null 2>&1; then
	exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
	echo "redis-server is not on PATH and apt-get is not available: install Redis (redis-server) by hand." >&2
	exit 1
fi
echo "Installing redis-server for the rate-limit tests..." >&2
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y --no-install-recommends redis-server >/dev/null; then
	apt-get update >/dev/null
	apt-get install -y --no-install-recommends redis-server >/dev/null
fi
# The package starts a system service on Debian; the tests start their own servers.
command -v redis-server >/dev/null
