{{/* Chart name, truncated to the 63 characters a DNS label allows. */}}
{{- define "autobyteus.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Release-scoped base name. Suffixes (-llama, -rpc) are added to it, so it is kept to 52 characters
to leave room for them within a 63-character DNS label.
*/}}
{{- define "autobyteus.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 52 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "autobyteus.llamaName" -}}{{ include "autobyteus.fullname" . }}-llama{{- end -}}
{{- define "autobyteus.rpcName" -}}{{ include "autobyteus.fullname" . }}-rpc{{- end -}}
{{- define "autobyteus.modelsClaim" -}}
{{- .Values.models.persistence.existingClaim | default (printf "%s-models" (include "autobyteus.fullname" .)) -}}
{{- end -}}
{{- define "autobyteus.secretName" -}}
{{- .Values.auth.existingSecret | default (include "autobyteus.fullname" .) -}}
{{- end -}}

{{- define "autobyteus.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "autobyteus.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "autobyteus.selectorLabels" -}}
app.kubernetes.io/name: {{ include "autobyteus.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* image: repository:tag of one component's image values. */}}
{{- define "autobyteus.image" -}}
{{- printf "%s:%s" .repository .tag -}}
{{- end -}}

{{/*
The llama.cpp pool the server discovers: the headless Service's DNS name, expanded by the server to
every ready pod's address at each health refresh, plus server.extraLlamaHosts.
*/}}
{{- define "autobyteus.llamaHosts" -}}
{{- $hosts := list -}}
{{- if .Values.llama.enabled -}}
{{- $hosts = append $hosts (printf "dns+http://%s.%s.svc.%s:%d" (include "autobyteus.llamaName" .) .Release.Namespace .Values.clusterDomain (int .Values.llama.port)) -}}
{{- end -}}
{{- $hosts = concat $hosts .Values.server.extraLlamaHosts -}}
{{- join "," $hosts -}}
{{- end -}}

{{/* The rpc-server workers' stable names (StatefulSet pods behind the headless Service). */}}
{{- define "autobyteus.rpcServers" -}}
{{- $servers := list -}}
{{- $name := include "autobyteus.rpcName" . -}}
{{- range $i := until (int .Values.rpc.replicas) -}}
{{- $servers = append $servers (printf "%s-%d.%s.%s.svc.%s:%d" $name $i $name $.Release.Namespace $.Values.clusterDomain (int $.Values.rpc.port)) -}}
{{- end -}}
{{- join "," $servers -}}
{{- end -}}

{{/* The API token: auth.apiToken, else the one already in the release's Secret, else a new one. */}}
{{- define "autobyteus.apiToken" -}}
{{- if .Values.auth.apiToken -}}
{{- .Values.auth.apiToken -}}
{{- else -}}
{{- $secret := lookup "v1" "Secret" .Release.Namespace (include "autobyteus.fullname" .) -}}
{{- if and $secret $secret.data (hasKey $secret.data "AUTOBYTEUS_API_TOKEN") -}}
{{- index $secret.data "AUTOBYTEUS_API_TOKEN" | b64dec -}}
{{- else -}}
{{- randAlphaNum 48 -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The exec probe of the server container (why exec: see deploy/healthcheck.mjs). */}}
{{- define "autobyteus.serverProbe" -}}
exec:
  command: ["node", "/app/deploy/healthcheck.mjs"]
periodSeconds: {{ .periodSeconds }}
failureThreshold: {{ .failureThreshold }}
timeoutSeconds: {{ .timeoutSeconds }}
{{- end -}}

{{/* An HTTP probe of llama-server's /health (public in llama-server, 503 while loading). */}}
{{- define "autobyteus.llamaProbe" -}}
httpGet:
  path: /health
  port: http
periodSeconds: {{ .periodSeconds }}
failureThreshold: {{ .failureThreshold }}
timeoutSeconds: {{ .timeoutSeconds }}
{{- end -}}
