package activities

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/sdk/temporal"

	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/documents"
	"github.com/creditcase/creditcase/internal/ident"
)

// Organ is the issuing organ printed on the centre's documents; Authority
// the credit authority that decides appeals and hears reviews.
const (
	Organ     = "公共信用信息工作机构"
	Authority = "信用管理部门"
	docPrefix = "信异字"
)

// DocumentRequest asks for a written notice of a case to be rendered (HTML
// and PDF), stored with the case and delivered to its recipient. Seq is the
// document's place in the case, so a retry stores the same document once.
// Facts are what only the workflow knows (outcome, reasons, missing items);
// names, identifiers and record details are read here, from PostgreSQL, so
// they never enter workflow history.
type DocumentRequest struct {
	CaseNo string            `json:"case_no"`
	Kind   string            `json:"kind"`
	Seq    int               `json:"seq"`
	Facts  map[string]string `json:"facts"`
	// Lists are the facts that are lists (missing items, grounds, reasons).
	Lists map[string][]string `json:"lists,omitempty"`
	// Correction, when the record was corrected, is the corrected fields.
	Correction map[string]any `json:"correction,omitempty"`
}

// DocumentRef names a stored document.
type DocumentRef struct {
	Kind   string `json:"kind"`
	Number string `json:"number"`
	Title  string `json:"title"`
}

// caseFile is what a document says about the case, read from PostgreSQL.
type caseFile struct {
	subject    documents.Subject
	record     documents.Record
	profileID  string
	openedAt   time.Time
	acceptedAt time.Time
	labelled   bool
	// listing is the listing behind a listing document (nil otherwise).
	listing *listingFacts
}

// IssueDocument renders a document of the case and stores it; a retry
// returns the document stored by the first attempt.
func (a *Cases) IssueDocument(ctx context.Context, req DocumentRequest) (DocumentRef, error) {
	kind := documents.Kind(req.Kind)
	if !kind.Valid() {
		return DocumentRef{}, temporal.NewNonRetryableApplicationError("unknown document kind "+req.Kind, "bad-document", nil)
	}
	cf, err := a.caseFile(ctx, req.CaseNo)
	if err != nil {
		return DocumentRef{}, err
	}
	deadlines, err := a.pendingDues(ctx, req.CaseNo)
	if err != nil {
		return DocumentRef{}, err
	}
	if cf.listing, err = a.listingFactsOf(ctx, req.CaseNo, req.Kind); err != nil {
		return DocumentRef{}, err
	}
	now := calendar.DateOf(time.Now())
	number := documents.FormatNumber(docPrefixOf(req.Kind), now.Year, docNumber(req.CaseNo, req.Seq))
	data, err := a.documentData(kind, req, cf, deadlines, documents.Header{
		CaseRef: req.CaseNo, Number: number, Organ: Organ, Date: now, Addressee: cf.subject.Name,
	})
	if err != nil {
		return DocumentRef{}, err
	}
	r, err := documents.Render(kind, data)
	if err != nil {
		var ve *documents.ValidationError
		if errors.As(err, &ve) {
			return DocumentRef{}, temporal.NewNonRetryableApplicationError(err.Error(), "bad-document", err)
		}
		return DocumentRef{}, err
	}
	_, err = a.Pool.Exec(ctx, `INSERT INTO case_documents (case_ref, kind, number, title, recipient_role, html, pdf, sha256)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT (case_ref, kind, number) DO NOTHING`,
		req.CaseNo, string(kind), number, r.Title, string(r.Recipient), r.HTML, r.PDF, r.SHA256)
	if err != nil {
		return DocumentRef{}, fmt.Errorf("store %s of %s: %w", kind, req.CaseNo, err)
	}
	return DocumentRef{Kind: string(kind), Number: number, Title: r.Title}, nil
}

// docNumber numbers documents per case: the case's sequence in its year
// times 100 plus the document's place, so numbers never collide.
func docNumber(caseNo string, seq int) int {
	var n int
	if i := strings.LastIndexByte(caseNo, '-'); i >= 0 {
		_, _ = fmt.Sscan(caseNo[i+1:], &n)
	}
	return n*100 + seq
}

func (a *Cases) caseFile(ctx context.Context, caseNo string) (caseFile, error) {
	var cf caseFile
	var kind, id string
	var accepted *time.Time
	var decided time.Time
	err := a.Pool.QueryRow(ctx, `
		SELECT s.kind, s.ident, s.name, r.title, p.name, r.decision_no, r.decided_on, c.profile_id, c.opened_at, c.accepted_at,
		       EXISTS (SELECT 1 FROM record_labels l WHERE l.case_no = c.case_no AND l.suspended)
		FROM cases c JOIN records r ON r.id = c.record_id JOIN subjects s ON s.id = c.subject_id JOIN providers p ON p.id = c.provider_id
		WHERE c.case_no = $1`, caseNo).Scan(&kind, &id, &cf.subject.Name, &cf.record.Title, &cf.record.Provider,
		&cf.record.DecisionNo, &decided, &cf.profileID, &cf.openedAt, &accepted, &cf.labelled)
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

// pendingDues returns the latest computed deadline of each rule of the case.
func (a *Cases) pendingDues(ctx context.Context, caseNo string) (map[string]documents.Due, error) {
	rows, err := a.Pool.Query(ctx, `SELECT DISTINCT ON (rule_id) rule_id, due_date, n + extra_wd, unit, explanation
		FROM case_deadlines WHERE case_no = $1 ORDER BY rule_id, seq DESC`, caseNo)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]documents.Due{}
	for rows.Next() {
		var rule, unit, expl string
		var due time.Time
		var n int
		if err := rows.Scan(&rule, &due, &n, &unit, &expl); err != nil {
			return nil, err
		}
		out[rule] = documents.Due{Date: calendar.NewDate(due.Year(), due.Month(), due.Day()), Period: periodWords(n, unit), Explanation: expl}
	}
	return out, rows.Err()
}

func periodWords(n int, unit string) string {
	switch calendar.Unit(unit) {
	case calendar.WorkingDays:
		return fmt.Sprintf("%d个工作日", n)
	case calendar.CalendarDays:
		return fmt.Sprintf("%d日", n)
	case calendar.Months:
		return fmt.Sprintf("%d个月", n)
	default:
		return fmt.Sprintf("%d年", n)
	}
}

func (a *Cases) citation(profileID, rule string) []documents.Citation {
	p, err := a.rules().Policies().Get(profileID)
	if err != nil {
		return nil
	}
	r, err := p.Rule(rule)
	if err != nil {
		return nil
	}
	return []documents.Citation{{Instrument: strings.Trim(strings.SplitN(p.Regulation, " (", 2)[0], "《》"), Article: r.Source}}
}

func (a *Cases) remedies(appeal bool) documents.Remedies {
	r := documents.Remedies{ReviewOrgan: "本级人民政府或上一级" + Authority, Court: "有管辖权的人民法院"}
	if appeal {
		r.AppealTo, r.AppealWithin = Authority, "收到本告知书之日起60日内"
	}
	return r
}

func (a *Cases) documentData(kind documents.Kind, req DocumentRequest, cf caseFile, dues map[string]documents.Due, h documents.Header) (documents.Data, error) {
	received := calendar.DateOf(cf.openedAt)
	accepted := calendar.DateOf(cf.acceptedAt)
	facts := req.Facts
	correction := CorrectionSummary(req.Correction)
	switch kind {
	case documents.KindAcceptance:
		return &documents.AcceptanceNotice{Header: h, Subject: cf.subject, Record: cf.record, ReceivedOn: received,
			AcceptedOn: accepted, Suspended: cf.labelled, ResultDue: dues["objection.overall"],
			Basis: a.citation(cf.profileID, "objection.overall")}, nil
	case documents.KindSupplement:
		return &documents.SupplementNotice{Header: h, Subject: cf.subject, Record: cf.record, ReceivedOn: received,
			Missing: req.Lists["missing"], Basis: a.citation(cf.profileID, "objection.centre_check")}, nil
	case documents.KindVerification:
		h.Addressee = cf.record.Provider
		return &documents.VerificationRequest{Header: h, Subject: cf.subject, Record: cf.record, ReceivedOn: received,
			Grounds: req.Lists["grounds"], Enclosures: req.Lists["enclosures"], ReplyDue: dues["objection.provider_reply"],
			Basis: a.citation(cf.profileID, "objection.provider_reply"), OnLapse: facts["on_lapse"]}, nil
	case documents.KindObjectionResult:
		return &documents.ObjectionResult{Header: h, Subject: cf.subject, Record: cf.record, ReceivedOn: received,
			AcceptedOn: accepted, Outcome: documents.Outcome(facts["outcome"]), Reasons: req.Lists["reasons"],
			Correction: correction, Basis: a.citation(cf.profileID, "objection.applicant_notify"),
			Remedies: a.remedies(true)}, nil
	case documents.KindCorrection:
		return &documents.CorrectionNotice{Header: h, Subject: cf.subject, Record: cf.record, ReceivedOn: received,
			Error: facts["error"], Correction: correction, CorrectedOn: h.Date,
			Basis: a.citation(cf.profileID, "objection.own_error_notify"), Remedies: a.remedies(true)}, nil
	case documents.KindAppealDecision:
		h.Organ = Authority
		return &documents.AppealDecision{Header: h, Subject: cf.subject, Record: cf.record, ResultNumber: facts["result_number"],
			AppealedOn: calendar.DateOf(parseTime(facts["appealed_at"])), Request: facts["request"], Findings: req.Lists["findings"],
			Result: documents.AppealResult(facts["result"]), Correction: correction,
			Basis: a.citation(cf.profileID, "objection.appeal_window"), Remedies: a.remedies(false)}, nil
	case documents.KindListingNotice, documents.KindListingDecision, documents.KindListingRepairNotice,
		documents.KindListingNotListed, documents.KindListingRemoval, documents.KindListingHearingNotice, documents.KindListingWithdrawn:
		return a.listingDocumentData(kind, req, cf, h)
	}
	return a.repairDocumentData(kind, req, cf, dues, h)
}

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339, s)
	return t
}

// CorrectionSummary writes corrected fields as a document states them.
func CorrectionSummary(c map[string]any) string {
	var parts []string
	for _, k := range sortedKeys(c) {
		parts = append(parts, fmt.Sprintf("%s：%v", fieldNames[k], c[k]))
	}
	return strings.Join(parts, "；")
}

var fieldNames = map[string]string{
	"title": "信息名称", "content": "信息内容", "decision_no": "决定文书号", "decided_on": "决定日期",
	"severity": "严重程度", "category": "信息类别", "disclosure": "公开属性",
}
