#!/usr/bin/env bash
# Installs the tools the tests and the local stack need, pinned, into .tools/bin.
#
# Built binaries are kept in a per-user cache keyed by version
# (${XDG_CACHE_HOME:-~/.cache}/busca-ativa/tools/<tool>-<version>) and reused from there,
# so a fresh clone only copies them. Idempotent: run it as often as you like.
#
#   etcd, kube-apiserver, kube-controller-manager, kubectl: built from the Go module proxy,
#     unless KUBEBUILDER_ASSETS names a folder that already holds them.
#   helm: built from the Go module proxy.
#   redis-server, postgres: Debian's packages, installed when missing (needs root).
#
# Usage: hack/install-tools.sh [--no-system]   (--no-system skips the Debian packages)
set -euo pipefail

K8S_VERSION=1.37.2
ETCD_VERSION=3.7.3
HELM_VERSION=4.3.1

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin="$root/.tools/bin"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/busca-ativa/tools"
mkdir -p "$bin" "$cache"

say() { printf 'install-tools: %s\n' "$*"; }

# Copies a cached binary into .tools/bin unless the same file is already there.
link_tool() {
  local src=$1 name
  name=$(basename "$src")
  if [[ -x "$bin/$name" ]] && cmp -s "$src" "$bin/$name"; then
    return
  fi
  cp -f "$src" "$bin/$name"
  say "copied $name from $(dirname "$src")"
}

# Builds Go main packages from a throwaway module and stores them in $1 (a cache folder).
# $2: go.mod body (require/replace lines); $3...: packages to build.
go_build_into() {
  local dest=$1 modbody=$2
  shift 2
  local work
  work=$(mktemp -d)
  trap 'rm -rf "$work"' RETURN
  printf 'module buscaativa.local/tools\n\ngo 1.26.0\n\n%s\n' "$modbody" >"$work/go.mod"
  cat >"$work/tools.go" <<GO
//go:build tools

package tools
GO
  for pkg in "$@"; do
    printf 'import _ "%s"\n' "$pkg" >>"$work/tools.go"
  done
  (
    cd "$work"
    export GOFLAGS=-mod=mod CGO_ENABLED=0
    go mod tidy -e >/dev/null 2>&1 || true
    mkdir -p "$dest.partial"
    for pkg in "$@"; do
      say "building $pkg (this takes a few minutes the first time)"
      go build -trimpath -ldflags='-s -w' -o "$dest.partial/" "$pkg"
    done
  )
  rm -rf "$dest"
  mv "$dest.partial" "$dest"
}

install_kube() {
  if [[ -n "${KUBEBUILDER_ASSETS:-}" && -x "$KUBEBUILDER_ASSETS/kube-apiserver" && -x "$KUBEBUILDER_ASSETS/etcd" ]]; then
    say "using etcd and kube-apiserver from KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS"
    link_tool "$KUBEBUILDER_ASSETS/etcd"
    link_tool "$KUBEBUILDER_ASSETS/kube-apiserver"
    for extra in kube-controller-manager kubectl; do
      [[ -x "$KUBEBUILDER_ASSETS/$extra" ]] && link_tool "$KUBEBUILDER_ASSETS/$extra"
    done
    [[ -x "$bin/kube-controller-manager" && -x "$bin/kubectl" ]] && return
  fi

  local dir="$cache/kubernetes-v$K8S_VERSION"
  if [[ ! -x "$dir/kube-apiserver" || ! -x "$dir/kube-controller-manager" || ! -x "$dir/kubectl" ]]; then
    # k8s.io/kubernetes requires its staging modules at v0.0.0 with local replaces, which only
    # work inside its own repository; replacing each with its published v0.X.Y release builds.
    local modfile staging replaces
    modfile=$(go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
    staging=$(grep -E '=> \./staging/' "$modfile" | awk '{print $1}')
    replaces=""
    for m in $staging; do
      replaces+="replace $m => $m v0.${K8S_VERSION#1.}"$'\n'
    done
    go_build_into "$dir" "require k8s.io/kubernetes v$K8S_VERSION
$replaces" \
      k8s.io/kubernetes/cmd/kube-apiserver \
      k8s.io/kubernetes/cmd/kube-controller-manager \
      k8s.io/kubernetes/cmd/kubectl
  else
    say "kubernetes v$K8S_VERSION binaries found in cache"
  fi
  for t in kube-apiserver kube-controller-manager kubectl; do
    [[ -x "$bin/$t" && -n "${KUBEBUILDER_ASSETS:-}" && "$(readlink -f "$bin/$t")" != "$dir/$t" && -x "$KUBEBUILDER_ASSETS/$t" ]] && continue
    link_tool "$dir/$t"
  done

  if [[ -z "${KUBEBUILDER_ASSETS:-}" || ! -x "$KUBEBUILDER_ASSETS/etcd" ]]; then
    local edir="$cache/etcd-v$ETCD_VERSION"
    if [[ ! -x "$edir/etcd" ]]; then
      local work
      work=$(mktemp -d)
      printf 'module buscaativa.local/etcd\n\ngo 1.26.0\n\nrequire go.etcd.io/etcd/server/v3 v%s\n' "$ETCD_VERSION" >"$work/go.mod"
      cat >"$work/main.go" <<'GO'
// The etcd server: the same entry point as etcd's own main package.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
      say "building etcd v$ETCD_VERSION"
      (cd "$work" && GOFLAGS=-mod=mod CGO_ENABLED=0 go mod tidy >/dev/null 2>&1 &&
        GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$edir.partial/etcd" .)
      rm -rf "$work" "$edir"
      mv "$edir.partial" "$edir"
    else
      say "etcd v$ETCD_VERSION found in cache"
    fi
    link_tool "$edir/etcd"
  fi
}

install_helm() {
  local dir="$cache/helm-v$HELM_VERSION" major=${HELM_VERSION%%.*}
  if [[ ! -x "$dir/helm" ]]; then
    go_build_into "$dir" "require helm.sh/helm/v$major v$HELM_VERSION" "helm.sh/helm/v$major/cmd/helm"
  else
    say "helm v$HELM_VERSION found in cache"
  fi
  link_tool "$dir/helm"
}

install_system() {
  local need=()
  command -v redis-server >/dev/null || need+=(redis-server)
  compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null || need+=(postgresql)
  if ((${#need[@]} == 0)); then
    say "redis-server and postgresql already installed"
    return
  fi
  if [[ $(id -u) -ne 0 ]]; then
    say "missing Debian packages: ${need[*]}; run as root or install them with apt-get" >&2
    exit 1
  fi
  say "installing Debian packages: ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  # Debian starts a cluster-wide service on install; the tests run private instances instead.
  service postgresql stop >/dev/null 2>&1 || true
  service redis-server stop >/dev/null 2>&1 || true
}

main() {
  local system=1
  [[ "${1:-}" == "--no-system" ]] && system=0
  command -v go >/dev/null || { say "Go is required to build the Kubernetes tools" >&2; exit 1; }
  ((system)) && install_system
  install_kube
  install_helm
  say "done: $(ls "$bin" | tr '\n' ' ')"
}

main "$@"
