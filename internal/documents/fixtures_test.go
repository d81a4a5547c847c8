package documents

import (
	"github.com/creditcase/creditcase/internal/calendar"
	"time"
)

var (
	testDate    = calendar.NewDate(2026, 11, 23)
	testSubject = Subject{Name: "张三", ID: "110101********0012"}
	testOrg     = Subject{Name: "南通某某建设工程有限公司", Organisation: true, ID: "91320600MA1XXXXX0Y"}
	testRecord  = Record{Title: "行政处罚信息（未按规定办理施工许可）", Provider: "南通市住房和城乡建设局",
		DecisionNo: "通住建罚〔2026〕第117号", DecidedOn: calendar.NewDate(2026, 3, 9)}
	testBasis = []Citation{{Instrument: "南通市公共信用信息管理办法", Article: "第三十二条", Paragraph: "第一款"}}
	testRem   = Remedies{Appeal: &Appeal{To: "南通市发展和改革委员会", Within: "60日", ThenReview: true,
		Basis: []Citation{{Instrument: "南通市公共信用信息管理办法", Article: "第三十三条"}}}}
	reviewRem = Remedies{
		Review: &Review{Organ: "南通市人民政府", Within: "60日",
			Basis: []Citation{{Instrument: "中华人民共和国行政复议法", Article: "第二十条", Paragraph: "第一款"}}},
		Litigation: &Litigation{Within: "6个月",
			Basis: []Citation{{Instrument: "中华人民共和国行政诉讼法", Article: "第四十六条", Paragraph: "第一款"}}}}
	testDue = Due{Date: calendar.NewDate(2026, 12, 7), Period: "10个工作日", From: "收到异议申请之日",
		Explanation: "自2026年11月23日起算10个工作日（不含当日），其间无法定节假日和调休；截止于2026年12月7日（星期一）24时",
		Basis:       testBasis}
	testContact = Contact{Person: "李四", Phone: "0513-12345678", Address: "南通市崇川区世纪大道1号"}
)

func header(prefix string, seq int, addressee string) Header {
	return Header{CaseRef: "YY-2026-000123", Number: FormatNumber(prefix, 2026, seq),
		Organ: "南通市公共信用信息中心", Seal: "南通市公共信用信息中心", Date: testDate, Addressee: addressee}
}

// samples returns valid data for every kind.
func samples() map[Kind]Data {
	return map[Kind]Data{
		KindAcceptance: &AcceptanceNotice{Header: header("通信异受字", 1, "张三"), Subject: testSubject, Record: testRecord,
			ReceivedOn: calendar.NewDate(2026, 11, 20), AcceptedOn: testDate, ResultDue: testDue, Basis: testBasis, Contact: testContact},
		KindSupplement: &SupplementNotice{Header: header("通信异补字", 2, "南通某某建设工程有限公司"), Subject: testOrg, Record: testRecord,
			ReceivedOn:  calendar.NewDate(2026, 11, 20),
			Missing:     []string{"法定代表人身份证明书及身份证复印件", "授权委托书（委托他人办理的）", "证明异议信息有误的证据材料，如行政处罚决定撤销文书"},
			ResubmitDue: &Due{Date: calendar.NewDate(2026, 11, 30), Period: "5个工作日"}, Basis: testBasis},
		KindVerification: &VerificationRequest{Header: header("通信异核字", 3, "南通市住房和城乡建设局"), Subject: testOrg, Record: testRecord,
			ReceivedOn: calendar.NewDate(2026, 11, 20),
			Grounds:    []string{"申请人称该行政处罚决定已于2026年6月被复议机关撤销，信息应予删除。", "申请人称处罚金额记载有误。"},
			Enclosures: []string{"异议申请书", "行政复议决定书复印件"},
			ReplyDue: Due{Date: calendar.NewDate(2026, 11, 30), Period: "5个工作日", From: "收到本函之日",
				Explanation: "自2026年11月23日起算5个工作日（不含当日），其间无法定节假日和调休；截止于2026年11月30日（星期一）24时"},
			Basis:   []Citation{{Instrument: "南通市公共信用信息管理办法", Article: "第三十二条", Paragraph: "第二款"}},
			OnLapse: "本中心将报告信用管理部门，并暂停该信息的公开查询"},
		KindObjectionResult: &ObjectionResult{Header: header("通信异字", 4, "张三"), Subject: testSubject, Record: testRecord,
			ReceivedOn: calendar.NewDate(2026, 11, 20), AcceptedOn: calendar.NewDate(2026, 11, 20), Outcome: OutcomeCorrected,
			Reasons:    []string{"经信息提供单位南通市住房和城乡建设局核查，原信息中处罚金额记载有误。"},
			Correction: "罚款人民币贰万元整", Basis: testBasis, Remedies: testRem, Contact: testContact},
		KindCorrection: &CorrectionNotice{Header: header("通信更字", 5, "张三"), Subject: testSubject, Record: testRecord,
			ReceivedOn: calendar.NewDate(2026, 11, 20), Error: "信息归集时将决定日期误录为2026年3月19日",
			Correction: "决定日期为2026年3月9日", CorrectedOn: testDate, Basis: testBasis, Remedies: testRem},
		KindAppealDecision: &AppealDecision{Header: Header{CaseRef: "SS-2026-000007", Number: FormatNumber("通发改信申字", 2026, 7),
			Organ: "南通市发展和改革委员会", Seal: "南通市发展和改革委员会", Date: testDate, Addressee: "张三"}, Subject: testSubject, Record: testRecord,
			ResultNumber: FormatNumber("通信异字", 2026, 4), AppealedOn: calendar.NewDate(2026, 11, 10),
			Request:  "请求删除该行政处罚信息",
			Findings: []string{"该行政处罚决定于2026年6月12日被南通市人民政府行政复议决定撤销。"},
			Result:   AppealDeleted, Basis: []Citation{{Instrument: "南通市公共信用信息管理办法", Article: "第三十三条"}},
			Remedies: reviewRem},
		KindRepairAcceptance: &RepairAcceptance{Header: header("通信修受字", 8, "南通某某建设工程有限公司"), Subject: testOrg, Record: testRecord,
			ReceivedOn: calendar.NewDate(2026, 11, 20), AcceptedOn: testDate, ResultDue: testDue, Basis: testBasis, Contact: testContact},
		KindRepairSupplement: &RepairSupplement{Header: header("通信修补字", 9, "南通某某建设工程有限公司"), Subject: testOrg, Record: testRecord,
			ReceivedOn: calendar.NewDate(2026, 11, 20), Missing: []string{"法定代表人签署的信用承诺书", "罚款缴纳凭证"}, Basis: testBasis},
		KindRepairPublicity: &RepairPublicity{Header: header("通信修公字", 10, "社会公众"), Subject: testOrg, Record: testRecord,
			Proposal: "拟对上述失信信息予以信用修复，停止公示", From: testDate,
			Until: Due{Date: calendar.NewDate(2026, 11, 30), Period: "5个工作日",
				Explanation: "自2026年11月23日起算5个工作日（不含当日），其间无法定节假日和调休；截止于2026年11月30日（星期一）24时"}, Basis: testBasis},
		KindRepairDecision: &RepairDecision{Header: header("通信修字", 11, "南通某某建设工程有限公司"), Subject: testOrg, Record: testRecord,
			ReceivedOn: calendar.NewDate(2026, 11, 2), PublicityFrom: calendar.NewDate(2026, 11, 13), PublicityTo: calendar.NewDate(2026, 11, 20),
			Reasons: []string{"申请人已缴清罚款并整改完毕，信息提供单位同意修复。", "公示期间未收到异议。"}, RepairedOn: testDate, Basis: testBasis},
		KindRepairRefusal: &RepairRefusal{Header: header("通信修不字", 12, "张三"), Subject: testSubject, Record: testRecord,
			ReceivedOn: calendar.NewDate(2026, 11, 20), Reasons: []string{"最短公示期（自决定之日2026年3月9日起3个月）未满，自2026年6月10日起可申请"},
			EligibleFrom: func() *calendar.Date { d := calendar.NewDate(2026, 6, 10); return &d }(), Basis: testBasis,
			Remedies: reviewRem},
		KindDeadlineCorrection: &DeadlineCorrection{Header: header("通信期更字", 20, "张三"), Subject: testSubject,
			Matter: "你于2026年12月30日提出的信用信息异议申请", Revision: 3,
			Notices: []string{"《国务院办公厅关于2027年部分节假日安排的通知》"},
			Items: []CorrectedDue{{Name: "异议核查期限", Old: calendar.NewDate(2027, 1, 5), OldProvisional: true,
				New: Due{Date: calendar.NewDate(2027, 1, 6), Period: "3个工作日", From: "收到异议申请之日"}}},
			Contact: testContact},
		KindProviderDeadlineCorrection: &ProviderDeadlineCorrection{Header: header("通信期更字", 21, "市住房和城乡建设局"), Subject: testSubject,
			Record: testRecord, ReceivedOn: calendar.NewDate(2026, 12, 28), Application: "信用信息异议申请", Revision: 3,
			Notices: []string{"《国务院办公厅关于2027年部分节假日安排的通知》"},
			Items: []CorrectedDue{{Name: "信息提供单位核查回复期限", Ask: "核查异议信息并将核查结果书面回复本中心",
				Old: calendar.NewDate(2027, 1, 5), OldProvisional: true,
				New: Due{Date: calendar.NewDate(2027, 1, 6), Period: "5个工作日", From: "收到核查函之日"}}},
			Contact: testContact},
		KindListingNotice: &ListingNotice{Header: header("通信列告字", 13, "南通某某建设工程有限公司"), Subject: testOrg, Records: []Record{testRecord},
			Reasons:    []string{"该单位因未按规定办理施工许可被处以罚款，情节严重，经责令改正仍拒不履行。"},
			LegalBasis: []string{"《南通市公共信用信息管理办法》第三十条"}, Measures: []string{"在信用网站向社会公开", "限制参加政府采购、招标投标"},
			JointPunishment: true, Period: "3年", RepresentationPeriod: "5个工作日",
			RemovalConditions:   []string{"列入期限届满", "列入所依据的决定被依法撤销", "经信用修复符合移出条件"},
			RemovalProcedure:    []string{"期满由本中心自动移出", "信用修复经信息提供单位同意并公示无异议后移出"},
			Basis:               []Citation{{Instrument: "中华人民共和国行政处罚法", Article: "第四十四条"}, {Instrument: "中华人民共和国行政处罚法", Article: "第四十五条"}},
			RepresentationBasis: []Citation{{Instrument: "中华人民共和国行政处罚法", Article: "第六十四条", Item: "第（一）项"}}, Contact: testContact},
		KindListingDecision: &ListingDecision{Header: header("通信列决字", 14, "南通某某建设工程有限公司"), Subject: testOrg, Records: []Record{testRecord},
			ServedOn: calendar.NewDate(2026, 11, 2), Representation: "你单位在陈述申辩期内提交了书面陈述意见",
			Answers: []string{"意见：处罚已履行完毕。复核：部分采纳，不再限制申请财政性资金。"},
			Reasons: []string{"该单位存在严重失信行为，事实清楚，证据确凿。"}, LegalBasis: []string{"《南通市公共信用信息管理办法》第三十条"},
			Measures: []string{"在信用网站向社会公开"}, Period: "1年", ListedOn: testDate, RemovalDue: calendar.NewDate(2027, 11, 23),
			Remedies: reviewRem},
		KindListingRepairNotice: &ListingRepairNotice{Header: header("通信修告字", 15, "南通某某建设工程有限公司"), Subject: testOrg,
			DecisionNumber: FormatNumber("通信列决字", 2026, 14), ShortestPeriod: "1年",
			Conditions: []string{"已纠正失信行为、履行法定义务", "一年内未再发生同类失信行为", "签署信用承诺书"},
			Procedure:  []string{"向本中心提交信用修复申请书及证明材料", "本中心受理并征求信息提供单位意见", "公示5个工作日无异议后移出"}},
		KindListingNotListed: &ListingNotListed{Header: header("通信列决字", 16, "张三"), Subject: testSubject, Records: []Record{testRecord},
			Representation: "你在陈述申辩期内提交了书面陈述意见", Answers: []string{"意见：已全额缴纳罚款。复核：予以采纳。"},
			Reasons: []string{"经复核，当事人已履行全部义务，不符合列入条件。"}},
		KindListingRemoval: &ListingRemoval{Header: header("通信列移字", 17, "张三"), Subject: testSubject, Records: []Record{testRecord},
			ListedOn: calendar.NewDate(2025, 11, 24), RemovedOn: testDate, Reason: RemovalRepaired, Detail: "信用修复案件 XF-2026-000031 已核准"},
		KindListingHearingNotice: &ListingHearingNotice{Header: header("通信列听字", 18, "张三"), Subject: testSubject, Records: []Record{testRecord},
			At: time.Date(2026, 3, 17, 9, 0, 0, 0, calendar.Shanghai), Place: "南通市公共信用信息中心第一听证室", NoticePeriod: "7个工作日",
			Basis: []Citation{{Instrument: "中华人民共和国行政处罚法", Article: "第六十四条"}}},
		KindListingWithdrawn: &ListingWithdrawn{Header: header("通信列撤字", 19, "张三"), Subject: testSubject, Records: []Record{testRecord},
			ServedOn: calendar.NewDate(2026, 3, 2), Provider: "南通市市场监督管理局", Reasons: []string{"当事人已全部履行处罚决定，不再符合列入条件"}},
	}
}
