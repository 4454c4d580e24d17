package deploy

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// manifest is deploy/daemonset.yaml decoded strictly: every field must be
// one the Kubernetes API types know.
type manifest struct {
	config *corev1.ConfigMap
	ds     *appsv1.DaemonSet
}

func readManifest(t *testing.T) manifest {
	t.Helper()
	b, err := os.ReadFile("daemonset.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m, err := decodeManifest(b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func decodeManifest(b []byte) (manifest, error) {
	var m manifest
	for i, doc := range splitDocs(b) {
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &tm); err != nil {
			return m, fmt.Errorf("document %d: %w", i+1, err)
		}
		var obj any
		switch tm.APIVersion + " " + tm.Kind {
		case "v1 ConfigMap":
			m.config = &corev1.ConfigMap{}
			obj = m.config
		case "apps/v1 DaemonSet":
			m.ds = &appsv1.DaemonSet{}
			obj = m.ds
		default:
			return m, fmt.Errorf("document %d: unexpected %s %s", i+1, tm.APIVersion, tm.Kind)
		}
		// UnmarshalStrict fails on unknown and duplicate fields.
		if err := yaml.UnmarshalStrict(doc, obj); err != nil {
			return m, fmt.Errorf("document %d (%s): %w", i+1, tm.Kind, err)
		}
	}
	if m.config == nil || m.ds == nil {
		return m, fmt.Errorf("want a ConfigMap and a DaemonSet")
	}
	return m, nil
}

// splitDocs splits a multi-document YAML stream on its "---" lines.
func splitDocs(b []byte) [][]byte {
	var docs [][]byte
	for _, d := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(b), -1) {
		if strings.TrimSpace(stripComments(d)) != "" {
			docs = append(docs, []byte(d))
		}
	}
	return docs
}

func stripComments(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func container(t *testing.T, ds *appsv1.DaemonSet) *corev1.Container {
	t.Helper()
	cs := ds.Spec.Template.Spec.Containers
	if len(cs) != 1 {
		t.Fatalf("%d containers, want 1", len(cs))
	}
	return &cs[0]
}

func TestDaemonSetHostNetwork(t *testing.T) {
	ds := readManifest(t).ds
	spec := ds.Spec.Template.Spec
	if !spec.HostNetwork {
		t.Error("hostNetwork is not true: XDP must attach to the node's interface")
	}
	if spec.DNSPolicy != corev1.DNSClusterFirstWithHostNet {
		t.Errorf("dnsPolicy %q, want %q", spec.DNSPolicy, corev1.DNSClusterFirstWithHostNet)
	}
	sel, err := metav1.LabelSelectorAsMap(ds.Spec.Selector)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range sel {
		if ds.Spec.Template.Labels[k] != v {
			t.Errorf("selector %s=%s does not match the pod template's labels %v", k, v, ds.Spec.Template.Labels)
		}
	}
	if len(sel) == 0 {
		t.Error("empty selector")
	}
	if len(spec.Tolerations) == 0 {
		t.Error("no tolerations: tainted nodes would get no endpoint")
	}
	if spec.NodeSelector[corev1.LabelOSStable] != "linux" {
		t.Errorf("nodeSelector %v, want %s=linux", spec.NodeSelector, corev1.LabelOSStable)
	}
}

func TestDaemonSetCapabilities(t *testing.T) {
	c := container(t, readManifest(t).ds)
	sc := c.SecurityContext
	if sc == nil || sc.Capabilities == nil {
		t.Fatal("no securityContext.capabilities")
	}
	if sc.Privileged != nil && *sc.Privileged {
		t.Error("privileged: the capabilities below are all it needs")
	}
	if !slices.Contains(sc.Capabilities.Drop, "ALL") {
		t.Errorf("drop %v, want ALL", sc.Capabilities.Drop)
	}
	// Each one is needed: serve fails without it (README, "Install").
	for _, want := range []corev1.Capability{"NET_ADMIN", "NET_RAW", "BPF", "PERFMON", "IPC_LOCK"} {
		if !slices.Contains(sc.Capabilities.Add, want) {
			t.Errorf("capabilities.add %v lacks %s", sc.Capabilities.Add, want)
		}
	}
	if sc.RunAsUser == nil || *sc.RunAsUser != 0 {
		t.Error("runAsUser is not 0: added capabilities reach uid 0 only")
	}
}

// TestDaemonSetArgs checks the command line against serve's flags and every
// $(VAR) against the variables the container defines.
func TestDaemonSetArgs(t *testing.T) {
	m := readManifest(t)
	c := container(t, m.ds)
	if len(c.Args) == 0 || c.Args[0] != "serve" {
		t.Fatalf("args %q, want serve first", c.Args)
	}
	defined := map[string]bool{}
	for _, e := range c.Env {
		defined[e.Name] = true
	}
	for _, ef := range c.EnvFrom {
		if ef.ConfigMapRef == nil || ef.ConfigMapRef.Name != m.config.Name {
			t.Errorf("envFrom %+v: want the ConfigMap %q", ef, m.config.Name)
			continue
		}
		for k := range m.config.Data {
			defined[ef.Prefix+k] = true
		}
	}
	// The flags of `sctp-xdp serve -h`.
	known := []string{"iface", "netns", "addr", "port", "mode", "queues", "metrics", "metrics-per-assoc"}
	flags := map[string]string{}
	for _, a := range c.Args[1:] {
		name, val, ok := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || !ok {
			t.Errorf("arg %q: want --flag=value", a)
			continue
		}
		if !slices.Contains(known, name) {
			t.Errorf("arg %q: serve has no flag %q", a, name)
		}
		flags[name] = val
		for _, ref := range regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`).FindAllStringSubmatch(val, -1) {
			if !defined[ref[1]] {
				t.Errorf("arg %q: $(%s) is not defined by env or envFrom", a, ref[1])
			}
		}
	}
	if flags["iface"] == "" {
		t.Error("no --iface")
	}
	if mode := m.config.Data["MODE"]; mode != "echo" && mode != "discard" {
		t.Errorf("ConfigMap MODE %q, want echo or discard", mode)
	}
	if p, err := strconv.Atoi(m.config.Data["PORT"]); err != nil || p < 1 || p > 65535 {
		t.Errorf("ConfigMap PORT %q", m.config.Data["PORT"])
	}
	if flags["metrics"] != ":9464" {
		t.Errorf("--metrics=%q, want :9464", flags["metrics"])
	}
}

// TestDaemonSetMetrics checks that the metrics port, the scrape annotations
// and the probes agree.
func TestDaemonSetMetrics(t *testing.T) {
	ds := readManifest(t).ds
	c := container(t, ds)
	var port *corev1.ContainerPort
	for i := range c.Ports {
		if c.Ports[i].Name == "metrics" {
			port = &c.Ports[i]
		}
	}
	if port == nil {
		t.Fatalf("no port named metrics in %+v", c.Ports)
	}
	if port.ContainerPort != 9464 || port.Protocol != corev1.ProtocolTCP {
		t.Errorf("metrics port %d/%s, want 9464/TCP", port.ContainerPort, port.Protocol)
	}
	ann := ds.Spec.Template.Annotations
	want := map[string]string{
		"prometheus.io/scrape": "true",
		"prometheus.io/port":   strconv.Itoa(int(port.ContainerPort)),
		"prometheus.io/path":   "/metrics",
	}
	for k, v := range want {
		if ann[k] != v {
			t.Errorf("annotation %s=%q, want %q", k, ann[k], v)
		}
	}
	for name, p := range map[string]*corev1.Probe{"readiness": c.ReadinessProbe, "liveness": c.LivenessProbe} {
		if p == nil || p.HTTPGet == nil {
			t.Errorf("%s probe: want an HTTP GET", name)
			continue
		}
		if p.HTTPGet.Path != "/metrics" || p.HTTPGet.Port.String() != "metrics" {
			t.Errorf("%s probe GET %s on %s, want /metrics on port metrics", name, p.HTTPGet.Path, p.HTTPGet.Port.String())
		}
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Errorf("resources %+v: want CPU and memory requests and a memory limit", c.Resources)
	}
}

// TestManifestStrict shows that the decoding would catch a misspelt field.
func TestManifestStrict(t *testing.T) {
	b, err := os.ReadFile("daemonset.yaml")
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.Replace(b, []byte("hostNetwork: true"), []byte("hostNetwrok: true"), 1)
	if bytes.Equal(bad, b) {
		t.Fatal("hostNetwork: true not found")
	}
	if _, err := decodeManifest(bad); err == nil || !strings.Contains(err.Error(), "hostNetwrok") {
		t.Fatalf("misspelt field: err %v, want an unknown field error", err)
	}
}
