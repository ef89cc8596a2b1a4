#!/usr/bin/env bash
# Starts a single-node KRaft Kafka broker from Maven Central jars (no tarball, no Docker).
# Idempotent: a broker already answering on KAFKA_PORT is reused and left alone.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
KAFKA_VERSION=${KAFKA_VERSION:-4.1.1}
KAFKA_PORT=${KAFKA_PORT:-9092}
CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1))}
CACHE=${QT_CACHE_DIR:-$HOME/.cache/queueticket}
LIBS="$CACHE/kafka-$KAFKA_VERSION/libs"
DATA="$CACHE/kafka-data-$KAFKA_PORT"
RUN="$root/.run"
LOGS="$RUN/logs/kafka"
mkdir -p "$RUN" "$LOGS"

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if answers "$KAFKA_PORT"; then
  echo "kafka: a broker already answers on 127.0.0.1:$KAFKA_PORT; reusing it"
  exit 0
fi

if ! command -v java >/dev/null 2>&1; then
  echo "kafka: no Java found. Install a JDK 17 or newer (Debian: apt-get install openjdk-17-jdk-headless) and rerun." >&2
  exit 1
fi
java_major=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)
if [ "${java_major:-0}" -lt 17 ]; then
  echo "kafka: Java $java_major found; Kafka 4 needs JDK 17 or newer." >&2
  exit 1
fi

if [ ! -f "$LIBS/kafka_2.13-$KAFKA_VERSION.jar" ]; then
  if ! command -v mvn >/dev/null 2>&1; then
    echo "kafka: Maven (mvn) is needed once to fetch Kafka $KAFKA_VERSION jars (Debian: apt-get install maven)." >&2
    exit 1
  fi
  echo "kafka: fetching org.apache.kafka:kafka_2.13:$KAFKA_VERSION and runtime deps into $LIBS"
  mkdir -p "$LIBS"
  sed "s/<version>4.1.1<\/version>/<version>$KAFKA_VERSION<\/version>/" "$here/kafka.pom" > "$CACHE/kafka-$KAFKA_VERSION/kafka.pom"
  mvn -B -q -f "$CACHE/kafka-$KAFKA_VERSION/kafka.pom" \
    org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$LIBS"
fi

props="$DATA/server.properties"
mkdir -p "$DATA/log"
cat > "$props" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$DATA/log
num.partitions=6
offsets.topic.replication.factor=1
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=6
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
log.retention.hours=168
PROPS

cp_arg="$LIBS/*"
if [ ! -f "$DATA/log/meta.properties" ]; then
  cluster_id=$(java -cp "$cp_arg" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)
  java -cp "$cp_arg" -Dlog4j2.configurationFile="$here/log4j2.properties" -Dkafka.logs.dir="$LOGS" \
    kafka.tools.StorageTool format --standalone -t "$cluster_id" -c "$props" >"$LOGS/format.log" 2>&1
  echo "kafka: formatted $DATA/log (cluster $cluster_id)"
fi

nohup java -Xms256m -Xmx1g -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
  -Dlog4j2.configurationFile="$here/log4j2.properties" -Dkafka.logs.dir="$LOGS" \
  -cp "$cp_arg" kafka.Kafka "$props" >"$LOGS/stdout.log" 2>&1 &
echo $! > "$RUN/kafka.pid"

for _ in $(seq 1 360); do
  if answers "$KAFKA_PORT" && grep -q "Kafka Server started" "$LOGS/server.log" 2>/dev/null; then
    echo "kafka: broker up on 127.0.0.1:$KAFKA_PORT (pid $(cat "$RUN/kafka.pid"), logs in $LOGS)"
    exit 0
  fi
  if ! kill -0 "$(cat "$RUN/kafka.pid")" 2>/dev/null; then
    echo "kafka: broker exited during start; see $LOGS/stdout.log and $LOGS/server.log" >&2
    tail -20 "$LOGS/stdout.log" >&2 || true
    exit 1
  fi
  sleep 0.5
done
echo "kafka: broker did not report started within 180 s; see $LOGS/server.log" >&2
exit 1
