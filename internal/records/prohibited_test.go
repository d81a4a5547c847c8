package records

import (
	"slices"
	"strings"
	"testing"
)

func TestNormaliseKeySplitsWordsWhateverTheSpelling(t *testing.T) {
	cases := map[string][]string{
		"bloodType":               {"blood", "type"},
		"BLOOD TYPE":              {"blood", "type"},
		"blood-type":              {"blood", "type"},
		"ＢｌｏｏｄＴｙｐｅ":               {"blood", "type"},
		"DNASequence":             {"dna", "sequence"},
		"religi\u200bon":          {"religion"},
		"reli\u00adgion":          {"religion"},
		"re\u0301ligion":          {"religion"},
		"rel\u0456gion":           {"religion"}, // Cyrillic і
		"民族成分":                    {"民族成分"},
		"subject民族":               {"subject", "民族"},
		"tax2023Amount":           {"tax", "2023", "amount"},
		"\u2066fingerprint\u2069": {"fingerprint"},
	}
	for in, want := range cases {
		if got := NormaliseKey(in); !slices.Equal(got, want) {
			t.Errorf("NormaliseKey(%q) = %q, want %q", in, got, want)
		}
	}
}

// Every spelling the security review got through, and the ones it could
// not, are refused with the item and its article.
func TestProhibitedKeysFoundByMeaning(t *testing.T) {
	cases := map[string]string{
		"bloodType":              "blood_type",
		"blood_type":             "blood_type",
		"BLOOD TYPE":             "blood_type",
		"bloodtype":              "blood_type",
		"xueXing":                "blood_type",
		"血型":                     "blood_type",
		"medicalHistory":         "health",
		"病史":                     "health",
		"familyOrigin":           "family_origin",
		"jiating_chushen":        "family_origin",
		"religiousBelief":        "religion",
		"religi\u200bon":         "religion",
		"religion\ufe0f":         "religion",
		"ｒｅｌｉｇｉｏｎ":               "religion",
		"宗教信仰":                   "religion",
		"fingerprint_image":      "fingerprint",
		"fingerprintImageBase64": "fingerprint",
		"指紋":                     "fingerprint",
		"dna_sequence":           "genetic",
		"DNASequence":            "genetic",
		"bank_deposit":           "deposits",
		"民族成分":                   "ethnicity",
		"minzu":                  "ethnicity",
		"taxAmount":              "tax_amount",
		"tax":                    "tax_amount",
		"纳税数额":                   "tax_amount",
		"realEstate":             "real_estate",
		"不动产登记":                  "real_estate",
		"monthlySalary":          "income",
	}
	for name, want := range cases {
		it := MatchProhibited(name)
		if it == nil || it.ID != want {
			t.Errorf("MatchProhibited(%q) = %v, want %s", name, it, want)
		}
	}
}

// Names that only look like prohibited words pass: a credit system has
// general fields, good-faith records and tax arrears.
func TestHarmlessKeysPass(t *testing.T) {
	for _, name := range []string{"general", "generalManager", "good_faith", "tax_arrears", "欠税金额", "trace_id",
		"decision_no", "penalty_amount", "blood_alcohol_content", "insurance_company", "title", "产品名称"} {
		if it := MatchProhibited(name); it != nil {
			t.Errorf("MatchProhibited(%q) = %s, want none", name, it.ID)
		}
	}
}

func TestRefusalNamesFieldItemAndArticle(t *testing.T) {
	fe := checkProhibited("details.bloodType", "bloodType", false)
	if fe == nil || fe.Field != "details.bloodType" || fe.Code != "prohibited" {
		t.Fatalf("got %+v", fe)
	}
	for _, want := range []string{"血型", "《南宁市个人信用信息征集使用管理办法》第七条", "《鞍山市关于加强信息主体权益保护工作的实施办法（试行）》第七条"} {
		if !strings.Contains(fe.ZH, want) {
			t.Errorf("ZH %q lacks %q", fe.ZH, want)
		}
	}
	if !strings.Contains(fe.EN, "blood type") || !strings.Contains(fe.EN, "Nanning") || !strings.Contains(fe.EN, "art. 7") {
		t.Errorf("EN %q", fe.EN)
	}
	// Consentable data: refused without consent, accepted with it.
	fe = checkProhibited("details.taxAmount", "taxAmount", false)
	if fe == nil || fe.Code != "prohibited_without_consent" || !strings.Contains(fe.ZH, "鞍山") {
		t.Fatalf("tax amount without consent: %+v", fe)
	}
	if fe := checkProhibited("details.taxAmount", "taxAmount", true); fe != nil {
		t.Fatalf("tax amount with consent: %+v", fe)
	}
	// Never-collected data: consent does not help.
	if fe := checkProhibited("details.religion", "religion", true); fe == nil {
		t.Fatal("religion accepted with consent")
	}
}

func TestIdentityNumbersFoundInText(t *testing.T) {
	const id = "11010519491231002X" // GB 11643 example
	found := []string{
		"当事人" + id + "于2024年",
		"ID " + strings.ToLower(id),
		"１１０１０５１９４９１２３１００２Ｘ", // full width
		"110105 19491231 002X",
		"1101\u200b0519491231002X",
		"110105194912310021", // wrong check character: still an identity number
	}
	for _, s := range found {
		if !ContainsIDNumber(s) {
			t.Errorf("ContainsIDNumber(%q) = false", s)
		}
	}
	notFound := []string{
		"通市监罚字〔2024〕1号",
		"91320600MA1XXXXX0X",      // not digits
		"罚款 20000 元，2024年1月31日缴清", // numbers, dates
		"2110105194912310021",     // inside a longer run
		"订单号 99010519491231002X",  // division code cannot start with 9
	}
	for _, s := range notFound {
		if ContainsIDNumber(s) {
			t.Errorf("ContainsIDNumber(%q) = true", s)
		}
	}
}

func TestFreeTextValuesChecked(t *testing.T) {
	in := RecordInput{Title: "行政处罚", Content: "当事人身份证号 11010519491231002X", Details: map[string]any{
		"id_number": "11010519491231002X", // an identifier field: expected there
		"remark":    "住址 北京，身份证 11010519491231002X",
		"note":      "血型：A型",
		"nested":    map[string]any{"text": "宗教信仰: 某教"},
	}}
	fe := appendFreeText(nil, in, Subject{Kind: "person"})
	var got []string
	for _, e := range fe {
		got = append(got, e.Field+"/"+e.Code)
		if strings.Contains(e.ZH, "11010519491231002X") || strings.Contains(e.EN, "11010519491231002X") {
			t.Errorf("the message repeats the number: %+v", e)
		}
	}
	want := []string{"content/identity_number_in_text", "details.nested.text/prohibited", "details.note/prohibited", "details.remark/identity_number_in_text"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	// Labelled data in prose is looked for in records about persons only:
	// an organisation's record may well speak of 诊断 or 信仰.
	fe = appendFreeText(nil, RecordInput{Content: "诊断：未按规定执业"}, Subject{Kind: "organisation"})
	if len(fe) != 0 {
		t.Fatalf("organisation record: %+v", fe)
	}
}
