package activities

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/temporal"

	"github.com/creditcase/creditcase/internal/audit"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/documents"
	"github.com/creditcase/creditcase/internal/policy"
	"github.com/creditcase/creditcase/internal/relay"
	"github.com/creditcase/creditcase/internal/wording"
)

// Listing statuses (listings.status).
const (
	ListingProposed  = "proposed"
	ListingNoticed   = "noticed"
	ListingListed    = "listed"
	ListingNotListed = "not_listed"
	ListingRemoved   = "removed"
	ListingWithdrawn = "withdrawn" // the provider withdrew the proposal before the decision
)

// RulePeriodEnd names the end of a listing's disclosure period among the
// case's deadlines; its length is the decision's, not a profile rule's.
const RulePeriodEnd = "listing.period_end"

// ProposalCheck asks whether a listing proposal may go ahead.
type ProposalCheck struct {
	ProposalNo   string  `json:"proposal_no"`
	SubjectID    int64   `json:"subject_id"`
	ProviderID   int64   `json:"provider_id"`
	ProfileID    string  `json:"profile_id"`
	RecordIDs    []int64 `json:"record_ids"`
	PeriodLength int     `json:"period_length"`
	PeriodUnit   string  `json:"period_unit"`
}

// ListingBounds are the profile's shortest and longest listing periods.
type ListingBounds struct {
	MinMonths int    `json:"min_months"`
	MaxMonths int    `json:"max_months"`
	Min       string `json:"min"`
	Max       string `json:"max"`
}

// ProposalError lists everything wrong with a proposal, each problem
// naming the field as the client spells it (record_ids[1], period).
// Conflict is true when the only problems are listings already running
// for the records.
type ProposalError struct {
	Faults   []ProposalFault
	Conflict bool
	// Open are the listings (proposal numbers) already holding a record
	// of the proposal, first found first.
	Open []string
}

// ProposalFault is one problem of a proposal, in both languages.
type ProposalFault struct {
	Field, Code, ZH, EN string
}

func (e *ProposalError) Error() string {
	parts := make([]string, 0, len(e.Faults))
	for _, f := range e.Faults {
		parts = append(parts, f.Field+": "+f.EN)
	}
	return "listing proposal refused: " + strings.Join(parts, "; ")
}

// Bounds returns profile's listing period bounds.
func Bounds(policies *policy.Set, profileID string) (ListingBounds, error) {
	p, err := policies.Get(profileID)
	if err != nil {
		return ListingBounds{}, err
	}
	lo, err := p.Period(policy.ListingPeriodMin)
	if err != nil {
		return ListingBounds{}, err
	}
	hi, err := p.Period(policy.ListingPeriodMax)
	if err != nil {
		return ListingBounds{}, err
	}
	return ListingBounds{MinMonths: periodMonths(lo.Length, string(lo.Unit)), MaxMonths: periodMonths(hi.Length, string(hi.Unit)),
		Min: wording.Period(lo.Length, lo.Unit, wording.ZH), Max: wording.Period(hi.Length, hi.Unit, wording.ZH)}, nil
}

func periodMonths(n int, unit string) int {
	switch calendar.Unit(unit) {
	case calendar.Years:
		return 12 * n
	case calendar.Months:
		return n
	}
	return 0
}

// CheckProposal validates a proposal against the records: every record
// exists, is negative and serious, is the subject's and was supplied by
// the provider, and none is under another pending proposal or listing; the
// period lies within the profile's bounds. It returns a *ProposalError
// naming every problem.
func CheckProposal(ctx context.Context, pool *pgxpool.Pool, policies *policy.Set, req ProposalCheck) (ListingBounds, error) {
	var problems []ProposalFault
	b, err := Bounds(policies, req.ProfileID)
	if err != nil {
		return b, &ProposalError{Faults: []ProposalFault{{Field: "profile", Code: "unknown", ZH: "本地规定不可用：" + err.Error(), EN: err.Error()}}}
	}
	if m := periodMonths(req.PeriodLength, req.PeriodUnit); m == 0 || m < b.MinMonths || m > b.MaxMonths {
		problems = append(problems, ProposalFault{Field: "period", Code: "range",
			ZH: fmt.Sprintf("列入期限应为 %s 至 %s（按月或年计）", b.Min, b.Max), EN: fmt.Sprintf("must be %s to %s in months or years", b.Min, b.Max)})
	}
	if len(req.RecordIDs) == 0 {
		problems = append(problems, ProposalFault{Field: "record_ids", Code: "required", ZH: "请列明所依据的失信信息", EN: "at least one record is required"})
	}
	rows, err := pool.Query(ctx, `SELECT id, subject_id, provider_id, category, coalesce(severity, ''), status
		FROM records WHERE id = ANY($1)`, req.RecordIDs)
	if err != nil {
		return b, err
	}
	type rec struct {
		subject, provider        int64
		category, severity, stat string
	}
	found := map[int64]rec{}
	for rows.Next() {
		var id int64
		var r rec
		if err := rows.Scan(&id, &r.subject, &r.provider, &r.category, &r.severity, &r.stat); err != nil {
			rows.Close()
			return b, err
		}
		found[id] = r
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return b, err
	}
	for i, id := range req.RecordIDs {
		r, ok := found[id]
		field := fmt.Sprintf("record_ids[%d]", i)
		add := func(code, zh, en string) {
			problems = append(problems, ProposalFault{Field: field, Code: code, ZH: fmt.Sprintf("信用记录 %d %s", id, zh), EN: fmt.Sprintf("record %d: %s", id, en)})
		}
		switch {
		case !ok:
			add("unknown", "不存在", "not found")
			continue
		case r.category != "negative":
			add("not_negative", "不是失信信息", "not a negative record")
		case r.severity != "serious":
			add("not_serious", "不是严重失信信息（"+r.severity+"）", "not serious ("+r.severity+")")
		}
		if r.subject != req.SubjectID {
			add("other_subject", "属于其他信息主体", "belongs to another subject")
		}
		if r.provider != req.ProviderID {
			add("other_provider", "由其他信息提供单位提供", "supplied by another provider")
		}
		if r.stat == "archived" || r.stat == "repaired" {
			add("not_in_use", "已不再使用（"+r.stat+"）", "no longer in use ("+r.stat+")")
		}
	}
	var busy []ProposalFault
	var open []string
	crows, err := pool.Query(ctx, `SELECT l.proposal_no, r.record_id FROM listings l JOIN listing_records r USING (proposal_no)
		WHERE r.record_id = ANY($1) AND l.status IN ('proposed', 'noticed', 'listed') AND l.proposal_no <> $2
		ORDER BY r.record_id`, req.RecordIDs, req.ProposalNo)
	if err != nil {
		return b, err
	}
	for crows.Next() {
		var no string
		var id int64
		if err := crows.Scan(&no, &id); err != nil {
			crows.Close()
			return b, err
		}
		if !slices.Contains(open, no) {
			open = append(open, no)
		}
		busy = append(busy, ProposalFault{Field: fmt.Sprintf("record_ids[%d]", slices.Index(req.RecordIDs, id)), Code: "already_listed",
			ZH: fmt.Sprintf("信用记录 %d 已在名单中或已有待决的列入提请（%s）", id, no), EN: fmt.Sprintf("record %d: already under listing %s", id, no)})
	}
	crows.Close()
	if err := crows.Err(); err != nil {
		return b, err
	}
	if len(problems)+len(busy) > 0 {
		return b, &ProposalError{Faults: append(problems, busy...), Conflict: len(problems) == 0, Open: open}
	}
	return b, nil
}

// ValidateProposal is CheckProposal as an activity: a refused proposal is
// a non-retryable error naming every problem.
func (a *Cases) ValidateProposal(ctx context.Context, req ProposalCheck) (ListingBounds, error) {
	b, err := CheckProposal(ctx, a.Pool, a.rules().Policies(), req)
	var pe *ProposalError
	if errors.As(err, &pe) {
		kind := "invalid-proposal"
		if pe.Conflict {
			kind = "already-listed"
		}
		return b, temporal.NewNonRetryableApplicationError(pe.Error(), kind, nil)
	}
	return b, err
}

// ListingRow is the projection row of a listing, with its records.
type ListingRow struct {
	ProposalNo      string    `json:"proposal_no"`
	WorkflowID      string    `json:"workflow_id"`
	SubjectID       int64     `json:"subject_id"`
	ProviderID      int64     `json:"provider_id"`
	ProfileID       string    `json:"profile_id"`
	RecordIDs       []int64   `json:"record_ids"`
	Status          string    `json:"status"`
	Stage           string    `json:"stage"`
	Reasons         string    `json:"reasons"`
	LegalBasis      []string  `json:"legal_basis"`
	Measures        []string  `json:"measures"`
	JointPunishment bool      `json:"joint_punishment"`
	Period          string    `json:"period"`
	ProposedAt      time.Time `json:"proposed_at"`
	ServedAt        time.Time `json:"served_at,omitzero"`
	ListedAt        time.Time `json:"listed_at,omitzero"`
	RemovalDue      string    `json:"removal_due,omitempty"` // YYYY-MM-DD
	RemovedAt       time.Time `json:"removed_at,omitzero"`
	RemovalReason   string    `json:"removal_reason,omitempty"`
	// Actor and Role are who caused the change (for the audit trail).
	Actor string `json:"actor"`
	Role  string `json:"role"`
}

// SaveListing writes the listing's projection row and its records. When the
// status changes it writes one audit event for the listing and one for each
// record (listed: published, removed: disclosure stopped and archived); a
// retry finds the status already written and writes nothing twice.
func (a *Cases) SaveListing(ctx context.Context, l ListingRow) error {
	var due any
	if l.RemovalDue != "" {
		d, err := calendar.ParseDate(l.RemovalDue)
		if err != nil {
			return temporal.NewNonRetryableApplicationError("removal_due: "+err.Error(), "bad-listing", err)
		}
		due = d.Start()
	}
	return pgx.BeginFunc(ctx, a.Pool, func(tx pgx.Tx) error {
		var prior string
		err := tx.QueryRow(ctx, `SELECT status FROM listings WHERE proposal_no = $1 FOR UPDATE`, l.ProposalNo).Scan(&prior)
		if errors.Is(err, pgx.ErrNoRows) {
			// The proposal's filing writes its row: none, and none owed, is
			// a listing never filed (filed.go).
			err = checkFiled(ctx, tx, l.ProposalNo, l.ProposedAt, time.Now())
		}
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `
			INSERT INTO listings (proposal_no, workflow_id, subject_id, provider_id, profile_id, status, stage, reasons,
				legal_basis, measures, joint_punishment, period, proposed_at, served_at, listed_at, removal_due, removed_at,
				removal_reason, archived, updated_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19, now())
			ON CONFLICT (proposal_no) DO UPDATE SET status = EXCLUDED.status, stage = EXCLUDED.stage,
				measures = EXCLUDED.measures, joint_punishment = EXCLUDED.joint_punishment, period = EXCLUDED.period,
				served_at = EXCLUDED.served_at, listed_at = EXCLUDED.listed_at, removal_due = EXCLUDED.removal_due,
				removed_at = EXCLUDED.removed_at, removal_reason = EXCLUDED.removal_reason, archived = EXCLUDED.archived,
				updated_at = now()`,
			l.ProposalNo, l.WorkflowID, l.SubjectID, l.ProviderID, l.ProfileID, l.Status, l.Stage, l.Reasons,
			nonNil(l.LegalBasis), nonNil(l.Measures), l.JointPunishment, l.Period, l.ProposedAt, nullTime(l.ServedAt),
			nullTime(l.ListedAt), due, nullTime(l.RemovedAt), l.RemovalReason, l.Status == ListingRemoved)
		if err != nil {
			return fmt.Errorf("save listing %s: %w", l.ProposalNo, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO listing_records (proposal_no, record_id) SELECT $1, unnest($2::bigint[])
			ON CONFLICT DO NOTHING`, l.ProposalNo, l.RecordIDs); err != nil {
			return fmt.Errorf("save listing records %s: %w", l.ProposalNo, err)
		}
		if prior == l.Status {
			return nil
		}
		if err := enqueueListingEvent(ctx, tx, l); err != nil {
			return err
		}
		actor := audit.Actor{Username: l.Actor, Role: l.Role}
		if actor.Username == "" {
			actor = audit.System
		}
		data := map[string]any{"status": l.Status, "prior": prior, "records": l.RecordIDs}
		if err := audit.Write(ctx, tx, actor, audit.Event{Action: "listing." + l.Status, ObjectType: "listing",
			ObjectID: l.ProposalNo, Reason: l.RemovalReason, Data: data}); err != nil {
			return err
		}
		var action string
		switch l.Status {
		case ListingListed:
			action = "record.listed"
		case ListingRemoved:
			action = "record.delisted"
		default:
			return nil
		}
		for _, id := range l.RecordIDs {
			if err := audit.Write(ctx, tx, actor, audit.Event{Action: action, ObjectType: "record", ObjectID: fmt.Sprint(id),
				Reason: l.RemovalReason, Data: map[string]any{"proposal_no": l.ProposalNo, "removal_due": l.RemovalDue}}); err != nil {
				return err
			}
		}
		return nil
	})
}

// ListingEventData is the data of the listing.decided and listing.removed
// events.
type ListingEventData struct {
	ProposalNo      string    `json:"proposal_no"`
	Status          string    `json:"status"` // listed | not_listed | removed
	Listed          bool      `json:"listed"`
	RecordIDs       []int64   `json:"record_ids"`
	Measures        []string  `json:"measures,omitempty"`
	JointPunishment bool      `json:"joint_punishment"`
	Period          string    `json:"period,omitempty"`
	ListedAt        time.Time `json:"listed_at,omitzero"`
	RemovalDue      string    `json:"removal_due,omitempty"`
	RemovedAt       time.Time `json:"removed_at,omitzero"`
	RemovalReason   string    `json:"removal_reason,omitempty"`
}

// enqueueListingEvent announces a decision (listed or not) or a removal to
// the subscribers, in the transaction that writes the new status.
func enqueueListingEvent(ctx context.Context, tx pgx.Tx, l ListingRow) error {
	var typ string
	switch l.Status {
	case ListingListed, ListingNotListed, ListingWithdrawn:
		typ = relay.ListingDecided
	case ListingRemoved:
		typ = relay.ListingRemoved
	default:
		return nil
	}
	d := ListingEventData{ProposalNo: l.ProposalNo, Status: l.Status, Listed: l.Status == ListingListed || l.Status == ListingRemoved, RecordIDs: l.RecordIDs,
		Measures: l.Measures, JointPunishment: l.JointPunishment, Period: l.Period, ListedAt: l.ListedAt,
		RemovalDue: l.RemovalDue, RemovedAt: l.RemovedAt, RemovalReason: l.RemovalReason}
	if l.Status == ListingNotListed || l.Status == ListingWithdrawn {
		d.Measures, d.JointPunishment, d.Period = nil, false, ""
	}
	return relay.Enqueue(ctx, tx, relay.Event{Type: typ, DedupKey: "listing/" + l.ProposalNo + "/" + l.Status,
		Stream: relay.ListingStream(l.ProposalNo), CaseNo: l.ProposalNo, ProviderID: l.ProviderID, Data: d})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// PeriodEndRequest asks for the end of a listing's disclosure period.
type PeriodEndRequest struct {
	CaseNo    string `json:"case_no"`
	ProfileID string `json:"profile_id"`
	// ProfileVersion is the version the case opened with ("" = now).
	ProfileVersion string    `json:"profile_version,omitempty"`
	Seq            int       `json:"seq"`
	Start          time.Time `json:"start"`
	Length         int       `json:"length"`
	Unit           string    `json:"unit"` // month | year
	// Supersedes is the seq of the period end this one replaces (0: none).
	Supersedes int    `json:"supersedes,omitempty"`
	Reason     string `json:"reason,omitempty"`
}

// ComputePeriodEnd computes the end of a disclosure period (months or
// years, 民法典 arts. 201–203) through the calendar, stores it among the
// case's deadlines and returns it; its lapse action is "proceed" (the
// entry is removed). Years without a published schedule are counted
// provisionally and flagged.
func (a *Cases) ComputePeriodEnd(ctx context.Context, req PeriodEndRequest) (Deadline, error) {
	d, err := a.PeriodEnd(ctx, req)
	if err != nil {
		return Deadline{}, err
	}
	if err := a.storeDeadline(ctx, DeadlineRequest{CaseNo: req.CaseNo, ProfileID: req.ProfileID, Rule: RulePeriodEnd,
		Seq: req.Seq, Party: PartyCentre, Start: req.Start, Supersedes: req.Supersedes, Reason: req.Reason}, d); err != nil {
		return Deadline{}, err
	}
	return d, nil
}

// PeriodEnd is ComputePeriodEnd without storing.
func (a *Cases) PeriodEnd(ctx context.Context, req PeriodEndRequest) (Deadline, error) {
	prof, err := a.profile(ctx, req.ProfileID, req.ProfileVersion)
	if err != nil {
		return Deadline{}, err
	}
	cal, err := a.calendarNow(ctx)
	if err != nil {
		return Deadline{}, err
	}
	unit := calendar.Unit(req.Unit)
	if unit != calendar.Months && unit != calendar.Years {
		return Deadline{}, temporal.NewNonRetryableApplicationError("listing period unit must be month or year", "bad-period", nil)
	}
	opt := calendar.Options{Region: prof.Region, Provisional: true}
	d, err := cal.Add(calendar.DateOf(req.Start), req.Length, unit, opt)
	if err != nil {
		return Deadline{}, temporal.NewNonRetryableApplicationError(err.Error(), "deadline", err)
	}
	return Deadline{
		Rule: RulePeriodEnd, Seq: req.Seq, Party: PartyCentre, Start: req.Start, N: req.Length, Unit: unit,
		Due: d.Due, DueAt: d.DueAt, Version: d.Version, Provisional: d.Provisional, Explanation: d.Explanation,
		ExplanationZH: wording.Explain(d, 0, wording.ZH), ExplanationEN: wording.Explain(d, 0, wording.EN),
		Source: "列入决定确定的列入期限", OnLapse: []string{policy.LapseProceed}, State: DeadlinePending,
	}, nil
}

// listingFacts is what listing documents say beyond the case row: every
// record relied on and the listing as last saved.
type listingFacts struct {
	records    []documents.Record
	reasons    string
	basis      []string
	measures   []string
	joint      bool
	period     string
	servedAt   time.Time
	listedAt   time.Time
	removalDue time.Time
	removedAt  time.Time
}

// listingFactsOf reads the listing behind a listing document; nil for the
// other kinds.
func (a *Cases) listingFactsOf(ctx context.Context, caseNo string, kind string) (*listingFacts, error) {
	if !strings.HasPrefix(kind, "listing_") {
		return nil, nil
	}
	f := &listingFacts{}
	var served, listed, due, removed *time.Time
	err := a.Pool.QueryRow(ctx, `SELECT reasons, legal_basis, measures, joint_punishment, period, served_at, listed_at, removal_due, removed_at
		FROM listings WHERE proposal_no = $1`, caseNo).
		Scan(&f.reasons, &f.basis, &f.measures, &f.joint, &f.period, &served, &listed, &due, &removed)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, temporal.NewNonRetryableApplicationError("listing "+caseNo+" not found", "no-case", err)
	}
	if err != nil {
		return nil, err
	}
	for _, p := range []struct {
		from *time.Time
		to   *time.Time
	}{{served, &f.servedAt}, {listed, &f.listedAt}, {due, &f.removalDue}, {removed, &f.removedAt}} {
		if p.from != nil {
			*p.to = *p.from
		}
	}
	rows, err := a.Pool.Query(ctx, `SELECT r.title, p.name, r.decision_no, r.decided_on FROM listing_records lr
		JOIN records r ON r.id = lr.record_id JOIN providers p ON p.id = r.provider_id
		WHERE lr.proposal_no = $1 ORDER BY r.id`, caseNo)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var r documents.Record
		var decided time.Time
		if err := rows.Scan(&r.Title, &r.Provider, &r.DecisionNo, &decided); err != nil {
			return nil, err
		}
		r.DecidedOn = calendar.NewDate(decided.Year(), decided.Month(), decided.Day())
		f.records = append(f.records, r)
	}
	return f, rows.Err()
}

// ListingMeasureNames are the measures a listing may carry, as documents
// name them.
var ListingMeasureNames = map[string]string{
	"public_disclosure":     "在信用网站向社会公开",
	"joint_punishment":      "实施跨部门联合惩戒",
	"procurement_ban":       "限制参加政府采购、招标投标",
	"subsidy_ban":           "限制申请财政性资金项目和政策支持",
	"qualification_limit":   "限制新增行政许可、资质认定",
	"key_supervision":       "列为重点监管对象，增加检查频次",
	"honours_ban":           "取消参加评先评优资格",
	"consumption_limit":     "限制高消费",
	"financing_restriction": "依法限制融资授信",
}

// MeasureText names a measure for documents (the code itself if unknown).
func MeasureText(m string) string {
	if s, ok := ListingMeasureNames[m]; ok {
		return s
	}
	return m
}

func measureTexts(ms []string) []string {
	out := make([]string, 0, len(ms))
	for _, m := range ms {
		out = append(out, MeasureText(m))
	}
	slices.Sort(out)
	return out
}

// HearingDaysRequest asks when a hearing may be held at the earliest, for
// every day from From (the hearing request) through Days days after it on
// which the hearing notice (听证通知) may reach the party.
type HearingDaysRequest struct {
	CaseNo         string        `json:"case_no"`
	ProfileID      string        `json:"profile_id"`
	ProfileVersion string        `json:"profile_version,omitempty"`
	From           calendar.Date `json:"from"`
	Days           int           `json:"days"`
}

// HearingDays is the profile's listing.hearing_notice rule worked out in
// advance (行政处罚法 art. 64(二): the notice reaches the party seven days
// before the hearing): Earliest[i] is the first day a hearing may be held
// when its notice reaches the party on From+i. A workflow keeps it so that
// a schedule too soon is refused at once, without I/O, naming the rule.
type HearingDays struct {
	Rule     string          `json:"rule"`
	Profile  string          `json:"profile"`
	N        int             `json:"n"`
	Unit     calendar.Unit   `json:"unit"`
	Source   string          `json:"source"`
	From     calendar.Date   `json:"from"`
	Earliest []calendar.Date `json:"earliest"`
}

// EarliestFor is the first day a hearing may be held when its notice
// reaches the party on notified; ok is false outside the table.
func (h HearingDays) EarliestFor(notified calendar.Date) (calendar.Date, bool) {
	if h.From.IsZero() || notified.Before(h.From) {
		return calendar.Date{}, false
	}
	i := int(notified.Start().Sub(h.From.Start()).Round(time.Hour).Hours()) / 24
	if i >= len(h.Earliest) {
		return calendar.Date{}, false
	}
	return h.Earliest[i], true
}

// HearingDaysAhead is how far the table reaches: a year of notification
// days from the hearing request.
const HearingDaysAhead = 366

// HearingNoticeDays computes the table through the calendar and the
// profile at the case's version, with the arithmetic of Compute (a year
// without a published schedule counted provisionally). A day the calendar
// cannot count ends the table there: a schedule then is checked when it is
// carried out, as before.
func (a *Cases) HearingNoticeDays(ctx context.Context, req HearingDaysRequest) (HearingDays, error) {
	prof, err := a.profile(ctx, req.ProfileID, req.ProfileVersion)
	if err != nil {
		return HearingDays{}, err
	}
	cal, err := a.calendarNow(ctx)
	if err != nil {
		return HearingDays{}, err
	}
	rule, err := prof.Rule(policy.ListingHearingNotice)
	if err != nil {
		return HearingDays{}, temporal.NewNonRetryableApplicationError(err.Error(), "unknown-rule", err)
	}
	out := HearingDays{Rule: rule.ID, Profile: prof.ID, N: rule.Length, Unit: rule.Unit, Source: rule.Source, From: req.From}
	for i := range req.Days {
		opt := calendar.Options{Region: prof.Region}
		d, err := cal.Add(req.From.AddDays(i), rule.Length, rule.Unit, opt)
		var unpublished *calendar.UnpublishedYearError
		if errors.As(err, &unpublished) {
			opt.Provisional = true
			d, err = cal.Add(req.From.AddDays(i), rule.Length, rule.Unit, opt)
		}
		if err != nil {
			break
		}
		out.Earliest = append(out.Earliest, d.Due.AddDays(1))
	}
	return out, nil
}
