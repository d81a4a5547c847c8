package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/sdk/temporal"

	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/documents"
	"github.com/creditcase/creditcase/internal/ident"
	"github.com/creditcase/creditcase/internal/letters"
	"github.com/creditcase/creditcase/internal/policy"
	"github.com/creditcase/creditcase/internal/wording"
)

// DocumentRequest asks for a written notice of a case to be rendered (HTML
// and PDF), numbered, stored with the case and delivered to its
// recipient. Seq is the document's place in the case, so a retry stores
// the same document once under the same number. The workflow hands over
// what the letter states about the case at the moment of issue — the
// issue time, the case's dates and its deadlines — and what only it knows
// (outcome, reasons, missing items); names, identifiers and record
// details are read here, from PostgreSQL, so they never enter workflow
// history.
type DocumentRequest struct {
	CaseNo string            `json:"case_no"`
	Kind   string            `json:"kind"`
	Seq    int               `json:"seq"`
	Facts  map[string]string `json:"facts"`
	// Lists are the facts that are lists (missing items, grounds, reasons).
	Lists map[string][]string `json:"lists,omitempty"`
	// Correction, when the record was corrected, is the corrected fields.
	Correction map[string]any `json:"correction,omitempty"`
	// IssuedAt is when the workflow issues the letter: its date (成文日期)
	// and the year of its number.
	IssuedAt time.Time `json:"issued_at,omitzero"`
	// Dates are the case's dates at issue time, by name (DateReceived…).
	Dates map[string]time.Time `json:"dates,omitempty"`
	// Deadlines are the case's deadlines at issue time.
	Deadlines []Deadline `json:"deadlines,omitempty"`
}

// Names of the dates a DocumentRequest may carry.
const (
	DateReceived      = "received"
	DateAccepted      = "accepted"
	DateCorrected     = "corrected"
	DateAppealed      = "appealed"
	DateServed        = "served"
	DateListed        = "listed"
	DateRemovalDue    = "removal_due"
	DateRemoved       = "removed"
	DatePublicityFrom = "publicity_from"
	DatePublicityTo   = "publicity_to"
)

// DocumentRef names a stored document.
type DocumentRef struct {
	Kind   string `json:"kind"`
	Number string `json:"number"`
	Title  string `json:"title"`
}

// caseFile is what a document says about the case, read from PostgreSQL.
type caseFile struct {
	kind           string
	subject        documents.Subject
	record         documents.Record
	profileID      string
	profileVersion string
	providerID     int64
	openedAt       time.Time
	acceptedAt     time.Time
	labelled       bool
	// listing is the listing behind a listing document (nil otherwise).
	listing *listingFacts
}

// preparedLetter is a letter numbered and ready to be rendered.
type preparedLetter struct {
	kind documents.Kind
	cf   caseFile
	c    letters.Case
	is   letters.Issue
}

// prepare reads what the letter states, checks that it can be composed and
// draws its number (once per case and document place: asking again gives
// the same number).
func (a *Cases) prepare(ctx context.Context, req DocumentRequest) (preparedLetter, error) {
	kind := documents.Kind(req.Kind)
	if !kind.Valid() {
		return preparedLetter{}, temporal.NewNonRetryableApplicationError("unknown document kind "+req.Kind, "bad-document", nil)
	}
	cf, err := a.caseFile(ctx, req.CaseNo)
	if err != nil {
		return preparedLetter{}, err
	}
	// The letter cites the profile the case keeps (its version at opening);
	// a version written before profiles said what letters print gives way
	// to the version loaded now for the wording.
	prof, err := a.profile(ctx, cf.profileID, cf.profileVersion)
	if err == nil && prof.FirstSchema() {
		prof, err = a.profile(ctx, cf.profileID, "")
	}
	if err != nil {
		return preparedLetter{}, err
	}
	if cf.listing, err = a.listingFactsOf(ctx, req.CaseNo, req.Kind); err != nil {
		return preparedLetter{}, err
	}
	c, err := a.letterCase(ctx, req, cf, prof)
	if err != nil {
		return preparedLetter{}, err
	}
	issued := req.IssuedAt
	if issued.IsZero() {
		// A request of a workflow from before the issue time was handed over.
		issued = time.Now()
	}
	is := letters.Issue{Kind: kind, Date: calendar.DateOf(issued), Facts: req.Facts, Lists: req.Lists, Correction: CorrectionSummary(req.Correction)}
	if kind == documents.KindDeadlineCorrection || kind == documents.KindProviderDeadlineCorrection {
		if is.Lists, err = a.withCalendarNotices(ctx, req); err != nil {
			return preparedLetter{}, err
		}
	}
	series, err := letters.Series(prof, kind)
	if err != nil {
		return preparedLetter{}, temporal.NewNonRetryableApplicationError(err.Error(), "bad-document", err)
	}
	// Check the letter before drawing its number: a letter that cannot be
	// issued leaves no gap in the series.
	is.Number = documents.FormatNumber(series, is.Date.Year, 1)
	if err := a.composeCheck(c, is); err != nil {
		return preparedLetter{}, err
	}
	is.Number, err = documents.DrawNumber(ctx, a.Pool, documents.NumberRequest{
		Series: series, Year: is.Date.Year, CaseRef: req.CaseNo, DocSeq: req.Seq, Kind: kind,
	})
	if err != nil {
		return preparedLetter{}, err
	}
	return preparedLetter{kind: kind, cf: cf, c: c, is: is}, nil
}

// NumberDocument fixes a letter in the caseworker's action without
// rendering it (issue 20.2): checks that it can be composed, draws its
// number, and writes its row "being prepared" with the case. The same
// request then goes to IssueDocument, which renders the letter under that
// number and date (the request's IssuedAt) after the action has answered.
// A retry returns the same number and writes nothing twice.
func (a *Cases) NumberDocument(ctx context.Context, req DocumentRequest) (DocumentRef, error) {
	p, err := a.prepare(ctx, req)
	if err != nil {
		return DocumentRef{}, err
	}
	if err := documents.Reserve(ctx, a.Pool, req.CaseNo, p.kind, p.is.Number); err != nil {
		return DocumentRef{}, err
	}
	return DocumentRef{Kind: string(p.kind), Number: p.is.Number, Title: p.kind.Title()}, nil
}

// IssueDocument renders a document of the case, numbers it (or finds the
// number NumberDocument drew), stores it and tells its recipient; a retry
// returns the document stored by the first attempt, under the same number,
// without rendering it again.
func (a *Cases) IssueDocument(ctx context.Context, req DocumentRequest) (DocumentRef, error) {
	p, err := a.prepare(ctx, req)
	if err != nil {
		return DocumentRef{}, err
	}
	kind, is := p.kind, p.is
	r := documents.Rendered{Kind: kind, CaseRef: req.CaseNo, Number: is.Number, Title: kind.Title(), Recipient: kind.Recipient()}
	done, err := documents.IsRendered(ctx, a.Pool, req.CaseNo, kind, is.Number)
	if err != nil {
		return DocumentRef{}, fmt.Errorf("look up %s of %s: %w", kind, req.CaseNo, err)
	}
	if !done {
		data, err := letters.Compose(p.c, is)
		if err != nil {
			return DocumentRef{}, temporal.NewNonRetryableApplicationError(err.Error(), "bad-document", err)
		}
		if r, err = documents.Render(kind, data); err != nil {
			var ve *documents.ValidationError
			if errors.As(err, &ve) {
				return DocumentRef{}, temporal.NewNonRetryableApplicationError(err.Error(), "bad-document", err)
			}
			return DocumentRef{}, err
		}
		// The row NumberDocument wrote receives its content, once; a letter
		// of an older workflow is inserted whole.
		_, err = a.Pool.Exec(ctx, `INSERT INTO case_documents (case_ref, kind, number, title, recipient_role, html, pdf, sha256)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8)
			ON CONFLICT (case_ref, kind, number) DO UPDATE SET html = EXCLUDED.html, pdf = EXCLUDED.pdf, sha256 = EXCLUDED.sha256
				WHERE case_documents.pdf IS NULL`,
			req.CaseNo, string(kind), is.Number, r.Title, string(r.Recipient), r.HTML, r.PDF, r.SHA256)
		if err != nil {
			return DocumentRef{}, fmt.Errorf("store %s of %s: %w", kind, req.CaseNo, err)
		}
	}
	if err := a.deliver(ctx, req, p.cf, p.c, r); err != nil {
		return DocumentRef{}, err
	}
	return DocumentRef{Kind: string(kind), Number: is.Number, Title: r.Title}, nil
}

// composeCheck composes and validates the letter; a letter the case cannot
// fill is a non-retryable error naming the fields, never their values.
func (a *Cases) composeCheck(c letters.Case, is letters.Issue) error {
	data, err := letters.Compose(c, is)
	if err == nil {
		err = data.Validate()
	}
	if err != nil {
		return temporal.NewNonRetryableApplicationError(err.Error(), "bad-document", err)
	}
	return nil
}

// letterCase is the case as the letter states it: names and records from
// PostgreSQL, dates and deadlines from the workflow's request.
func (a *Cases) letterCase(ctx context.Context, req DocumentRequest, cf caseFile, prof *policy.Profile) (letters.Case, error) {
	c := letters.Case{Ref: req.CaseNo, Profile: prof, Subject: cf.subject, Record: cf.record, Suspended: cf.labelled}
	d := req.Dates
	if d == nil {
		// A workflow from before the dates were handed over: the case row
		// and the listing row are what there is.
		d = map[string]time.Time{DateReceived: cf.openedAt, DateAccepted: cf.acceptedAt}
		if t := parseTime(req.Facts["appealed_at"]); !t.IsZero() {
			d[DateAppealed] = t
		}
		if t := parseTime(req.Facts["publicity_from"]); !t.IsZero() {
			d[DatePublicityFrom] = t
		}
		if t := parseTime(req.Facts["from"]); !t.IsZero() {
			d[DatePublicityFrom] = t
		}
		if t := parseTime(req.Facts["publicity_to"]); !t.IsZero() {
			d[DatePublicityTo] = t
		}
		if f := cf.listing; f != nil {
			d[DateServed], d[DateListed], d[DateRemoved] = f.servedAt, f.listedAt, f.removedAt
			if !f.removalDue.IsZero() {
				d[DateRemovalDue] = calendar.NewDate(f.removalDue.Year(), f.removalDue.Month(), f.removalDue.Day()).Start()
			}
		}
	}
	c.Dates = letters.Dates{
		Received: d[DateReceived], Accepted: d[DateAccepted], Corrected: d[DateCorrected], Appealed: d[DateAppealed],
		Served: d[DateServed], Listed: d[DateListed], Removed: d[DateRemoved], PublicityFrom: d[DatePublicityFrom],
	}
	if t := d[DateRemovalDue]; !t.IsZero() {
		c.Dates.RemovalDue = calendar.DateOf(t)
	}
	if t := d[DatePublicityTo]; !t.IsZero() {
		c.Dates.PublicityTo = calendar.DateOf(t)
	}
	if c.Dates.Corrected.IsZero() && documents.Kind(req.Kind) == documents.KindCorrection {
		c.Dates.Corrected = req.IssuedAt
	}
	deadlines := req.Deadlines
	if deadlines == nil {
		var err error
		if deadlines, err = a.storedDeadlines(ctx, req.CaseNo); err != nil {
			return c, err
		}
	}
	for _, dl := range deadlines {
		c.Deadlines = append(c.Deadlines, a.letterDeadline(ctx, prof, dl))
	}
	if f := cf.listing; f != nil {
		c.Records = f.records
		c.Listing = &letters.Listing{Reasons: f.reasons, LegalBasis: f.basis, Measures: measureTexts(f.measures), Joint: f.joint, Period: f.period}
	}
	return c, nil
}

// letterDeadline is a deadline as a letter states it, explained in
// Chinese; a deadline computed before the explanations were kept is
// explained from the calendar now.
func (a *Cases) letterDeadline(ctx context.Context, prof *policy.Profile, d Deadline) letters.Deadline {
	out := letters.Deadline{Rule: d.Rule, Seq: d.Seq, Start: d.Start, N: d.N, Extra: d.Extra, Unit: d.Unit, Due: d.Due,
		Explanation: d.ExplanationZH, Provisional: d.Provisional}
	if out.Explanation != "" {
		return out
	}
	if cal, err := a.calendarNow(ctx); err == nil {
		n := d.N
		if d.Unit == calendar.WorkingDays {
			n += d.Extra
		}
		if cd, err := cal.Add(calendar.DateOf(d.Start), n, d.Unit, calendar.Options{Region: prof.Region, Provisional: true}); err == nil && cd.Due == d.Due {
			out.Explanation = wording.Explain(cd, d.Extra, wording.ZH)
		}
	}
	return out
}

// storedDeadlines reads the case's deadlines (for a request of a workflow
// from before they were handed over).
func (a *Cases) storedDeadlines(ctx context.Context, caseNo string) ([]Deadline, error) {
	rows, err := a.Pool.Query(ctx, `SELECT rule_id, starts_at, n, unit, extra_wd, due_date, explanation_zh
		FROM case_deadlines WHERE case_no = $1 ORDER BY rule_id, seq`, caseNo)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Deadline, error) {
		var d Deadline
		var due time.Time
		var unit string
		err := r.Scan(&d.Rule, &d.Start, &d.N, &unit, &d.Extra, &due, &d.ExplanationZH)
		d.Unit, d.Due = calendar.Unit(unit), calendar.NewDate(due.Year(), due.Month(), due.Day())
		return d, err
	})
}

// deliver tells the letter's addressee, in its inbox (and by e-mail where
// configured), that the letter was issued, and what it asks by when. A
// public notice and a pre-listing notice before its service are not sent.
func (a *Cases) deliver(ctx context.Context, req DocumentRequest, cf caseFile, c letters.Case, r documents.Rendered) error {
	kind := documents.Kind(req.Kind)
	party := ""
	switch r.Recipient {
	case documents.RoleSubject:
		party = PartySubject
	case documents.RoleProvider:
		party = PartyProvider(cf.providerID)
	}
	if party == "" || kind == documents.KindListingNotice {
		return nil
	}
	var due *wording.Due
	if kind == documents.KindVerification {
		for i := len(c.Deadlines) - 1; i >= 0; i-- {
			if d := c.Deadlines[i]; d.Rule == policy.ObjectionProviderReply {
				due = &wording.Due{Rule: d.Rule, Date: d.Due, Explanation: d.Explanation}
				break
			}
		}
	}
	caseKind := caseKindOf(req.Kind)
	n := Notice{CaseNo: req.CaseNo, Party: party, Kind: "letter",
		DedupKey: fmt.Sprintf("%s/letter/%d", req.CaseNo, req.Seq),
		Message:  wording.LetterIssued(caseKind, req.CaseNo, r.Title, r.Number, due, wording.ZH)}
	if due != nil {
		en := *due
		en.Explanation = ""
		n.MessageEN = wording.LetterIssued(caseKind, req.CaseNo, r.Title, r.Number, &en, wording.EN)
	} else {
		n.MessageEN = wording.LetterIssued(caseKind, req.CaseNo, r.Title, r.Number, nil, wording.EN)
	}
	return a.notify(ctx, n)
}

// caseKindOf is the procedure of a document kind.
func caseKindOf(kind string) string {
	switch {
	case strings.HasPrefix(kind, "listing_"):
		return "listing"
	case strings.HasPrefix(kind, "repair_"):
		return "repair"
	}
	return "objection"
}

func (a *Cases) caseFile(ctx context.Context, caseNo string) (caseFile, error) {
	var cf caseFile
	var kind, id string
	var accepted *time.Time
	var decided time.Time
	err := a.Pool.QueryRow(ctx, `
		SELECT c.kind, s.kind, s.ident, s.name, r.title, p.name, r.decision_no, r.decided_on, c.profile_id, c.profile_version, c.provider_id, c.opened_at, c.accepted_at,
		       EXISTS (SELECT 1 FROM record_labels l WHERE l.case_no = c.case_no AND l.suspended)
		FROM cases c JOIN records r ON r.id = c.record_id JOIN subjects s ON s.id = c.subject_id JOIN providers p ON p.id = c.provider_id
		WHERE c.case_no = $1`, caseNo).Scan(&cf.kind, &kind, &id, &cf.subject.Name, &cf.record.Title, &cf.record.Provider,
		&cf.record.DecisionNo, &decided, &cf.profileID, &cf.profileVersion, &cf.providerID, &cf.openedAt, &accepted, &cf.labelled)
	if errors.Is(err, pgx.ErrNoRows) {
		return cf, temporal.NewNonRetryableApplicationError("case "+caseNo+" not found", "no-case", err)
	}
	if err != nil {
		return cf, err
	}
	cf.subject.Organisation = kind == "organisation"
	cf.subject.ID = ident.Mask(ident.Kind(kind), id)
	cf.record.DecidedOn = calendar.NewDate(decided.Year(), decided.Month(), decided.Day())
	if accepted != nil {
		cf.acceptedAt = *accepted
	}
	return cf, nil
}

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339, s)
	return t
}

// CorrectionSummary writes corrected fields as a document states them, in
// Chinese: "决定日期：2026年3月9日；严重程度：一般".
func CorrectionSummary(c map[string]any) string {
	var parts []string
	for _, k := range sortedKeys(c) {
		v := fmt.Sprint(c[k])
		if names, ok := valueNames[k]; ok && names[v] != "" {
			v = names[v]
		}
		if k == "decided_on" {
			if d, err := calendar.ParseDate(v); err == nil {
				v = wording.Date(d)
			}
		}
		name := fieldNames[k]
		if name == "" {
			name = k
		}
		parts = append(parts, name+"："+v)
	}
	return strings.Join(parts, "；")
}

var fieldNames = map[string]string{
	"title": "信息名称", "content": "信息内容", "decision_no": "决定文书号", "decided_on": "决定日期",
	"severity": "严重程度", "category": "信息类别", "disclosure": "公开属性",
}

// valueNames are the Chinese words of the coded fields' values.
var valueNames = map[string]map[string]string{
	"severity":   {"minor": "轻微", "general": "一般", "serious": "严重"},
	"category":   {"basic": "基础信息", "positive": "守信信息", "negative": "失信信息", "other": "其他信息"},
	"disclosure": {"public": "社会公开", "government": "政府共享", "authorised": "授权查询"},
}

// withCalendarNotices adds to a deadline correction's lists the official
// notices (title and number) of the calendar files its revision stored,
// for the letter to say why the dates moved.
func (a *Cases) withCalendarNotices(ctx context.Context, req DocumentRequest) (map[string][]string, error) {
	lists := map[string][]string{}
	for k, v := range req.Lists {
		lists[k] = v
	}
	rev, err := strconv.ParseInt(req.Facts["revision"], 10, 64)
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError("deadline correction without a calendar revision", "bad-document", err)
	}
	rows, err := a.Pool.Query(ctx, `SELECT data FROM calendar_files WHERE rev = $1 ORDER BY key`, rev)
	if err != nil {
		return nil, fmt.Errorf("calendar notices of revision %d: %w", rev, err)
	}
	datas, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("calendar notices of revision %d: %w", rev, err)
	}
	// Only the notices of the years the moved dates lie in: a regional
	// overlay holds every year's notice, and the letter names those that
	// moved its dates.
	years := movedYears(req)
	seen := map[string]bool{}
	for _, data := range datas {
		var f struct {
			Year    int               `json:"year"`
			Sources []calendar.Source `json:"sources"`
			Years   []struct {
				Year    int               `json:"year"`
				Sources []calendar.Source `json:"sources"`
			} `json:"years"`
		}
		if json.Unmarshal([]byte(data), &f) != nil {
			continue // validated at import; a file the letter cannot read names no notice
		}
		var srcs []calendar.Source
		if len(years) == 0 || f.Year == 0 || years[f.Year] {
			srcs = f.Sources
		}
		for _, y := range f.Years {
			if len(years) == 0 || years[y.Year] {
				srcs = append(srcs, y.Sources...)
			}
		}
		for _, s := range srcs {
			if s.Title == "" {
				continue
			}
			n := "《" + s.Title + "》"
			if s.Number != "" {
				n += "（" + s.Number + "）"
			}
			if !seen[n] {
				seen[n] = true
				lists["notices"] = append(lists["notices"], n)
			}
		}
	}
	return lists, nil
}

// movedYears are the years of the old and new due dates of a deadline
// correction's moved deadlines (list "moved": rule#old#new); empty when
// they cannot be told.
func movedYears(req DocumentRequest) map[int]bool {
	years := map[int]bool{}
	for _, m := range req.Lists["moved"] {
		parts := strings.Split(m, "#")
		if len(parts) != 3 {
			continue
		}
		for _, d := range req.Deadlines {
			if d.Rule == parts[0] && (strconv.Itoa(d.Seq) == parts[1] || strconv.Itoa(d.Seq) == parts[2]) {
				years[d.Due.Year] = true
			}
		}
	}
	return years
}
