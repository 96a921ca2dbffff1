#!/usr/bin/env bash
# End to end on a real cluster: creates a kind cluster, builds the image and loads it, installs the chart
# in evaluation mode with the sandbox WhatsApp server, applies manifests/examples/ (the example Campaign
# made to send around the clock, quickly), waits until the Campaign's status.phase is Completed, and
# prints `kubectl get campaigns,followupschedules`. Deletes the cluster on exit unless KEEP_CLUSTER=1.
#
# Needs docker, kind, kubectl and helm (kubectl and helm from .tools/bin when present).
# Environment (defaults):
#   CLUSTER_NAME=busca-ativa-e2e  NAMESPACE=busca-ativa  IMAGE=busca-ativa:e2e  TIMEOUT_SECONDS=1800
#   KEEP_CLUSTER=0  KIND_NODE_IMAGE=(kind's default)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cluster=${CLUSTER_NAME:-busca-ativa-e2e}
namespace=${NAMESPACE:-busca-ativa}
image=${IMAGE:-busca-ativa:e2e}
timeout_seconds=${TIMEOUT_SECONDS:-1800}
release=busca-ativa
context="kind-$cluster"

say() { printf '\nkind-e2e: %s\n' "$*"; }
die() {
  printf 'kind-e2e: %s\n' "$*" >&2
  exit 1
}

tool() {
  if [[ -x "$root/.tools/bin/$1" ]]; then
    echo "$root/.tools/bin/$1"
  elif command -v "$1" >/dev/null 2>&1; then
    command -v "$1"
  else
    die "$1 not found: install it (kubectl and helm: npm run tools)"
  fi
}
docker=$(tool docker)
kind=$(tool kind)
kubectl_bin=$(tool kubectl)
helm_bin=$(tool helm)
k() { "$kubectl_bin" --context "$context" "$@"; }
h() { "$helm_bin" --kube-context "$context" "$@"; }

# JSON string literal of $1 (quotes and backslashes escaped).
json_string() {
  local s=${1//\\/\\\\}
  printf '"%s"' "${s//\"/\\\"}"
}

created_cluster=false
finish() {
  local status=$?
  if [[ $status -ne 0 && "$created_cluster" == true ]]; then
    say "failed (exit $status); diagnostics:"
    k -n "$namespace" get pods,jobs,cronjobs -o wide || true
    k -n "$namespace" describe campaigns || true
    for deployment in controller worker-outbound worker-inbound webhook sandbox; do
      echo "--- logs of $release-$deployment (last 80 lines)"
      k -n "$namespace" logs "deployment/$release-$deployment" --tail=80 || true
    done
  fi
  if [[ "$created_cluster" == true && "${KEEP_CLUSTER:-0}" != 1 ]]; then
    say "deleting the kind cluster $cluster (KEEP_CLUSTER=1 keeps it)"
    "$kind" delete cluster --name "$cluster" || true
  elif [[ "$created_cluster" == true ]]; then
    say "kept the cluster: kubectl --context $context -n $namespace get all"
  fi
  exit "$status"
}
trap finish EXIT

say "creating the kind cluster $cluster"
if "$kind" get clusters 2>/dev/null | grep -qx "$cluster"; then
  die "a kind cluster named $cluster already exists: delete it or set CLUSTER_NAME"
fi
node_image=()
if [[ -n "${KIND_NODE_IMAGE:-}" ]]; then node_image=(--image "$KIND_NODE_IMAGE"); fi
"$kind" create cluster --name "$cluster" --wait 180s "${node_image[@]}"
created_cluster=true

say "building $image and loading it into the cluster"
"$docker" build --tag "$image" "$root"
"$kind" load docker-image "$image" --name "$cluster"

say "installing the CRDs and the example objects that are not Campaigns"
k create namespace "$namespace"
k apply --server-side -f "$root/charts/busca-ativa/crds/"
k wait --for=condition=Established --timeout=60s crd/campaigns.buscaativa.io crd/followupschedules.buscaativa.io
campaign_files=()
for file in "$root"/manifests/examples/*.yaml; do
  if grep -q '^kind: Campaign$' "$file"; then
    campaign_files+=("$file")
  else
    k -n "$namespace" apply -f "$file"
  fi
done
[[ ${#campaign_files[@]} -gt 0 ]] || die "no Campaign in manifests/examples/"

# The sandbox must know the example's instance and key, and post its webhooks (Evolution shape, the
# sandbox provider) to the webhook receiver's route for that instance with the example's token.
first=${campaign_files[0]}
instance=$(k create --dry-run=client -f "$first" -o jsonpath='{.spec.sender.instance}')
secret=$(k create --dry-run=client -f "$first" -o jsonpath='{.spec.sender.credentialsSecretRef.name}')
api_key=$(k -n "$namespace" get secret "$secret" -o jsonpath='{.data.apiKey}' | base64 -d)
webhook_token=$(k -n "$namespace" get secret "$secret" -o jsonpath='{.data.webhookToken}' | base64 -d)
[[ -n "$instance" && -n "$api_key" ]] || die "the example Campaign names no sandbox instance or its Secret has no apiKey"
webhook_url="http://$release-webhook.$namespace.svc:8080/webhooks/sandbox/$namespace/$instance"
sandbox_config=$(
  printf '{"timeScale":0.01,"evolution":{"apiKey":%s,"instances":[{"name":%s}]},' \
    "$(json_string "$api_key")" "$(json_string "$instance")"
  printf '"patients":{"shares":{"yes":60,"no":20,"unknown":10,"optOut":10}},'
  printf '"webhooks":{"evolution":{"url":%s,"headers":{"x-webhook-token":%s}}}}' \
    "$(json_string "$webhook_url")" "$(json_string "$webhook_token")"
)

say "installing the chart (evaluation mode, sandbox on)"
h install "$release" "$root/charts/busca-ativa" --namespace "$namespace" --timeout 15m \
  --set evaluation.enabled=true --set sandbox.enabled=true \
  --set image.repository="${image%:*}" --set image.tag="${image##*:}" --set image.pullPolicy=Never \
  --set-json "sandbox.config=$sandbox_config"
for deployment in controller worker-outbound worker-inbound webhook sandbox; do
  k -n "$namespace" rollout status "deployment/$release-$deployment" --timeout=300s
done
h test "$release" --namespace "$namespace" --timeout 2m

say "applying the example Campaign(s), made to send around the clock, 5 s apart, starting now"
speedup='{"spec":{"schedule":{"window":{"start":"00:00","end":"23:59"},"daysOfWeek":["Mon","Tue","Wed","Thu","Fri","Sat","Sun"],"dailyQuota":1000,"interval":"5s","jitterPercent":0,"startTime":null,"durationDays":0,"typingWarmup":"0s"}}}'
for file in "${campaign_files[@]}"; do
  k patch --local --type merge -p "$speedup" -f "$file" -o yaml | k -n "$namespace" apply -f -
done
name=$(k create --dry-run=client -f "$first" -o jsonpath='{.metadata.name}')

say "waiting up to ${timeout_seconds}s for Campaign $name to complete"
deadline=$((SECONDS + timeout_seconds))
phase=""
while ((SECONDS < deadline)); do
  phase=$(k -n "$namespace" get campaign "$name" -o jsonpath='{.status.phase}')
  case "$phase" in
    Completed) break ;;
    Failed | Cancelled) die "Campaign $name ended in phase $phase" ;;
  esac
  k -n "$namespace" get campaign "$name" --no-headers || true
  sleep 15
done
[[ "$phase" == Completed ]] || die "Campaign $name did not complete within ${timeout_seconds}s (phase: ${phase:-none})"

say "Campaign $name completed"
k -n "$namespace" get campaigns,followupschedules
