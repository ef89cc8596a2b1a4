#!/usr/bin/env bash
# Makes sure PostgreSQL and Redis answer. Uses what already runs; else starts the machine's own
# services with the commands this machine uses; else says exactly what to install.
set -euo pipefail
answers() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

if answers 127.0.0.1 5432; then
  echo "postgres: answering on 127.0.0.1:5432"
elif command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  echo "postgres: not answering; starting the local cluster"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
  for _ in $(seq 1 30); do answers 127.0.0.1 5432 && break; sleep 0.5; done
elif command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
  echo "postgres: starting with deploy/compose.yaml"; docker compose -f deploy/compose.yaml up -d postgres
else
  echo "postgres: nothing answers on 127.0.0.1:5432. Install PostgreSQL 15+ (Debian: apt-get install postgresql) or run Docker." >&2
  exit 1
fi

if answers 127.0.0.1 6379; then
  echo "redis: answering on 127.0.0.1:6379"
elif command -v redis-server >/dev/null 2>&1; then
  echo "redis: not answering; starting redis-server"
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
  for _ in $(seq 1 30); do answers 127.0.0.1 6379 && break; sleep 0.2; done
elif command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
  echo "redis: starting with deploy/compose.yaml"; docker compose -f deploy/compose.yaml up -d redis
else
  echo "redis: nothing answers on 127.0.0.1:6379. Install Redis 7 (Debian: apt-get install redis-server) or run Docker." >&2
  exit 1
fi
