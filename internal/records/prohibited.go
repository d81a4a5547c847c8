package records

import "strings"

// prohibitedItem is a kind of personal data the centre must not collect.
type prohibitedItem struct {
	// names are the field names (English and Chinese) that carry it,
	// compared after normaliseName.
	names []string
	// withConsent marks data that may be collected only when the
	// subject's written consent is recorded (consent_ref).
	withConsent bool
	zh, en      string
}

// prohibited lists what intake refuses (DESIGN.md 2.1):
//   - never: ethnicity, family origin, religion, genes, fingerprints, blood
//     type, disease and medical history — Nanning personal credit rules
//     art. 7, Qinzhou art. 7 (民族、家庭出身、宗教信仰、基因、指纹、血型、
//     疾病和病史), Anshan art. 7 and Nantong art. 14;
//   - only with written consent: income, deposits, securities, commercial
//     insurance, real estate and tax amounts — Anshan art. 7, after
//     征信业管理条例 art. 14 (收入、存款、有价证券、商业保险、不动产的信息
//     和纳税数额信息).
var prohibited = []prohibitedItem{
	{names: []string{"ethnicity", "ethnic_group", "民族"}, zh: "民族", en: "ethnicity"},
	{names: []string{"family_origin", "family_background", "家庭出身", "出身"}, zh: "家庭出身", en: "family origin"},
	{names: []string{"religion", "religious_belief", "faith", "宗教", "宗教信仰"}, zh: "宗教信仰", en: "religion"},
	{names: []string{"gene", "genes", "genetic", "genetic_data", "dna", "基因"}, zh: "基因", en: "genetic data"},
	{names: []string{"fingerprint", "fingerprints", "指纹"}, zh: "指纹", en: "fingerprints"},
	{names: []string{"blood_type", "blood_group", "血型"}, zh: "血型", en: "blood type"},
	{names: []string{"disease", "diseases", "illness", "medical_history", "medical_record", "疾病", "病史", "疾病和病史"}, zh: "疾病和病史", en: "disease and medical history"},
	{names: []string{"income", "salary", "收入"}, withConsent: true, zh: "收入", en: "income"},
	{names: []string{"deposit", "deposits", "bank_balance", "存款"}, withConsent: true, zh: "存款", en: "deposits"},
	{names: []string{"securities", "有价证券", "证券"}, withConsent: true, zh: "有价证券", en: "securities"},
	{names: []string{"insurance", "commercial_insurance", "商业保险", "保险"}, withConsent: true, zh: "商业保险", en: "commercial insurance"},
	{names: []string{"real_estate", "不动产", "房产"}, withConsent: true, zh: "不动产", en: "real estate"},
	{names: []string{"tax_amount", "tax_paid", "tax", "纳税数额", "纳税额"}, withConsent: true, zh: "纳税数额", en: "tax amounts"},
}

var prohibitedByName = func() map[string]*prohibitedItem {
	m := map[string]*prohibitedItem{}
	for i := range prohibited {
		for _, n := range prohibited[i].names {
			m[normaliseName(n)] = &prohibited[i]
		}
	}
	return m
}()

func normaliseName(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.NewReplacer("-", "_", " ", "_", ".", "_").Replace(s)
}

// checkProhibited returns the field error for a field named name at path,
// or nil when the name carries no prohibited data (or consentable data
// with consent recorded).
func checkProhibited(path, name string, consent bool) *FieldError {
	it, ok := prohibitedByName[normaliseName(name)]
	if !ok {
		return nil
	}
	if it.withConsent {
		if consent {
			return nil
		}
		return &FieldError{Field: path, Code: "prohibited_without_consent",
			ZH: it.zh + "信息须有信息主体的书面同意方可归集：请填写 consent_ref（书面同意文书编号）或删除该字段",
			EN: it.en + " may be collected only with the subject's written consent: give consent_ref (the consent document) or remove the field"}
	}
	return &FieldError{Field: path, Code: "prohibited",
		ZH: "禁止归集" + it.zh + "信息，请删除该字段",
		EN: it.en + " must not be collected: remove the field"}
}

// checkDetails walks a details object (and any objects nested in it) and
// reports every prohibited key.
func checkDetails(path string, v any, consent bool, out *[]FieldError) {
	switch t := v.(type) {
	case map[string]any:
		for k, child := range t {
			p := path + "." + k
			if fe := checkProhibited(p, k, consent); fe != nil {
				*out = append(*out, *fe)
				continue
			}
			checkDetails(p, child, consent, out)
		}
	case []any:
		for _, child := range t {
			checkDetails(path, child, consent, out)
		}
	}
}
