package policy

import "github.com/creditcase/creditcase/internal/calendar"

// Rule IDs: every deadline of the three procedures (DESIGN.md §2). Every
// profile defines every one of them; workflows name the rule, never the
// number.
const (
	// 异议处理 (objection).
	ObjectionCentreCheck       = "objection.centre_check"       // 工作机构收到异议后核查
	ObjectionOwnErrorNotify    = "objection.own_error_notify"   // 本机构原因错误：更正后告知申请人
	ObjectionProviderReply     = "objection.provider_reply"     // 信息提供单位核查回复
	ObjectionApplicantNotify   = "objection.applicant_notify"   // 收到回复后书面告知申请人
	ObjectionOverall           = "objection.overall"            // 异议处理总时限（自收到或者自受理，按规章）
	ObjectionCorrectionPublish = "objection.correction_publish" // 更正并在原范围公示
	ObjectionExtension         = "objection.extension"          // 经负责人批准延长
	ObjectionAppealWindow      = "objection.appeal_window"      // 向信用主管部门申诉
	ObjectionReviewWindow      = "objection.review_window"      // 申请行政复议
	ObjectionLitigationWindow  = "objection.litigation_window"  // 提起行政诉讼
	// 列入严重失信名单前告知、陈述申辩 (listing).
	ListingRepresentation = "listing.representation"  // 陈述申辩期（自告知书送达）
	ListingRevokedRemoval = "listing.revoked_removal" // 认定依据撤销后移出名单
	ListingHearingRequest = "listing.hearing_request" // 要求听证（告知后五日内，行政处罚法第六十四条）
	ListingHearingNotice  = "listing.hearing_notice"  // 听证通知（举行听证七日前）
	// 信用修复 (repair).
	RepairAcceptance                     = "repair.acceptance"                       // 受理
	RepairProviderOpinion                = "repair.provider_opinion"                 // 信息提供单位书面修复意见
	RepairPublicity                      = "repair.publicity"                        // 公示期
	RepairPublicityObjectionVerification = "repair.publicity_objection_verification" // 公示期间异议核实
	RepairOverall                        = "repair.overall"                          // 修复结果告知总时限
)

// Period IDs: disclosure periods (披露期限) and the shortest disclosure
// periods before credit repair (最短公示期), in months or years.
const (
	DisclosureGeneral          = "disclosure.general"           // 一般失信信息
	DisclosureSerious          = "disclosure.serious"           // 严重失信信息
	DisclosurePersonalNegative = "disclosure.personal_negative" // 个人不良信息
	DisclosureMinor            = "disclosure.minor"             // 轻微失信 / 警示信息
	ListingPeriodMin           = "listing.period_min"           // 严重失信名单最短期限
	ListingPeriodMax           = "listing.period_max"           // 严重失信名单最长期限
	RepairMinPeriodGeneral     = "repair.min_period.general"    // 一般失信：最短公示期满可申请修复
	RepairMinPeriodSerious     = "repair.min_period.serious"    // 严重失信
	RepairMinPeriodMinor       = "repair.min_period.minor"      // 轻微失信：履行义务即可（0）
)

// Lapse actions (on_lapse).
const (
	LapseRemind             = "remind"               // remind the party responsible (also RemindBefore WD before)
	LapseEscalate           = "escalate"             // escalate to the supervisor (信用管理部门)
	LapseSuspendPublicQuery = "suspend_public_query" // stop serving the record to the public (Qinzhou art. 22)
	LapseProceed            = "proceed"              // the waiting period ends and the procedure moves on
)

// Events that start a period (starts_on).
var events = map[string]string{
	"objection.received":         "written objection received (收到异议申请)",
	"objection.accepted":         "objection accepted as complete (受理)",
	"objection.corrected":        "centre corrected its own error (更正)",
	"objection.error_confirmed":  "error confirmed by verification (经核实确实有误)",
	"objection.overall_due":      "the original overall deadline (延长自原期限届满起算)",
	"objection.reply_served":     "written reply served on the applicant (书面答复送达)",
	"provider.request_served":    "verification request received by the provider (收到核查通知)",
	"provider.replied":           "provider's verification reply received (收到核查回复)",
	"decision.known":             "the addressee knows or ought to know the decision (知道或者应当知道该行政行为)",
	"listing.notice_served":      "pre-listing notice served (告知书送达)",
	"listing.basis_revoked":      "the decision the listing rests on revoked (认定依据撤销)",
	"listing.hearing_notified":   "hearing notice served on the party (听证通知送达)",
	"repair.received":            "repair application received (收到修复申请)",
	"repair.accepted":            "repair application accepted (受理)",
	"repair.publicity_started":   "repair publicity published (公示开始)",
	"repair.publicity_objection": "objection raised during publicity (公示期间异议)",
	"record.decided":             "the decision behind the record (认定/决定之日)",
	"listing.decided":            "listing decision (列入决定)",
}

// renamedEvents are event names of earlier profile versions, read as
// their present names: a running case keeps the profile version it opened
// with, stored as it was written (testdata/v2026.1).
var renamedEvents = map[string]string{
	"appeal.decision_served": "decision.known", // 2026.1: the review and litigation windows
}

type ruleSpec struct {
	id    string
	units []calendar.Unit
	// starts are the events the procedures can start the rule on; the
	// profile's starts_on picks one.
	starts []string
}

type periodSpec struct {
	id        string
	allowZero bool
}

var ruleCatalogue = []ruleSpec{
	{ObjectionCentreCheck, days, []string{"objection.received"}},
	{ObjectionOwnErrorNotify, days, []string{"objection.corrected"}},
	{ObjectionProviderReply, days, []string{"provider.request_served"}},
	{ObjectionApplicantNotify, days, []string{"provider.replied"}},
	// From receipt of the (complete) application, or from acceptance.
	{ObjectionOverall, days, []string{"objection.received", "objection.accepted"}},
	{ObjectionCorrectionPublish, days, []string{"objection.error_confirmed"}},
	{ObjectionExtension, days, []string{"objection.overall_due"}},
	// Only where the profile grants an appeal (remedies.appeal).
	{ObjectionAppealWindow, anyUnit, []string{"objection.reply_served"}},
	{ObjectionReviewWindow, anyUnit, []string{"decision.known"}},
	{ObjectionLitigationWindow, anyUnit, []string{"decision.known"}},
	{ListingRepresentation, days, []string{"listing.notice_served"}},
	{ListingRevokedRemoval, days, []string{"listing.basis_revoked"}},
	{ListingHearingRequest, days, []string{"listing.notice_served"}},
	{ListingHearingNotice, days, []string{"listing.hearing_notified"}},
	{RepairAcceptance, days, []string{"repair.received"}},
	{RepairProviderOpinion, days, []string{"repair.accepted"}},
	{RepairPublicity, days, []string{"repair.publicity_started"}},
	{RepairPublicityObjectionVerification, days, []string{"repair.publicity_objection"}},
	{RepairOverall, days, []string{"repair.accepted"}},
}

var periodCatalogue = []periodSpec{
	{DisclosureGeneral, false},
	{DisclosureSerious, false},
	{DisclosurePersonalNegative, false},
	{DisclosureMinor, false},
	{ListingPeriodMin, false},
	{ListingPeriodMax, false},
	{RepairMinPeriodGeneral, false},
	{RepairMinPeriodSerious, false},
	{RepairMinPeriodMinor, true},
}

var (
	days    = []calendar.Unit{calendar.WorkingDays, calendar.CalendarDays}
	anyUnit = []calendar.Unit{calendar.WorkingDays, calendar.CalendarDays, calendar.Months, calendar.Years}
)

// RuleIDs returns the IDs every profile must define, in display order.
func RuleIDs() []string {
	ids := make([]string, len(ruleCatalogue))
	for i, r := range ruleCatalogue {
		ids[i] = r.id
	}
	return ids
}

// PeriodIDs returns the period IDs every profile must define.
func PeriodIDs() []string {
	ids := make([]string, len(periodCatalogue))
	for i, p := range periodCatalogue {
		ids[i] = p.id
	}
	return ids
}
