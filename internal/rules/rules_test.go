package rules_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"

	"github.com/creditcase/creditcase/internal/audit"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/db"
	"github.com/creditcase/creditcase/internal/pgcluster"
	"github.com/creditcase/creditcase/internal/policy"
	"github.com/creditcase/creditcase/internal/rules"
)

// One private PostgreSQL cluster; each test gets its own database, so the
// calendar revisions of one test never meet another's.
var pg *pgcluster.Cluster

func TestMain(m *testing.M) {
	code, err := run(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "rules tests:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func run(m *testing.M) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir, err := os.MkdirTemp("/tmp", "creditcase-rules-test-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	if err := os.Chmod(dir, 0o755); err != nil {
		return 0, err
	}
	if pg, err = pgcluster.Start(ctx, pgcluster.Config{Dir: filepath.Join(dir, "pg")}); err != nil {
		return 0, err
	}
	defer pg.Stop()
	return m.Run(), nil
}

var dbSeq int

// freshDB returns a pool on a new, migrated database.
func freshDB(t *testing.T) *pgxpool.Pool {
	t.Helper()
	ctx := context.Background()
	dbSeq++
	name := fmt.Sprintf("rules%d", dbSeq)
	if err := pgcluster.CreateDatabase(ctx, pg.URL("postgres"), name); err != nil {
		t.Fatal(err)
	}
	pool, err := db.Open(ctx, pg.URL(name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	mig, err := db.NewMigrator(pool)
	if err != nil {
		t.Fatal(err)
	}
	defer mig.Close()
	if _, err := mig.Up(ctx); err != nil {
		t.Fatal(err)
	}
	return pool
}

func open(t *testing.T, pool *pgxpool.Pool, d rules.Dirs, host string) *rules.Rules {
	t.Helper()
	local, err := rules.LoadLocal(d)
	if err != nil {
		t.Fatal(err)
	}
	r, err := rules.Open(context.Background(), pool, local, zerolog.Nop(), host)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

const testdata2027 = "testdata/calendar/cn/2027.json"

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A CALENDAR_DIR given to one role (the worker) reaches every role of the
// system — API and board replicas started without it — through the
// database, and all count the same days.
func TestCalendarOverrideSeenByEveryRole(t *testing.T) {
	ctx := context.Background()
	pool := freshDB(t)
	api := open(t, pool, rules.Dirs{}, "api")
	board := open(t, pool, rules.Dirs{}, "board")
	before, err := api.Calendar(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if before.Published(2027, "") {
		t.Fatal("2027 published before the override")
	}
	worker := open(t, pool, rules.Dirs{Calendar: "testdata/calendar"}, "worker")
	for name, r := range map[string]*rules.Rules{"api": api, "board": board, "worker": worker} {
		cal, err := r.Calendar(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !cal.Published(2027, "") {
			t.Errorf("%s: 2027 not published after the worker loaded CALENDAR_DIR", name)
		}
		d, err := cal.Add(calendar.MustParseDate("2027-02-04"), 3, calendar.WorkingDays, calendar.Options{})
		if err != nil || d.Due != calendar.MustParseDate("2027-02-16") {
			t.Errorf("%s: 2027-02-04 + 3 WD = %v, %v; want 2027-02-16 (春节 off 02-05..02-11)", name, d.Due, err)
		}
		if d.Version != worker.Local().Calendar.Version("") {
			t.Errorf("%s: version %s, the worker's %s", name, d.Version, worker.Local().Calendar.Version(""))
		}
	}
	// The old version still resolves to the calendar it named: a deadline
	// counted before the override keeps its own calendar.
	old, err := board.CalendarOf(ctx, before.Version(""))
	if err != nil || old.Published(2027, "") {
		t.Errorf("CalendarOf(old version) published 2027 = %v, %v", old.Published(2027, ""), err)
	}
	// Starting again with the same directory adds nothing.
	open(t, pool, rules.Dirs{Calendar: "testdata/calendar"}, "worker2")
	var revs int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM calendar_revisions`).Scan(&revs); err != nil || revs != 2 {
		t.Errorf("revisions = %d, %v; want 2 (embedded, then the override once)", revs, err)
	}
	// A replica still running the embedded (unpublished) 2027 does not undo
	// it, nor does one whose unpublished 2027 file differs (a new note).
	open(t, pool, rules.Dirs{}, "old-binary")
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "cn"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cn", "2027.json"), []byte(`{"year": 2027, "status": "unpublished", "notes": ["edited"]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	open(t, pool, rules.Dirs{Calendar: dir}, "other-binary")
	cal, _ := api.Calendar(ctx)
	if !cal.Published(2027, "") {
		t.Error("a role without the override brought an unpublished 2027 back")
	}
}

// An invalid override stops the process at start, naming file and line.
func TestInvalidOverrideNamesFileAndLine(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "cn"), 0o755); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "cn", "2027.json")
	if err := os.WriteFile(bad, []byte("{\n  \"year\": 2027,\n  \"status\": \"published\",\n  \"days\": [\n    {\"date\": \"2027-01-01\" \"kind\": \"off\"}\n  ]\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := rules.LoadLocal(rules.Dirs{Calendar: dir})
	if err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "line 5") {
		t.Errorf("calendar error = %v; want the file %s and line 5", err, bad)
	}
	pdir := t.TempDir()
	doc := strings.Replace(string(policyDoc(t, "nantong")), "  length: 3\n", "  length: -3\n", 1)
	if err := os.WriteFile(filepath.Join(pdir, "nantong.yaml"), []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = rules.LoadLocal(rules.Dirs{Policy: pdir})
	line := 1 + strings.Count(doc[:strings.Index(doc, "length: -3")], "\n")
	if err == nil || !strings.Contains(err.Error(), "nantong.yaml") || !strings.Contains(err.Error(), fmt.Sprintf("line %d", line)) {
		t.Errorf("policy error = %v; want nantong.yaml line %d", err, line)
	}
}

func policyDoc(t *testing.T, id string) []byte {
	t.Helper()
	p, err := policy.Default().Get(id)
	if err != nil {
		t.Fatal(err)
	}
	return p.Document()
}

// A profile changed under a running case: the case's version is still
// served (from the database) to a process that loaded only the new one.
func TestProfileVersionKeptAfterChange(t *testing.T) {
	ctx := context.Background()
	pool := freshDB(t)
	first := open(t, pool, rules.Dirs{}, "before")
	old, _ := first.Policies().Get("nantong")
	pdir := t.TempDir()
	doc := strings.Replace(string(old.Document()), "  length: 3\n", "  length: 7\n", 1)
	if err := os.WriteFile(filepath.Join(pdir, "nantong.yaml"), []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	// A new process, under the changed profile only.
	after := open(t, pool, rules.Dirs{Policy: pdir}, "after")
	cur, _ := after.Policies().Get("nantong")
	if cur.Version == old.Version {
		t.Fatal("the changed profile has the old version")
	}
	got, err := after.Profile(ctx, "nantong", old.Version)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := got.Rule(policy.ObjectionCentreCheck)
	if got.Version != old.Version || r.Length != 3 {
		t.Errorf("pinned profile = %s with centre check %d WD; want %s with 3", got.Version, r.Length, old.Version)
	}
	r, _ = cur.Rule(policy.ObjectionCentreCheck)
	if r.Length != 7 {
		t.Errorf("current centre check = %d WD, want 7", r.Length)
	}
}

// An import is validated against what it amends, shown as a diff, stored
// as a new revision and audited; the same content again changes nothing.
func TestImport(t *testing.T) {
	ctx := context.Background()
	pool := freshDB(t)
	r := open(t, pool, rules.Dirs{}, "api")
	admin := audit.Actor{Username: "admin", Role: "admin"}
	file := calendar.File{Origin: "2027.json", Data: readFile(t, testdata2027)}

	dry, err := r.Import(ctx, rules.ImportRequest{Files: []calendar.File{file}, Actor: admin, Reason: "2027 notice", DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if dry.Revision != 0 || len(dry.Changes.Years) != 1 || dry.Changes.Years[0].Year != 2027 || dry.Changes.Years[0].After != "published" {
		t.Errorf("dry run = %+v", dry)
	}
	if head, _ := r.Head(ctx); head != 1 {
		t.Errorf("a dry run stored revision %d", head)
	}
	want := map[string]calendar.DayChange{
		// The estimate counted Thu 02-11 as a working day; the notice gives it off.
		"2027-02-11": {Before: "working day", After: "off: 春节", Working: true},
		// The 补假 the estimate put on Tue 05-04 is a holiday of the notice: renamed only.
		"2027-05-04": {Before: "off: 劳动节补假", After: "off: 劳动节", Working: false},
		// A weekend made a working day (调休上班).
		"2027-01-31": {Before: "off: weekend", After: "working day: 春节 调休上班", Working: true},
	}
	for _, d := range dry.Changes.Days {
		w, ok := want[d.Date.String()]
		if !ok || d.Region != "" {
			continue
		}
		if d.Before != w.Before || d.After != w.After || d.Working != w.Working {
			t.Errorf("%s: %+v, want %+v", d.Date, d, w)
		}
		delete(want, d.Date.String())
	}
	if len(want) > 0 {
		t.Errorf("diff lacks %v", want)
	}

	res, err := r.Import(ctx, rules.ImportRequest{Files: []calendar.File{file}, Actor: admin, Reason: "2027 notice"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Revision != 2 || res.Previous != 1 {
		t.Errorf("import = revision %d after %d", res.Revision, res.Previous)
	}
	cal, _ := r.Calendar(ctx)
	if !cal.Published(2027, "") || cal.Version("") != res.Versions[""] {
		t.Errorf("calendar after import: 2027 published %v, version %s vs %s", cal.Published(2027, ""), cal.Version(""), res.Versions[""])
	}
	evs, err := audit.Events(ctx, pool, audit.EventFilter{Action: "calendar.imported"})
	if err != nil || len(evs) != 1 || evs[0].Actor.Username != "admin" || evs[0].ObjectID != "2" {
		t.Errorf("audit = %+v, %v", evs, err)
	}
	if _, err := r.Import(ctx, rules.ImportRequest{Files: []calendar.File{file}, Actor: admin, Reason: "again"}); !errors.Is(err, rules.ErrNoChange) {
		t.Errorf("same content again: %v, want ErrNoChange", err)
	}
	// Invalid content: refused with the problem, nothing stored.
	bad := strings.Replace(string(file.Data), `"working_days": 250`, `"working_days": 251`, 1)
	_, err = r.Import(ctx, rules.ImportRequest{Files: []calendar.File{{Origin: "bad.json", Data: []byte(bad)}}, Actor: admin, Reason: "x"})
	var ie *rules.InvalidError
	if !errors.As(err, &ie) || !strings.Contains(ie.Problem, "working_days says 251") {
		t.Errorf("invalid import: %v", err)
	}
	if head, _ := r.Head(ctx); head != 2 {
		t.Errorf("head after a refused import = %d, want 2", head)
	}
}

// A regional overlay is imported like a national year (issue 17): the
// official notice of Guangxi's 2026 三月三 differs from the secondary report
// the embedded data carried (Monday 04-20 is not a day off); the import
// shows the change under the region, stores it as a new revision, audited,
// and the region's calendar counts 04-20 as a working day from then on,
// the national calendar untouched. An overlay that breaks the rules of an
// overlay is refused naming the file, and nothing is stored.
func TestImportRegionalOverlay(t *testing.T) {
	ctx := context.Background()
	pool := freshDB(t)
	r := open(t, pool, rules.Dirs{}, "api")
	admin := audit.Actor{Username: "admin", Role: "admin"}
	files, err := calendar.EmbeddedFiles()
	if err != nil {
		t.Fatal(err)
	}
	var gx []byte
	for _, f := range files {
		if f.Key == "regions/guangxi.json" {
			gx = f.Data
		}
	}
	report := `{"date": "2026-04-20", "kind": "off", "name": "壮族三月三", "note": "补休"}`
	if !strings.Contains(string(gx), report) {
		t.Fatalf("the embedded Guangxi overlay no longer has %s", report)
	}
	notice := regexp.MustCompile(`,\s*`+regexp.QuoteMeta(report)).ReplaceAllString(string(gx), "")
	if notice == string(gx) {
		t.Fatal("could not take 2026-04-20 out of the overlay")
	}
	apr20 := calendar.NewDate(2026, 4, 20)
	gxOpt := calendar.Options{Region: "guangxi"}
	before, err := r.Calendar(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if w, _ := before.IsWorkingDay(apr20, gxOpt); w {
		t.Fatal("2026-04-20 is a working day in Guangxi before the import")
	}

	res, err := r.Import(ctx, rules.ImportRequest{Files: []calendar.File{{Origin: "guangxi.json", Data: []byte(notice)}},
		Actor: admin, Reason: "广西壮族自治区人民政府办公厅关于2026年“壮族三月三”放假的通知"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Revision < 2 || len(res.Files) != 1 || res.Files[0] != "regions/guangxi.json" {
		t.Errorf("import = %+v", res)
	}
	found := false
	for _, d := range res.Changes.Days {
		if d.Date == apr20 && d.Region == "guangxi" && d.Working {
			found = true
		} else if d.Region != "guangxi" {
			t.Errorf("a national day changed: %+v", d)
		}
	}
	if !found {
		t.Errorf("the diff %+v does not show 2026-04-20 in Guangxi becoming a working day", res.Changes.Days)
	}
	after, err := r.Calendar(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if w, _ := after.IsWorkingDay(apr20, gxOpt); !w {
		t.Error("2026-04-20 is still off in Guangxi after the import")
	}
	if after.Version("") != before.Version("") || after.Version("guangxi") == before.Version("guangxi") {
		t.Errorf("versions national %s→%s, guangxi %s→%s; want only Guangxi's to change",
			before.Version(""), after.Version(""), before.Version("guangxi"), after.Version("guangxi"))
	}
	evs, err := audit.Events(ctx, pool, audit.EventFilter{Action: "calendar.imported"})
	if err != nil || len(evs) != 1 || evs[0].ObjectID != fmt.Sprint(res.Revision) {
		t.Errorf("audit = %+v, %v", evs, err)
	}

	// An overlay make-up working day on a weekday is refused, naming the file.
	bad := strings.Replace(string(gx), `{"date": "2021-04-18", "kind": "work"`, `{"date": "2021-04-19", "kind": "work"`, 1)
	if bad == string(gx) {
		t.Fatal("the embedded Guangxi overlay no longer has the 2021-04-18 make-up day")
	}
	head, _ := r.Head(ctx)
	_, err = r.Import(ctx, rules.ImportRequest{Files: []calendar.File{{Origin: "guangxi-bad.json", Data: []byte(bad)}},
		Actor: admin, Reason: "wrong"})
	var inv *rules.InvalidError
	if !errors.As(err, &inv) || !strings.Contains(inv.Problem, "guangxi-bad.json") || !strings.Contains(inv.Problem, "Saturday or Sunday") {
		t.Errorf("a weekday make-up day: %v; want refused naming the file and why", err)
	}
	if h, _ := r.Head(ctx); h != head {
		t.Errorf("a refused import stored revision %d", h)
	}
}
