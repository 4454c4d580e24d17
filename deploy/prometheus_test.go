package deploy

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// promConfig is the part of Prometheus' configuration file that
// prometheus.yml uses; decoding with KnownFields fails on anything else,
// so a misspelt key cannot pass silently.
type promConfig struct {
	Global struct {
		ScrapeInterval string `yaml:"scrape_interval"`
		ScrapeTimeout  string `yaml:"scrape_timeout"`
	} `yaml:"global"`
	ScrapeConfigs []scrapeConfig `yaml:"scrape_configs"`
}

type scrapeConfig struct {
	JobName             string `yaml:"job_name"`
	MetricsPath         string `yaml:"metrics_path"`
	KubernetesSDConfigs []struct {
		Role string `yaml:"role"`
	} `yaml:"kubernetes_sd_configs"`
	StaticConfigs []struct {
		Targets []string          `yaml:"targets"`
		Labels  map[string]string `yaml:"labels"`
	} `yaml:"static_configs"`
	RelabelConfigs []relabelConfig `yaml:"relabel_configs"`
}

// relabelConfig is one relabelling step, with Prometheus' defaults for the
// fields left out.
type relabelConfig struct {
	SourceLabels []string `yaml:"source_labels"`
	Separator    *string  `yaml:"separator"`
	Regex        *string  `yaml:"regex"`
	TargetLabel  string   `yaml:"target_label"`
	Replacement  *string  `yaml:"replacement"`
	Action       string   `yaml:"action"`
}

func readPrometheus(t *testing.T) promConfig {
	t.Helper()
	b, err := os.ReadFile("prometheus.yml")
	if err != nil {
		t.Fatal(err)
	}
	var c promConfig
	d := yaml.NewDecoder(bytes.NewReader(b))
	d.KnownFields(true)
	if err := d.Decode(&c); err != nil {
		t.Fatalf("prometheus.yml: %v", err)
	}
	return c
}

func job(t *testing.T, c promConfig, name string) scrapeConfig {
	t.Helper()
	for _, s := range c.ScrapeConfigs {
		if s.JobName == name {
			return s
		}
	}
	t.Fatalf("no job %q", name)
	return scrapeConfig{}
}

// relabel applies rules to a target's labels as Prometheus does (replace,
// keep and drop; regexes anchored at both ends) and reports whether the
// target survives.
func relabel(rules []relabelConfig, ls map[string]string) (bool, error) {
	for i, r := range rules {
		sep, regex, repl, action := ";", "(.*)", "$1", "replace"
		if r.Separator != nil {
			sep = *r.Separator
		}
		if r.Regex != nil {
			regex = *r.Regex
		}
		if r.Replacement != nil {
			repl = *r.Replacement
		}
		if r.Action != "" {
			action = r.Action
		}
		re, err := regexp.Compile("^(?s:" + regex + ")$")
		if err != nil {
			return false, fmt.Errorf("rule %d: %w", i+1, err)
		}
		vals := make([]string, len(r.SourceLabels))
		for j, l := range r.SourceLabels {
			vals[j] = ls[l]
		}
		val := strings.Join(vals, sep)
		switch action {
		case "keep":
			if !re.MatchString(val) {
				return false, nil
			}
		case "drop":
			if re.MatchString(val) {
				return false, nil
			}
		case "replace":
			if r.TargetLabel == "" {
				return false, fmt.Errorf("rule %d: replace without target_label", i+1)
			}
			m := re.FindStringSubmatchIndex(val)
			if m == nil {
				continue
			}
			target := string(re.ExpandString(nil, r.TargetLabel, val, m))
			if res := string(re.ExpandString(nil, repl, val, m)); res != "" {
				ls[target] = res
			} else {
				delete(ls, target)
			}
		default:
			return false, fmt.Errorf("rule %d: action %q not modelled here", i+1, action)
		}
	}
	return true, nil
}

var unsafeLabel = regexp.MustCompile(`[^a-zA-Z0-9_]`)

// podTargets are the targets Prometheus' Kubernetes pod discovery makes for
// the DaemonSet's pod on a node with address ip: one per declared port.
func podTargets(t *testing.T, ip string) []map[string]string {
	ds := readManifest(t).ds
	tmpl := ds.Spec.Template
	var targets []map[string]string
	for _, c := range tmpl.Spec.Containers {
		for _, p := range c.Ports {
			ls := map[string]string{
				"__address__":                                 net.JoinHostPort(ip, fmt.Sprint(p.ContainerPort)),
				"__metrics_path__":                            "/metrics",
				"__meta_kubernetes_namespace":                 "monitoring",
				"__meta_kubernetes_pod_name":                  "sctp-xdp-x7k2p",
				"__meta_kubernetes_pod_node_name":             "node-1",
				"__meta_kubernetes_pod_ip":                    ip,
				"__meta_kubernetes_pod_container_name":        c.Name,
				"__meta_kubernetes_pod_container_port_name":   p.Name,
				"__meta_kubernetes_pod_container_port_number": fmt.Sprint(p.ContainerPort),
			}
			for k, v := range tmpl.Annotations {
				ls["__meta_kubernetes_pod_annotation_"+unsafeLabel.ReplaceAllString(k, "_")] = v
			}
			for k, v := range tmpl.Labels {
				ls["__meta_kubernetes_pod_label_"+unsafeLabel.ReplaceAllString(k, "_")] = v
			}
			targets = append(targets, ls)
		}
	}
	if len(targets) < 2 {
		t.Fatalf("%d declared ports, want the metrics port and the SCTP port", len(targets))
	}
	return targets
}

// TestPrometheusScrapesDaemonSet runs the sctp-xdp job's relabelling on the
// DaemonSet's pod, as Prometheus discovers it over IPv4 and IPv6: exactly
// its metrics port must remain, at the annotated path.
func TestPrometheusScrapesDaemonSet(t *testing.T) {
	j := job(t, readPrometheus(t), "sctp-xdp")
	if len(j.KubernetesSDConfigs) != 1 || j.KubernetesSDConfigs[0].Role != "pod" {
		t.Fatalf("kubernetes_sd_configs %+v, want one with role pod", j.KubernetesSDConfigs)
	}
	for ip, want := range map[string]string{"198.18.0.10": "198.18.0.10:9464", "2001:2::10": "[2001:2::10]:9464"} {
		var kept []map[string]string
		for _, ls := range podTargets(t, ip) {
			ok, err := relabel(j.RelabelConfigs, ls)
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				kept = append(kept, ls)
			}
		}
		if len(kept) != 1 {
			t.Fatalf("%s: %d targets kept, want 1 (the metrics port): %v", ip, len(kept), kept)
		}
		ls := kept[0]
		if ls["__address__"] != want || ls["__metrics_path__"] != "/metrics" {
			t.Errorf("%s: scrapes %s%s, want %s/metrics", ip, ls["__address__"], ls["__metrics_path__"], want)
		}
		if ls["node"] != "node-1" || ls["pod"] != "sctp-xdp-x7k2p" || ls["namespace"] != "monitoring" {
			t.Errorf("%s: labels %v, want node, pod and namespace", ip, ls)
		}
	}
}

// TestPrometheusSkipsOtherPods: a pod without the scrape annotation, or of
// another application, is not scraped by this job.
func TestPrometheusSkipsOtherPods(t *testing.T) {
	j := job(t, readPrometheus(t), "sctp-xdp")
	for name, change := range map[string]func(map[string]string){
		"no annotation":  func(ls map[string]string) { delete(ls, "__meta_kubernetes_pod_annotation_prometheus_io_scrape") },
		"scrape false":   func(ls map[string]string) { ls["__meta_kubernetes_pod_annotation_prometheus_io_scrape"] = "false" },
		"another app":    func(ls map[string]string) { ls["__meta_kubernetes_pod_label_app_kubernetes_io_name"] = "coredns" },
		"unlabelled pod": func(ls map[string]string) { delete(ls, "__meta_kubernetes_pod_label_app_kubernetes_io_name") },
		"unnamed ports":  func(ls map[string]string) { delete(ls, "__meta_kubernetes_pod_container_port_name") },
	} {
		for _, ls := range podTargets(t, "198.18.0.10") {
			change(ls)
			ok, err := relabel(j.RelabelConfigs, ls)
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				t.Errorf("%s: target %s kept", name, ls["__address__"])
			}
		}
	}
}

func TestPrometheusStaticJob(t *testing.T) {
	c := readPrometheus(t)
	if c.Global.ScrapeInterval == "" {
		t.Error("no global scrape_interval")
	}
	j := job(t, c, "sctp-xdp-static")
	if j.MetricsPath != "/metrics" || len(j.StaticConfigs) == 0 {
		t.Fatalf("job %+v: want /metrics and a static target", j)
	}
	for _, sc := range j.StaticConfigs {
		for _, tg := range sc.Targets {
			if _, port, err := net.SplitHostPort(tg); err != nil || port != "9464" {
				t.Errorf("target %q: want host:9464 (%v)", tg, err)
			}
		}
	}
}

// TestPrometheusStrict shows that decoding would catch a misspelt key.
func TestPrometheusStrict(t *testing.T) {
	b, err := os.ReadFile("prometheus.yml")
	if err != nil {
		t.Fatal(err)
	}
	bad := bytes.Replace(b, []byte("target_label:"), []byte("targt_label:"), 1)
	var c promConfig
	d := yaml.NewDecoder(bytes.NewReader(bad))
	d.KnownFields(true)
	if err := d.Decode(&c); err == nil || !strings.Contains(err.Error(), "targt_label") {
		t.Fatalf("misspelt key: err %v, want an unknown field error", err)
	}
}
