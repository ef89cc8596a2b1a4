# Shared by up.sh and down.sh (sourced). The nodes of the local Redis Cluster: 3 masters on
# 127.0.0.1:7001-7003 by default. Override with REDIS_CLUSTER_PORTS="7101 7102 7103" (spaces or
# commas), or with REDIS_CLUSTER_NODES="127.0.0.1:7101,127.0.0.1:7102,127.0.0.1:7103" (what the app
# reads; every host must be this machine).
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE=${QT_CACHE_DIR:-$HOME/.cache/queueticket}
BASE="$CACHE/redis-cluster"
LOGS="$root/.run/logs/redis-cluster"
HOST=127.0.0.1
REDIS_SERVER=${REDIS_SERVER:-/usr/bin/redis-server}
REDIS_CLI=${REDIS_CLI:-$(command -v redis-cli || echo /usr/bin/redis-cli)}

if [ -n "${REDIS_CLUSTER_PORTS:-}" ]; then
  PORTS=$(echo "$REDIS_CLUSTER_PORTS" | tr ',' ' ')
elif [ -n "${REDIS_CLUSTER_NODES:-}" ]; then
  PORTS=""
  for node in $(echo "$REDIS_CLUSTER_NODES" | tr ',' ' '); do
    case "${node%:*}" in
      127.0.0.1 | localhost) PORTS="$PORTS ${node##*:}" ;;
      *) echo "redis-cluster: $node is not on this machine; set REDIS_CLUSTER_PORTS instead" >&2; exit 1 ;;
    esac
  done
else
  PORTS="7001 7002 7003"
fi
PORTS=$(echo $PORTS)

cli() { "$REDIS_CLI" -h "$HOST" -p "$1" "${@:2}"; }
answers() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }
node_dir() { echo "$BASE/$1"; }
# Our node: the server on that port works in our directory for that port.
is_ours() { [ "$(cli "$1" config get dir 2>/dev/null | sed -n 2p)" = "$(node_dir "$1")" ]; }
nodes_csv() { local out=""; for p in $PORTS; do out="$out,$HOST:$p"; done; echo "${out#,}"; }
