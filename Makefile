# QueueTicket: `make up` starts everything; `make test` runs every check and test.
SHELL := /bin/bash
NODE_ENV_SH := . scripts/node.sh
export HTTP_PORT ?= 8080

.PHONY: up down status deps services kafka migrate test check lint typecheck boundaries unit bench bench-cluster chaos fuzz deploy-check web chromium

up: deps services kafka migrate web ## install, start PostgreSQL/Redis/Kafka, migrate, start all roles
	@bash scripts/app.sh start

down: ## stop what `make up` and `make test` started (app, Kafka, the tests' Redis Cluster); machine services are left alone
	@bash scripts/app.sh stop
	@bash scripts/kafka/down.sh
	@bash scripts/redis-cluster/down.sh

status:
	@bash scripts/app.sh status
	@if [ -f .run/kafka.pid ] && kill -0 $$(cat .run/kafka.pid) 2>/dev/null; then echo "kafka: running (pid $$(cat .run/kafka.pid)), logs in .run/logs/kafka"; \
	  elif (exec 3<>/dev/tcp/127.0.0.1/9092) 2>/dev/null; then echo "kafka: a broker not started by us answers on 9092"; else echo "kafka: not running"; fi
	@(exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null && echo "postgres: answering" || echo "postgres: not answering"
	@(exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null && echo "redis: answering" || echo "redis: not answering"

deps: node_modules/.installed

node_modules/.installed: package.json package-lock.json
	@$(NODE_ENV_SH) && echo "deps: node $$(node -v)" && npm ci --no-audit --no-fund
	@touch $@

services:
	@bash scripts/services.sh

kafka:
	@bash scripts/kafka/up.sh

migrate: deps
	@$(NODE_ENV_SH) && node src/cli/migrate.ts --topics

lint: deps
	@$(NODE_ENV_SH) && npx biome check .

typecheck: deps
	@$(NODE_ENV_SH) && npx tsc --noEmit -p tsconfig.json

boundaries: deps
	@$(NODE_ENV_SH) && npx depcruise src --config .dependency-cruiser.cjs

check: lint typecheck boundaries

deploy-check: deps ## Dockerfile, compose, Kubernetes, CI workflow, alerts, dashboard, logging (no Docker engine needed)
	@bash scripts/check-deploy.sh

web: deps ## build the web UI (typecheck + vite) into web/dist, served by the api role at /
	@$(NODE_ENV_SH) && npx tsc --noEmit -p web/tsconfig.json && npx vite build --config web/vite.config.ts --logLevel warn && echo "web: built web/dist"

chromium: ## Debian's chromium for the browser tests (apt-get when missing)
	@bash scripts/ensure-chromium.sh

unit: deps services kafka web chromium
	@$(NODE_ENV_SH) && npx vitest run

test: deps services kafka check deploy-check web chromium unit ## every check, then the whole suite on real PostgreSQL, Redis and Kafka

# Evidence (bench/): fresh database, Redis prefix and topic prefix per run; every role its own process.
bench: deps services kafka ## hot paths vs hello-world and naive designs, SSE waiters, on-sale scenario, invariants (~5 min) → bench/RESULTS.md
	@$(NODE_ENV_SH) && ulimit -n $$(ulimit -Hn) && node bench/run.ts

chaos: deps services kafka ## fault runs on loopback (worker/relay/admitter kills, slow provider, Redis restart and data loss, PostgreSQL cut) → bench/CHAOS.md
	@$(NODE_ENV_SH) && node bench/chaos.ts

bench-cluster: deps services ## scale-out: api ×3, admitter ×2 on a 3-master Redis Cluster and 3 Kafka brokers (loopback; ~10 min) → bench/CLUSTER.md
	@$(NODE_ENV_SH) && ulimit -n $$(ulimit -Hn) && node bench/cluster.ts

fuzz: deps services kafka ## malformed input against every operation of /docs/json; 5xx count (goal 0) → bench/FUZZ.md
	@$(NODE_ENV_SH) && node bench/fuzz.ts
