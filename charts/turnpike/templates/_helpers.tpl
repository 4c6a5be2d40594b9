{{/* The chart's name, overridable with nameOverride. */}}
{{- define "turnpike.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
The name of the release's namespaced objects and of its cluster-scoped RBAC. A release
named after the chart ("turnpike") gets plain "turnpike", as config/ does.
*/}}
{{- define "turnpike.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Labels every object carries. */}}
{{- define "turnpike.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "turnpike.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: turnpike
{{- end -}}

{{/* Labels that select the release's pods; they never change across upgrades. */}}
{{- define "turnpike.selectorLabels" -}}
app.kubernetes.io/name: {{ include "turnpike.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* The ServiceAccount the pods run as and the RBAC binds. */}}
{{- define "turnpike.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "turnpike.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The container image; the tag defaults to the chart's appVersion. */}}
{{- define "turnpike.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/*
The rules of one kind (ClusterRole or Role) in files/rbac/role.yaml, a copy of
config/rbac/role.yaml that controller-gen generates from the +kubebuilder:rbac markers
in controllers/rbac.go (hack/sync-chart.sh keeps the copy current; test/helm fails when
it is stale). The chart never lists a permission of its own.
*/}}
{{- define "turnpike.generatedRules" -}}
{{- $rules := "" -}}
{{- range $document := regexSplit "(?m)^---\\s*$" (.root.Files.Get "files/rbac/role.yaml") -1 -}}
{{- $object := fromYaml $document -}}
{{- if eq (get $object "kind") $.kind -}}
{{- $rules = toYaml $object.rules -}}
{{- end -}}
{{- end -}}
{{- required (printf "files/rbac/role.yaml has no %s: run hack/sync-chart.sh" .kind) $rules -}}
{{- end -}}

{{/*
The CRDs in the files matching .glob, each with helm.sh/resource-policy: keep. They are
templates, not crds/, because Helm installs crds/ once and never upgrades them; keep
stops `helm uninstall` from deleting a CRD and with it every object of its kind.
*/}}
{{- define "turnpike.crds" -}}
{{- range $path, $_ := .root.Files.Glob .glob }}
{{- $crd := $.root.Files.Get $path | fromYaml }}
{{- $annotations := merge (dict "helm.sh/resource-policy" "keep") (default (dict) $crd.metadata.annotations) }}
{{- $_ := set $crd.metadata "annotations" $annotations }}
---
{{ toYaml $crd }}
{{- end }}
{{- end -}}
