{{/*
Egress rules for one component: (dict "root" $ "targets" (list "apiServer" "redis" ...)).
Targets: dns (always added), apiServer, redis, postgresql, providers, extra, sandbox, webhook.
In evaluation mode redis and postgresql are the chart's own pods, otherwise the configured CIDRs.
*/}}
{{- define "busca-ativa.egressRules" -}}
{{- $root := .root }}
{{- $e := $root.Values.networkPolicy.egress }}
{{- $eval := $root.Values.evaluation.enabled -}}
- to:
    - namespaceSelector:
        {{- toYaml $e.dns.namespaceSelector | nindent 8 }}
      podSelector:
        {{- toYaml $e.dns.podSelector | nindent 8 }}
  ports:
    - { protocol: UDP, port: 53 }
    - { protocol: TCP, port: 53 }
{{- range $target := .targets }}
{{- if eq $target "apiServer" }}
- to:
    {{- range $e.apiServer.cidrs }}
    - ipBlock: { cidr: {{ . | quote }} }
    {{- end }}
  ports:
    {{- range $e.apiServer.ports }}
    - { protocol: TCP, port: {{ . }} }
    {{- end }}
{{- else if and (eq $target "redis") $eval }}
- to:
    - podSelector:
        matchLabels:
          {{- include "busca-ativa.componentSelector" (dict "root" $root "component" "redis") | nindent 10 }}
  ports:
    - { protocol: TCP, port: 6379 }
{{- else if and (eq $target "postgresql") $eval }}
- to:
    - podSelector:
        matchLabels:
          {{- include "busca-ativa.componentSelector" (dict "root" $root "component" "postgresql") | nindent 10 }}
  ports:
    - { protocol: TCP, port: 5432 }
{{- else if or (eq $target "redis") (eq $target "postgresql") }}
{{- $t := index $e $target }}
- to:
    {{- range $t.cidrs }}
    - ipBlock: { cidr: {{ . | quote }} }
    {{- end }}
  ports:
    {{- range $t.ports }}
    - { protocol: TCP, port: {{ . }} }
    {{- end }}
{{- else if eq $target "providers" }}
- to:
    {{- range $e.providers.cidrs }}
    - ipBlock:
        cidr: {{ . | quote }}
        {{- with $e.providers.except }}
        except:
          {{- toYaml . | nindent 10 }}
        {{- end }}
    {{- end }}
  ports:
    {{- range $e.providers.ports }}
    - { protocol: TCP, port: {{ . }} }
    {{- end }}
{{- else if and (eq $target "sandbox") $root.Values.sandbox.enabled }}
- to:
    - podSelector:
        matchLabels:
          {{- include "busca-ativa.componentSelector" (dict "root" $root "component" "sandbox") | nindent 10 }}
  ports:
    - { protocol: TCP, port: {{ int64 $root.Values.sandbox.port }} }
{{- else if eq $target "webhook" }}
- to:
    - podSelector:
        matchLabels:
          {{- include "busca-ativa.componentSelector" (dict "root" $root "component" "webhook") | nindent 10 }}
  ports:
    - { protocol: TCP, port: 8080 }
{{- else if and (eq $target "extra") $e.extra }}
{{ toYaml $e.extra }}
{{- end }}
{{- end }}
{{- end }}

{{/* The metrics scrapers' peer (networkPolicy.metricsFrom). */}}
{{- define "busca-ativa.metricsPeer" -}}
{{- $m := .Values.networkPolicy.metricsFrom -}}
- namespaceSelector:
    {{- toYaml $m.namespaceSelector | nindent 4 }}
  podSelector:
    {{- toYaml $m.podSelector | nindent 4 }}
{{- end }}
