package records

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/creditcase/creditcase/internal/ident"
)

// Prohibited personal data are found by meaning, not by spelling: a field
// name is reduced to its words (NormaliseKey) and compared with every term
// of ProhibitedVocabulary; free-text values are searched for citizen
// identity numbers and for "血型：A"-style labelled prohibited data.

// KeyWords is a field name reduced to what it means: its lower-case words
// in order (Latin words and runs of Chinese characters).
type KeyWords []string

// NormaliseKey reduces a field name to its words:
//   - full-width and compatibility forms are folded (ＢＬＯＯＤ → BLOOD,
//     ＿ → _), accents dropped (réligion → religion);
//   - invisible characters are removed (zero-width spaces and joiners, soft
//     hyphens, bidi controls, variation selectors, Hangul and Braille
//     fillers, other format and control characters);
//   - Cyrillic and Greek letters that look like Latin ones are read as Latin
//     (a "relіgion" with a Ukrainian і is still religion);
//   - separators (spaces, _, -, ., /, any punctuation) split words, and so
//     do camelCase humps, letter–digit and Latin–Chinese boundaries;
//   - words are lower-cased.
func NormaliseKey(s string) KeyWords {
	s = norm.NFKD.String(s)
	var b strings.Builder
	for _, r := range s {
		switch {
		case invisible(r):
			continue
		case unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r):
			continue // accents and other combining marks
		}
		if l, ok := lookalike[r]; ok {
			r = l
		}
		b.WriteRune(r)
	}
	s = norm.NFKC.String(b.String())

	var words KeyWords
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	rs := []rune(s)
	for i, r := range rs {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			flush()
			continue
		}
		if len(cur) > 0 {
			prev := cur[len(cur)-1]
			var next rune
			if i+1 < len(rs) {
				next = rs[i+1]
			}
			if boundary(prev, r, next) {
				flush()
			}
		}
		cur = append(cur, r)
	}
	flush()
	return words
}

// boundary reports whether a new word starts at r (after prev, before next).
func boundary(prev, r, next rune) bool {
	han := func(x rune) bool { return unicode.Is(unicode.Han, x) }
	switch {
	case han(prev) != han(r):
		return true
	case unicode.IsDigit(prev) != unicode.IsDigit(r):
		return true
	case unicode.IsLower(prev) && unicode.IsUpper(r):
		return true // bloodType
	case unicode.IsUpper(prev) && unicode.IsUpper(r) && unicode.IsLower(next):
		return true // DNASequence → DNA Sequence
	}
	return false
}

// invisible reports characters that show nothing (or nothing of their own)
// and must not split or hide a word.
func invisible(r rune) bool {
	switch {
	case unicode.Is(unicode.Cf, r), unicode.Is(unicode.Cc, r):
		// U+200B–U+200F, U+2060–U+2064, U+FEFF, U+00AD, U+202A–U+202E,
		// U+2066–U+2069, U+180E, U+061C, tags …
		return true
	case unicode.Is(unicode.Variation_Selector, r), unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r):
		// U+FE00–U+FE0F, U+034F, U+115F, U+1160, U+3164, U+FFA0 …
		return true
	case r == '\u2800': // braille pattern blank
		return true
	}
	return false
}

// lookalike maps Cyrillic and Greek letters that print like Latin ones.
var lookalike = map[rune]rune{
	'а': 'a', 'е': 'e', 'о': 'o', 'р': 'p', 'с': 'c', 'у': 'y', 'х': 'x', 'і': 'i', 'ј': 'j', 'ѕ': 's',
	'ԁ': 'd', 'һ': 'h', 'ԛ': 'q', 'ԝ': 'w', 'ɡ': 'g', 'ı': 'i',
	'А': 'A', 'В': 'B', 'Е': 'E', 'К': 'K', 'М': 'M', 'Н': 'H', 'О': 'O', 'Р': 'P', 'С': 'C', 'Т': 'T',
	'У': 'Y', 'Х': 'X', 'І': 'I', 'Ј': 'J', 'Ѕ': 'S',
	'α': 'a', 'ο': 'o', 'ν': 'v', 'ι': 'i', 'κ': 'k', 'τ': 't', 'υ': 'u', 'ρ': 'p',
	'Α': 'A', 'Β': 'B', 'Ε': 'E', 'Ζ': 'Z', 'Η': 'H', 'Ι': 'I', 'Κ': 'K', 'Μ': 'M', 'Ν': 'N', 'Ο': 'O',
	'Ρ': 'P', 'Τ': 'T', 'Υ': 'Y', 'Χ': 'X',
}

// term is one vocabulary spelling, prepared for matching.
type term struct {
	item   *ProhibitedItem
	latin  string // the words joined ("bloodtype"), or "" for Chinese terms
	han    string // the Chinese term
	whole  bool   // matches only a name that is exactly this term
	inWord bool   // long enough to be found inside one word
}

// minInWord is the length from which a Latin term is also found inside
// one word: "fingerprintimage" holds "fingerprint", but "general" must not
// hold "gene".
const minInWord = 8

var terms = func() []term {
	var out []term
	for i := range ProhibitedVocabulary {
		it := &ProhibitedVocabulary[i]
		for _, t := range it.Terms {
			whole := strings.HasPrefix(t, "=")
			t = strings.TrimPrefix(t, "=")
			joined := strings.Join(NormaliseKey(t), "")
			if isHan(joined) {
				out = append(out, term{item: it, han: joined})
				continue
			}
			out = append(out, term{item: it, latin: joined, whole: whole, inWord: len(joined) >= minInWord})
		}
	}
	return out
}()

func isHan(s string) bool {
	for _, r := range s {
		if !unicode.Is(unicode.Han, r) {
			return false
		}
	}
	return s != ""
}

// MatchProhibited returns the vocabulary item a field name carries, or nil.
// A Latin term matches a run of consecutive words of the name, joined
// ("blood"+"type"); a long one also matches inside a word; a Chinese term
// matches anywhere in the name's Chinese text; a whole-name term only the
// name as a whole.
func MatchProhibited(name string) *ProhibitedItem {
	words := NormaliseKey(name)
	if len(words) == 0 {
		return nil
	}
	all := strings.Join(words, "")
	var han strings.Builder
	for _, w := range words {
		if isHan(w) {
			han.WriteString(w)
		}
	}
	hanText := han.String()
	for _, t := range terms {
		switch {
		case t.han != "":
			if hanText != "" && strings.Contains(hanText, t.han) {
				return t.item
			}
		case t.whole:
			if all == t.latin {
				return t.item
			}
		default:
			if runMatches(words, t.latin) || (t.inWord && wordHolds(words, t.latin)) {
				return t.item
			}
		}
	}
	return nil
}

// runMatches reports whether some run of consecutive words joins to s.
func runMatches(words []string, s string) bool {
	for i := range words {
		joined := ""
		for j := i; j < len(words) && len(joined) < len(s); j++ {
			joined += words[j]
			if joined == s {
				return true
			}
		}
	}
	return false
}

func wordHolds(words []string, s string) bool {
	for _, w := range words {
		if strings.Contains(w, s) {
			return true
		}
	}
	return false
}

// citation names an item's sources in Chinese and English.
func citation(it *ProhibitedItem) (zh, en string) {
	var z, e []string
	for _, s := range it.Sources {
		z = append(z, s.Instrument+s.Article)
		e = append(e, s.EN)
	}
	return strings.Join(z, "、"), strings.Join(e, "; ")
}

// checkProhibited returns the field error for a field named name at path,
// or nil when the name carries no prohibited data (or consentable data
// with consent recorded). The message names the data and the articles.
func checkProhibited(path, name string, consent bool) *FieldError {
	it := MatchProhibited(name)
	if it == nil {
		return nil
	}
	return prohibitedError(path, it, consent, "")
}

func prohibitedError(path string, it *ProhibitedItem, consent bool, inText string) *FieldError {
	zhCite, enCite := citation(it)
	what, whatEN := "该字段", "the field"
	if inText != "" {
		what, whatEN = "文本中的「"+inText+"」内容", "the "+inText+" written in the text"
	}
	if it.WithConsent {
		if consent {
			return nil
		}
		return &FieldError{Field: path, Code: "prohibited_without_consent",
			ZH: fmt.Sprintf("%s信息须有信息主体的书面同意方可归集（%s）：请填写 consent_ref（书面同意文书编号）或删除%s", it.ZH, zhCite, what),
			EN: fmt.Sprintf("%s may be collected only with the subject's written consent (%s): give consent_ref (the consent document) or remove %s", it.EN, enCite, whatEN)}
	}
	return &FieldError{Field: path, Code: "prohibited",
		ZH: fmt.Sprintf("禁止归集%s信息（%s），请删除%s", it.ZH, zhCite, what),
		EN: fmt.Sprintf("%s must not be collected (%s): remove %s", it.EN, enCite, whatEN)}
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

// ---- values ----

// idLike finds an 18-character citizen identity number as people write it:
// a division code starting 1–8, a birth date 18xx–20xx, a sequence number
// and a check character, not inside a longer run of digits or letters.
// It matches whether or not the check character is right: a mistyped
// identity number is still one.
var idLike = regexp.MustCompile(`(?:^|[^0-9A-Za-z])([1-8][0-9]{5}(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx])(?:$|[^0-9A-Za-z])`)

// spacedDigits are the separators people put inside long numbers.
var spacedDigits = strings.NewReplacer(" ", "", "-", "", "\u00a0", "", "\u3000", "")

// ContainsIDNumber reports whether free text holds a citizen identity
// number: written out plainly, in full-width digits, or broken up with
// spaces, hyphens or invisible characters (then only when its check
// character is right, so two numbers side by side are not taken for one).
func ContainsIDNumber(s string) bool {
	var b strings.Builder
	for _, r := range norm.NFKC.String(s) {
		if !invisible(r) {
			b.WriteRune(r)
		}
	}
	plain := b.String()
	if idLike.MatchString(plain) {
		return true
	}
	squeezed := spacedDigits.Replace(plain)
	if squeezed == plain {
		return false
	}
	for _, m := range idLike.FindAllStringSubmatch(squeezed, -1) {
		if ident.CheckIDNumber(strings.ToUpper(m[1])) == nil {
			return true
		}
	}
	return false
}

// labelled finds "血型：A型", "宗教信仰: 某教" in free text: a field
// written into prose. The Chinese terms of the items that are never
// collected are looked for, each followed by a colon (consentable items
// such as 收入 are common words in the text of penalty decisions).
var labelled = func() *regexp.Regexp {
	var alts []string
	for _, t := range terms {
		if t.han != "" && !t.item.WithConsent {
			alts = append(alts, regexp.QuoteMeta(t.han))
		}
	}
	return regexp.MustCompile(`(` + strings.Join(alts, "|") + `)\s*[:：]\s*\S`)
}()

var labelItem = func() map[string]*ProhibitedItem {
	m := map[string]*ProhibitedItem{}
	for _, t := range terms {
		if t.han != "" {
			m[t.han] = t.item
		}
	}
	return m
}()

// identifierKey reports whether a details key names an identifier field,
// where an identity number is the expected value.
func identifierKey(name string) bool {
	for _, w := range NormaliseKey(name) {
		switch w {
		case "id", "ident", "identifier", "idno", "idnumber", "idcard", "code", "uscc", "no", "number", "sfzh":
			return true
		}
		if strings.Contains(w, "身份证") || strings.Contains(w, "证件") || strings.Contains(w, "代码") ||
			strings.Contains(w, "编号") || strings.Contains(w, "号码") {
			return true
		}
	}
	return false
}

// checkText returns the field error for a free-text value: a citizen
// identity number written into it, or — in a record about a person — an
// item that must never be collected written as "label: value". The value
// itself is never echoed.
func checkText(path, value string, consent, person bool) *FieldError {
	if ContainsIDNumber(value) {
		return &FieldError{Field: path, Code: "identity_number_in_text",
			ZH: "文本中含有公民身份号码：身份号码只能填写在 subject_ident（信息主体标识）字段，请从文本中删除",
			EN: "the text contains a citizen identity number: identity numbers go in subject_ident only; remove it from the text"}
	}
	if !person {
		return nil
	}
	clean := strings.Join(strings.FieldsFunc(norm.NFKC.String(value), invisible), "")
	if m := labelled.FindStringSubmatch(clean); m != nil {
		return prohibitedError(path, labelItem[m[1]], consent, m[1])
	}
	return nil
}

// checkValues walks details and reports free-text values that carry an
// identity number or labelled prohibited data; identifier fields are not
// free text and are skipped.
func checkValues(path string, v any, consent, person bool, out *[]FieldError) {
	switch t := v.(type) {
	case string:
		if fe := checkText(path, t, consent, person); fe != nil {
			*out = append(*out, *fe)
		}
	case map[string]any:
		for k, child := range t {
			if _, isText := child.(string); isText && identifierKey(k) {
				continue
			}
			checkValues(path+"."+k, child, consent, person, out)
		}
	case []any:
		for _, child := range t {
			checkValues(path, child, consent, person, out)
		}
	}
}
