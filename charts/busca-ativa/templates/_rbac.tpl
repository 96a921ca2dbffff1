{{/*
Binds a ClusterRole to a ServiceAccount of the release: cluster-wide (rbac.scope=cluster, a
ClusterRoleBinding) or in each of rbac.namespaces only (rbac.scope=namespaces, a RoleBinding per namespace
that references the ClusterRole, which then grants nothing outside that namespace).
Arguments: (dict "root" $ "role" <ClusterRole name> "sa" <ServiceAccount name>)
*/}}
{{- define "busca-ativa.roleBindings" -}}
{{- $root := .root }}
{{- $role := .role }}
{{- $sa := .sa }}
{{- if eq $root.Values.rbac.scope "cluster" }}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: {{ $role }}
  labels:
    {{- include "busca-ativa.labels" $root | nindent 4 }}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: {{ $role }}
subjects:
  - kind: ServiceAccount
    name: {{ $sa }}
    namespace: {{ $root.Release.Namespace }}
{{- else }}
{{- range $ns := $root.Values.rbac.namespaces }}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: {{ $role }}
  namespace: {{ $ns }}
  labels:
    {{- include "busca-ativa.labels" $root | nindent 4 }}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: {{ $role }}
subjects:
  - kind: ServiceAccount
    name: {{ $sa }}
    namespace: {{ $root.Release.Namespace }}
{{- end }}
{{- end }}
{{- end }}
