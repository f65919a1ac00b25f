{{- define "kgroot.fullname" -}}
{{- if contains .Chart.Name .Release.Name }}{{ .Release.Name | trunc 63 | trimSuffix "-" }}{{- else }}{{ printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}{{- end }}
{{- end }}

{{- define "kgroot.labels" -}}
app.kubernetes.io/name: kgroot
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end }}

{{- define "kgroot.selector" -}}
app.kubernetes.io/name: kgroot
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "kgroot.image" -}}
{{ printf "%s:%s" .Values.image.repository (toString .Values.image.tag) }}
{{- end }}

{{- define "kgroot.workersNamespace" -}}
{{ default .Release.Namespace .Values.workers.namespace }}
{{- end }}

{{- define "kgroot.credentialsSecret" -}}
{{- if .Values.credentials.existingSecret }}{{ .Values.credentials.existingSecret }}{{- else if .Values.credentials.create }}{{ include "kgroot.fullname" . }}-credentials{{- end }}
{{- end }}

{{- define "kgroot.serviceAccount" -}}
{{ include "kgroot.fullname" . }}-control-plane
{{- end }}

{{/* Pod annotations: Prometheus scraping of /metrics on the metrics port. */}}
{{- define "kgroot.podAnnotations" -}}
{{- if .Values.metrics.prometheusAnnotations }}
prometheus.io/scrape: "true"
prometheus.io/port: {{ .Values.metrics.port | quote }}
prometheus.io/path: /metrics
{{- end }}
{{- end }}

{{/* Environment every component shares: Kafka, Neo4j, metrics; credentials by reference. */}}
{{- define "kgroot.commonEnv" -}}
- name: KAFKA_BROKERS
  value: {{ .Values.kafka.bootstrapServers | quote }}
- name: NEO4J_URI
  value: {{ .Values.neo4j.uri | quote }}
- name: METRICS_PORT
  value: {{ .Values.metrics.port | quote }}
- name: METRICS_HOST
  value: "0.0.0.0"
{{- range $k, $v := .Values.extraEnv }}
- name: {{ $k }}
  value: {{ $v | quote }}
{{- end }}
{{- end }}

{{- define "kgroot.envFrom" -}}
{{- with include "kgroot.credentialsSecret" . }}
envFrom:
  - secretRef:
      name: {{ . }}
{{- end }}
{{- end }}

{{/* Probes on /healthz of the metrics port. */}}
{{- define "kgroot.probes" -}}
startupProbe:
  httpGet: { path: /healthz, port: metrics }
  periodSeconds: 5
  failureThreshold: 24
livenessProbe:
  httpGet: { path: /healthz, port: metrics }
  periodSeconds: 15
  timeoutSeconds: 5
  failureThreshold: 4
readinessProbe:
  httpGet: { path: /healthz, port: metrics }
  periodSeconds: 10
  timeoutSeconds: 5
  failureThreshold: 3
{{- end }}

{{/* The pod spec parts every component shares: pull secrets, security context. */}}
{{- define "kgroot.podCommon" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
enableServiceLinks: false
{{- end }}

{{- define "kgroot.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- end }}
