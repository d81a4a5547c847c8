package wording

// Words for a case's steps as its activities name them, and for the data
// errors that stop a step (issue 11.4): the escalated step on a case page,
// the board, the supervisors' escalations and their inbox.

type zhen struct{ zh, en string }

var stepNames = map[string]zhen{
	"ProfileVersion":         {"读取办理规则版本", "reading the profile version"},
	"SaveCase":               {"保存案件", "saving the case"},
	"RecordEvent":            {"记录办理过程", "recording the case's history"},
	"LabelRecord":            {"标注异议信息", "labelling the record under objection"},
	"ObjectionRulesOf":       {"读取异议办理规则", "reading the objection rules"},
	"ComputeDeadline":        {"计算期限", "computing a deadline"},
	"Compute":                {"计算期限", "computing a deadline"},
	"RecomputeDeadline":      {"重新计算期限", "recounting a deadline"},
	"FixDeadline":            {"登记期限", "recording a deadline"},
	"SettleDeadline":         {"办结期限", "settling a deadline"},
	"ComputePeriodEnd":       {"计算公示期限", "computing the end of a period"},
	"Notify":                 {"通知当事人", "notifying a party"},
	"Escalate":               {"上报督办", "escalating a lapsed deadline"},
	"IssueDocument":          {"出具文书", "issuing a letter"},
	"ApplyOutcome":           {"执行处理结果", "applying the outcome to the record"},
	"HandOverObjection":      {"移交信息提供单位", "handing the case over to the provider"},
	"SuspendPublicQuery":     {"暂停公开查询", "suspending public query"},
	"RepairEligibility":      {"核验信用修复条件", "checking repair eligibility"},
	"OpenPublicity":          {"发布修复公示", "publishing the repair notice"},
	"ClosePublicity":         {"结束修复公示", "ending the repair publicity"},
	"AnswerPublicObjection":  {"答复公示异议", "answering an objection to the publicity"},
	"ApplyRepair":            {"执行信用修复", "applying the repair"},
	"ActiveListings":         {"查询相关名单", "reading the record's listings"},
	"CloseRepairApplication": {"办结修复申请", "closing the repair application"},
	"ValidateProposal":       {"核验列入提请", "checking the proposal"},
	"SaveListing":            {"保存名单", "saving the listing"},
	"HearingNoticeDays":      {"计算听证通知期限", "computing the hearing notice days"},
	"MarkCaseRecomputed":     {"报告期限重算", "reporting the recount"},
}

// StepName says what a case activity does, in lang; an activity without
// words is named as it is.
func StepName(activity string, lang Lang) string {
	w, ok := stepNames[activity]
	switch {
	case !ok:
		return activity
	case lang == EN:
		return w.en
	}
	return w.zh
}

var errorTypeNames = map[string]zhen{
	"data-constraint": {"数据违反约束（必填、唯一、取值范围或关联记录）", "the data breaks a constraint (required, unique, allowed values or a linked row)"},
	"data-invalid":    {"数据值无法读写（格式、长度、字符或取值范围有误）", "a value cannot be stored or read (wrong form, length, character or range)"},
	"data-decode":     {"已存数据无法解析", "stored data cannot be read back"},
	"data-missing":    {"所需记录不存在", "a row the step needs does not exist"},
	"no-record":       {"所涉信用记录不存在", "the record of the case does not exist"},
	"no-case":         {"案件记录不存在", "the case's row does not exist"},
	"bad-correction":  {"更正内容无法执行", "the correction cannot be applied"},
	"bad-outcome":     {"处理结果无效", "the outcome is not valid"},
	"unknown-rule":    {"办理规则中缺少所需条款", "a rule the step needs is missing from the profile"},
	"unknown-profile": {"办理规则版本不存在", "the profile version does not exist"},
	"deadline":        {"期限无法计算", "the deadline cannot be computed"},
	"bad-extension":   {"延长期限的请求无效", "the extension is not valid"},
	"event-data":      {"办理记录的数据无法保存", "the event's data cannot be stored"},
	"bad-listing":     {"名单数据有误", "the listing's data is wrong"},
	"bad-period":      {"公示期限单位有误", "the listing period is wrong"},
	"bad-document":    {"文书无法生成", "the letter cannot be made"},
	"eligibility":     {"修复条件无法核验", "eligibility cannot be checked"},
}

// ErrorTypeName says what kind of data error stopped a step, in lang.
func ErrorTypeName(typ string, lang Lang) string {
	w, ok := errorTypeNames[typ]
	switch {
	case !ok && lang == EN:
		return "the step's data is wrong (" + typ + ")"
	case !ok:
		return "办理数据有误（" + typ + "）"
	case lang == EN:
		return w.en
	}
	return w.zh
}

// StepEscalated tells the supervisors a step of the case stopped on a
// data error and waits for them: retry it once the data is corrected, or
// close the case. message is the error's safe text (no values).
func StepEscalated(kind, caseNo, activity, errorType, message string, lang Lang) string {
	if lang == EN {
		return CaseLabel(kind, caseNo, EN) + ": the step \u201c" + StepName(activity, EN) + "\u201d stopped: " +
			ErrorTypeName(errorType, EN) + " (" + message + "). The case waits for you: correct the data and retry the step, or close the case."
	}
	return CaseLabel(kind, caseNo, ZH) + "：「" + StepName(activity, ZH) + "」未能完成：" + ErrorTypeName(errorType, ZH) +
		"（" + message + "）。案件已暂停办理，请更正数据后重试该步骤，或关闭案件。"
}
