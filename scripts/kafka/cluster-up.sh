#!/usr/bin/env bash
# Starts a three-node KRaft Kafka cluster on loopback for `make bench-cluster`: every node is broker
# and controller (node.id 1–3, a 3-voter quorum), replication factor 3, min.insync.replicas 2.
# Ports: KAFKA_CLUSTER_PORTS (PLAINTEXT, default "9192 9194 9196") and KAFKA_CLUSTER_CONTROLLER_PORTS
# (default "9193 9195 9197"). Data in the cache dir (kafka-cluster-<port>), logs in .run/logs/kafka-cluster.
# Idempotent: a healthy running cluster is reused; nodes that are down are started again.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
read -r -a ports <<<"${KAFKA_CLUSTER_PORTS:-9192 9194 9196}"
read -r -a cports <<<"${KAFKA_CLUSTER_CONTROLLER_PORTS:-9193 9195 9197}"
HEAP=${KAFKA_CLUSTER_HEAP:-512m}
PIDS="$RUN/kafka-cluster"
LOGS="$RUN/logs/kafka-cluster"
mkdir -p "$PIDS" "$LOGS"
[ "${#ports[@]}" -eq 3 ] && [ "${#cports[@]}" -eq 3 ] || { echo "kafka-cluster: three ports and three controller ports, please" >&2; exit 1; }
bootstrap=$(printf '127.0.0.1:%s,' "${ports[@]}"); bootstrap=${bootstrap%,}
voters=""
for i in 0 1 2; do voters+="$((i + 1))@127.0.0.1:${cports[$i]},"; done
voters=${voters%,}
. "$kafka_root/scripts/node.sh"
brokers() { (cd "$kafka_root" && node scripts/kafka/brokers.ts "$bootstrap"); }

node_running() { [ -f "$PIDS/node-$1.pid" ] && kill -0 "$(cat "$PIDS/node-$1.pid")" 2>/dev/null; }

if node_running 1 && node_running 2 && node_running 3 && [ "$(brokers)" = 3 ]; then
  echo "kafka-cluster: 3 brokers already up on $bootstrap; reusing them"
  exit 0
fi
for i in 0 1 2; do
  if ! node_running $((i + 1)) && answers "${ports[$i]}"; then
    echo "kafka-cluster: something not started by this script answers on 127.0.0.1:${ports[$i]}" >&2
    exit 1
  fi
done
kafka_prepare

# one cluster id for all three: an already formatted node's, else a new one
cluster_id=""
for p in "${ports[@]}"; do
  f="$CACHE/kafka-cluster-$p/log/meta.properties"
  [ -f "$f" ] && cluster_id=$(sed -n 's/^cluster.id=//p' "$f") && break
done
[ -n "$cluster_id" ] || cluster_id=$(kafka_random_id)

started=()
for i in 0 1 2; do
  id=$((i + 1)) port=${ports[$i]} cport=${cports[$i]}
  node_running "$id" && continue
  data="$CACHE/kafka-cluster-$port"
  logs="$LOGS/node-$id"
  mkdir -p "$data/log" "$logs"
  {
    cat <<PROPS
process.roles=broker,controller
node.id=$id
controller.quorum.voters=$voters
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
log.dirs=$data/log
default.replication.factor=3
min.insync.replicas=2
unclean.leader.election.enable=false
log.retention.hours=24
PROPS
    kafka_props 3 2
  } > "$data/server.properties"
  kafka_format "$data/server.properties" "$data/log" "$logs" "$cluster_id"
  kafka_start "$data/server.properties" "$logs" "$PIDS/node-$id.pid" "$HEAP"
  started+=("$id")
done
# a node reports started only once the quorum has a leader, so start all three, then wait
for id in "${started[@]}"; do
  kafka_wait "${ports[$((id - 1))]}" "$LOGS/node-$id" "$PIDS/node-$id.pid" 240
done
for _ in $(seq 1 120); do
  n=$(brokers)
  if [ "$n" = 3 ]; then
    echo "kafka-cluster: 3 brokers up on $bootstrap (cluster $cluster_id; pids $(cat "$PIDS"/node-*.pid | tr '\n' ' '); logs in $LOGS)"
    exit 0
  fi
  sleep 1
done
echo "kafka-cluster: metadata lists $n of 3 brokers after 120 s; see $LOGS/node-*/server.log" >&2
exit 1
