# Shared by scripts/kafka/up.sh (one broker) and cluster-up.sh (three): Java checks, the jar cache,
# formatting, starting a node and waiting for it. Source it; it sets KAFKA_VERSION, CACHE, LIBS, RUN.
kafka_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
kafka_root=$(cd "$kafka_here/../.." && pwd)
KAFKA_VERSION=${KAFKA_VERSION:-4.1.1}
CACHE=${QT_CACHE_DIR:-$HOME/.cache/queueticket}
LIBS="$CACHE/kafka-$KAFKA_VERSION/libs"
RUN="$kafka_root/.run"
LOG4J="$kafka_here/log4j2.properties"

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# JDK 17+ on PATH, and the Kafka jars (fetched once with Maven into the cache shared by every checkout).
kafka_prepare() {
  if ! command -v java >/dev/null 2>&1; then
    echo "kafka: no Java found. Install a JDK 17 or newer (Debian: apt-get install openjdk-17-jdk-headless) and rerun." >&2
    return 1
  fi
  local java_major
  java_major=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)
  if [ "${java_major:-0}" -lt 17 ]; then
    echo "kafka: Java $java_major found; Kafka 4 needs JDK 17 or newer." >&2
    return 1
  fi
  [ -f "$LIBS/kafka_2.13-$KAFKA_VERSION.jar" ] && return 0
  if ! command -v mvn >/dev/null 2>&1; then
    echo "kafka: Maven (mvn) is needed once to fetch Kafka $KAFKA_VERSION jars (Debian: apt-get install maven)." >&2
    return 1
  fi
  echo "kafka: fetching org.apache.kafka:kafka_2.13:$KAFKA_VERSION and runtime deps into $LIBS"
  mkdir -p "$LIBS"
  sed "s/<version>4.1.1<\/version>/<version>$KAFKA_VERSION<\/version>/" "$kafka_here/kafka.pom" > "$CACHE/kafka-$KAFKA_VERSION/kafka.pom"
  mvn -B -q -f "$CACHE/kafka-$KAFKA_VERSION/kafka.pom" \
    org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$LIBS"
}

kafka_java() { local logs=$1; shift; java -cp "$LIBS/*" -Dlog4j2.configurationFile="$LOG4J" -Dkafka.logs.dir="$logs" "$@"; }

kafka_random_id() { kafka_java /tmp kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1; }

# kafka_format <server.properties> <log.dirs> <logs dir> <cluster id> [format flags…]: once per data dir.
kafka_format() {
  local props=$1 data=$2 logs=$3 id=$4; shift 4
  [ -f "$data/meta.properties" ] && return 0
  kafka_java "$logs" kafka.tools.StorageTool format "$@" -t "$id" -c "$props" >"$logs/format.log" 2>&1
  echo "kafka: formatted $data (cluster $id)"
}

# kafka_props <replication factor> <min ISR>: the settings every node of ours shares (after its own
# node.id, quorum, listeners and log.dirs). Internal topics need the replication lines on a single node.
kafka_props() {
  cat <<PROPS
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
num.partitions=6
offsets.topic.replication.factor=$1
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=$1
transaction.state.log.min.isr=$2
transaction.state.log.num.partitions=6
share.coordinator.state.topic.replication.factor=$1
share.coordinator.state.topic.min.isr=$2
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
PROPS
}

# kafka_start <server.properties> <logs dir> <pid file> <max heap>: the broker in the background.
kafka_start() {
  local props=$1 logs=$2 pidfile=$3 heap=$4
  : > "$logs/server.log"
  nohup java -Xms128m -Xmx"$heap" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$LOG4J" -Dkafka.logs.dir="$logs" \
    -cp "$LIBS/*" kafka.Kafka "$props" >"$logs/stdout.log" 2>&1 &
  echo $! > "$pidfile"
}

# kafka_wait <port> <logs dir> <pid file> <seconds>: until the broker answers and logged its start.
kafka_wait() {
  local port=$1 logs=$2 pidfile=$3 seconds=$4
  for _ in $(seq 1 $((seconds * 2))); do
    if answers "$port" && grep -q "Kafka Server started" "$logs/server.log" 2>/dev/null; then return 0; fi
    if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      echo "kafka: broker on $port exited during start; see $logs/stdout.log and $logs/server.log" >&2
      tail -20 "$logs/stdout.log" >&2 || true
      return 1
    fi
    sleep 0.5
  done
  echo "kafka: broker on $port did not report started within $seconds s; see $logs/server.log" >&2
  return 1
}

# kafka_stop <pid file> <name>: SIGTERM, then SIGKILL after 30 s.
kafka_stop() {
  local pidfile=$1 name=$2 pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    echo "kafka: stopped $name (pid $pid)"
  fi
  rm -f "$pidfile"
}
