#!/usr/bin/env bash
# Renders the files generated from the Helm chart, so they never drift from their sources:
#   charts/busca-ativa/crds/*.yaml  copies of crds/*.yaml (themselves generated from the zod schemas)
#   manifests/install.yaml          `helm template` of the chart with default values, release and
#                                   namespace busca-ativa, CRDs included, helm tests left out
#
# Usage: hack/render-manifests.sh [--check]
#   --check  renders into a temporary folder and compares; exits 1 naming every stale file.
# helm: $HELM, else .tools/bin/helm (npm run tools), else helm on PATH.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
chart="$root/charts/busca-ativa"
release=busca-ativa
namespace=busca-ativa

check=false
case "${1:-}" in
  "") ;;
  --check) check=true ;;
  *)
    echo "usage: $0 [--check]" >&2
    exit 2
    ;;
esac

helm=${HELM:-}
if [[ -z "$helm" ]]; then
  if [[ -x "$root/.tools/bin/helm" ]]; then
    helm="$root/.tools/bin/helm"
  elif command -v helm >/dev/null 2>&1; then
    helm=$(command -v helm)
  else
    echo "render-manifests: helm not found: run \`npm run tools\` or set HELM" >&2
    exit 1
  fi
fi

shopt -s nullglob
sources=("$root"/crds/*.yaml)
if [[ ${#sources[@]} -eq 0 ]]; then
  echo "render-manifests: no CRDs in crds/: run \`npm run generate\` first" >&2
  exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Copies crds/*.yaml into the chart folder $1 (replacing what was there).
sync_crds() {
  local dest="$1/crds"
  mkdir -p "$dest"
  rm -f "$dest"/*.yaml
  cp "${sources[@]}" "$dest/"
}

# Renders the chart folder $1 into the file $2.
render_install() {
  {
    echo "# Rendered by hack/render-manifests.sh from charts/busca-ativa with default values. Do not edit:"
    echo "# run \`npm run render\`. Create the namespace first: kubectl create namespace $namespace"
    "$helm" template "$release" "$1" --namespace "$namespace" --include-crds --skip-tests
  } >"$2"
}

if [[ "$check" == false ]]; then
  sync_crds "$chart"
  mkdir -p "$root/manifests"
  render_install "$chart" "$work/install.yaml"
  mv "$work/install.yaml" "$root/manifests/install.yaml"
  echo "render-manifests: wrote charts/busca-ativa/crds/ and manifests/install.yaml"
  exit 0
fi

cp -r "$chart" "$work/chart"
sync_crds "$work/chart"
render_install "$work/chart" "$work/install.yaml"

stale=()
for file in "$work"/chart/crds/*.yaml; do
  name=$(basename "$file")
  cmp -s "$file" "$chart/crds/$name" || stale+=("charts/busca-ativa/crds/$name")
done
for file in "$chart"/crds/*.yaml; do
  name=$(basename "$file")
  [[ -e "$work/chart/crds/$name" ]] || stale+=("charts/busca-ativa/crds/$name (not in crds/)")
done
cmp -s "$work/install.yaml" "$root/manifests/install.yaml" || stale+=("manifests/install.yaml")

if [[ ${#stale[@]} -gt 0 ]]; then
  for file in "${stale[@]}"; do echo "render-manifests: stale: $file" >&2; done
  echo "render-manifests: run \`npm run render\` and commit the result" >&2
  exit 1
fi
echo "render-manifests: charts/busca-ativa/crds/ and manifests/install.yaml are up to date"
