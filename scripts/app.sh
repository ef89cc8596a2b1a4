#!/usr/bin/env bash
# start | stop | status of the QueueTicket process started by `make up` (all roles in one process).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/node.sh"
run="$root/.run"; mkdir -p "$run/logs"
pidfile="$run/app.pid"
port=${HTTP_PORT:-8080}
running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

case "${1:-status}" in
  start)
    if running; then echo "app: already running (pid $(cat "$pidfile"))"; exit 0; fi
    cd "$root"
    nohup node src/main.ts >>"$run/logs/app.log" 2>&1 &
    echo $! >"$pidfile"
    for _ in $(seq 1 60); do
      if curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then
        echo "app: ready on http://127.0.0.1:$port (pid $(cat "$pidfile"), logs in $run/logs/app.log)"; exit 0
      fi
      running || { echo "app: exited during start; last log lines:" >&2; tail -20 "$run/logs/app.log" >&2; exit 1; }
      sleep 0.5
    done
    echo "app: not ready after 30 s; see $run/logs/app.log" >&2; exit 1 ;;
  stop)
    if running; then kill "$(cat "$pidfile")"; for _ in $(seq 1 40); do running || break; sleep 0.25; done; echo "app: stopped"; fi
    rm -f "$pidfile" ;;
  status)
    if running; then echo "app: running (pid $(cat "$pidfile")) on http://127.0.0.1:$port"; else echo "app: not running"; fi ;;
esac
