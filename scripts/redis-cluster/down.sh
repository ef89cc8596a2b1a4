#!/usr/bin/env bash
# Stops the cluster nodes that scripts/redis-cluster/up.sh started (same ports, see lib.sh). A server
# on one of those ports that does not work in our directory is left alone.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

for p in $PORTS; do
  pidfile="$(node_dir "$p")/redis.pid"
  if answers "$p"; then
    if is_ours "$p"; then
      cli "$p" shutdown nosave >/dev/null 2>&1 || true
      for _ in $(seq 1 50); do answers "$p" || break; sleep 0.1; done
      echo "redis-cluster: stopped $HOST:$p"
    else
      echo "redis-cluster: $HOST:$p is not ours; left alone"
    fi
  fi
  rm -f "$pidfile"
done
