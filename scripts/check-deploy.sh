#!/usr/bin/env bash
# Checks every deployment and operations file without a Docker engine or a cluster:
#   docker-compose config (Debian's docker-compose 1.29, or `docker compose` v2 where present),
#   promtool (alert rules, their unit tests, the Prometheus config, the dashboard's PromQL),
#   amtool (Alertmanager config), then scripts/check-deploy.ts (Kubernetes, workflow, Dockerfile,
#   dashboard, metric names, logging) with npm packages only.
# Missing Debian tools are installed once (root or sudo; a few seconds), like the browser tests do.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
. scripts/node.sh

need=()
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v amtool >/dev/null 2>&1 || need+=(prometheus-alertmanager)
compose=()
if docker compose version >/dev/null 2>&1; then compose=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then compose=(docker-compose)
else need+=(docker-compose); compose=(docker-compose); fi

if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && sudo="sudo"
  if ! command -v apt-get >/dev/null 2>&1 || { [ "$(id -u)" -ne 0 ] && [ -z "$sudo" ]; }; then
    echo "deploy-check: missing ${need[*]}; install them (Debian/Ubuntu: apt-get install ${need[*]})" >&2
    exit 1
  fi
  echo "deploy-check: installing ${need[*]} (Debian packages, once)"
  export DEBIAN_FRONTEND=noninteractive
  if ! $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1; then
    $sudo apt-get update -qq >/dev/null
    $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
step() { # name, command...
  local name=$1; shift
  if out=$("$@" 2>&1); then echo "ok   $name"; else echo "FAIL $name"; echo "$out" | sed 's/^/     /'; fail=1; fi
}

step "deploy/compose.yaml (${compose[*]} config)" "${compose[@]}" -f deploy/compose.yaml config -q
step "deploy/prometheus/alerts.yml (promtool check rules)" promtool check rules deploy/prometheus/alerts.yml
step "deploy/prometheus/alerts.test.yml (promtool test rules)" promtool test rules deploy/prometheus/alerts.test.yml
# The config names the rule file by its path inside the Prometheus container.
sed "s#/etc/prometheus/alerts.yml#$root/deploy/prometheus/alerts.yml#" deploy/prometheus/prometheus.yml >"$tmp/prometheus.yml"
step "deploy/prometheus/prometheus.yml (promtool check config)" promtool check config "$tmp/prometheus.yml"
step "deploy/alertmanager/alertmanager.yml (amtool check-config)" amtool check-config deploy/alertmanager/alertmanager.yml

node scripts/check-deploy.ts --promql-rules "$tmp/dashboard-rules.yml" || fail=1
if [ -s "$tmp/dashboard-rules.yml" ]; then
  step "deploy/grafana/queueticket.json PromQL (promtool check rules)" promtool check rules "$tmp/dashboard-rules.yml"
fi

if [ "$fail" -ne 0 ]; then echo "deploy-check: FAILED" >&2; exit 1; fi
echo "deploy-check: passed"
