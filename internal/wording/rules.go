package wording

import (
	"fmt"
	"strings"
)

// ruleText is what people are told about a deadline rule: its name and
// what it asks of the party responsible, in Chinese and English.
type ruleText struct {
	name, ask     string
	nameEN, askEN string
}

// rules are the deadline rules of internal/policy (and the listing
// period's end), by ID.
var rules = map[string]ruleText{
	"objection.centre_check": {"异议核查期限", "对异议申请进行核查（受理、一次性告知补正或者转交信息提供单位核实）",
		"objection check", "check the objection (accept it, ask once for what is missing, or forward it to the provider)"},
	"objection.own_error_notify": {"更正结果告知期限", "将更正结果书面告知申请人",
		"notice of the correction", "tell the applicant in writing that the record was corrected"},
	"objection.provider_reply": {"信息提供单位核查回复期限", "核查异议信息并将核查结果书面回复本中心",
		"provider's verification", "verify the record under objection and reply to the centre in writing"},
	"objection.applicant_notify": {"核查结果告知期限", "将核查结果书面告知申请人",
		"notice of the result", "tell the applicant the result in writing"},
	"objection.overall": {"异议处理期限", "办结异议处理并书面答复申请人",
		"objection time limit", "finish the objection and answer the applicant in writing"},
	"objection.correction_publish": {"更正发布期限", "在原发布和提供范围内更正发布",
		"publication of the correction", "publish the correction where the record was published and supplied"},
	"objection.extension": {"延长期限", "在延长后的期限内办结异议处理",
		"extension", "finish the objection within the extended time"},
	"objection.appeal_window": {"申诉期限", "如对异议处理结果不服，提出申诉",
		"appeal window", "appeal against the result, if you disagree"},
	// Under a profile that hands a continued disagreement to the provider
	// (Anshan art. 10) the window is for saying so: there is no appeal
	// (RuleUnder).
	"objection.appeal_window/handover": {"仍有异议提出期限", "如对核查结果仍有异议，写明理由提出（由本中心移交信息提供单位处理）",
		"window to say you still disagree", "say why you still disagree with the verified result (the centre hands the case to the provider)"},
	"objection.review_window": {"行政复议申请期限", "如不服，申请行政复议",
		"administrative review window", "apply for administrative review, if you disagree"},
	"objection.litigation_window": {"行政诉讼起诉期限", "如不服，提起行政诉讼",
		"litigation window", "bring an administrative action, if you disagree"},
	"listing.representation": {"陈述申辩期限", "提交陈述、申辩意见或者听证申请",
		"representation window", "submit statements, a defence or a request for a hearing"},
	"listing.revoked_removal": {"依据撤销后的移出期限", "将该主体移出严重失信主体名单",
		"removal after revocation", "remove the subject from the list of seriously dishonest subjects"},
	"listing.hearing_request": {"听证申请期限", "提出听证申请",
		"hearing request window", "ask for a hearing"},
	"listing.hearing_notice": {"听证通知期限", "在听证通知送达满期限后举行听证",
		"hearing notice period", "hold the hearing only after the notice period"},
	"listing.hearing": {"听证及笔录期限", "举行听证并制作听证笔录",
		"hearing and its record", "hold the hearing and record it"},
	"listing.period_end": {"列入期限", "期满移出严重失信主体名单",
		"listing period", "remove the entry at the end of its period"},
	"repair.acceptance": {"信用修复受理期限", "决定是否受理信用修复申请（材料不全的，一次性告知补正）",
		"repair acceptance", "decide whether to accept the repair application (or ask once for what is missing)"},
	"repair.provider_opinion": {"信用修复意见期限", "出具书面信用修复意见并说明理由",
		"provider's repair opinion", "give a written repair opinion with reasons"},
	"repair.publicity": {"信用修复公示期", "公示期满后作出信用修复决定",
		"repair publicity period", "decide after the publicity period"},
	"repair.publicity_objection_verification": {"公示异议核实期限", "核实公示期间收到的异议并提出意见",
		"verification of a publicity objection", "verify the objection raised during publicity and give an opinion"},
	"repair.overall": {"信用修复办理期限", "作出信用修复决定并书面告知申请人",
		"repair time limit", "decide on the repair and tell the applicant in writing"},
}

// RuleUnder is the wording key of rule in a case whose profile's result
// route is route (policy.ResultRoute: appeal, handover, final): the rule
// itself, or its variant where the route changes what it is (the window
// after an objection's reply is an appeal window only where the regulation
// grants an appeal). RuleName, Ask and the messages take either.
func RuleUnder(rule, route string) string {
	if _, ok := rules[rule+"/"+route]; ok {
		return rule + "/" + route
	}
	return rule
}

// RuleName names a deadline rule: "异议处理期限"; an unknown ID is
// returned as it is.
func RuleName(rule string, lang Lang) string {
	r, ok := rules[rule]
	switch {
	case !ok:
		return rule
	case lang == EN:
		return r.nameEN
	}
	return r.name
}

// Ask says what a rule asks of its party: "核查异议信息并将核查结果书面回复本中心".
func Ask(rule string, lang Lang) string {
	r, ok := rules[rule]
	switch {
	case !ok:
		return ""
	case lang == EN:
		return r.askEN
	}
	return r.ask
}

// KnownRule reports whether rule has wording.
func KnownRule(rule string) bool { _, ok := rules[rule]; return ok }

// Party names a party of a case for people; provider is the provider's
// name when the party is a provider.
func Party(party, provider string, lang Lang) string {
	zh, en := party, party
	switch {
	case party == "centre":
		zh, en = "本中心", "the centre"
	case party == "subject":
		zh, en = "申请人（信息主体）", "the applicant (information subject)"
	case party == "supervisor":
		zh, en = "信用管理部门", "the credit authority"
	case strings.HasPrefix(party, "provider:"):
		zh, en = "信息提供单位", "the provider"
		if provider != "" {
			zh, en = "信息提供单位"+provider, "the provider "+provider
		}
	}
	if lang == EN {
		return en
	}
	return zh
}

// caseKinds names the procedures.
var caseKinds = map[string][2]string{
	"objection": {"异议处理", "objection"},
	"listing":   {"严重失信主体名单列入", "listing"},
	"repair":    {"信用修复", "credit repair"},
}

// CaseKind names a procedure: "异议处理".
func CaseKind(kind string, lang Lang) string {
	k, ok := caseKinds[kind]
	switch {
	case !ok:
		return kind
	case lang == EN:
		return k[1]
	}
	return k[0]
}

// CaseLabel names a case for the head of a message: "异议处理案件
// YY-2026-000123".
func CaseLabel(kind, caseNo string, lang Lang) string {
	if kind == "" {
		if lang == EN {
			return "Case " + caseNo
		}
		return "案件" + caseNo
	}
	if lang == EN {
		return fmt.Sprintf("%s case %s", capitalise(CaseKind(kind, EN)), caseNo)
	}
	return CaseKind(kind, ZH) + "案件" + caseNo
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
