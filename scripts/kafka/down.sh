#!/usr/bin/env bash
# Stops the broker only if this checkout's `make up` started it.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
pidfile="$root/.run/kafka.pid"
[ -f "$pidfile" ] || { echo "kafka: not started by this checkout; left alone"; exit 0; }
pid=$(cat "$pidfile")
if kill -0 "$pid" 2>/dev/null; then
  kill "$pid"
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
  echo "kafka: stopped pid $pid"
fi
rm -f "$pidfile"
