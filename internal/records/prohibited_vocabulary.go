package records

// The vocabulary of prohibited personal data: each item, the articles that
// forbid (or condition) collecting it, and the spellings a field name may
// use for it — English, Hanyu Pinyin and Chinese (simplified and
// traditional). A field name matches an item by meaning: it is normalised
// (case, width, separators, camelCase, invisible characters, look-alike
// letters) and compared with each term as described at matchKey.
//
// Term syntax:
//   - "blood type", "xuexing": Latin terms match a run of the name's words
//     ("bloodType", "blood_type_code", "BLOOD-TYPE", "bloodtype" all hold
//     blood+type); terms of 8 letters or more also match inside one word
//     ("fingerprintimage");
//   - "血型": Chinese terms match anywhere in the name ("血型代码", "血_型");
//   - "=tax": matches only a name that is exactly this term, for words
//     that are harmless inside longer names ("tax_arrears" is 欠税, which
//     may be collected; a field called just "tax" is a tax amount).

// Instruments cited by the vocabulary.
const (
	nanning  = "《南宁市个人信用信息征集使用管理办法》"
	qinzhou  = "《钦州市个人信用信息征集和使用管理办法（试行）》"
	anshan   = "《鞍山市关于加强信息主体权益保护工作的实施办法（试行）》"
	nantong  = "《南通市公共信用信息管理办法》"
	zhengxin = "《征信业管理条例》"
)

// Source is one article forbidding or conditioning an item.
type Source struct {
	Instrument string `json:"instrument"`
	Article    string `json:"article"`
	// EN names the instrument in English for the English message.
	EN string `json:"en"`
}

var (
	srcNanning  = Source{nanning, "第七条", "Nanning personal credit information measures art. 7"}
	srcQinzhou  = Source{qinzhou, "第七条", "Qinzhou personal credit information measures art. 7"}
	srcAnshan   = Source{anshan, "第七条", "Anshan subject-rights measures art. 7"}
	srcNantong  = Source{nantong, "第十四条", "Nantong public credit information measures art. 14"}
	srcZhengxin = Source{zhengxin, "第十四条", "Credit Reporting Industry Regulation art. 14"}
)

// ProhibitedItem is a kind of personal data the centre must not collect,
// or may collect only with the subject's written consent.
type ProhibitedItem struct {
	ID string `json:"id"`
	ZH string `json:"zh"`
	EN string `json:"en"`
	// WithConsent: may be collected when the subject's written consent is
	// recorded (consent_ref); otherwise never.
	WithConsent bool     `json:"with_consent"`
	Sources     []Source `json:"sources"`
	Terms       []string `json:"terms"`
}

// ProhibitedVocabulary is every item intake refuses (DESIGN.md 2.1, 2.4).
//
// Never collected: Nanning art. 7 and Qinzhou art. 7 (民族、家庭出身、宗教
// 信仰、基因、指纹、血型、疾病和病史); Anshan art. 7 and 征信业管理条例
// art. 14 (宗教信仰、基因、指纹、血型、疾病和病史); Nantong art. 14 (宗教
// 信仰、基因、血型、疾病和病史).
//
// Only with written consent: Anshan art. 7 and 征信业管理条例 art. 14
// (收入、存款、有价证券、商业保险、不动产的信息和纳税数额信息).
var ProhibitedVocabulary = []ProhibitedItem{
	{ID: "ethnicity", ZH: "民族", EN: "ethnicity",
		Sources: []Source{srcNanning, srcQinzhou},
		Terms: []string{"ethnicity", "ethnic", "ethnic group", "ethnic origin", "race", "racial", "minzu", "zubie",
			"民族", "族别", "種族", "种族"}},
	{ID: "family_origin", ZH: "家庭出身", EN: "family origin",
		Sources: []Source{srcNanning, srcQinzhou},
		Terms: []string{"family origin", "family background", "family class", "class origin", "class status",
			"jiating chushen", "chushen", "jiating chengfen", "家庭出身", "出身", "家庭成分", "阶级成分", "階級成分"}},
	{ID: "religion", ZH: "宗教信仰", EN: "religious belief",
		Sources: []Source{srcNanning, srcQinzhou, srcAnshan, srcNantong, srcZhengxin},
		Terms: []string{"religion", "religions", "religious", "religious belief", "religious faith", "faith group",
			"zongjiao", "zongjiao xinyang", "xinyang", "宗教", "信仰", "教派"}},
	{ID: "genetic", ZH: "基因", EN: "genetic data",
		Sources: []Source{srcNanning, srcQinzhou, srcAnshan, srcNantong, srcZhengxin},
		Terms: []string{"gene", "genes", "genetic", "genetics", "genome", "genomic", "dna", "rna",
			"jiyin", "基因", "遗传", "遺傳"}},
	{ID: "fingerprint", ZH: "指纹", EN: "fingerprints",
		Sources: []Source{srcNanning, srcQinzhou, srcAnshan, srcZhengxin},
		Terms:   []string{"fingerprint", "fingerprints", "thumbprint", "zhiwen", "指纹", "指紋"}},
	{ID: "blood_type", ZH: "血型", EN: "blood type",
		Sources: []Source{srcNanning, srcQinzhou, srcAnshan, srcNantong, srcZhengxin},
		Terms:   []string{"blood type", "blood group", "abo type", "xuexing", "血型"}},
	{ID: "health", ZH: "疾病和病史", EN: "disease and medical history",
		Sources: []Source{srcNanning, srcQinzhou, srcAnshan, srcNantong, srcZhengxin},
		Terms: []string{"disease", "diseases", "illness", "illnesses", "sickness", "medical history", "medical record",
			"medical records", "medical condition", "health condition", "health status", "diagnosis", "diagnoses",
			"jibing", "bingshi", "bingli", "疾病", "病史", "病历", "病歷", "病情", "诊断", "診斷", "健康状况", "健康狀況"}},
	{ID: "income", ZH: "收入", EN: "income", WithConsent: true,
		Sources: []Source{srcAnshan, srcZhengxin},
		Terms: []string{"income", "incomes", "salary", "salaries", "wage", "wages", "earnings", "shouru", "gongzi",
			"收入", "工资", "工資", "薪资", "薪資", "薪酬", "月薪", "年薪"}},
	{ID: "deposits", ZH: "存款", EN: "deposits", WithConsent: true,
		Sources: []Source{srcAnshan, srcZhengxin},
		Terms: []string{"deposit", "deposits", "savings", "bank balance", "account balance", "cunkuan",
			"存款", "储蓄", "儲蓄", "银行余额", "銀行餘額"}},
	{ID: "securities", ZH: "有价证券", EN: "securities", WithConsent: true,
		Sources: []Source{srcAnshan, srcZhengxin},
		Terms: []string{"securities", "securities holdings", "shareholdings", "stock holdings", "youjia zhengquan",
			"有价证券", "有價證券", "持有证券", "证券资产"}},
	{ID: "insurance", ZH: "商业保险", EN: "commercial insurance", WithConsent: true,
		Sources: []Source{srcAnshan, srcZhengxin},
		Terms: []string{"=insurance", "commercial insurance", "insurance policy", "insurance policies", "life insurance",
			"shangye baoxian", "商业保险", "商業保險", "人寿保险", "人壽保險"}},
	{ID: "real_estate", ZH: "不动产", EN: "real estate", WithConsent: true,
		Sources: []Source{srcAnshan, srcZhengxin},
		Terms: []string{"real estate", "real property", "property holdings", "house property", "budongchan", "fangchan",
			"不动产", "不動產", "房产", "房產", "房屋产权"}},
	{ID: "tax_amount", ZH: "纳税数额", EN: "tax amounts", WithConsent: true,
		Sources: []Source{srcAnshan, srcZhengxin},
		Terms: []string{"=tax", "=taxes", "tax amount", "tax amounts", "tax paid", "taxes paid", "amount of tax",
			"tax payment amount", "nashui e", "nashui shue", "纳税数额", "纳税额", "纳税金额", "纳税总额", "缴税金额",
			"納稅數額", "納稅額"}},
}
