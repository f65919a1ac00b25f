#!/usr/bin/env bash
# START-SERVER: starts kgroot and waits until it is ready.
#   scripts/start-server.sh compose   docker compose deployment (needs a Docker engine): build the image, up -d, wait healthy
#   scripts/start-server.sh local     the embedded server with containers for workers: local stack + podman API
#                                     (SPAWNER=docker, WORKER_IMAGE=localhost/kgroot:dev), in the background
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-local}"
say() { printf '[start-server] %s\n' "$*"; }

case "$mode" in
  compose)
    docker build -t "${KGROOT_IMAGE:-kgroot:latest}" .
    docker compose up -d
    for svc in kafka neo4j control-plane topology-builder webhook-receiver; do
      for _ in $(seq 1 90); do
        state="$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$(docker compose ps -q "$svc")" 2>/dev/null || true)"
        [ "$state" = healthy ] || [ "$state" = running ] && break
        sleep 2
      done
      say "$svc: ${state:-unknown}"
    done
    ;;
  local)
    npm run build --silent
    node dist/src/cli.js stack up
    .ci/podman-setup.sh
    mkdir -p .kgroot
    SPAWNER=docker WORKER_IMAGE="${WORKER_IMAGE:-localhost/kgroot:dev}" KAFKA_BROKERS=127.0.0.1:9092 NEO4J_URI=bolt://127.0.0.1:7687 \
      nohup node dist/src/cli.js start > .kgroot/server.log 2>&1 &
    echo $! > .kgroot/server.pid
    for _ in $(seq 1 60); do curl -fsS "http://127.0.0.1:${CONTROL_PLANE_PORT:-7070}/clients" >/dev/null 2>&1 && break; sleep 1; done
    curl -fsS "http://127.0.0.1:${CONTROL_PLANE_PORT:-7070}/clients" >/dev/null || { say "control plane did not answer; see .kgroot/server.log"; exit 1; }
    say "running (pid $(cat .kgroot/server.pid), log .kgroot/server.log); stop with: kill \$(cat .kgroot/server.pid)"
    ;;
  *)
    echo "usage: $0 compose|local" >&2
    exit 2
    ;;
esac
