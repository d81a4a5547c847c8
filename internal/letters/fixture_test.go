package letters

import (
	"strings"
	"testing"
	"time"

	"github.com/creditcase/creditcase/internal/calendar"
	"github.com/creditcase/creditcase/internal/documents"
	"github.com/creditcase/creditcase/internal/policy"
	"github.com/creditcase/creditcase/internal/wording"
)

// The fixed case every golden letter is written for: an objection, a
// listing and a repair about the same subject and record, at fixed dates,
// under any profile.

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, calendar.Shanghai)
	if err != nil {
		panic(err)
	}
	return t
}

var (
	person = documents.Subject{Name: "张三", ID: "320602********0017"}
	org    = documents.Subject{Name: "某某建设工程有限公司", Organisation: true, ID: "91320600MA1XXXXX0Y"}
	record = documents.Record{Title: "行政处罚信息（未按规定办理施工许可）", Provider: "市住房和城乡建设局",
		DecisionNo: "住建罚〔2026〕第117号", DecidedOn: calendar.NewDate(2026, 3, 9)}
)

// deadline computes rule of profile p from start as the deadline activity
// does, with its Chinese explanation.
func deadline(t testing.TB, p *policy.Profile, rule string, start time.Time) Deadline {
	t.Helper()
	r, err := p.Rule(rule)
	if err != nil {
		t.Fatal(err)
	}
	d, err := calendar.Default().Add(calendar.DateOf(start), r.Length, r.Unit, calendar.Options{Region: p.Region, Provisional: true})
	if err != nil {
		t.Fatal(err)
	}
	return Deadline{Rule: rule, Start: start, N: r.Length, Unit: r.Unit, Due: d.Due, Explanation: wording.Explain(d, 0, wording.ZH)}
}

// fixedCase is the case behind letter kind under profile p at its stage.
func fixedCase(t testing.TB, p *policy.Profile, kind documents.Kind) Case {
	received, accepted := at("2026-11-23 09:30"), at("2026-11-25 10:00")
	c := Case{Ref: "YY-2026-000123", Profile: p, Subject: person, Record: record,
		Dates: Dates{Received: received, Accepted: accepted, Corrected: at("2026-11-26 15:00"), Appealed: at("2026-12-10 09:00")}}
	overallStart := accepted
	if r, _ := p.Rule(policy.ObjectionOverall); r.StartsOn == "objection.received" {
		overallStart = received
	}
	c.Deadlines = []Deadline{
		deadline(t, p, policy.ObjectionCentreCheck, received),
		deadline(t, p, policy.ObjectionOverall, overallStart),
		deadline(t, p, policy.ObjectionProviderReply, at("2026-11-26 11:00")),
	}
	switch {
	case kind == documents.KindDeadlineCorrection:
		// The overall limit was first counted before the year's schedule
		// was published (a make-up working day not yet known), then again on it.
		old := c.Deadlines[1]
		old.Seq, old.Provisional, old.Due = 1, true, old.Due.AddDays(-1)
		for old.Due.Start().Weekday() == time.Saturday || old.Due.Start().Weekday() == time.Sunday {
			old.Due = old.Due.AddDays(-1)
		}
		now := c.Deadlines[1]
		now.Seq = 2
		c.Deadlines = []Deadline{c.Deadlines[0], old, now}
	case kind == documents.KindProviderDeadlineCorrection:
		// The provider's reply was first counted before the year's
		// schedule was published, then again on it.
		old := c.Deadlines[2]
		old.Seq, old.Provisional, old.Due = 1, true, old.Due.AddDays(-1)
		for old.Due.Start().Weekday() == time.Saturday || old.Due.Start().Weekday() == time.Sunday {
			old.Due = old.Due.AddDays(-1)
		}
		now := c.Deadlines[2]
		now.Seq = 2
		c.Deadlines = []Deadline{c.Deadlines[0], c.Deadlines[1], old, now}
	case strings.HasPrefix(string(kind), "listing_"):
		c.Ref, c.Subject, c.Record, c.Records = "LB-2026-000045", org, documents.Record{}, []documents.Record{record}
		c.Dates = Dates{Served: at("2026-11-02 10:00"), Listed: at("2026-11-23 16:00"), RemovalDue: calendar.NewDate(2027, 11, 23),
			Removed: at("2027-11-24 00:00")}
		c.Listing = &Listing{Reasons: "该单位因未按规定办理施工许可被处以罚款，经责令改正仍拒不履行，情节严重。",
			LegalBasis: []string{"《建设工程质量管理条例》第五十七条"}, Measures: []string{"在信用网站向社会公开", "限制参加政府采购、招标投标"},
			Joint: true, Period: "1年"}
	case strings.HasPrefix(string(kind), "repair_"):
		c.Ref, c.Subject = "XF-2026-000031", org
		c.Dates = Dates{Received: received, Accepted: accepted, PublicityFrom: at("2026-12-01 09:00"), PublicityTo: calendar.NewDate(2026, 12, 8)}
		c.Deadlines = []Deadline{
			deadline(t, p, policy.RepairOverall, accepted),
			deadline(t, p, policy.RepairPublicity, at("2026-12-01 09:00")),
		}
	}
	return c
}

// fixedIssue is letter kind (variant) with the facts the workflow gives.
func fixedIssue(kind documents.Kind, variant string, number string) Issue {
	is := Issue{Kind: kind, Number: number, Date: calendar.NewDate(2026, 11, 27), Facts: map[string]string{}, Lists: map[string][]string{}}
	switch kind {
	case documents.KindAcceptance:
		is.Date = calendar.NewDate(2026, 11, 25)
	case documents.KindSupplement:
		is.Date = calendar.NewDate(2026, 11, 24)
		is.Lists["missing"] = []string{"申请人身份证明材料复印件", "证明异议信息有误的证据材料，如行政处罚决定撤销文书"}
	case documents.KindVerification:
		is.Date = calendar.NewDate(2026, 11, 26)
		is.Lists["grounds"] = []string{"该行政处罚决定已于2026年6月被复议机关撤销，信息应予删除。", "处罚金额记载有误。"}
		is.Lists["enclosures"] = []string{"异议申请书", "行政复议决定书复印件"}
	case documents.KindObjectionResult:
		is.Date = calendar.NewDate(2026, 12, 3)
		is.Facts["outcome"] = variant
		is.Lists["reasons"] = []string{"经信息提供单位市住房和城乡建设局核查，原信息中处罚金额记载有误。"}
		switch variant {
		case "corrected":
			is.Correction = "信息内容：罚款人民币贰万元整"
		case "upheld":
			is.Lists["reasons"] = []string{"经信息提供单位市住房和城乡建设局核查，该信息与行政处罚决定书记载一致。"}
		case "deleted":
			is.Lists["reasons"] = []string{"信息提供单位市住房和城乡建设局回复无法核实该信息的真实性。"}
		}
	case documents.KindCorrection:
		is.Date = calendar.NewDate(2026, 11, 26)
		is.Facts["error"] = "信息归集时将决定日期误录为2026年3月19日"
		is.Correction = "决定日期：2026年3月9日"
	case documents.KindAppealDecision:
		is.Date = calendar.NewDate(2026, 12, 24)
		is.Facts["result"] = variant
		is.Facts["result_number"] = "通信异字〔2026〕第0004号"
		is.Facts["request"] = "请求删除该行政处罚信息"
		is.Lists["findings"] = []string{"该行政处罚决定仍然有效，原异议处理结果认定事实清楚。"}
	case documents.KindListingNotice:
		is.Date = calendar.NewDate(2026, 10, 30)
	case documents.KindListingDecision:
		is.Date = calendar.NewDate(2026, 11, 23)
		is.Facts["representation"] = "当事人在陈述申辩期内提出了陈述、申辩意见"
		is.Lists["answers"] = []string{"意见：罚款已缴纳。复核：不予采纳，理由：经责令改正仍未办理施工许可。"}
		is.Lists["reasons"] = []string{"该单位存在严重失信行为，事实清楚，证据确凿。"}
	case documents.KindListingRepairNotice:
		is.Date = calendar.NewDate(2026, 11, 23)
		is.Facts["decision_number"] = "通信列决字〔2026〕第0012号"
	case documents.KindListingNotListed:
		is.Date = calendar.NewDate(2026, 11, 23)
		is.Facts["representation"] = "当事人在陈述申辩期内提出了陈述、申辩意见"
		is.Lists["answers"] = []string{"意见：已全额缴纳罚款并办理施工许可。复核：予以采纳，理由：已履行全部义务。"}
		is.Lists["reasons"] = []string{"经复核，当事人已履行全部义务，不符合列入条件。"}
	case documents.KindListingHearingNotice:
		is.Date = calendar.NewDate(2026, 11, 5)
		is.Facts["at"] = at("2026-11-17 09:00").Format(time.RFC3339)
		is.Facts["place"] = "本中心第二听证室"
	case documents.KindListingWithdrawn:
		is.Date = calendar.NewDate(2026, 11, 9)
		is.Lists["reasons"] = []string{"当事人已全额缴纳罚款并补办施工许可，信息提供单位撤回列入建议。"}
	case documents.KindListingRemoval:
		is.Date = calendar.NewDate(2027, 11, 24)
		is.Facts["reason"] = "expired"
		is.Facts["detail"] = "列入期限届满"
	case documents.KindRepairAcceptance:
		is.Date = calendar.NewDate(2026, 11, 25)
	case documents.KindRepairSupplement:
		is.Date = calendar.NewDate(2026, 11, 24)
		is.Lists["missing"] = []string{"法定代表人签署的信用承诺书", "罚款缴纳凭证"}
	case documents.KindRepairPublicity:
		is.Date = calendar.NewDate(2026, 12, 1)
		is.Facts["proposal"] = "拟对上述失信信息予以信用修复，终止公示"
	case documents.KindRepairDecision:
		is.Date = calendar.NewDate(2026, 12, 9)
		is.Lists["reasons"] = []string{"申请人已缴清罚款并整改完毕，信息提供单位同意修复。", "公示期间未收到异议。"}
	case documents.KindDeadlineCorrection:
		is.Date = calendar.NewDate(2026, 12, 1)
		is.Facts["revision"] = "3"
		is.Facts["case_kind"] = "objection"
		is.Lists["moved"] = []string{Moved(policy.ObjectionOverall, 1, 2)}
		is.Lists["notices"] = []string{"《国务院办公厅关于2027年部分节假日安排的通知》"}
	case documents.KindProviderDeadlineCorrection:
		is.Date = calendar.NewDate(2026, 12, 1)
		is.Facts["revision"] = "3"
		is.Facts["case_kind"] = "objection"
		is.Lists["moved"] = []string{Moved(policy.ObjectionProviderReply, 1, 2)}
		is.Lists["notices"] = []string{"《国务院办公厅关于2027年部分节假日安排的通知》"}
	case documents.KindRepairRefusal:
		is.Date = calendar.NewDate(2026, 11, 23)
		is.Facts["eligible_from"] = "2027-03-10"
		is.Lists["reasons"] = []string{"最短公示期（自决定之日2026年3月9日起1年）未满，自2027年3月10日起可申请"}
	}
	return is
}

// variants are the letters worth a golden file under profile p: every
// kind, and each outcome the profile allows.
func variants(p *policy.Profile) [][2]string {
	var out [][2]string
	for _, k := range policy.LetterKinds {
		switch k {
		case string(documents.KindObjectionResult):
			out = append(out, [2]string{k, "corrected"}, [2]string{k, "upheld"})
			if p.Settings.UnverifiableDeleted.Value {
				out = append(out, [2]string{k, "deleted"})
			}
		case string(documents.KindAppealDecision):
			if p.HasAppeal() {
				out = append(out, [2]string{k, "dismissed"})
			}
		default:
			out = append(out, [2]string{k, ""})
		}
	}
	// Not a profile letter (it states the profile's rules, no basis of its
	// own): the deadline correction after a calendar update.
	return append(out, [2]string{string(documents.KindDeadlineCorrection), ""}, [2]string{string(documents.KindProviderDeadlineCorrection), ""})
}
