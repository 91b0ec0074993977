{{/* Labels every object carries; selectors use app and component only. */}}
{{- define "eli-maor.selector" -}}
app: {{ .root.Release.Name }}
component: {{ .component }}
{{- end -}}

{{- define "eli-maor.labels" -}}
{{ include "eli-maor.selector" . }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
{{- end -}}

{{- define "eli-maor.image" -}}
{{ .root.Values.image.registry }}/{{ .component }}:{{ .tag | default .root.Values.image.tag }}
{{- end -}}
