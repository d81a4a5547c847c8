package check

import (
	"context"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

const composeFile = "../compose/compose.yaml"

func loadCompose(t *testing.T) *types.Project {
	t.Helper()
	opts, err := cli.NewProjectOptions([]string{composeFile},
		cli.WithWorkingDirectory("../compose"),
		cli.WithName("creditcase"),
		// Only the file's own defaults: nothing from the caller's environment.
		cli.WithEnv([]string{}),
	)
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("compose-go refuses %s: %v", composeFile, err)
	}
	return p
}

// goModVersion is the version main's go.mod requires of module path.
func goModVersion(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(path) + `\s+v(\S+)`).FindStringSubmatch(string(b))
	if m == nil {
		t.Fatalf("go.mod does not require %s", path)
	}
	return m[1]
}

var pinned = regexp.MustCompile(`^[a-z0-9./_-]+(:[A-Za-z0-9._-]*[0-9][A-Za-z0-9._-]*)?(@sha256:[0-9a-f]{64})?$`)

// imagePinned: an explicit version tag (with a digit, never latest) or a digest.
func imagePinned(image string) bool {
	if !pinned.MatchString(image) {
		return false
	}
	name, _, _ := strings.Cut(image, "@")
	i := strings.LastIndex(name, ":")
	return strings.Contains(image, "@sha256:") || (i > strings.LastIndex(name, "/") && !strings.HasSuffix(name, ":latest"))
}

func TestImagePinnedCheckItself(t *testing.T) {
	for img, want := range map[string]bool{
		"postgres:17.6-bookworm":                     true,
		"temporalio/server:1.32.1":                   true,
		"postgres":                                   false,
		"postgres:latest":                            false,
		"temporalio/ui:main":                         false,
		"postgres@sha256:" + strings.Repeat("a", 64): true,
	} {
		if got := imagePinned(img); got != want {
			t.Errorf("imagePinned(%q) = %v, want %v", img, got, want)
		}
	}
}

func TestComposeFile(t *testing.T) {
	p := loadCompose(t)
	want := []string{"postgresql", "temporal-schema", "temporal", "temporal-setup", "temporal-ui", "migrate", "api-1", "api-2", "worker-1", "worker-2"}
	names := p.ServiceNames()
	slices.Sort(names)
	w := slices.Clone(want)
	slices.Sort(w)
	if !slices.Equal(names, w) {
		t.Fatalf("services %v, want %v", names, w)
	}
	oneShot := map[string]bool{"temporal-schema": true, "temporal-setup": true, "migrate": true}
	for _, name := range want {
		s := p.Services[name]
		if !imagePinned(s.Image) {
			t.Errorf("%s: image %q is not pinned to a version", name, s.Image)
		}
		if oneShot[name] {
			if s.Restart != "no" {
				t.Errorf("%s: a one-shot must not restart (restart %q)", name, s.Restart)
			}
			continue
		}
		if s.HealthCheck == nil || s.HealthCheck.Disable || len(s.HealthCheck.Test) < 2 || s.HealthCheck.Test[0] == "NONE" {
			t.Errorf("%s: no health check", name)
		}
		if s.Restart != "unless-stopped" {
			t.Errorf("%s: restart %q, want unless-stopped", name, s.Restart)
		}
	}

	// Temporal from the official images, at the server version creditcase
	// embeds, so a database moves between `creditcase engine` and these.
	server := goModVersion(t, "go.temporal.io/server")
	ui := goModVersion(t, "github.com/temporalio/ui-server/v2")
	for name, img := range map[string]string{
		"temporal":        "temporalio/server:" + server,
		"temporal-schema": "temporalio/admin-tools:" + server,
		"temporal-setup":  "temporalio/admin-tools:" + server,
		"temporal-ui":     "temporalio/ui:" + ui,
	} {
		if got := p.Services[name].Image; got != img {
			t.Errorf("%s: image %s, want %s", name, got, img)
		}
	}
	if !strings.Contains(strings.Join(p.Services["temporal-schema"].Command, " "), "temporal-sql-tool") {
		t.Error("temporal-schema does not set the schema up with temporal-sql-tool")
	}

	// Start order: each edge and the condition it waits for.
	order := []struct{ from, to, cond string }{
		{"temporal-schema", "postgresql", types.ServiceConditionHealthy},
		{"temporal", "temporal-schema", types.ServiceConditionCompletedSuccessfully},
		{"temporal-setup", "temporal", types.ServiceConditionHealthy},
		{"temporal-ui", "temporal", types.ServiceConditionHealthy},
		{"migrate", "postgresql", types.ServiceConditionHealthy},
	}
	for _, role := range []string{"api-1", "api-2", "worker-1", "worker-2"} {
		order = append(order,
			struct{ from, to, cond string }{role, "migrate", types.ServiceConditionCompletedSuccessfully},
			struct{ from, to, cond string }{role, "temporal-setup", types.ServiceConditionCompletedSuccessfully},
			struct{ from, to, cond string }{role, "temporal", types.ServiceConditionHealthy})
	}
	for _, o := range order {
		d, ok := p.Services[o.from].DependsOn[o.to]
		if !ok || d.Condition != o.cond {
			t.Errorf("%s must wait for %s to be %s (has %+v)", o.from, o.to, o.cond, p.Services[o.from].DependsOn)
		}
	}

	// The creditcase roles: one image built from deploy/Dockerfile, the
	// right subcommand, the same settings.
	for name, cmd := range map[string]string{"migrate": "migrate up", "api-1": "api", "api-2": "api", "worker-1": "worker", "worker-2": "worker"} {
		s := p.Services[name]
		if got := strings.Join(s.Command, " "); got != cmd {
			t.Errorf("%s runs %q, want %q", name, got, cmd)
		}
		if s.Build == nil || s.Build.Dockerfile != "deploy/Dockerfile" {
			t.Errorf("%s: not built from deploy/Dockerfile: %+v", name, s.Build)
		}
		for _, k := range []string{"DATABASE_URL", "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE"} {
			if v := s.Environment[k]; v == nil || *v == "" {
				t.Errorf("%s: %s unset", name, k)
			}
		}
		if *s.Environment["TEMPORAL_ADDRESS"] != "temporal:7233" {
			t.Errorf("%s: TEMPORAL_ADDRESS %s", name, *s.Environment["TEMPORAL_ADDRESS"])
		}
	}
	if got := strings.Join(p.Services["api-1"].HealthCheck.Test, " "); !strings.Contains(got, "creditcase healthcheck /readyz") {
		t.Errorf("api health check %q does not ask /readyz", got)
	}
}
