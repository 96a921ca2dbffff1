#!/usr/bin/env bash
# Installs the tools the tests and the local stack need, pinned, into .tools/bin.
#
#   etcd, kube-apiserver, kube-controller-manager, kubectl: built from the Go module proxy, unless
#     KUBEBUILDER_ASSETS names a folder that already holds them (the kubebuilder envtest convention).
#   helm: built from the Go module proxy.
#   redis-server, postgresql, shellcheck: Debian's packages, installed when missing (needs root).
#
# Built binaries are kept in a per-user cache keyed by version
# (${XDG_CACHE_HOME:-~/.cache}/busca-ativa/tools/<tool>-<version>-r<recipe>) and copied from there, so a
# fresh clone only copies them. Idempotent: run it as often as you like; it prints what it did.
#
# Usage: hack/install-tools.sh [--no-system]   (--no-system skips the Debian packages)
set -euo pipefail

K8S_VERSION=1.37.2
ETCD_VERSION=3.7.3
HELM_VERSION=4.3.1
# Bumped whenever the way a tool is built changes, so cached binaries are rebuilt.
RECIPE=2

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bin="$root/.tools/bin"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/busca-ativa/tools"
mkdir -p "$bin" "$cache"

say() { printf 'install-tools: %s\n' "$*"; }

# Copies a binary into .tools/bin unless the same file is already there.
place() {
  local src=$1 name
  name=$(basename "$src")
  if [[ -x "$bin/$name" ]] && cmp -s "$src" "$bin/$name"; then
    say "$name up to date"
    return
  fi
  cp -f "$src" "$bin/$name"
  say "installed $name from $(dirname "$src")"
}

# Builds Go main packages in a throwaway module into the folder $1.
#   $2: extra go.mod lines (require/replace); $3: -ldflags; $4...: packages.
go_build_into() {
  local dest=$1 modlines=$2 ldflags=$3 work pkg
  shift 3
  work=$(mktemp -d)
  printf 'module buscaativa.local/tools\n\ngo 1.26.0\n\n%s\n' "$modlines" >"$work/go.mod"
  {
    printf '//go:build tools\n\npackage tools\n\n'
    for pkg in "$@"; do printf 'import _ "%s"\n' "$pkg"; done
  } >"$work/tools.go"
  rm -rf "$dest.partial"
  mkdir -p "$dest.partial"
  (
    cd "$work"
    export GOFLAGS=-mod=mod CGO_ENABLED=0
    go mod tidy >/dev/null 2>&1 || go mod download all >/dev/null
    for pkg in "$@"; do
      say "building $pkg (several minutes the first time on a 2-core machine)"
      go build -trimpath -ldflags="-s -w $ldflags" -o "$dest.partial/" "$pkg"
    done
  )
  rm -rf "$work" "$dest"
  mv "$dest.partial" "$dest"
}

build_kubernetes() {
  local dest=$1 modfile staging lines="require k8s.io/kubernetes v$K8S_VERSION"$'\n' m v
  # k8s.io/kubernetes requires its staging modules at v0.0.0 with local replaces that only work inside its
  # own repository; replacing each with its published v0.X.Y release builds from the module proxy.
  modfile=$(go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  staging=$(grep -E '=> \./staging/' "$modfile" | awk '{print $1}')
  for m in $staging; do
    lines+="replace $m => $m v0.${K8S_VERSION#1.}"$'\n'
  done
  local minor=${K8S_VERSION#1.}
  minor=${minor%%.*}
  v="-X k8s.io/component-base/version.gitVersion=v$K8S_VERSION"
  v+=" -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
  v+=" -X k8s.io/client-go/pkg/version.gitVersion=v$K8S_VERSION"
  v+=" -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=$minor"
  v+=" -X k8s.io/component-base/version.gitTreeState=clean"
  go_build_into "$dest" "$lines" "$v" \
    k8s.io/kubernetes/cmd/kube-apiserver \
    k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kubectl
}

build_etcd() {
  local dest=$1 work
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
  rm -rf "$dest.partial"
  (cd "$work" && export GOFLAGS=-mod=mod CGO_ENABLED=0 && go mod tidy >/dev/null &&
    go build -trimpath -ldflags='-s -w' -o "$dest.partial/etcd" .)
  rm -rf "$work" "$dest"
  mv "$dest.partial" "$dest"
}

build_helm() {
  local dest=$1 major=${HELM_VERSION%%.*}
  go_build_into "$dest" "require helm.sh/helm/v$major v$HELM_VERSION" \
    "-X helm.sh/helm/v$major/internal/version.version=v$HELM_VERSION" "helm.sh/helm/v$major/cmd/helm"
}

# ensure TOOL... : places each tool from KUBEBUILDER_ASSETS when there, else from the cache, building it once.
install_kube_tools() {
  local assets=${KUBEBUILDER_ASSETS:-} t missing_k8s=0 missing_etcd=0
  for t in etcd kube-apiserver kube-controller-manager kubectl; do
    if [[ -n "$assets" && -x "$assets/$t" ]]; then
      place "$assets/$t"
    elif [[ $t == etcd ]]; then
      missing_etcd=1
    else
      missing_k8s=1
    fi
  done
  [[ -n "$assets" ]] && say "KUBEBUILDER_ASSETS=$assets: used what it holds, building the rest"
  if ((missing_k8s)); then
    local dir="$cache/kubernetes-v$K8S_VERSION-r$RECIPE"
    [[ -x "$dir/kubectl" ]] || build_kubernetes "$dir"
    for t in kube-apiserver kube-controller-manager kubectl; do
      [[ -n "$assets" && -x "$assets/$t" ]] || place "$dir/$t"
    done
  fi
  if ((missing_etcd)); then
    local edir="$cache/etcd-v$ETCD_VERSION-r$RECIPE"
    [[ -x "$edir/etcd" ]] || build_etcd "$edir"
    place "$edir/etcd"
  fi
}

install_helm() {
  local dir="$cache/helm-v$HELM_VERSION-r$RECIPE"
  [[ -x "$dir/helm" ]] || build_helm "$dir"
  place "$dir/helm"
}

install_system() {
  local need=()
  command -v redis-server >/dev/null || need+=(redis-server)
  compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null || need+=(postgresql)
  command -v shellcheck >/dev/null || need+=(shellcheck)
  if ((${#need[@]} == 0)); then
    say "redis-server, postgresql and shellcheck already installed"
    return
  fi
  if [[ $(id -u) -ne 0 ]]; then
    say "missing Debian packages: ${need[*]}; install them with apt-get as root, or run this script as root" >&2
    exit 1
  fi
  say "installing Debian packages: ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  # Debian starts system-wide services on install; the tests run private instances instead.
  service postgresql stop >/dev/null 2>&1 || true
  service redis-server stop >/dev/null 2>&1 || true
}

main() {
  local system=1
  [[ "${1:-}" == "--no-system" ]] && system=0
  command -v go >/dev/null || {
    say "Go 1.26+ is required to build the Kubernetes tools (or set KUBEBUILDER_ASSETS)" >&2
    exit 1
  }
  ((system)) && install_system
  install_kube_tools
  install_helm
  say "done: $(cd "$bin" && ls | tr '\n' ' ')"
}

main "$@"
