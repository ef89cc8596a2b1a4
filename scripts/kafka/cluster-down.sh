#!/usr/bin/env bash
# Stops the three nodes scripts/kafka/cluster-up.sh started (and nothing else).
#   cluster-down.sh          stop, keep data (the next cluster-up.sh reuses it)
#   cluster-down.sh --wipe   stop and delete the nodes' data (kafka-cluster-<port> in the cache dir)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
read -r -a ports <<<"${KAFKA_CLUSTER_PORTS:-9192 9194 9196}"
PIDS="$RUN/kafka-cluster"
stopped=0
for id in 1 2 3; do
  if [ -f "$PIDS/node-$id.pid" ]; then kafka_stop "$PIDS/node-$id.pid" "node $id" & stopped=1; fi
done
wait
[ "$stopped" = 1 ] || echo "kafka-cluster: no node started by this checkout"
if [ "${1:-}" = "--wipe" ]; then
  for p in "${ports[@]}"; do rm -rf "${CACHE:?}/kafka-cluster-$p"; done
  echo "kafka-cluster: data wiped ($CACHE/kafka-cluster-{$(IFS=,; echo "${ports[*]}")})"
fi
