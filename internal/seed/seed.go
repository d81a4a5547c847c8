// Package seed creates the demo centre `creditcase dev` starts with: a few
// providers, subjects with valid identifiers, records of every kind and one
// account per role. It is idempotent (a second run adds nothing) and is
// never called in production.
package seed

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/creditcase/creditcase/internal/audit"
	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/ident"
	"github.com/creditcase/creditcase/internal/policy"
	"github.com/creditcase/creditcase/internal/records"
)

// DemoPassword is the password of every demo account. The demo exists
// only on a developer's machine.
const DemoPassword = "creditcase-demo"

// Login is a demo account to log in with.
type Login struct {
	Role     auth.Role `json:"role"`
	Username string    `json:"username"`
	Password string    `json:"password"`
	Note     string    `json:"note"`
}

// Result is what Demo created or found.
type Result struct {
	Logins      []Login
	ProviderIDs map[string]int64 // by code
	SubjectIDs  map[string]int64 // by identifier
	RecordIDs   []int64          // every demo record, in a fixed order, on every call
}

type demoProvider struct{ code, name string }

var providers = []demoProvider{
	{"nt-market", "南通市市场监督管理局"},
	{"nt-tax", "国家税务总局南通市税务局"},
	{"nt-hrss", "南通市人力资源和社会保障局"},
}

type demoSubject struct {
	kind ident.Kind
	// body is the first 17 characters; the check character is computed.
	body, name, address string
}

var subjects = []demoSubject{
	{ident.Person, "32060219850312001", "张伟", "江苏省南通市崇川区工农路 1 号"},
	{ident.Person, "32061119900701002", "李娜", "江苏省南通市通州区金沙街道 8 号"},
	{ident.Organisation, "91320600" + orgCode("MA1X2Y3W"), "南通恒达建材有限公司", "江苏省南通市崇川区青年东路 88 号"},
	{ident.Organisation, "91320600" + orgCode("MA20ABCD"), "南通鑫源物流有限公司", "江苏省南通市港闸区永兴路 16 号"},
}

type demoRecord struct {
	provider, subject                                  int // indexes into providers, subjects
	category, severity, disclosure, title, content, no string
	daysAgo                                            int
}

var demoRecords = []demoRecord{
	{0, 2, records.Basic, "", records.Public, "企业登记基本信息", "成立于 2015 年，注册资本 500 万元", "通市监登字〔2015〕101号", 400},
	{0, 2, records.Positive, "", records.Public, "守合同重信用企业", "2024 年度江苏省守合同重信用企业", "苏市监〔2024〕55号", 200},
	{0, 2, records.Negative, records.General, records.Public, "虚假宣传行政处罚", "罚款人民币 2 万元", "通市监处罚〔2025〕12号", 60},
	{0, 3, records.Negative, records.Serious, records.Public, "严重违法失信名单", "列入严重违法失信名单", "通市监严〔2025〕3号", 30},
	{1, 3, records.Negative, records.Minor, records.Government, "逾期申报", "逾期申报增值税，已补报", "通税简罚〔2025〕88号", 20},
	{1, 2, records.Other, "", records.Authorised, "纳税信用等级评价", "2024 年度纳税信用 B 级", "通税信〔2025〕7号", 90},
	{2, 0, records.Negative, records.General, records.Authorised, "拖欠农民工工资", "拖欠工资已责令改正", "通人社监〔2025〕21号", 45},
	{2, 1, records.Positive, "", records.Public, "优秀志愿者", "南通市优秀志愿者称号", "通人社表〔2024〕9号", 300},
	{0, 0, records.Basic, "", records.Government, "个体工商户经营者登记", "经营者登记信息", "通市监个字〔2020〕33号", 900},
}

// Demo creates the demo centre in the database behind pool, or finds it.
func Demo(ctx context.Context, pool *pgxpool.Pool) (Result, error) {
	profile, err := policy.Default().Get(policy.DefaultProfileID)
	if err != nil {
		return Result{}, err
	}
	st := records.NewStore(pool, profile, calendar.Default())
	as := auth.New(pool, 0)
	res := Result{ProviderIDs: map[string]int64{}, SubjectIDs: map[string]int64{}}
	sys := audit.System

	provIDs := make([]int64, len(providers))
	for i, p := range providers {
		got, err := st.CreateProvider(ctx, sys, records.ProviderInput{Code: p.code, Name: p.name})
		if errors.Is(err, records.ErrConflict) {
			got, err = st.ProviderByCode(ctx, p.code)
		}
		if err != nil {
			return res, fmt.Errorf("provider %s: %w", p.code, err)
		}
		provIDs[i], res.ProviderIDs[p.code] = got.ID, got.ID
	}
	subIDs := make([]int64, len(subjects))
	for i, s := range subjects {
		code, err := complete(s.kind, s.body)
		if err != nil {
			return res, err
		}
		got, err := st.CreateSubject(ctx, sys, records.SubjectInput{Kind: s.kind, Ident: code, Name: s.name, ContactAddress: s.address})
		if errors.Is(err, records.ErrConflict) {
			got, err = st.SubjectByIdent(ctx, code)
		}
		if err != nil {
			return res, fmt.Errorf("subject %d: %w", i, err)
		}
		subIDs[i], res.SubjectIDs[code] = got.ID, got.ID
	}
	today := calendar.DateOf(time.Now())
	for _, r := range demoRecords {
		in := records.RecordInput{SubjectID: subIDs[r.subject], Category: r.category, Severity: r.severity,
			Disclosure: r.disclosure, Title: r.title, Content: r.content, DecisionNo: r.no,
			DecidedOn: today.AddDays(-r.daysAgo).String()}
		id, err := st.CreateRecord(ctx, sys, provIDs[r.provider], in)
		recordID := id.ID
		if errors.Is(err, records.ErrConflict) {
			// Seeded before: find it, so the IDs come back in the same order.
			err = pool.QueryRow(ctx, `SELECT id FROM records WHERE provider_id = $1 AND subject_id = $2 AND decision_no = $3`,
				provIDs[r.provider], subIDs[r.subject], r.no).Scan(&recordID)
		}
		if err != nil {
			return res, fmt.Errorf("record %s: %w", r.no, err)
		}
		res.RecordIDs = append(res.RecordIDs, recordID)
	}

	accounts := []struct {
		in   auth.NewAccount
		note string
	}{
		{auth.NewAccount{Username: "admin", DisplayName: "系统管理员", Role: auth.Admin}, "accounts, providers"},
		{auth.NewAccount{Username: "caseworker", DisplayName: "工作机构经办人", Role: auth.Caseworker}, "all records and cases"},
		{auth.NewAccount{Username: "supervisor", DisplayName: "信用管理部门", Role: auth.Supervisor}, "all records, events, query log"},
		{auth.NewAccount{Username: "provider", DisplayName: "市场监管局信用科", Role: auth.Provider, ProviderID: provIDs[0]}, providers[0].name + " only"},
		{auth.NewAccount{Username: "subject", DisplayName: subjects[2].name, Role: auth.Subject, SubjectID: subIDs[2]}, subjects[2].name + " only"},
	}
	for _, a := range accounts {
		a.in.Password = DemoPassword
		_, err := as.CreateAccount(ctx, sys, a.in)
		var ve *records.ValidationError
		if errors.As(err, &ve) && len(ve.Fields) == 1 && ve.Fields[0].Code == "taken" {
			err = nil
		}
		if err != nil {
			return res, fmt.Errorf("account %s: %w", a.in.Username, err)
		}
		res.Logins = append(res.Logins, Login{Role: a.in.Role, Username: a.in.Username, Password: DemoPassword, Note: a.note})
	}
	return res, nil
}

// complete appends the check character to a 17-character body.
func complete(k ident.Kind, body string) (string, error) {
	var c byte
	var err error
	if k == ident.Person {
		c, err = ident.IDNumberCheckDigit(body)
	} else {
		c, err = ident.CreditCodeCheckChar(body)
	}
	if err != nil {
		return "", fmt.Errorf("demo identifier %s: %w", body, err)
	}
	return body + string(c), nil
}

// orgCode appends the GB 11714 check character to an 8-character
// organisation code body, giving positions 9–17 of a credit code.
func orgCode(body string) string {
	w := [8]int{3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := 0; i < 8; i++ {
		c := body[i]
		v := int(c - '0')
		if c >= 'A' && c <= 'Z' {
			v = int(c-'A') + 10
		}
		sum += v * w[i]
	}
	switch r := 11 - sum%11; r {
	case 10:
		return body + "X"
	case 11:
		return body + "0"
	default:
		return body + string(rune('0'+r))
	}
}

// DemoUsernames are the demo accounts Demo creates.
var DemoUsernames = []string{"admin", "caseworker", "supervisor", "provider", "subject"}

// Present returns nil when the demo accounts exist (Demo has run), else an
// error saying which are missing: dev's readiness check "seed", so that a
// log-in right after /readyz says 200 finds its account.
func Present(ctx context.Context, pool *pgxpool.Pool) error {
	var missing []string
	err := pool.QueryRow(ctx, `SELECT coalesce(array_agg(u ORDER BY u), '{}') FROM unnest($1::text[]) AS u
		WHERE NOT EXISTS (SELECT 1 FROM accounts a WHERE a.username = u)`, DemoUsernames).Scan(&missing)
	if err != nil {
		return fmt.Errorf("demo accounts unreadable: %w", err)
	}
	if len(missing) > 0 {
		return fmt.Errorf("demo accounts not seeded yet: %v", missing)
	}
	return nil
}
