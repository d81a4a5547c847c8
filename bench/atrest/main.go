// Command atrest measures what many open cases cost while they wait on
// their deadlines, and that the timers survive an outage (issue 20 part 3):
//   - production roles as separate processes (bench/internal/procs): a
//     private PostgreSQL, `creditcase engine`, `creditcase worker`,
//     `creditcase api`;
//   - -cases open cases filed through the API by the demo parties, a mix of
//     the three procedures — objections and repair applications (the
//     subject) and listing proposals (the provider) — each on its own
//     record, until every one has stored its first deadline (the first
//     deadlines are the rules' own: 3 to 15 working days from filing, not
//     an artificial spread; a timer costs the engine the same whenever it
//     is due);
//   - at rest: worker, engine and API RSS, their CPU over -rest, and the
//     PostgreSQL size per case (application + Temporal databases, before
//     and after);
//   - outage: -timers bench workflows (their own task queue, a worker in
//     this process) await a timer due during the outage exactly as a case
//     awaits its deadline (AwaitWithTimeout); then worker, engine and the
//     bench worker are killed with SIGKILL for -outage, started again, and
//     restart-to-ready is the time from starting the engine to the worker
//     answering /readyz; every timer must fire after the restart, none
//     lost, and every case workflow must still be running.
//
// Run it from the module root (it builds ./cmd/creditcase):
//
//	go run ./bench/atrest                                    # -cases 300 quick
//	go run ./bench/atrest -cases 100000 -outage 5m -dir /tmp/ccatrest
//
// Ports: Temporal in 30300–31990 (membership 300 below), HTTP 18090 and
// 30005 (the perf-scale developer's ranges).
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/creditcase/creditcase/bench/internal/figures"
	"github.com/creditcase/creditcase/bench/internal/procs"
	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/db"
	"github.com/creditcase/creditcase/internal/pgcluster"
	"github.com/creditcase/creditcase/internal/seed"
	"github.com/creditcase/creditcase/workflows"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "atrest:", err)
		os.Exit(1)
	}
}

func say(s string) { fmt.Fprintf(os.Stderr, "%s %s\n", time.Now().Format("15:04:05"), s) }

type bench struct {
	dir, bin string
	pg       *pgcluster.Cluster
	pool     *pgxpool.Pool
	engine   *procs.Proc
	worker   *procs.Proc
	api      *procs.Proc
	port     int // Temporal frontend
	http     []int
	env      []string
	base     string
	tokens   map[string]string
	accounts map[string]auth.Account
}

func run() error {
	n := flag.Int("cases", 300, "open cases to hold")
	listShare := flag.Float64("listings", 0.3, "share of the cases that are listing proposals")
	repairShare := flag.Float64("repairs", 0.2, "share of the cases that are repair applications (the rest objections)")
	conc := flag.Int("c", 8, "concurrent clients filing the cases")
	rest := flag.Duration("rest", 60*time.Second, "how long CPU at rest is measured")
	timers := flag.Int("timers", 50, "timers due during the outage (the sample)")
	outage := flag.Duration("outage", 60*time.Second, "how long worker and engine are down")
	dir := flag.String("dir", "", "working directory to keep between runs (default: a temporary one)")
	timeout := flag.Duration("timeout", 4*time.Hour, "bound on the whole run")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()

	b := &bench{dir: *dir}
	if b.dir == "" {
		tmp, err := os.MkdirTemp("/tmp", "creditcase-bench-atrest-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		b.dir = tmp
	}
	if err := os.MkdirAll(b.dir, 0o755); err != nil {
		return err
	}
	if err := os.Chmod(b.dir, 0o755); err != nil {
		return err
	}
	defer b.stopAll()
	b.bin = filepath.Join(b.dir, "creditcase")
	say("building ./cmd/creditcase")
	if err := procs.Build(ctx, b.bin); err != nil {
		return err
	}
	if err := b.start(ctx); err != nil {
		return err
	}
	sizeBefore, err := b.dbSize(ctx)
	if err != nil {
		return err
	}
	var have int
	if err := b.pool.QueryRow(ctx, `SELECT count(*) FROM cases WHERE status = 'open'`).Scan(&have); err != nil {
		return err
	}
	if have < *n {
		t0 := time.Now()
		if err := b.fileCases(ctx, *n-have, *listShare, *repairShare, *conc); err != nil {
			return err
		}
		say(fmt.Sprintf("%d cases filed and settled in %s", *n-have, time.Since(t0).Round(time.Second)))
	}
	var open, objections, listings, repairs, withTimer int
	var firstDue, lastDue time.Time
	if err := b.pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE kind = 'objection'), count(*) FILTER (WHERE kind = 'listing'),
		count(*) FILTER (WHERE kind = 'repair'), count(next_due_at), coalesce(min(next_due_at), now()), coalesce(max(next_due_at), now())
		FROM cases WHERE status = 'open'`).
		Scan(&open, &objections, &listings, &repairs, &withTimer, &firstDue, &lastDue); err != nil {
		return err
	}
	sizeAfter, err := b.dbSize(ctx)
	if err != nil {
		return err
	}
	perCase := float64(sizeAfter-sizeBefore) / float64(max(1, *n-have))
	if have > 0 {
		perCase = float64(sizeAfter) / float64(open) // kept cluster: the whole size over the cases
	}

	// At rest: let the last tasks drain, then RSS and CPU over -rest.
	say(fmt.Sprintf("%d open cases (%d objections, %d listings, %d repairs), %d with a pending deadline (%s … %s); resting",
		open, objections, listings, repairs, withTimer, firstDue.Format("2006-01-02"), lastDue.Format("2006-01-02")))
	time.Sleep(15 * time.Second)
	roles := []*procs.Proc{b.worker, b.engine, b.api}
	cpu0 := map[int]float64{}
	for _, p := range roles {
		cpu0[p.PID()] = cpuSeconds(p.PID())
	}
	time.Sleep(*rest)
	rss := map[string]int64{}
	cpu := map[string]float64{}
	for _, p := range roles {
		rss[p.Name] = rssBytes(p.PID())
		cpu[p.Name] = 100 * (cpuSeconds(p.PID()) - cpu0[p.PID()]) / rest.Seconds()
	}
	fmt.Printf("%d open cases at rest (%d objections, %d listings, %d repairs; %d with a pending deadline, due %s … %s)\n",
		open, objections, listings, repairs, withTimer, firstDue.Format("2006-01-02"), lastDue.Format("2006-01-02"))
	fmt.Printf("%-10s %10s %14s\n", "role", "RSS MiB", "CPU at rest")
	for _, p := range roles {
		fmt.Printf("%-10s %10d %13.1f%%\n", p.Name, rss[p.Name]>>20, cpu[p.Name])
	}
	fmt.Printf("PostgreSQL (application + Temporal databases): %d MiB, %.1f KiB per case\n", sizeAfter>>20, perCase/1024)

	// The outage.
	fired, lost, late, restart, running, err := b.outage(ctx, *timers, *outage)
	if err != nil {
		return err
	}
	fmt.Printf("outage of %s (worker and engine killed with SIGKILL): restart to ready %s; %d of %d timers due during it fired after the restart (%d lost, latest %.1fs after the restart); %d of %d case workflows still running\n",
		*outage, restart.Round(100*time.Millisecond), fired, *timers, lost, late.Seconds(), running, open)

	size := fmt.Sprintf("%s cases", strconv.Itoa(open))
	figures.Emit(
		figures.Goal("3 at rest", "worker RSS, "+size, fmt.Sprintf("%d MiB", rss["worker"]>>20), "≤ 1 GiB", rss["worker"] <= 1<<30),
		figures.Report("3 at rest", "engine RSS / API RSS, "+size, fmt.Sprintf("%d MiB / %d MiB", rss["engine"]>>20, rss["api"]>>20)),
		figures.Report("3 at rest", "CPU at rest worker / engine / API", fmt.Sprintf("%.1f%% / %.1f%% / %.1f%% of a core", cpu["worker"], cpu["engine"], cpu["api"])),
		figures.Report("3 at rest", "PostgreSQL size per case", fmt.Sprintf("%.1f KiB", perCase/1024)),
		figures.Goal("3 at rest", fmt.Sprintf("restart to ready after a %s outage", *outage), restart.Round(100*time.Millisecond).String(), "≤ 30s", restart <= 30*time.Second),
		figures.Goal("3 at rest", "timers due during the outage fired after it", fmt.Sprintf("%d of %d (latest %.1fs after ready); %d of %d cases running", fired, *timers, late.Seconds(), running, open),
			"none lost", lost == 0 && fired == *timers && running == open),
	)
	return nil
}

func (b *bench) stopAll() {
	for _, p := range []*procs.Proc{b.api, b.worker, b.engine} {
		if p != nil {
			_ = p.Stop(30 * time.Second)
		}
	}
	if b.pool != nil {
		b.pool.Close()
	}
	if b.pg != nil {
		b.pg.Stop()
	}
}

func (b *bench) start(ctx context.Context) error {
	var err error
	b.pg, err = pgcluster.Start(ctx, pgcluster.Config{Dir: filepath.Join(b.dir, "pg")})
	if err != nil {
		return err
	}
	if err := pgcluster.CreateDatabase(ctx, b.pg.URL("postgres"), "creditcase"); err != nil {
		return err
	}
	if b.port, err = procs.TemporalPort(30300, 31990, "127.0.0.1"); err != nil {
		return err
	}
	if b.http, err = procs.HTTPPorts(2, 18090, 30005); err != nil {
		return err
	}
	if err := b.startEngine(ctx); err != nil {
		return err
	}
	b.env = []string{"DATABASE_URL=" + b.pg.URL("creditcase"), fmt.Sprintf("TEMPORAL_ADDRESS=127.0.0.1:%d", b.port),
		"LOG_LEVEL=warn", "LOG_FORMAT=json"}
	if out, err := procs.Run(ctx, b.bin, b.env, "migrate", "up"); err != nil {
		return err
	} else {
		say("migrate: " + strings.TrimSpace(out))
	}
	if b.pool, err = db.Open(ctx, b.pg.URL("creditcase")); err != nil {
		return err
	}
	if _, err := seed.Demo(ctx, b.pool); err != nil {
		return err
	}
	if err := b.startWorker(ctx); err != nil {
		return err
	}
	b.base = fmt.Sprintf("http://127.0.0.1:%d", b.http[0])
	if b.api, err = procs.Start(b.dir, "api", b.bin, append(slices.Clone(b.env), "HTTP_ADDR=127.0.0.1:"+strconv.Itoa(b.http[0])), "api"); err != nil {
		return err
	}
	if err := b.api.WaitReady(ctx, b.base+"/readyz"); err != nil {
		return err
	}
	b.tokens, b.accounts = map[string]string{}, map[string]auth.Account{}
	as := auth.New(b.pool, 4)
	for _, u := range []string{"subject", "provider", "caseworker"} {
		if b.tokens[u], err = login(ctx, b.base, u); err != nil {
			return err
		}
		if b.accounts[u], err = as.AccountByUsername(ctx, u); err != nil {
			return err
		}
	}
	return nil
}

func (b *bench) startEngine(ctx context.Context) error {
	var err error
	b.engine, err = procs.Start(b.dir, "engine", b.bin, []string{
		"DATABASE_URL=" + b.pg.URL("postgres"), "TEMPORAL_BIND_IP=127.0.0.1", fmt.Sprintf("TEMPORAL_PORT=%d", b.port),
		"TEMPORAL_UI_PORT=0", "LOG_LEVEL=warn", "TEMPORAL_LOG_LEVEL=error",
	}, "engine")
	if err != nil {
		return err
	}
	return b.engine.WaitLog(ctx, "engine ready")
}

func (b *bench) startWorker(ctx context.Context) error {
	var err error
	addr := "127.0.0.1:" + strconv.Itoa(b.http[1])
	if b.worker, err = procs.Start(b.dir, "worker", b.bin, append(slices.Clone(b.env), "HTTP_ADDR="+addr), "worker"); err != nil {
		return err
	}
	return b.worker.WaitReady(ctx, "http://"+addr+"/readyz")
}

// dbSize is the size of the application's and Temporal's databases.
func (b *bench) dbSize(ctx context.Context) (int64, error) {
	var s int64
	err := b.pool.QueryRow(ctx, `SELECT sum(pg_database_size(datname))::bigint FROM pg_database WHERE datname IN ('creditcase', 'temporal', 'temporal_visibility')`).Scan(&s)
	return s, err
}

// fileCases gives the demo subject one record per case (COPY) and files
// the cases through the API, then waits until each stored its first
// deadline. Listing and repair records are negative records of one
// decision day, past the shortest disclosure period of a general record.
func (b *bench) fileCases(ctx context.Context, n int, listShare, repairShare float64, conc int) error {
	subj, prov := b.accounts["subject"], b.accounts["provider"]
	nList := int(float64(n) * listShare)
	nRepair := int(float64(n) * repairShare)
	today := time.Now().UTC().Truncate(24 * time.Hour)
	stamp := time.Now().UnixNano()
	// Repair records come from a department with no other record of the
	// demo subject (the demo's later records of the proposing department
	// would be a dishonesty "of the same kind" after them).
	var repairProvider int64
	if err := b.pool.QueryRow(ctx, `SELECT id FROM providers WHERE code = 'nt-hrss'`).Scan(&repairProvider); err != nil {
		return fmt.Errorf("the demo department nt-hrss: %w", err)
	}
	_, err := b.pool.CopyFrom(ctx, pgx.Identifier{"records"},
		[]string{"subject_id", "provider_id", "category", "severity", "disclosure", "title", "content", "decision_no", "decided_on", "disclosure_end", "period_rule", "profile_id"},
		pgx.CopyFromFunc(func() func() ([]any, error) {
			i := 0
			return func() ([]any, error) {
				if i >= n {
					return nil, nil
				}
				decided := today.AddDate(0, 0, -120)
				row := []any{subj.SubjectID, prov.ProviderID, "other", nil, "authorised", "基准测试记录", "内容",
					fmt.Sprintf("ATREST-%d-O-%d", stamp, i), decided, nil, "", "nantong"}
				switch {
				case i < nList:
					row = []any{subj.SubjectID, prov.ProviderID, "negative", "serious", "public", "拒不履行行政处罚决定", "经催告仍拒不履行",
						fmt.Sprintf("ATREST-%d-L-%d", stamp, i), decided, decided.AddDate(3, 0, 0), "disclosure.serious", "nantong"}
				case i < nList+nRepair:
					row = []any{subj.SubjectID, repairProvider, "negative", "general", "public", "逾期未申报行政处罚", "罚款人民币 2000 元，已缴清",
						fmt.Sprintf("ATREST-%d-R-%d", stamp, i), decided, decided.AddDate(1, 0, 0), "disclosure.general", "nantong"}
				}
				i++
				return row, nil
			}
		}()))
	if err != nil {
		return fmt.Errorf("copy records: %w", err)
	}
	rows, err := b.pool.Query(ctx, `SELECT id, decision_no FROM records WHERE decision_no LIKE $1 ORDER BY id`, fmt.Sprintf("ATREST-%d-%%", stamp))
	if err != nil {
		return err
	}
	type job struct {
		id   int64
		kind byte // O objection, L listing, R repair
	}
	jobs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (job, error) {
		var j job
		var no string
		err := r.Scan(&j.id, &no)
		if k := strings.Split(no, "-"); len(k) == 4 {
			j.kind = k[2][0]
		}
		return j, err
	})
	if err != nil {
		return err
	}
	// Interleave the kinds so all are filed throughout.
	slices.SortFunc(jobs, func(a, c job) int { return int(a.id%97) - int(c.id%97) })
	hc := &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: conc}}
	var done atomic.Int64
	var firstErr error
	var mu sync.Mutex
	ch := make(chan job)
	var wg sync.WaitGroup
	t0 := time.Now()
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range ch {
				var err error
				// Under a loaded machine the API's engine timeout runs out
				// (503, nothing filed): try again, patiently.
				for attempt := 0; attempt < 30; attempt++ {
					switch j.kind {
					case 'L':
						err = post(ctx, hc, b.base+"/api/v1/listings", b.tokens["provider"], map[string]any{
							"subject_id": subj.SubjectID, "record_ids": []int64{j.id}, "reasons": "拒不履行法定义务，情节严重",
							"legal_basis": []string{"《南通市公共信用信息管理办法》第三十条"}, "measures": []string{"public_disclosure"},
							"period": map[string]any{"length": 3, "unit": "year"}})
					case 'R':
						err = postRepair(ctx, hc, b.base, b.tokens["subject"], j.id)
					default:
						err = post(ctx, hc, b.base+"/api/v1/objections", b.tokens["subject"], map[string]any{
							"record_id": j.id, "grounds": []string{"记录内容有误"}, "statement": "请核实并更正"})
					}
					var st errStatus
					if err != nil && attempt > 0 && errors.As(err, &st) && st.code == http.StatusConflict && strings.Contains(st.msg, "/problems/objection-open") {
						// The earlier attempt's 503 came after the case was
						// opened (the engine answered late): it is filed.
						err = nil
					}
					if err != nil && attempt > 0 && errors.As(err, &st) && st.code == http.StatusConflict &&
						(strings.Contains(st.msg, "/problems/repair-open") || strings.Contains(st.msg, "/problems/already-listed")) {
						err = nil // the same for a repair application or a listing proposal
					}
					if err == nil || !errors.As(err, &st) || st.code != http.StatusServiceUnavailable {
						break
					}
					time.Sleep(5 * time.Second)
				}
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					continue
				}
				if d := done.Add(1); d%500 == 0 {
					say(fmt.Sprintf("%d of %d filed (%.1f/s)", d, len(jobs), float64(d)/time.Since(t0).Seconds()))
				}
			}
		}()
	}
	for _, j := range jobs {
		if ctx.Err() != nil {
			break
		}
		ch <- j
	}
	close(ch)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	// Settled: every open case has its first deadline. A listing's first
	// deadline (the statement period) runs from the service of its written
	// notice, so the caseworker records that service once the notice exists
	// (a refusal means it is not rendered yet: tried again next round).
	served := map[string]bool{}
	for {
		var waiting int
		if err := b.pool.QueryRow(ctx, `SELECT count(*) FROM cases WHERE status = 'open' AND next_due_at IS NULL`).Scan(&waiting); err != nil {
			return err
		}
		if waiting == 0 {
			return nil
		}
		nos, err := b.unservedListings(ctx)
		if err != nil {
			return err
		}
		for _, no := range nos {
			if served[no] {
				continue
			}
			err := post(ctx, hc, b.base+"/api/v1/listings/"+no+"/service", b.tokens["caseworker"], map[string]any{
				"method": "electronic", "served_at": time.Now().UTC().Format(time.RFC3339), "note": "电子送达，系统回执"})
			var st errStatus
			switch {
			case err == nil:
				served[no] = true
			case errors.As(err, &st) && (st.code == http.StatusConflict || st.code == http.StatusServiceUnavailable):
			default:
				return err
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d cases without a deadline: %w", waiting, ctx.Err())
		case <-time.After(2 * time.Second):
		}
	}
}

// unservedListings are the open listing proposals still waiting for the
// service of their notice.
func (b *bench) unservedListings(ctx context.Context) ([]string, error) {
	rows, err := b.pool.Query(ctx, `SELECT case_no FROM cases WHERE kind = 'listing' AND status = 'open' AND next_due_at IS NULL ORDER BY case_no`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

type errStatus struct {
	code int
	msg  string
}

func (e errStatus) Error() string { return fmt.Sprintf("%d %s", e.code, e.msg) }

func post(ctx context.Context, hc *http.Client, u, token string, body any) error {
	data, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(data))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		return errStatus{resp.StatusCode, fmt.Sprintf("POST %s: %s", u, out)}
	}
	return nil
}

// pdf is a minimal PDF document, as evidence and commitment.
func pdf(note string) []byte {
	return []byte("%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n" +
		"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n% " + note + "\n" +
		"trailer << /Root 1 0 R >>\n%%EOF\n")
}

// postRepair files a repair application for record id with a signed
// commitment and one piece of evidence, as the subject does.
func postRepair(ctx context.Context, hc *http.Client, base, token string, id int64) error {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.WriteField("record_id", strconv.FormatInt(id, 10))
	_ = w.WriteField("statement", "罚款已缴清，已完成整改")
	fw, _ := w.CreateFormFile("commitment", "信用承诺书.pdf")
	_, _ = fw.Write(pdf("commitment"))
	fw, _ = w.CreateFormFile("file", "缴款凭证.pdf")
	_, _ = fw.Write(pdf("receipt"))
	if err := w.Close(); err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/repairs", &buf)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		return errStatus{resp.StatusCode, fmt.Sprintf("POST %s/api/v1/repairs: %s", base, out)}
	}
	return nil
}

func login(ctx context.Context, base, user string) (string, error) {
	data, _ := json.Marshal(map[string]string{"username": user, "password": seed.DemoPassword, "kind": "bearer", "label": "bench"})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/auth/login", bytes.NewReader(data))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var lr struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&lr); err != nil || resp.StatusCode != http.StatusOK || lr.Token == "" {
		return "", fmt.Errorf("log-in %s: %d (%v)", user, resp.StatusCode, err)
	}
	return lr.Token, nil
}

// timerQueue is the bench's own task queue for the outage sample.
const timerQueue = "bench-timers"

// TimerWorkflow awaits until due as a case awaits its next deadline
// (workflow.AwaitWithTimeout on a condition that stays false) and returns
// the workflow time at which the timer fired.
func TimerWorkflow(ctx workflow.Context, due time.Time) (time.Time, error) {
	if wait := due.Sub(workflow.Now(ctx)); wait > 0 {
		if _, err := workflow.AwaitWithTimeout(ctx, wait, func() bool { return false }); err != nil {
			return time.Time{}, err
		}
	}
	return workflow.Now(ctx), nil
}

// outage starts the sample's timers, kills worker and engine (and the
// bench's own worker) for d, starts them again and checks the sample.
func (b *bench) outage(ctx context.Context, timers int, d time.Duration) (fired, lost int, late, restart time.Duration, running int, err error) {
	tc, err := client.Dial(client.Options{HostPort: fmt.Sprintf("127.0.0.1:%d", b.port), Logger: quiet{}})
	if err != nil {
		return
	}
	w := worker.New(tc, timerQueue, worker.Options{})
	w.RegisterWorkflow(TimerWorkflow)
	if err = w.Start(); err != nil {
		return
	}
	// Timers due from 10 s into the outage to 10 s before its end.
	killAt := time.Now().Add(10 * time.Second)
	span := d - 20*time.Second
	if span <= 0 {
		span = d / 2
	}
	ids := make([]string, timers)
	dues := make([]time.Time, timers)
	for i := range timers {
		ids[i] = fmt.Sprintf("bench-timer-%d-%d", killAt.UnixNano(), i)
		dues[i] = killAt.Add(10*time.Second + time.Duration(i)*span/time.Duration(max(1, timers)))
		if _, err = tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: ids[i], TaskQueue: timerQueue, WorkflowExecutionTimeout: 2 * time.Hour}, TimerWorkflow, dues[i]); err != nil {
			return
		}
	}
	time.Sleep(time.Until(killAt))
	say(fmt.Sprintf("outage: SIGKILL to worker (pid %d) and engine (pid %d) for %s", b.worker.PID(), b.engine.PID(), d))
	w.Stop()
	tc.Close()
	b.worker.Kill9()
	b.engine.Kill9()
	time.Sleep(d)
	t0 := time.Now()
	if err = b.startEngine(ctx); err != nil {
		return
	}
	if err = b.startWorker(ctx); err != nil {
		return
	}
	restart = time.Since(t0)
	ready := time.Now()
	say(fmt.Sprintf("engine and worker ready %s after the restart began", restart.Round(100*time.Millisecond)))
	if tc, err = client.Dial(client.Options{HostPort: fmt.Sprintf("127.0.0.1:%d", b.port), Logger: quiet{}}); err != nil {
		return
	}
	defer tc.Close()
	w = worker.New(tc, timerQueue, worker.Options{})
	w.RegisterWorkflow(TimerWorkflow)
	if err = w.Start(); err != nil {
		return
	}
	defer w.Stop()
	wctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	for i, id := range ids {
		var at time.Time
		if gerr := tc.GetWorkflow(wctx, id, "").Get(wctx, &at); gerr != nil || at.Before(dues[i]) {
			lost++
			continue
		}
		fired++
		late = max(late, at.Sub(ready))
	}
	resp, cerr := tc.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Query: fmt.Sprintf("TaskQueue = '%s' AND ExecutionStatus = 'Running'", workflows.TaskQueue)})
	if cerr != nil {
		err = cerr
		return
	}
	running = int(resp.GetCount())
	return
}

// quiet drops the SDK's log lines (the outage makes it complain).
type quiet struct{}

func (quiet) Debug(string, ...any) {}
func (quiet) Info(string, ...any)  {}
func (quiet) Warn(string, ...any)  {}
func (quiet) Error(string, ...any) {}

// rssBytes is a process's resident set size.
func rssBytes(pid int) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// cpuSeconds is a process's user + system CPU time.
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	fs := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	u, _ := strconv.ParseFloat(fs[11], 64)
	st, _ := strconv.ParseFloat(fs[12], 64)
	return (u + st) / 100 // USER_HZ
}
