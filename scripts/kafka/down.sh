#!/usr/bin/env bash
# Stops the broker only if this checkout's `make up` started it.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
[ -f "$RUN/kafka.pid" ] || { echo "kafka: not started by this checkout; left alone"; exit 0; }
kafka_stop "$RUN/kafka.pid" broker
