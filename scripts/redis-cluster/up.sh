#!/usr/bin/env bash
# Starts a local 3-master Redis Cluster (no replicas, no persistence) with the machine's redis-server,
# for the cluster tests and benches: `REDIS_CLUSTER_NODES=127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003`.
# Idempotent: a healthy cluster on those ports is reused; nodes that run but do not form a healthy
# cluster of exactly these nodes are emptied, reset and joined again. Prints the REDIS_CLUSTER_NODES line.
# Ports: REDIS_CLUSTER_PORTS or REDIS_CLUSTER_NODES (see lib.sh). Stop with scripts/redis-cluster/down.sh.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

if [ ! -x "$REDIS_SERVER" ] || [ ! -x "$REDIS_CLI" ]; then
  echo "redis-cluster: $REDIS_SERVER / redis-cli not found (Debian: apt-get install redis-server)" >&2
  exit 1
fi
mkdir -p "$BASE" "$LOGS"
# One caller at a time (a test file and a bench may both ask at once).
exec 9>"$BASE/.lock"
flock -w 120 9 || { echo "redis-cluster: another up.sh holds $BASE/.lock" >&2; exit 1; }

count=$(echo "$PORTS" | wc -w)

healthy() {
  local p info
  for p in $PORTS; do
    info=$(cli "$p" cluster info 2>/dev/null) || return 1
    grep -q '^cluster_state:ok' <<<"$info" || return 1
    grep -q "^cluster_known_nodes:$count"$'\r'"\?$" <<<"$info" || return 1
    grep -q "^cluster_size:$count"$'\r'"\?$" <<<"$info" || return 1
  done
}

start_node() {
  local p=$1 dir
  dir=$(node_dir "$p")
  mkdir -p "$dir"
  cat >"$dir/redis.conf" <<CONF
bind $HOST
port $p
daemonize yes
dir $dir
pidfile $dir/redis.pid
logfile $LOGS/$p.log
cluster-enabled yes
cluster-config-file nodes.conf
cluster-node-timeout 5000
appendonly no
save ""
CONF
  "$REDIS_SERVER" "$dir/redis.conf" 9>&- # the daemon must not inherit the lock
}

for p in $PORTS; do
  if answers "$p"; then
    if ! cli "$p" info cluster 2>/dev/null | grep -q '^cluster_enabled:1'; then
      echo "redis-cluster: a Redis without cluster mode (or something else) answers on $HOST:$p; free the port or set REDIS_CLUSTER_PORTS" >&2
      exit 1
    fi
  else
    start_node "$p"
  fi
done
for p in $PORTS; do
  for _ in $(seq 1 50); do cli "$p" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
  cli "$p" ping | grep -q PONG || { echo "redis-cluster: node $p did not start, see $LOGS/$p.log" >&2; exit 1; }
done

if healthy; then
  echo "redis-cluster: healthy on $(nodes_csv); reusing it"
else
  for p in $PORTS; do
    if ! is_ours "$p"; then
      echo "redis-cluster: the cluster node on $HOST:$p was not started by this script and the cluster is not healthy; not touching it" >&2
      exit 1
    fi
  done
  echo "redis-cluster: creating the cluster on $(nodes_csv)"
  for p in $PORTS; do
    cli "$p" flushall >/dev/null 2>&1 || true # only empty nodes can join (a replica refuses: reset first)
    cli "$p" cluster reset hard >/dev/null
    cli "$p" flushall >/dev/null
  done
  nodes=""
  for p in $PORTS; do nodes="$nodes $HOST:$p"; done
  # shellcheck disable=SC2086
  "$REDIS_CLI" --cluster create $nodes --cluster-replicas 0 --cluster-yes >"$LOGS/create.log" 2>&1 ||
    { cat "$LOGS/create.log" >&2; exit 1; }
  for _ in $(seq 1 150); do healthy && break; sleep 0.2; done
  healthy || { echo "redis-cluster: cluster_state not ok after 30 s; see $LOGS" >&2; exit 1; }
  echo "redis-cluster: cluster_state:ok on every node"
fi
echo "REDIS_CLUSTER_NODES=$(nodes_csv)"
