{{/* Names and labels shared by every object. */}}
{{- define "creditcase.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "creditcase.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Selector labels of one role: include with (dict "root" $ "role" "api"). */}}
{{- define "creditcase.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .role }}
{{- end -}}

{{- define "creditcase.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "creditcase.secretName" -}}
{{- printf "%s-env" (include "creditcase.fullname" .) -}}
{{- end -}}

{{/* Environment of every creditcase container: the ConfigMap, the chart's
Secret, and the keys of existing Secrets. */}}
{{- define "creditcase.env" -}}
envFrom:
  - configMapRef:
      name: {{ include "creditcase.fullname" . }}
  - secretRef:
      name: {{ include "creditcase.secretName" . }}
{{- if or .Values.database.existingSecret .Values.temporal.apiKey.existingSecret }}
env:
  {{- with .Values.database.existingSecret }}
  - name: DATABASE_URL
    valueFrom:
      secretKeyRef:
        name: {{ . }}
        key: {{ $.Values.database.existingSecretKey }}
  {{- end }}
  {{- with .Values.temporal.apiKey.existingSecret }}
  - name: TEMPORAL_API_KEY
    valueFrom:
      secretKeyRef:
        name: {{ . }}
        key: {{ $.Values.temporal.apiKey.existingSecretKey }}
  {{- end }}
{{- end }}
{{- end -}}

{{/* Volumes: a writable /tmp (the root file system is read-only) and the
Temporal TLS files. */}}
{{- define "creditcase.volumes" -}}
volumes:
  - name: tmp
    emptyDir: {}
  {{- if .Values.temporal.tls.enabled }}
  - name: temporal-tls
    secret:
      secretName: {{ required "temporal.tls.existingSecret is required when temporal.tls.enabled" .Values.temporal.tls.existingSecret }}
  {{- end }}
{{- end -}}

{{- define "creditcase.volumeMounts" -}}
volumeMounts:
  - name: tmp
    mountPath: /tmp
  {{- if .Values.temporal.tls.enabled }}
  - name: temporal-tls
    mountPath: /etc/creditcase/temporal-tls
    readOnly: true
  {{- end }}
{{- end -}}

{{- define "creditcase.probes" -}}
startupProbe:
  httpGet: {path: /healthz, port: http}
  periodSeconds: 2
  failureThreshold: 30
livenessProbe:
  httpGet: {path: /healthz, port: http}
  periodSeconds: 10
  timeoutSeconds: 3
  failureThreshold: 3
readinessProbe:
  httpGet: {path: /readyz, port: http}
  periodSeconds: 5
  timeoutSeconds: 3
  failureThreshold: 3
{{- end -}}
