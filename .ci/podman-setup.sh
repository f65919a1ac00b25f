#!/usr/bin/env bash
# Sets up podman's Docker-compatible API for the container spawner and builds the worker image
# locally (no registry is reachable, so no FROM: the image is a root filesystem tarball holding
# node, the shared libraries it and node-rdkafka need, and the project's dist/, node_modules/, stack/).
# Idempotent: each step checks before it acts; the image is rebuilt only when its content changed.
#
#   .ci/podman-setup.sh            # install (if missing), configure, start the API, build the image
#   WORKER_IMAGE=localhost/kgroot:dev PODMAN_SOCKET=/run/podman/podman.sock  (defaults)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SOCKET="${PODMAN_SOCKET:-/run/podman/podman.sock}"
IMAGE="${WORKER_IMAGE:-localhost/kgroot:dev}"
say() { printf '[podman-setup] %s\n' "$*"; }

if [ "$(id -u)" != 0 ]; then
  say "must run as root (rootful podman with the API socket at ${SOCKET})" >&2
  exit 1
fi

# 1. podman + runc
if ! command -v podman >/dev/null 2>&1 || ! command -v runc >/dev/null 2>&1; then
  say "installing podman and runc with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq podman runc >/dev/null
fi

# 2. engine configuration for a sandbox without systemd: runc, cgroupfs, no default ulimits
mkdir -p /etc/containers
CONF=/etc/containers/containers.conf
WANT='[containers]
default_ulimits = []
cgroups = "no-conmon"

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"'
# cgroups = "no-conmon": conmon (and the runc it calls) stays in the engine's cgroup instead of
# sharing the workers' parent cgroup, so the CPU weight below applies to the workers alone.
CONF_CHANGED=0
if [ ! -f "$CONF" ] || [ "$(cat "$CONF")" != "$WANT" ]; then
  say "writing ${CONF}"
  printf '%s\n' "$WANT" >"$CONF"
  CONF_CHANGED=1
fi

# 2b. the workers' parent cgroup (WORKER_CGROUP_PARENT=/kgroot_workers): all worker containers
# together weigh 128 against 1024 per busy engine, broker or graph-store thread. CPU weights only
# count under contention, so idle CPU still goes to the workers; what it prevents is 60 booting
# workers (0.4 s of CPU each) slowing the engine's next starts.
WORKERS_CG=kgroot_workers
if [ -d /sys/fs/cgroup/cpu ]; then # cgroup v1
  mkdir -p "/sys/fs/cgroup/cpu/${WORKERS_CG}"
  echo 128 >"/sys/fs/cgroup/cpu/${WORKERS_CG}/cpu.shares"
elif [ -f /sys/fs/cgroup/cgroup.controllers ]; then # cgroup v2: weight 1..10000, default 100
  mkdir -p "/sys/fs/cgroup/${WORKERS_CG}"
  echo 12 >"/sys/fs/cgroup/${WORKERS_CG}/cpu.weight" 2>/dev/null || say "cpu.weight not settable on /${WORKERS_CG}; workers keep the default weight"
fi
say "worker parent cgroup /${WORKERS_CG} ready"

# 3. the API service (restarted when its configuration changed; running containers are unaffected)
ping() { curl -fsS --max-time 3 --unix-socket "$SOCKET" http://d/_ping >/dev/null 2>&1; }
if [ "$CONF_CHANGED" = 1 ] && ping; then
  say "restarting podman system service for the new ${CONF}"
  pkill -f "podman system service --time=0 unix://${SOCKET}" || true
  for _ in $(seq 1 50); do ping || break; sleep 0.2; done
fi
if ! ping; then
  say "starting podman system service on unix://${SOCKET}"
  mkdir -p "$(dirname "$SOCKET")" /var/log/kgroot
  nohup podman system service --time=0 "unix://${SOCKET}" >/var/log/kgroot/podman-service.log 2>&1 &
  for _ in $(seq 1 50); do ping && break; sleep 0.2; done
  ping || { say "podman API did not answer on ${SOCKET}; see /var/log/kgroot/podman-service.log" >&2; exit 1; }
fi
say "podman API answers on unix://${SOCKET}"

# 4. the worker image
cd "$ROOT"
if [ ! -f dist/src/cli.js ]; then
  say "building dist/ (npx tsc)"
  npx tsc -p tsconfig.json || true
fi
[ -f dist/src/cli.js ] || { say "dist/src/cli.js is missing after the build" >&2; exit 1; }

RDKAFKA_NODE="$(find node_modules/node-rdkafka/build/Release -maxdepth 1 -name '*.node' | head -1)"
HASH="$( { sha256sum "$(command -v node)" package-lock.json; find dist stack schemas -type f 2>/dev/null | sort | xargs sha256sum; } | sha256sum | cut -c1-16)"
CURRENT="$(podman image inspect --format '{{ index .Labels "kg.content" }}' "$IMAGE" 2>/dev/null || true)"
if [ "$CURRENT" = "$HASH" ]; then
  say "image ${IMAGE} is up to date (content ${HASH})"
  exit 0
fi

say "building image ${IMAGE} (content ${HASH})"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
RFS="$WORK/rootfs"
mkdir -p "$RFS"/{app,tmp,etc,usr/bin,proc,sys,dev,run} && chmod 1777 "$RFS/tmp"

# node and every shared library it and node-rdkafka's addon load (ldd), with their paths kept
cp -L "$(command -v node)" "$RFS/usr/bin/node"
for bin in "$(command -v node)" "$RDKAFKA_NODE"; do
  ldd "$bin" | awk '/=>/ && $3 ~ /^\// {print $3} /^\s*\/lib/ {print $1}'
done | sort -u | while read -r lib; do
  case "$lib" in "$ROOT"/*) continue ;; esac # libraries inside node_modules come with it
  mkdir -p "$RFS$(dirname "$lib")"
  cp -L "$lib" "$RFS$lib"
done
# the dynamic loader at its canonical path (and /lib64 → usr/lib64 layouts)
LOADER="$(ldd "$(command -v node)" | awk '/ld-linux/ {print $1}')"
mkdir -p "$RFS$(dirname "$LOADER")" && cp -L "$LOADER" "$RFS$LOADER"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' >"$RFS/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$RFS/etc/group"
[ -d /etc/ssl/certs ] && mkdir -p "$RFS/etc/ssl" && cp -rL /etc/ssl/certs "$RFS/etc/ssl/" 2>/dev/null || true

# the project: dist, stack, schemas, package.json and the production dependencies only
cp -r dist package.json "$RFS/app/"
[ -d stack ] && cp -r stack "$RFS/app/"
[ -d schemas ] && cp -r schemas "$RFS/app/"
npm ls --omit=dev --parseable --all 2>/dev/null | tail -n +2 | sed "s#^${ROOT}/##" | grep '^node_modules/' | sort -u >"$WORK/deps"
tar -C "$ROOT" -cf - \
  --exclude='node_modules/node-rdkafka/deps' \
  --exclude='node_modules/node-rdkafka/build/Release/obj.target' \
  --exclude='node_modules/node-rdkafka/build/deps/include' \
  --exclude='node_modules/node-rdkafka/build/deps/*.a' \
  --exclude='node_modules/node-rdkafka/src' \
  --exclude='node_modules/node-rdkafka/e2e' \
  -T "$WORK/deps" | tar -C "$RFS/app" -xf -

tar -C "$RFS" -cf "$WORK/rootfs.tar" .
podman import \
  --change 'WORKDIR /app' \
  --change 'ENV NODE_ENV=production' \
  --change 'ENTRYPOINT ["/usr/bin/node", "/app/dist/src/cli.js"]' \
  --change "LABEL kg.content=${HASH}" \
  "$WORK/rootfs.tar" "$IMAGE" >/dev/null
say "image ${IMAGE} built ($(du -sh "$WORK/rootfs.tar" | cut -f1) rootfs)"
# the image this one replaced is left untagged: drop it (163 MB each)
podman image prune -f >/dev/null || true

# smoke test: node starts and loads node-rdkafka inside the image
podman run --rm --network host --entrypoint /usr/bin/node "$IMAGE" -e "require('/app/node_modules/node-rdkafka'); console.log('node-rdkafka ok')"
