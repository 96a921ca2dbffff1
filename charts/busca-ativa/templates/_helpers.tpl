{{/* Names ---------------------------------------------------------------------------------------- */}}

{{- define "busca-ativa.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The prefix of every resource name; kept short enough for "-worker-outbound-metrics" suffixes. */}}
{{- define "busca-ativa.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 38 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 38 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 38 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Cluster-scoped objects carry the release namespace too: two releases in two namespaces never clash. */}}
{{- define "busca-ativa.clusterName" -}}
{{- printf "%s-%s" (include "busca-ativa.fullname" .) .Release.Namespace | trunc 50 | trimSuffix "-" }}
{{- end }}

{{- define "busca-ativa.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels ---------------------------------------------------------------------------------------- */}}

{{- define "busca-ativa.selectorLabels" -}}
app.kubernetes.io/name: {{ include "busca-ativa.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "busca-ativa.labels" -}}
helm.sh/chart: {{ include "busca-ativa.chart" . }}
{{ include "busca-ativa.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: busca-ativa
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Labels of one component: (dict "root" $ "component" "controller" ["group" "outbound"]) */}}
{{- define "busca-ativa.componentLabels" -}}
{{ include "busca-ativa.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- with .group }}
buscaativa.io/worker-group: {{ . }}
{{- end }}
{{- end }}

{{- define "busca-ativa.componentSelector" -}}
{{ include "busca-ativa.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- with .group }}
buscaativa.io/worker-group: {{ . }}
{{- end }}
{{- end }}

{{/* Image ----------------------------------------------------------------------------------------- */}}

{{- define "busca-ativa.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{- define "busca-ativa.followupImage" -}}
{{- default (include "busca-ativa.image" .) .Values.controller.followupImage }}
{{- end }}

{{/* Service account names ------------------------------------------------------------------------- */}}

{{- define "busca-ativa.serviceAccountName" -}}
{{- printf "%s-%s" (include "busca-ativa.fullname" .root) .component }}
{{- end }}

{{- define "busca-ativa.followupServiceAccountName" -}}
{{- default (printf "%s-followup" (include "busca-ativa.fullname" .)) .Values.followup.serviceAccountName }}
{{- end }}

{{/* Connections ----------------------------------------------------------------------------------- */}}

{{- define "busca-ativa.evaluationSecretName" -}}
{{- printf "%s-evaluation" (include "busca-ativa.fullname" .) }}
{{- end }}

{{/* env entries DATABASE_URL and REDIS_URL from the right Secret: (dict "root" $ "database" true "redis" true) */}}
{{- define "busca-ativa.connectionEnv" -}}
{{- $root := .root }}
{{- $v := $root.Values }}
{{- if .database }}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      {{- if $v.evaluation.enabled }}
      name: {{ include "busca-ativa.evaluationSecretName" $root }}
      key: DATABASE_URL
      {{- else }}
      name: {{ required "postgresql.external.existingSecret is required (the Secret holding DATABASE_URL) unless evaluation.enabled" $v.postgresql.external.existingSecret }}
      key: {{ $v.postgresql.external.existingSecretKey }}
      {{- end }}
{{- end }}
{{- if .redis }}
- name: REDIS_URL
  valueFrom:
    secretKeyRef:
      {{- if $v.evaluation.enabled }}
      name: {{ include "busca-ativa.evaluationSecretName" $root }}
      key: REDIS_URL
      {{- else }}
      name: {{ required "redis.external.existingSecret is required (the Secret holding REDIS_URL) unless evaluation.enabled" $v.redis.external.existingSecret }}
      key: {{ $v.redis.external.existingSecretKey }}
      {{- end }}
{{- end }}
{{- end }}

{{/*
The Secret the followup CronJob pods get through envFrom (keys DATABASE_URL and REDIS_URL).
*/}}
{{- define "busca-ativa.followupEnvSecretName" -}}
{{- $v := .Values }}
{{- if $v.followup.envSecret.name }}
{{- $v.followup.envSecret.name }}
{{- else if $v.evaluation.enabled }}
{{- include "busca-ativa.evaluationSecretName" . }}
{{- else if and (eq $v.postgresql.external.existingSecret $v.redis.external.existingSecret) (eq $v.postgresql.external.existingSecretKey "DATABASE_URL") (eq $v.redis.external.existingSecretKey "REDIS_URL") }}
{{- $v.postgresql.external.existingSecret }}
{{- else }}
{{- fail "followup.envSecret.name is required: the followup CronJobs read DATABASE_URL and REDIS_URL from one Secret (envFrom), and your database and Redis URLs live in different Secrets or under other keys. Create a Secret with the keys DATABASE_URL and REDIS_URL and name it in followup.envSecret.name" }}
{{- end }}
{{- end }}

{{/* Namespaces the controller, workers and webhook watch, comma-separated ("" = all). */}}
{{- define "busca-ativa.watchNamespaces" -}}
{{- $v := .Values }}
{{- if eq $v.rbac.scope "namespaces" }}
{{- range $v.controller.watchNamespaces }}
{{- if not (has . $v.rbac.namespaces) }}
{{- fail (printf "controller.watchNamespaces: %q is not in rbac.namespaces; with rbac.scope=namespaces the controller may only watch namespaces it is bound in" .) }}
{{- end }}
{{- end }}
{{- join "," (default $v.rbac.namespaces $v.controller.watchNamespaces) }}
{{- else }}
{{- join "," $v.controller.watchNamespaces }}
{{- end }}
{{- end }}

{{/* Pod and container hardening ------------------------------------------------------------------- */}}

{{- define "busca-ativa.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .runAsUser }}
runAsGroup: {{ .runAsGroup }}
{{- with .fsGroup }}
fsGroup: {{ . }}
fsGroupChangePolicy: OnRootMismatch
{{- end }}
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "busca-ativa.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .runAsUser }}
runAsGroup: {{ .runAsGroup }}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
privileged: false
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* The /tmp emptyDir every product container mounts (its root filesystem is read-only). */}}
{{- define "busca-ativa.tmpVolume" -}}
- name: tmp
  emptyDir:
    medium: Memory
    sizeLimit: 64Mi
{{- end }}

{{- define "busca-ativa.tmpMount" -}}
- name: tmp
  mountPath: /tmp
{{- end }}

{{/* Scheduling fields of a component's values (nodeSelector, tolerations, affinity, spread, priority). */}}
{{- define "busca-ativa.scheduling" -}}
{{- with .nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .topologySpreadConstraints }}
topologySpreadConstraints:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- end }}

{{- define "busca-ativa.imagePullSecrets" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* Pod annotations: prometheus.io/* for the metrics port (metrics.enabled) plus the component's own.
Arguments: (dict "root" $ "port" 8081 "extra" .podAnnotations) */}}
{{- define "busca-ativa.podAnnotations" -}}
{{- $annotations := dict }}
{{- if .root.Values.metrics.enabled }}
{{- $_ := set $annotations "prometheus.io/scrape" "true" }}
{{- $_ := set $annotations "prometheus.io/port" (toString .port) }}
{{- $_ := set $annotations "prometheus.io/path" "/metrics" }}
{{- end }}
{{- with .extra }}{{- $annotations = merge (deepCopy .) $annotations }}{{- end }}
{{- with $annotations }}{{- toYaml . }}{{- end }}
{{- end }}

{{/* Queues of a worker group (BullMQ queue names, lib/queue/jobs.ts). */}}
{{- define "busca-ativa.groupQueues" -}}
{{- if eq . "outbound" }}import,validate,send{{ else if eq . "inbound" }}inbound,status{{ end }}
{{- end }}

{{/* Health port of the controller and the workers (/healthz, /readyz, /metrics). */}}
{{- define "busca-ativa.healthPort" -}}8081{{- end }}

{{/* An int-or-string field (e.g. maxUnavailable: 1 or "25%"), without float formatting. */}}
{{- define "busca-ativa.intOrString" -}}
{{- if kindIs "string" . }}{{ . | quote }}{{ else }}{{ int64 . }}{{ end }}
{{- end }}
