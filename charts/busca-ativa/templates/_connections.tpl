{{/*
Evaluation passwords: read back from the evaluation Secret when it exists (so upgrades keep them), else
generated once per render and cached in .Values.evaluation._passwords so every template sees the same.
Call it for its effect, then read .Values.evaluation._passwords.{postgresql,redis}.
*/}}
{{- define "busca-ativa.evaluationPasswords" -}}
{{- if not (hasKey .Values.evaluation "_passwords") }}
{{- $existing := lookup "v1" "Secret" .Release.Namespace (include "busca-ativa.evaluationSecretName" .) }}
{{- $data := dict }}
{{- if $existing }}{{- $data = default dict $existing.data }}{{- end }}
{{- $pg := "" }}
{{- $redis := "" }}
{{- if hasKey $data "POSTGRES_PASSWORD" }}{{- $pg = index $data "POSTGRES_PASSWORD" | b64dec }}{{- end }}
{{- if hasKey $data "REDIS_PASSWORD" }}{{- $redis = index $data "REDIS_PASSWORD" | b64dec }}{{- end }}
{{- $_ := set .Values.evaluation "_passwords" (dict "postgresql" (default (randAlphaNum 32) $pg) "redis" (default (randAlphaNum 32) $redis)) }}
{{- end }}
{{- end }}

{{/* The evaluation URLs, with namespace-qualified hosts so followup Jobs in other namespaces reach them. */}}
{{- define "busca-ativa.evaluationDatabaseUrl" -}}
{{- include "busca-ativa.evaluationPasswords" . }}
{{- printf "postgresql://busca_ativa:%s@%s-postgresql.%s.svc:5432/busca_ativa" .Values.evaluation._passwords.postgresql (include "busca-ativa.fullname" .) .Release.Namespace }}
{{- end }}

{{- define "busca-ativa.evaluationRedisUrl" -}}
{{- include "busca-ativa.evaluationPasswords" . }}
{{- printf "redis://:%s@%s-redis.%s.svc:6379/0" .Values.evaluation._passwords.redis (include "busca-ativa.fullname" .) .Release.Namespace }}
{{- end }}

{{/*
A copy of the followup env Secret in another namespace: (dict "root" $ "namespace" ns "name" secretName).
Evaluation mode knows the URLs; otherwise the source Secret is read from the release namespace with
`lookup`, which needs a cluster (helm install/upgrade, not helm template).
*/}}
{{- define "busca-ativa.followupEnvSecretCopy" -}}
{{- $root := .root }}
{{- $databaseUrl := "" }}
{{- $redisUrl := "" }}
{{- if and $root.Values.evaluation.enabled (not $root.Values.followup.envSecret.name) }}
{{- $databaseUrl = include "busca-ativa.evaluationDatabaseUrl" $root | b64enc }}
{{- $redisUrl = include "busca-ativa.evaluationRedisUrl" $root | b64enc }}
{{- else }}
{{- $source := lookup "v1" "Secret" $root.Release.Namespace .name }}
{{- $data := dict }}
{{- if $source }}{{- $data = default dict $source.data }}{{- end }}
{{- if not (and (hasKey $data "DATABASE_URL") (hasKey $data "REDIS_URL")) }}
{{- fail (printf "followup.namespaces: cannot copy the Secret %s/%s (keys DATABASE_URL and REDIS_URL) into namespace %s: it is missing, lacks a key, or helm runs without a cluster (helm template). Create it first, or set followup.envSecret.copy=false and create a Secret %s with DATABASE_URL and REDIS_URL in each of followup.namespaces yourself" $root.Release.Namespace .name .namespace .name) }}
{{- end }}
{{- $databaseUrl = index $data "DATABASE_URL" }}
{{- $redisUrl = index $data "REDIS_URL" }}
{{- end }}
---
apiVersion: v1
kind: Secret
metadata:
  name: {{ .name }}
  namespace: {{ .namespace }}
  labels:
    {{- include "busca-ativa.componentLabels" (dict "root" $root "component" "followup") | nindent 4 }}
  annotations:
    buscaativa.io/copied-from: {{ printf "%s/%s" $root.Release.Namespace .name }}
type: Opaque
data:
  DATABASE_URL: {{ $databaseUrl }}
  REDIS_URL: {{ $redisUrl }}
{{- end }}
