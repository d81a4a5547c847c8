package check

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/lint"
	"helm.sh/helm/v3/pkg/lint/support"
	"helm.sh/helm/v3/pkg/releaseutil"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"
)

const chartDir = "../helm/creditcase"

// kinds are the Kubernetes API types the chart may render; anything else
// fails the check.
var kinds = map[string]func() any{
	"v1/ConfigMap":                            func() any { return &corev1.ConfigMap{} },
	"v1/Secret":                               func() any { return &corev1.Secret{} },
	"v1/Service":                              func() any { return &corev1.Service{} },
	"apps/v1/Deployment":                      func() any { return &appsv1.Deployment{} },
	"batch/v1/Job":                            func() any { return &batchv1.Job{} },
	"networking.k8s.io/v1/Ingress":            func() any { return &networkingv1.Ingress{} },
	"autoscaling/v2/HorizontalPodAutoscaler":  func() any { return &autoscalingv2.HorizontalPodAutoscaler{} },
	"policy/v1/PodDisruptionBudget":           func() any { return &policyv1.PodDisruptionBudget{} },
	"monitoring.coreos.com/v1/ServiceMonitor": func() any { return &monitoringv1.ServiceMonitor{} },
}

// rendered is one render of the chart, every object decoded.
type rendered struct {
	objects map[string]any // "Kind/name"
	hooks   map[string][]string
}

func (r rendered) get(t *testing.T, key string) any {
	t.Helper()
	o, ok := r.objects[key]
	if !ok {
		keys := make([]string, 0, len(r.objects))
		for k := range r.objects {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		t.Fatalf("no %s rendered; have %v", key, keys)
	}
	return o
}

// render renders the chart as `helm install --dry-run` would, with the values
// file (none: the chart's defaults), and decodes every object strictly into
// its Kubernetes API type: an unknown or duplicate field fails.
func render(t *testing.T, valuesFile string) rendered {
	t.Helper()
	chrt, err := loader.Load(chartDir)
	if err != nil {
		t.Fatalf("load chart: %v", err)
	}
	vals := map[string]any{}
	if valuesFile != "" {
		v, err := chartutil.ReadValuesFile(valuesFile)
		if err != nil {
			t.Fatalf("values %s: %v", valuesFile, err)
		}
		vals = v
	}
	install := action.NewInstall(&action.Configuration{Log: func(string, ...any) {}})
	install.DryRun, install.ClientOnly, install.Replace = true, true, true
	install.ReleaseName, install.Namespace = "creditcase", "creditcase"
	install.KubeVersion = &chartutil.KubeVersion{Version: "v1.31.0", Major: "1", Minor: "31"}
	install.APIVersions = chartutil.VersionSet{"monitoring.coreos.com/v1", "monitoring.coreos.com/v1/ServiceMonitor"}
	rel, err := install.Run(chrt, vals)
	if err != nil {
		t.Fatalf("render with %q: %v", valuesFile, err)
	}
	out := rendered{objects: map[string]any{}, hooks: map[string][]string{}}
	docs := []string{}
	for _, m := range releaseutil.SplitManifests(rel.Manifest) {
		docs = append(docs, m)
	}
	for _, h := range rel.Hooks {
		docs = append(docs, h.Manifest)
	}
	for _, doc := range docs {
		var head struct {
			metav1.TypeMeta `json:",inline"`
			Metadata        metav1.ObjectMeta `json:"metadata"`
		}
		if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
			t.Fatalf("not YAML: %v\n%s", err, doc)
		}
		gvk := head.APIVersion + "/" + head.Kind
		mk, ok := kinds[gvk]
		if !ok {
			t.Fatalf("unexpected kind %s (%s)", gvk, head.Metadata.Name)
		}
		obj := mk()
		if err := yaml.UnmarshalStrict([]byte(doc), obj); err != nil {
			t.Fatalf("%s %s does not decode strictly: %v\n%s", gvk, head.Metadata.Name, err, doc)
		}
		key := head.Kind + "/" + head.Metadata.Name
		if _, dup := out.objects[key]; dup {
			t.Fatalf("%s rendered twice", key)
		}
		out.objects[key] = obj
		if h := head.Metadata.Annotations["helm.sh/hook"]; h != "" {
			out.hooks[key] = strings.Split(h, ",")
		}
	}
	return out
}

func TestChartLints(t *testing.T) {
	for _, vf := range []string{"", "../helm/examples/production.yaml", "../helm/examples/temporal-cloud.yaml"} {
		vals := map[string]any{}
		if vf != "" {
			v, err := chartutil.ReadValuesFile(vf)
			if err != nil {
				t.Fatal(err)
			}
			vals = v
		}
		res := lint.AllWithKubeVersion(chartDir, vals, "creditcase", &chartutil.KubeVersion{Version: "v1.31.0", Major: "1", Minor: "31"})
		for _, m := range res.Messages {
			if m.Severity >= support.WarningSev {
				t.Errorf("helm lint with %q: %s", vf, m)
			}
		}
	}
}

// Both roles: the image, probes on /healthz and /readyz, resources, non-root,
// the shared environment, and selectors that match the pods.
func checkRole(t *testing.T, r rendered, role string, wantArgs []string) *appsv1.Deployment {
	t.Helper()
	d := r.get(t, "Deployment/creditcase-"+role).(*appsv1.Deployment)
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil || !sel.Matches(labels.Set(d.Spec.Template.Labels)) {
		t.Errorf("%s: selector %v does not match its pods %v", role, d.Spec.Selector, d.Spec.Template.Labels)
	}
	ps := d.Spec.Template.Spec
	if ps.SecurityContext == nil || ps.SecurityContext.RunAsNonRoot == nil || !*ps.SecurityContext.RunAsNonRoot ||
		ps.SecurityContext.RunAsUser == nil || *ps.SecurityContext.RunAsUser == 0 {
		t.Errorf("%s: pod may run as root: %+v", role, ps.SecurityContext)
	}
	if len(ps.Containers) != 1 {
		t.Fatalf("%s: %d containers", role, len(ps.Containers))
	}
	c := ps.Containers[0]
	if !slices.Equal(c.Args, wantArgs) {
		t.Errorf("%s: args %v, want %v", role, c.Args, wantArgs)
	}
	probe := func(name string, p *corev1.Probe, path string) {
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != path || p.HTTPGet.Port.String() != "http" {
			t.Errorf("%s: %s probe %+v, want GET %s on port http", role, name, p, path)
		}
	}
	probe("liveness", c.LivenessProbe, "/healthz")
	probe("readiness", c.ReadinessProbe, "/readyz")
	probe("startup", c.StartupProbe, "/healthz")
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Errorf("%s: resources %+v lack requests or a memory limit", role, c.Resources)
	}
	if c.SecurityContext == nil || c.SecurityContext.ReadOnlyRootFilesystem == nil || !*c.SecurityContext.ReadOnlyRootFilesystem ||
		c.SecurityContext.AllowPrivilegeEscalation == nil || *c.SecurityContext.AllowPrivilegeEscalation {
		t.Errorf("%s: container security context %+v", role, c.SecurityContext)
	}
	var refs []string
	for _, ef := range c.EnvFrom {
		switch {
		case ef.ConfigMapRef != nil:
			refs = append(refs, "ConfigMap/"+ef.ConfigMapRef.Name)
		case ef.SecretRef != nil:
			refs = append(refs, "Secret/"+ef.SecretRef.Name)
		}
	}
	for _, ref := range refs {
		r.get(t, ref) // exists
	}
	if len(refs) != 2 {
		t.Errorf("%s: envFrom %v, want the ConfigMap and the Secret", role, refs)
	}
	pdb := r.get(t, "PodDisruptionBudget/creditcase-"+role).(*policyv1.PodDisruptionBudget)
	psel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
	if err != nil || !psel.Matches(labels.Set(d.Spec.Template.Labels)) || pdb.Spec.MinAvailable == nil {
		t.Errorf("%s: PDB %+v does not cover the pods", role, pdb.Spec)
	}
	return d
}

func env(t *testing.T, r rendered, c corev1.Container) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, ef := range c.EnvFrom {
		if ef.ConfigMapRef != nil {
			for k, v := range r.get(t, "ConfigMap/"+ef.ConfigMapRef.Name).(*corev1.ConfigMap).Data {
				out[k] = v
			}
		}
		if ef.SecretRef != nil {
			for k, v := range r.get(t, "Secret/"+ef.SecretRef.Name).(*corev1.Secret).StringData {
				out[k] = v
			}
		}
	}
	for _, e := range c.Env {
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
			out[e.Name] = fmt.Sprintf("secret:%s/%s", e.ValueFrom.SecretKeyRef.Name, e.ValueFrom.SecretKeyRef.Key)
		} else {
			out[e.Name] = e.Value
		}
	}
	return out
}

func checkCommon(t *testing.T, r rendered) (api, worker *appsv1.Deployment) {
	t.Helper()
	api = checkRole(t, r, "api", []string{"api"})
	worker = checkRole(t, r, "worker", []string{"worker"})
	svc := r.get(t, "Service/creditcase-api").(*corev1.Service)
	if !labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(api.Spec.Template.Labels)) ||
		labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(worker.Spec.Template.Labels)) {
		t.Errorf("API Service selects %v: not exactly the API pods", svc.Spec.Selector)
	}
	job := r.get(t, "Job/creditcase-migrate").(*batchv1.Job)
	if h := r.hooks["Job/creditcase-migrate"]; !slices.Contains(h, "pre-install") || !slices.Contains(h, "pre-upgrade") {
		t.Errorf("migration Job hooks %v, want pre-install and pre-upgrade", h)
	}
	if args := job.Spec.Template.Spec.Containers[0].Args; !slices.Equal(args, []string{"migrate", "up"}) {
		t.Errorf("migration Job runs %v", args)
	}
	// The Job's environment must exist before it: ConfigMap and Secret are
	// hooks of a lower weight.
	for _, k := range []string{"ConfigMap/creditcase", "Secret/creditcase-env"} {
		if h := r.hooks[k]; !slices.Contains(h, "pre-install") || !slices.Contains(h, "pre-upgrade") {
			t.Errorf("%s hooks %v: the migration Job would start without it", k, h)
		}
	}
	for _, d := range []*appsv1.Deployment{api, worker} {
		e := env(t, r, d.Spec.Template.Spec.Containers[0])
		if e["TEMPORAL_ADDRESS"] == "" || e["DATABASE_URL"] == "" || e["TEMPORAL_NAMESPACE"] == "" || e["HTTP_ADDR"] != ":8080" {
			t.Errorf("%s environment lacks DATABASE_URL, TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE or HTTP_ADDR: %v", d.Name, e)
		}
	}
	return api, worker
}

func TestChartDefaultValues(t *testing.T) {
	r := render(t, "")
	api, _ := checkCommon(t, r)
	hpa := r.get(t, "HorizontalPodAutoscaler/creditcase-api").(*autoscalingv2.HorizontalPodAutoscaler)
	if hpa.Spec.ScaleTargetRef.Kind != "Deployment" || hpa.Spec.ScaleTargetRef.Name != api.Name || *hpa.Spec.MinReplicas < 2 {
		t.Errorf("HPA %+v does not scale the API Deployment from 2", hpa.Spec)
	}
	if api.Spec.Replicas != nil {
		t.Errorf("API replicas fixed at %d while the HPA scales it", *api.Spec.Replicas)
	}
	e := env(t, r, api.Spec.Template.Spec.Containers[0])
	if e["TEMPORAL_ADDRESS"] != "temporal-frontend.temporal.svc:7233" || e["TEMPORAL_TLS"] != "" {
		t.Errorf("default Temporal settings: %v", e)
	}
	if _, ok := r.objects["Job/creditcase-temporal-setup"]; !ok {
		t.Error("no Temporal setup Job with the default values")
	}
	for _, k := range []string{"Ingress/creditcase-api", "ServiceMonitor/creditcase"} {
		if _, ok := r.objects[k]; ok {
			t.Errorf("%s rendered although off by default", k)
		}
	}
}

func TestChartProductionValues(t *testing.T) {
	r := render(t, "../helm/examples/production.yaml")
	api, worker := checkCommon(t, r)
	c := api.Spec.Template.Spec.Containers[0]
	e := env(t, r, c)
	want := map[string]string{
		"DATABASE_URL":                     "secret:creditcase-database/DATABASE_URL",
		"TEMPORAL_TLS":                     "true",
		"TEMPORAL_TLS_CLIENT_CERT_PATH":    "/etc/creditcase/temporal-tls/tls.crt",
		"TEMPORAL_TLS_CLIENT_KEY_PATH":     "/etc/creditcase/temporal-tls/tls.key",
		"TEMPORAL_TLS_SERVER_CA_CERT_PATH": "/etc/creditcase/temporal-tls/ca.crt",
		"TEMPORAL_TLS_SERVER_NAME":         "temporal-frontend.temporal.svc",
		"TEMPORAL_NAMESPACE":               "creditcase",
		"SMTP_PASSWORD":                    "change-me",
	}
	for k, v := range want {
		if e[k] != v {
			t.Errorf("%s = %q, want %q", k, e[k], v)
		}
	}
	if !slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool {
		return m.MountPath == "/etc/creditcase/temporal-tls" && m.ReadOnly
	}) || !slices.ContainsFunc(api.Spec.Template.Spec.Volumes, func(v corev1.Volume) bool {
		return v.Secret != nil && v.Secret.SecretName == "creditcase-temporal-tls"
	}) {
		t.Errorf("TLS Secret not mounted read-only: %+v / %+v", c.VolumeMounts, api.Spec.Template.Spec.Volumes)
	}
	if got := r.get(t, "Secret/creditcase-env").(*corev1.Secret).StringData["DATABASE_URL"]; got != "" {
		t.Errorf("the chart's Secret holds DATABASE_URL %q although an existing Secret is named", got)
	}
	if *worker.Spec.Replicas != 4 || worker.Spec.Template.Spec.TerminationGracePeriodSeconds == nil || *worker.Spec.Template.Spec.TerminationGracePeriodSeconds != 90 {
		t.Errorf("worker replicas/grace: %v %v", *worker.Spec.Replicas, worker.Spec.Template.Spec.TerminationGracePeriodSeconds)
	}
	ing := r.get(t, "Ingress/creditcase-api").(*networkingv1.Ingress)
	if len(ing.Spec.TLS) != 1 || ing.Spec.Rules[0].Host != "creditcase.credit.example.org" ||
		ing.Spec.Rules[0].HTTP.Paths[0].Backend.Service.Name != "creditcase-api" {
		t.Errorf("Ingress %+v", ing.Spec)
	}
	sm := r.get(t, "ServiceMonitor/creditcase").(*monitoringv1.ServiceMonitor)
	if len(sm.Spec.Endpoints) != 1 || sm.Spec.Endpoints[0].Path != "/metrics" || sm.Labels["release"] != "kube-prometheus-stack" {
		t.Errorf("ServiceMonitor %+v", sm)
	}
	// The ServiceMonitor finds both roles' Services.
	smSel, err := metav1.LabelSelectorAsSelector(&sm.Spec.Selector)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"Service/creditcase-api", "Service/creditcase-worker"} {
		if s := r.get(t, k).(*corev1.Service); !smSel.Matches(labels.Set(s.Labels)) {
			t.Errorf("ServiceMonitor does not select %s", k)
		}
	}
	if pdb := r.get(t, "PodDisruptionBudget/creditcase-api").(*policyv1.PodDisruptionBudget); pdb.Spec.MinAvailable.IntValue() != 2 {
		t.Errorf("API PDB minAvailable %v", pdb.Spec.MinAvailable)
	}
}

func TestChartTemporalCloudValues(t *testing.T) {
	r := render(t, "../helm/examples/temporal-cloud.yaml")
	api, _ := checkCommon(t, r)
	e := env(t, r, api.Spec.Template.Spec.Containers[0])
	if e["TEMPORAL_API_KEY"] != "secret:creditcase-temporal-cloud/TEMPORAL_API_KEY" || !strings.HasSuffix(e["TEMPORAL_ADDRESS"], ".tmprl.cloud:7233") {
		t.Errorf("Temporal Cloud settings: %v", e)
	}
	if _, ok := r.objects["Job/creditcase-temporal-setup"]; ok {
		t.Error("setup Job rendered for Temporal Cloud")
	}
}

// A value the chart does not know must not slip through silently: an
// unknown field in a rendered object fails the strict decoding.
func TestStrictDecodingRefusesUnknownFields(t *testing.T) {
	doc := "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  replica: 2\n"
	if err := yaml.UnmarshalStrict([]byte(doc), &appsv1.Deployment{}); err == nil {
		t.Fatal("a misspelt field decoded without error")
	}
	if _, err := filepath.Abs(chartDir); err != nil {
		t.Fatal(err)
	}
}
