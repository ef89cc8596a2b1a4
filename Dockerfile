# QueueTicket: one small image for every role. Node 24 runs the TypeScript sources directly (type
# stripping), so only the web UI is built: production dependencies + src + migrations + web/dist.
#
#   docker build -t queueticket .
#   docker run queueticket api          # or admitter | relay | worker | "api,worker"
#   docker run -e ROLES=worker queueticket
#   docker run --entrypoint node queueticket src/cli/migrate.ts --topics   # migrations + topics
#   docker run --entrypoint node queueticket src/ops/alert-notifier.ts     # Alertmanager → Slack
# --- dependencies: production packages only (argon2 ships prebuilt linux binaries) ---------------
FROM node:24-trixie-slim AS deps
WORKDIR /app
ENV NODE_ENV=production \
    npm_config_audit=false \
    npm_config_fund=false \
    npm_config_update_notifier=false
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force

# --- web UI: built with the dev dependencies (Vite), only its static output goes to the runtime ----
FROM node:24-trixie-slim AS web
WORKDIR /app
ENV npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json ./
COPY web ./web
RUN npx vite build --config web/vite.config.ts --logLevel warn

# --- runtime: code owned by root and read-only to the app user -----------------------------------
FROM node:24-trixie-slim AS runtime
LABEL org.opencontainers.image.title="queueticket" \
      org.opencontainers.image.description="QueueTicket concert ticketing: api, admitter, relay and worker roles" \
      org.opencontainers.image.source="https://github.com/queueticket/queueticket"
ENV NODE_ENV=production \
    HTTP_HOST=0.0.0.0 \
    HTTP_PORT=8080 \
    NODE_OPTIONS=--enable-source-maps
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json ./
COPY migrations ./migrations
COPY src ./src
COPY --from=web /app/web/dist ./web/dist
# The official image's `node` user (uid 1000), numeric so Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 8080
# Liveness only (the process answers); readiness (/readyz: PostgreSQL, Redis, Kafka) is the orchestrator's.
HEALTHCHECK --interval=15s --timeout=3s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.HTTP_PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# The first argument, when given, is the role list (api, admitter, relay, worker); else ROLES.
ENTRYPOINT ["node", "src/main.ts"]
CMD []
