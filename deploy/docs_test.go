package deploy

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// fenced returns the bodies of the README's code blocks of a language.
func fenced(md, lang string) []string {
	var blocks []string
	for _, m := range regexp.MustCompile("(?ms)^```"+regexp.QuoteMeta(lang)+"\n(.*?)^```").FindAllStringSubmatch(md, -1) {
		blocks = append(blocks, m[1])
	}
	return blocks
}

// TestREADMEGoAPIIsExampleCode: the README's Go example is a verbatim part
// of example_test.go, which go test compiles and TestExamples runs.
func TestREADMEGoAPIIsExampleCode(t *testing.T) {
	blocks := fenced(readFile(t, "../README.md"), "go")
	if len(blocks) == 0 {
		t.Fatal("README.md has no Go block")
	}
	examples := readFile(t, "../example_test.go")
	for _, b := range blocks {
		if !strings.Contains(examples, b) {
			t.Errorf("README.md's Go block is not part of example_test.go:\n%s", b)
		}
	}
}

// TestCapabilitiesAgree: the README's docker run line, the Dockerfile's and
// the DaemonSet add the same capabilities.
func TestCapabilitiesAgree(t *testing.T) {
	capsOf := func(name, text string) []string {
		var caps []string
		for _, m := range regexp.MustCompile(`--cap-add ([A-Z_]+)`).FindAllStringSubmatch(text, -1) {
			caps = append(caps, m[1])
		}
		if len(caps) == 0 {
			t.Fatalf("%s: no --cap-add", name)
		}
		slices.Sort(caps)
		return caps
	}
	readme := capsOf("README.md", readFile(t, "../README.md"))
	docker := capsOf("Dockerfile", readFile(t, "../Dockerfile"))
	var ds []string
	for _, c := range container(t, readManifest(t).ds).SecurityContext.Capabilities.Add {
		ds = append(ds, string(c))
	}
	slices.Sort(ds)
	if !slices.Equal(readme, ds) || !slices.Equal(docker, ds) {
		t.Errorf("capabilities differ: README %v, Dockerfile %v, DaemonSet %v", readme, docker, ds)
	}
}
