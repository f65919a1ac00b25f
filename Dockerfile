# One image for every kgroot role: `docker run kgroot <role>` (control-plane, event-normalizer,
# log-normalizer, graph-builder, topology-builder, webhook-receiver, topics, status, simulate).

# --- build: compiles node-rdkafka (librdkafka) from source and the TypeScript ---
FROM node:20-bookworm AS build
# libzstd-dev / liblz4-dev: librdkafka leaves out the zstd and lz4 codecs without them (the agent sends zstd).
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ libssl-dev libsasl2-dev zlib1g-dev libzstd-dev liblz4-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src src
COPY pipelines pipelines
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev

# --- runtime: no compiler, non-root ---
FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libssl3 libsasl2-2 zlib1g libzstd1 liblz4-1 ca-certificates \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY package.json ./
COPY schemas schemas
USER node
# Every role serves /healthz on METRICS_PORT (see README); the check asks that endpoint.
ENV METRICS_PORT=9464
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "dist/src/cli.js", "healthcheck"]
ENTRYPOINT ["node", "dist/src/cli.js"]
CMD ["help"]
