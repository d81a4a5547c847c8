// Package calendaradmin holds the use cases of the calendar's life in
// production (issue 17), the same for every front end (JSON API, console,
// CLI): import a year's holiday schedule or a regional overlay (validated,
// shown as a diff, stored as a new calendar revision every replica uses at
// once, audited, then the recompute of the open cases it may concern
// started), the operator's view of the calendar, and a recompute run's
// progress.
package calendaradmin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"
	"go.temporal.io/sdk/client"

	"github.com/creditcase/creditcase/activities"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/cleantext"
	"github.com/creditcase/creditcase/internal/db"
	"github.com/creditcase/creditcase/internal/faults"
	"github.com/creditcase/creditcase/internal/permission"
	"github.com/creditcase/creditcase/internal/refusal"
	"github.com/creditcase/creditcase/internal/rules"
	"github.com/creditcase/creditcase/worker"
)

// Deps are what the use cases use.
type Deps struct {
	Pool     *pgxpool.Pool
	Temporal client.Client // nil: imports are stored, the run starts at a worker's next start
	Rules    *rules.Rules
	Guard    permission.Guard
	Logger   zerolog.Logger
	Now      func() time.Time // nil = time.Now
}

// Service holds the calendar use cases.
type Service struct{ d Deps }

// New returns the service.
func New(d Deps) *Service {
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Service{d: d}
}

// ImportFile is one file of an import: a national year (the cn/YYYY.json
// format) or a regional overlay (regions/NAME.json), as a JSON object.
type ImportFile struct {
	Name    string          `json:"name" text:"max=255"`
	Content json.RawMessage `json:"content"`
}

// ImportInput is an import: why, the files, and whether only to see the
// diff.
type ImportInput struct {
	Reason string       `json:"reason" text:"max=500"`
	DryRun bool         `json:"dry_run"`
	Files  []ImportFile `json:"files"`
}

// ImportOutput is what an import did (or, dry, would do) and the recompute
// run it started.
type ImportOutput struct {
	rules.ImportResult
	RecomputeWorkflow string `json:"recompute_workflow,omitempty"`
}

// ImportCalendar imports calendar files. Refusals: 422 import-rejected for
// content that does not validate (nothing stored), 409 conflict when the
// calendar holds the content already.
func (s *Service) ImportCalendar(ctx context.Context, a permission.Actor, in ImportInput) (ImportOutput, error) {
	if err := s.d.Guard.Require(ctx, a, "importCalendar"); err != nil {
		return ImportOutput{}, err
	}
	if err := cleantext.Refuse(&in); err != nil {
		return ImportOutput{}, err
	}
	var fields []refusal.Field
	if strings.TrimSpace(in.Reason) == "" {
		fields = append(fields, refusal.Required("reason", refusal.T("请说明导入理由（如通知标题和文号）", "give the reason (e.g. the notice's title and number)")))
	}
	if len(in.Files) == 0 {
		fields = append(fields, refusal.Required("files", refusal.T("至少导入一个文件", "import at least one file")))
	}
	files := make([]calendar.File, 0, len(in.Files))
	for i, f := range in.Files {
		name := fmt.Sprintf("files[%d]", i)
		if len(f.Content) == 0 || f.Content[0] != '{' {
			fields = append(fields, refusal.Field{Name: name + ".content", Code: "json",
				Message: refusal.T("应为日历文件的 JSON 对象", "must be the calendar file as a JSON object")})
			continue
		}
		origin := name
		if f.Name != "" {
			origin = name + " (" + f.Name + ")"
		}
		files = append(files, calendar.File{Origin: origin, Data: f.Content})
	}
	if len(fields) > 0 {
		return ImportOutput{}, refusal.Invalid(fields...)
	}
	res, err := s.d.Rules.Import(ctx, rules.ImportRequest{Files: files, Actor: a.Audit(), Reason: in.Reason, DryRun: in.DryRun})
	var ie *rules.InvalidError
	switch {
	case errors.As(err, &ie):
		return ImportOutput{}, &refusal.Error{Kind: refusal.ImportRejected, Title: refusal.T("日历文件无效", "Invalid calendar file"),
			Detail: refusal.T("未作任何更改："+ie.Problem, "nothing was changed: "+ie.Problem),
			Fields: []refusal.Field{{Name: "files", Code: "calendar", Message: refusal.T(ie.Problem, ie.Problem)}}}
	case errors.Is(err, rules.ErrNoChange):
		return ImportOutput{}, &refusal.Error{Kind: refusal.Conflict, Title: refusal.T("日历已包含这些内容", "The calendar already holds this content"),
			Detail: refusal.T("未作任何更改", "nothing was changed")}
	case err != nil:
		return ImportOutput{}, faults.Database(err)
	}
	out := ImportOutput{ImportResult: res}
	if res.DryRun || s.d.Temporal == nil {
		return out, nil
	}
	// The revision is stored: the run starts now, or at a worker's next
	// start (EnsureCalendarRecomputes) if the engine does not answer.
	if out.RecomputeWorkflow, err = worker.StartCalendarRecompute(ctx, s.d.Temporal, res.Revision, in.Reason); err != nil {
		s.d.Logger.Error().Err(err).Int64("revision", res.Revision).Msg("calendar imported; recompute not started")
	}
	return out, nil
}

// CalendarStatus is the operator's view of the calendar.
func (s *Service) CalendarStatus(ctx context.Context, a permission.Actor) (rules.Status, error) {
	if err := s.d.Guard.Require(ctx, a, "getCalendarStatus"); err != nil {
		return rules.Status{}, err
	}
	st, err := s.d.Rules.Status(ctx, s.d.Now())
	if err != nil {
		return rules.Status{}, faults.Database(err)
	}
	return st, nil
}

// CalendarRecompute is the progress and summary of the recompute run after
// calendar revision rev.
func (s *Service) CalendarRecompute(ctx context.Context, a permission.Actor, rev int64) (activities.RecomputeProgress, error) {
	if err := s.d.Guard.Require(ctx, a, "getCalendarRecompute"); err != nil {
		return activities.RecomputeProgress{}, err
	}
	if rev <= 0 {
		return activities.RecomputeProgress{}, refusal.BadParam("rev", "format", refusal.T("应为日历修订号", "must be a calendar revision number"))
	}
	p, err := activities.ReadRecomputeProgress(ctx, s.d.Pool, rev)
	if db.IsNoRows(err) {
		return p, refusal.NotFoundErr()
	}
	if err != nil {
		return p, faults.Database(err)
	}
	return p, nil
}
