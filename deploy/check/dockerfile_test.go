package check

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// There is no container engine here: the Dockerfile is parsed with
// BuildKit's own parser and its instructions checked one by one; the static
// build it describes is run for real by TestStaticBinary.

type dockerfile struct {
	stages []instructions.Stage
	args   map[string]string // ARG defaults before the first FROM
}

func parseDockerfile(t *testing.T) dockerfile {
	t.Helper()
	f, err := os.Open("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := parser.Parse(f)
	if err != nil {
		t.Fatalf("BuildKit cannot parse deploy/Dockerfile: %v", err)
	}
	for _, w := range res.Warnings {
		t.Errorf("Dockerfile warning: %s", w.Short)
	}
	stages, metaArgs, err := instructions.Parse(res.AST, nil)
	if err != nil {
		t.Fatalf("Dockerfile instructions: %v", err)
	}
	d := dockerfile{stages: stages, args: map[string]string{}}
	for _, a := range metaArgs {
		for _, kv := range a.Args {
			if kv.Value != nil {
				d.args[kv.Key] = *kv.Value
			}
		}
	}
	return d
}

func (d dockerfile) base(s instructions.Stage) string {
	return os.Expand(s.BaseName, func(k string) string { return d.args[k] })
}

func commands[T any](s instructions.Stage) []T {
	var out []T
	for _, c := range s.Commands {
		if v, ok := c.(T); ok {
			out = append(out, v)
		}
	}
	return out
}

func TestDockerfile(t *testing.T) {
	d := parseDockerfile(t)
	if len(d.stages) < 2 {
		t.Fatalf("%d stages: want a multi-stage build", len(d.stages))
	}
	for _, s := range d.stages {
		b := d.base(s)
		if !imagePinned(b) && !slices.ContainsFunc(d.stages, func(o instructions.Stage) bool { return o.Name == b }) {
			t.Errorf("stage %q: base image %q is not pinned to a version", s.Name, b)
		}
	}
	build, final := d.stages[0], d.stages[len(d.stages)-1]
	if !strings.HasPrefix(d.base(build), "golang:") {
		t.Errorf("first stage builds from %s, want a golang image", d.base(build))
	}
	if strings.HasPrefix(d.base(final), "golang:") {
		t.Error("the final image carries the Go toolchain")
	}
	goVersion := goModGoVersion(t)
	if !strings.HasPrefix(d.base(build), "golang:"+goVersion) {
		t.Errorf("builder %s is not Go %s (go.mod)", d.base(build), goVersion)
	}

	// The build: static, time zones embedded, the command it runs in CI.
	var buildCmd string
	for _, r := range commands[*instructions.RunCommand](build) {
		if cmd := strings.Join(r.CmdLine, " "); strings.Contains(cmd, "go build") {
			buildCmd = cmd
		}
	}
	for _, want := range []string{"CGO_ENABLED=0", "-tags timetzdata", "./cmd/creditcase"} {
		if !strings.Contains(buildCmd, want) {
			t.Errorf("build command %q lacks %s", buildCmd, want)
		}
	}

	// Non-root: a numeric user and group, not 0.
	users := commands[*instructions.UserCommand](final)
	if len(users) == 0 {
		t.Fatal("the final stage runs as root (no USER)")
	}
	u, g, _ := strings.Cut(users[len(users)-1].User, ":")
	for _, id := range []string{u, g} {
		if n, err := strconv.Atoi(id); err != nil || n == 0 {
			t.Errorf("USER %q: want numeric, non-zero uid:gid (Kubernetes runAsNonRoot checks it)", users[len(users)-1].User)
		}
	}

	// A health check through the binary itself (no shell or curl needed).
	hcs := commands[*instructions.HealthCheckCommand](final)
	if len(hcs) != 1 || len(hcs[0].Health.Test) < 3 || hcs[0].Health.Test[0] != "CMD" ||
		hcs[0].Health.Test[1] != "/usr/local/bin/creditcase" || hcs[0].Health.Test[2] != "healthcheck" {
		t.Errorf("HEALTHCHECK %+v, want CMD /usr/local/bin/creditcase healthcheck", hcs)
	}
	if eps := commands[*instructions.EntrypointCommand](final); len(eps) != 1 || !slices.Equal(eps[0].CmdLine, []string{"/usr/local/bin/creditcase"}) {
		t.Errorf("ENTRYPOINT %+v", eps)
	}

	// Fonts: the Debian packages `make setup` installs, copied to where
	// internal/documents looks, and named in DOCUMENT_FONT*.
	fontGo, err := os.ReadFile("../../internal/documents/font.go")
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, e := range commands[*instructions.EnvCommand](final) {
		for _, kv := range e.Env {
			env[kv.Key] = kv.Value
		}
	}
	copied := map[string]bool{}
	for _, c := range commands[*instructions.CopyCommand](final) {
		copied[c.DestPath] = true
	}
	var installs string
	for _, s := range d.stages {
		for _, r := range commands[*instructions.RunCommand](s) {
			installs += strings.Join(r.CmdLine, " ")
		}
	}
	for pkg, variable := range map[string]string{"fonts-droid-fallback": "DOCUMENT_FONT", "fonts-dejavu-core": "DOCUMENT_LATIN_FONT"} {
		path := env[variable]
		switch {
		case !strings.Contains(installs, pkg):
			t.Errorf("no stage installs %s", pkg)
		case path == "" || !copied[path]:
			t.Errorf("%s=%q is not a file copied into the image (%v)", variable, path, copied)
		case !strings.Contains(string(fontGo), `"`+path+`"`):
			t.Errorf("%s=%s is not one of the paths internal/documents looks in", variable, path)
		}
	}
	if !copied["/usr/local/bin/creditcase"] {
		t.Error("the binary is not copied into the final image")
	}
}

func goModGoVersion(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "go "); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatal("go.mod has no go line")
	return ""
}

// The build stage's CGO_ENABLED=0 build can only work if no package the
// binary needs exists only as cgo: listed with cgo off, every dependency
// still has Go files to compile. (Go links a cgo-free program statically.)
// Cheap: nothing is compiled; TestStaticBinary does the real build.
func TestBuildNeedsNoCgo(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "-tags", "timetzdata",
		"-f", "{{if .Error}}{{.ImportPath}}: {{.Error}}{{end}}{{range .DepsErrors}}{{.}}{{end}}", "./cmd/creditcase")
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "" {
		t.Fatalf("with CGO_ENABLED=0 the binary cannot be built: %v\n%s", err, out)
	}
}

// TestStaticBinary builds the binary as the Dockerfile's build stage does
// and checks it is statically linked (no ELF interpreter, no dynamic
// section) and runs. It compiles the whole application without cgo, a few
// minutes the first time (a second compile of everything, cgo off): set
// CREDITCASE_STATIC_BUILD=1 to run it.
func TestStaticBinary(t *testing.T) {
	if os.Getenv("CREDITCASE_STATIC_BUILD") != "1" {
		t.Skip("set CREDITCASE_STATIC_BUILD=1 to build the static binary")
	}
	out := filepath.Join(t.TempDir(), "creditcase")
	cmd := exec.Command("go", "build", "-trimpath", "-tags", "timetzdata", "-ldflags", "-s -w", "-o", out, "./cmd/creditcase")
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("static build: %v\n%s", err, b)
	}
	f, err := elf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Fatalf("the binary is dynamically linked (%s)", p.Type)
		}
	}
	// It runs with an empty environment, and knows Asia/Shanghai without
	// the system's time zone files (time/tzdata is embedded).
	run := exec.Command(out, "calendar", "add", "--from", "2026-09-30", "--days", "3")
	run.Env = []string{"ZONEINFO=/nonexistent"}
	b, err := run.CombinedOutput()
	if err != nil {
		t.Fatalf("static binary: %v\n%s", err, b)
	}
	if !strings.Contains(string(b), "2026-10-") {
		t.Errorf("calendar add answered %s", b)
	}
	if b, err := exec.Command(out, "help", "healthcheck").CombinedOutput(); err != nil || !strings.Contains(string(b), "healthcheck") {
		t.Errorf("the image's health check command is missing: %v %s", err, b)
	}
}
