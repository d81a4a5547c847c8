package records

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/creditcase/creditcase/internal/audit"
	"github.com/creditcase/creditcase/internal/cleantext"
)

// Import formats.
const (
	FormatCSV   = "csv"
	FormatJSONL = "jsonl"
)

// MaxImportRows bounds one import file.
const MaxImportRows = 50000

// ErrImportFormat is returned for a file that cannot be read at all (bad
// format name, unreadable CSV header, too many rows).
var ErrImportFormat = errors.New("records: import file cannot be read")

// RowError is a rejected row: its line number in the file and what is
// wrong with it.
type RowError struct {
	Line   int          `json:"line"`
	Fields []FieldError `json:"errors"`
}

// ImportReport says what happened to a file. Committed is true only when
// every row was valid and all were written; otherwise nothing was written.
type ImportReport struct {
	Format    string     `json:"format"`
	Rows      int        `json:"rows"`
	Accepted  int        `json:"accepted"`
	Rejected  []RowError `json:"rejected"`
	Committed bool       `json:"committed"`
	RecordIDs []int64    `json:"record_ids,omitempty"`
}

type importRow struct {
	line int
	in   RecordInput
	errs []FieldError
}

// Import reads records supplied by providerID from r (CSV with a header
// row, or JSON lines), validates every row and writes all of them in one
// transaction — or none when any row is rejected. The report lists each
// rejected row with its field errors.
//
// CSV columns are the JSON field names (subject_ident, category, severity,
// disclosure, title, content, decision_no, decided_on, consent_ref); a
// column named details.KEY goes into details. Any other column is refused,
// and a column carrying prohibited personal data is refused by name.
func (s *Store) Import(ctx context.Context, actor audit.Actor, providerID int64, format string, r io.Reader) (ImportReport, error) {
	var rows []importRow
	var err error
	switch format {
	case FormatCSV:
		rows, err = readCSV(r)
	case FormatJSONL:
		rows, err = readJSONL(r)
	default:
		return ImportReport{}, fmt.Errorf("%w: format %q (csv or jsonl)", ErrImportFormat, format)
	}
	if err != nil {
		return ImportReport{}, err
	}
	rep := ImportReport{Format: format, Rows: len(rows), Rejected: []RowError{}}
	if len(rows) == 0 {
		return rep, fmt.Errorf("%w: the file has no rows", ErrImportFormat)
	}

	// Clean text first (package cleantext): a row with invalid UTF-8, a
	// control character or an over-long value is refused naming the field,
	// and never reaches a query.
	for i := range rows {
		for _, f := range cleantext.Check(&rows[i].in) {
			rows[i].errs = append(rows[i].errs, FieldError{Field: f.Name, Code: f.Code, ZH: f.Message.ZH, EN: f.Message.EN})
		}
	}

	// Resolve every subject in one query.
	idents := make([]string, 0, len(rows))
	for _, row := range rows {
		if len(row.errs) == 0 && row.in.SubjectIdent != "" {
			idents = append(idents, strings.ToUpper(strings.TrimSpace(row.in.SubjectIdent)))
		}
	}
	subjects, err := s.subjectsByIdent(ctx, idents)
	if err != nil {
		return rep, err
	}
	resolvedRows := make([]resolved, len(rows))
	seen := map[string]int{}
	for i := range rows {
		row := &rows[i]
		if len(row.errs) > 0 {
			continue
		}
		code := strings.ToUpper(strings.TrimSpace(row.in.SubjectIdent))
		sub, ok := subjects[code]
		switch {
		case code == "":
			row.errs = append(row.errs, FieldError{Field: "subject_ident", Code: "required", ZH: "必填", EN: "required"})
			continue
		case !ok:
			row.errs = append(row.errs, FieldError{Field: "subject_ident", Code: "unknown",
				ZH: "没有该身份证号码或统一社会信用代码的信息主体，请先登记主体", EN: "no subject has this identifier: register the subject first"})
			continue
		}
		res, fe := s.validate(row.in, sub)
		if len(fe) > 0 {
			row.errs = append(row.errs, fe...)
			continue
		}
		res.providerID = providerID
		key := fmt.Sprintf("%d/%s", sub.ID, res.in.DecisionNo)
		if first, dup := seen[key]; dup {
			row.errs = append(row.errs, FieldError{Field: "decision_no", Code: "duplicate_in_file",
				ZH: fmt.Sprintf("与第 %d 行重复（同一主体、同一决定文书号）", first), EN: fmt.Sprintf("repeats line %d (same subject and decision number)", first)})
			continue
		}
		seen[key] = row.line
		resolvedRows[i] = res
	}
	if err := s.markExisting(ctx, providerID, rows, resolvedRows); err != nil {
		return rep, err
	}
	for _, row := range rows {
		if len(row.errs) > 0 {
			sortFields(row.errs)
			rep.Rejected = append(rep.Rejected, RowError{Line: row.line, Fields: row.errs})
		}
	}
	if len(rep.Rejected) > 0 {
		return rep, nil
	}
	ids := make([]int64, 0, len(rows))
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for i, res := range resolvedRows {
			id, err := s.insert(ctx, tx, actor, res, map[string]any{"import_line": rows[i].line})
			if err != nil {
				return fmt.Errorf("line %d: %w", rows[i].line, err)
			}
			ids = append(ids, id)
		}
		return audit.Write(ctx, tx, actor, audit.Event{Action: audit.ActionRecordsImported, ObjectType: "provider",
			ObjectID: fmt.Sprint(providerID), Data: map[string]any{"format": format, "rows": len(rows)}})
	})
	if err != nil {
		return rep, err
	}
	rep.Accepted, rep.Committed, rep.RecordIDs = len(ids), true, ids
	return rep, nil
}

func (s *Store) subjectsByIdent(ctx context.Context, idents []string) (map[string]Subject, error) {
	out := map[string]Subject{}
	if len(idents) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT `+subjectColumns+` FROM subjects WHERE ident = ANY($1)`, idents)
	if err != nil {
		return nil, err
	}
	subs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Subject, error) { return scanSubject(r) })
	for _, sub := range subs {
		out[sub.Ident] = sub
	}
	return out, err
}

// markExisting rejects rows whose provider+subject+decision number is
// already on file.
func (s *Store) markExisting(ctx context.Context, providerID int64, rows []importRow, res []resolved) error {
	var subs []int64
	var nos []string
	for i := range rows {
		if len(rows[i].errs) == 0 {
			subs = append(subs, res[i].subject.ID)
			nos = append(nos, res[i].in.DecisionNo)
		}
	}
	if len(subs) == 0 {
		return nil
	}
	dbRows, err := s.pool.Query(ctx, `
		SELECT r.subject_id, r.decision_no FROM records r
		JOIN unnest($2::bigint[], $3::text[]) AS k(subject_id, decision_no)
		  ON r.subject_id = k.subject_id AND r.decision_no = k.decision_no
		WHERE r.provider_id = $1`, providerID, subs, nos)
	if err != nil {
		return err
	}
	existing := map[string]bool{}
	var sid int64
	var no string
	_, err = pgx.ForEachRow(dbRows, []any{&sid, &no}, func() error {
		existing[fmt.Sprintf("%d/%s", sid, no)] = true
		return nil
	})
	if err != nil {
		return err
	}
	for i := range rows {
		if len(rows[i].errs) == 0 && existing[fmt.Sprintf("%d/%s", res[i].subject.ID, res[i].in.DecisionNo)] {
			rows[i].errs = append(rows[i].errs, FieldError{Field: "decision_no", Code: "exists",
				ZH: "该提供单位已报送过此主体的同一决定文书", EN: "this provider already supplied a record of this decision for this subject"})
		}
	}
	return nil
}

func readJSONL(r io.Reader) ([]importRow, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	var rows []importRow
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		if len(rows) >= MaxImportRows {
			return nil, fmt.Errorf("%w: more than %d rows", ErrImportFormat, MaxImportRows)
		}
		in, err := DecodeRecordInput([]byte(text))
		row := importRow{line: line, in: in}
		var ve *ValidationError
		if errors.As(err, &ve) {
			row.errs = ve.Fields
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: line %d: %v", ErrImportFormat, line+1, err)
	}
	return rows, nil
}

var csvColumns = map[string]func(*RecordInput, string){
	"subject_ident": func(in *RecordInput, v string) { in.SubjectIdent = v },
	"category":      func(in *RecordInput, v string) { in.Category = v },
	"severity":      func(in *RecordInput, v string) { in.Severity = v },
	"disclosure":    func(in *RecordInput, v string) { in.Disclosure = v },
	"title":         func(in *RecordInput, v string) { in.Title = v },
	"content":       func(in *RecordInput, v string) { in.Content = v },
	"decision_no":   func(in *RecordInput, v string) { in.DecisionNo = v },
	"decided_on":    func(in *RecordInput, v string) { in.DecidedOn = v },
	"consent_ref":   func(in *RecordInput, v string) { in.ConsentRef = v },
}

func readCSV(r io.Reader) ([]importRow, error) {
	cr := csv.NewReader(bufio.NewReader(r))
	cr.FieldsPerRecord = 0
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%w: header row: %v", ErrImportFormat, err)
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff") // spreadsheet byte-order mark
	}
	for i := range header {
		header[i] = strings.TrimSpace(header[i])
	}
	var rows []importRow
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && pe.Err == csv.ErrFieldCount {
				rows = append(rows, importRow{line: pe.Line, errs: []FieldError{{Field: "row", Code: "field_count",
					ZH: "列数与表头不一致", EN: "the number of columns differs from the header"}}})
				continue
			}
			return nil, fmt.Errorf("%w: %v", ErrImportFormat, err)
		}
		if len(rows) >= MaxImportRows {
			return nil, fmt.Errorf("%w: more than %d rows", ErrImportFormat, MaxImportRows)
		}
		rows = append(rows, csvRow(line, header, rec))
	}
	return rows, nil
}

func csvRow(line int, header, rec []string) importRow {
	row := importRow{line: line}
	consent := false
	for i, h := range header {
		if h == "consent_ref" && strings.TrimSpace(rec[i]) != "" {
			consent = true
		}
	}
	for i, h := range header {
		v := rec[i]
		name := strings.TrimPrefix(h, "details.")
		// A prohibited column is refused even when empty in this row: the
		// file layout itself asks for data that must not be collected.
		if e := checkProhibited(h, name, consent); e != nil {
			row.errs = append(row.errs, *e)
			continue
		}
		if set, ok := csvColumns[h]; ok {
			set(&row.in, v)
			continue
		}
		if strings.HasPrefix(h, "details.") && name != "" {
			if row.in.Details == nil {
				row.in.Details = map[string]any{}
			}
			row.in.Details[name] = v
			continue
		}
		row.errs = append(row.errs, FieldError{Field: h, Code: "unknown",
			ZH: "未知列（其他内容请用 details.名称 列）", EN: "unknown column (use details.NAME columns for other data)"})
	}
	return row
}
