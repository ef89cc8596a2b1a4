#!/usr/bin/env bash
# Starts a single-node KRaft Kafka broker from Maven Central jars (no tarball, no Docker).
# Idempotent: a broker already answering on KAFKA_PORT is reused and left alone.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
KAFKA_PORT=${KAFKA_PORT:-9092}
CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1))}
DATA="$CACHE/kafka-data-$KAFKA_PORT"
LOGS="$RUN/logs/kafka"
mkdir -p "$RUN" "$LOGS"

if answers "$KAFKA_PORT"; then
  echo "kafka: a broker already answers on 127.0.0.1:$KAFKA_PORT; reusing it"
  exit 0
fi
kafka_prepare

props="$DATA/server.properties"
mkdir -p "$DATA/log"
{
  cat <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
log.dirs=$DATA/log
log.retention.hours=168
PROPS
  kafka_props 1 1
} > "$props"

[ -f "$DATA/log/meta.properties" ] || kafka_format "$props" "$DATA/log" "$LOGS" "$(kafka_random_id)" --standalone

kafka_start "$props" "$LOGS" "$RUN/kafka.pid" 1g
kafka_wait "$KAFKA_PORT" "$LOGS" "$RUN/kafka.pid" 180
echo "kafka: broker up on 127.0.0.1:$KAFKA_PORT (pid $(cat "$RUN/kafka.pid"), logs in $LOGS)"
