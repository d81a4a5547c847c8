package policy

import (
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"unicode"

	"gopkg.in/yaml.v3"
)

// Citation is a legal basis as a letter prints it: an instrument, an
// article and, where it matters, the paragraph (款) and item (项); Quote,
// when given, is the instrument's own words, and must appear in that
// article of the instrument's text (instruments/). Citations are for
// letters; a rule's Source is the internal note behind it.
type Citation struct {
	Instrument string `yaml:"instrument" json:"instrument"`
	Article    string `yaml:"article" json:"article"`
	Paragraph  string `yaml:"paragraph,omitempty" json:"paragraph,omitempty"`
	Item       string `yaml:"item,omitempty" json:"item,omitempty"`
	Quote      string `yaml:"quote,omitempty" json:"quote,omitempty"`
	// For, when set, limits the citation to letters about an organisation
	// or a person (an instrument that governs only one of them).
	For string `yaml:"for,omitempty" json:"for,omitempty"`
}

// Subjects a citation may be limited to.
const (
	ForOrganisation = "organisation"
	ForPerson       = "person"
)

// AppliesTo reports whether c applies to a letter about an organisation
// (organisation true) or a person.
func (c Citation) AppliesTo(organisation bool) bool {
	switch c.For {
	case ForOrganisation:
		return organisation
	case ForPerson:
		return !organisation
	}
	return true
}

// CitationsFor keeps the citations that apply to the letter's subject.
func CitationsFor(cs []Citation, organisation bool) []Citation {
	var out []Citation
	for _, c := range cs {
		if c.AppliesTo(organisation) {
			out = append(out, c)
		}
	}
	return out
}

// Instrument is a law, regulation or rule profiles may cite
// (instruments/instruments.yaml).
type Instrument struct {
	Title string `yaml:"title" json:"title"`
	// Number is the issuing number printed after the title, e.g.
	// 国家发展改革委令第36号.
	Number string `yaml:"number,omitempty" json:"number,omitempty"`
	// Scope is "local" (a city's regulation, cited only by profiles that
	// name it in their regulations) or "national".
	Scope string `yaml:"scope" json:"scope"`
	// Profiles are the shipped profiles the local regulation belongs to.
	Profiles []string `yaml:"profiles,omitempty" json:"profiles,omitempty"`
	Text     string   `yaml:"text" json:"text"`
	From     string   `yaml:"from,omitempty" json:"from,omitempty"`
	Until    string   `yaml:"until,omitempty" json:"until,omitempty"`
	// Excerpt: the text holds only some articles; only those may be cited.
	Excerpt bool   `yaml:"excerpt,omitempty" json:"excerpt,omitempty"`
	Version string `yaml:"version,omitempty" json:"version,omitempty"`
	Source  string `yaml:"source" json:"source"`

	body string // the instrument's text, normalised (normalise)
}

// Scopes of an instrument.
const (
	ScopeLocal    = "local"
	ScopeNational = "national"
)

//go:embed instruments/instruments.yaml instruments/local/*.txt instruments/national/*.txt
var instrumentFiles embed.FS

var loadInstruments = sync.OnceValues(func() ([]*Instrument, error) {
	data, err := fs.ReadFile(instrumentFiles, "instruments/instruments.yaml")
	if err != nil {
		return nil, err
	}
	var list []*Instrument
	if err := yaml.Unmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("policy: instruments.yaml: %w", err)
	}
	seen := map[string]bool{}
	for _, in := range list {
		if in.Title == "" || in.Text == "" || in.Source == "" || (in.Scope != ScopeLocal && in.Scope != ScopeNational) {
			return nil, fmt.Errorf("policy: instruments.yaml: %q needs a title, a text, a source and scope local or national", in.Title)
		}
		if seen[in.Title] {
			return nil, fmt.Errorf("policy: instruments.yaml: %q listed twice", in.Title)
		}
		seen[in.Title] = true
		raw, err := fs.ReadFile(instrumentFiles, "instruments/"+in.Text)
		if err != nil {
			return nil, fmt.Errorf("policy: instrument %s: %w", in.Title, err)
		}
		text := string(raw)
		if in.From != "" {
			i := strings.Index(text, in.From)
			if i < 0 {
				return nil, fmt.Errorf("policy: instrument %s: %q not found in %s", in.Title, in.From, in.Text)
			}
			text = text[i:]
		}
		if in.Until != "" {
			i := strings.Index(text, in.Until)
			if i < 0 {
				return nil, fmt.Errorf("policy: instrument %s: %q not found in %s", in.Title, in.Until, in.Text)
			}
			text = text[:i]
		}
		in.body = text
	}
	return list, nil
})

// Instruments returns every instrument profiles may cite.
func Instruments() []*Instrument {
	list, err := loadInstruments()
	if err != nil {
		panic(err) // embedded data; TestInstruments guards it
	}
	return list
}

// LookupInstrument returns the instrument with title.
func LookupInstrument(title string) (*Instrument, bool) {
	for _, in := range Instruments() {
		if in.Title == title {
			return in, true
		}
	}
	return nil, false
}

// Name is the instrument as letters name it: 《title》, with its number
// in （） when it has one.
func (in *Instrument) Name() string {
	if in.Number != "" {
		return "《" + in.Title + "》（" + in.Number + "）"
	}
	return "《" + in.Title + "》"
}

// String writes the citation as letters print it, e.g.
// 《南通市公共信用信息管理办法》第三十二条第一款.
func (c Citation) String() string {
	name := "《" + c.Instrument + "》"
	if in, ok := LookupInstrument(c.Instrument); ok {
		name = in.Name()
	}
	return name + c.Article + c.Paragraph + c.Item
}

// Citations writes a list of citations joined by 、.
func Citations(cs []Citation) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = c.String()
	}
	return strings.Join(parts, "、")
}

// checkCitation reports why c may not be printed in profile's letters: an
// unknown instrument, another city's regulation, an article its text does
// not hold, or a quote that is not the instrument's words.
func checkCitation(p *Profile, c Citation) error {
	for _, f := range []struct{ name, v string }{{"instrument", c.Instrument}, {"article", c.Article}, {"paragraph", c.Paragraph}, {"item", c.Item}, {"quote", c.Quote}} {
		if strings.IndexFunc(f.v, func(r rune) bool { return r < unicode.MaxASCII && unicode.IsLetter(r) }) >= 0 {
			return fmt.Errorf("%s %q: a citation is printed in letters; write it in Chinese, without notes", f.name, f.v)
		}
	}
	if c.For != "" && c.For != ForOrganisation && c.For != ForPerson {
		return fmt.Errorf("for %q: want %s or %s", c.For, ForOrganisation, ForPerson)
	}
	in, ok := LookupInstrument(c.Instrument)
	if !ok {
		titles := make([]string, 0)
		for _, x := range Instruments() {
			if x.Scope == ScopeNational || slices.Contains(p.Regulations, x.Title) {
				titles = append(titles, x.Title)
			}
		}
		return fmt.Errorf("instrument %q is not in instruments/instruments.yaml (this profile may cite: %s)", c.Instrument, strings.Join(titles, "、"))
	}
	if in.Scope == ScopeLocal && !slices.Contains(p.Regulations, c.Instrument) {
		return fmt.Errorf("instrument %q is not this profile's regulation (regulations: %s)", c.Instrument, strings.Join(p.Regulations, "、"))
	}
	n, ok := parseArticle(c.Article)
	if !ok {
		return fmt.Errorf("article %q: write it as 第N条 in Chinese numerals", c.Article)
	}
	if c.Paragraph != "" && !isOrdinal(c.Paragraph, "第", "款") {
		return fmt.Errorf("paragraph %q: write it as 第N款", c.Paragraph)
	}
	if c.Item != "" && !isOrdinal(c.Item, "第（", "）项") {
		return fmt.Errorf("item %q: write it as 第（N）项", c.Item)
	}
	spans := in.articleSpans(n)
	if len(spans) == 0 {
		if in.Excerpt {
			return fmt.Errorf("%s: the kept text of %s holds no %s (add the article's text to instruments/%s with its source)", c.Article, in.Name(), c.Article, in.Text)
		}
		return fmt.Errorf("%s has no %s", in.Name(), c.Article)
	}
	if c.Quote == "" {
		return nil
	}
	q := normalise(c.Quote)
	for _, s := range spans {
		if strings.Contains(s, q) {
			return nil
		}
	}
	return fmt.Errorf("quote %q is not in %s%s (instruments/%s)", c.Quote, in.Name(), c.Article, in.Text)
}

// articleSpans returns the normalised text of every article n of the
// instrument: from its heading 第N条 to the heading of article n+1 or of
// any article starting a line, whichever comes first. An article number
// may occur more than once (some texts repeat one).
func (in *Instrument) articleSpans(n int) []string {
	head := "第" + chineseNumber(n) + "条"
	next := "第" + chineseNumber(n+1) + "条"
	var out []string
	text := in.body
	for {
		i := indexHeading(text, head)
		if i < 0 {
			return out
		}
		rest := text[i+len(head):]
		end := len(rest)
		if j := strings.Index(rest, next); j >= 0 {
			end = j
		}
		if j := nextLineHeading(rest); j >= 0 && j < end {
			end = j
		}
		out = append(out, normalise(rest[:end]))
		text = rest
	}
}

// indexHeading finds head used as a heading, not as a reference inside a
// sentence ("本办法第十四条禁止…"): at the start of a line, or after a
// space or a closing bracket of a heading.
func indexHeading(text, head string) int {
	off := 0
	for {
		i := strings.Index(text[off:], head)
		if i < 0 {
			return -1
		}
		i += off
		if i == 0 || headingStart(text[:i]) {
			return i
		}
		off = i + len(head)
	}
}

// headingStart reports whether what precedes a 第N条 makes it a heading.
func headingStart(before string) bool {
	r := []rune(before)
	k := len(r) - 1
	for k >= 0 && (r[k] == ' ' || r[k] == '\t' || r[k] == '\u3000' || r[k] == '-') {
		k--
	}
	if k < 0 {
		return true
	}
	switch r[k] {
	case '\n', '。', '；', ';', '】', ')', '）':
		return true
	}
	// A text that runs articles together ("… 第三十四条【…】") separates
	// them by a space after the full stop of the one before.
	return k < len(r)-1 && r[k+1] == ' ' && unicode.Is(unicode.Han, r[k])
}

// nextLineHeading returns the offset of the next "第…条" that starts a
// line, or -1.
func nextLineHeading(s string) int {
	off := 0
	for {
		i := strings.IndexByte(s[off:], '\n')
		if i < 0 {
			return -1
		}
		i += off + 1
		line := strings.TrimLeft(s[i:], " \t\u3000-")
		if strings.HasPrefix(line, "第") {
			if j := strings.Index(line, "条"); j > 0 {
				if _, ok := parseArticle(line[:j+len("条")]); ok {
					return i
				}
			}
		}
		off = i
	}
}

// normalise removes white space and writes ASCII punctuation full-width,
// so that a quote matches a text however it was typeset.
func normalise(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			continue
		case r == ',':
			r = '，'
		case r == ';':
			r = '；'
		case r == ':':
			r = '：'
		case r == '(':
			r = '（'
		case r == ')':
			r = '）'
		case r == '?':
			r = '？'
		}
		b.WriteRune(r)
	}
	return b.String()
}

var digits = []rune("零一二三四五六七八九")

// chineseNumber writes 1..999 as article numbers are written: 十, 十二,
// 二十, 一百零三.
func chineseNumber(n int) string {
	if n <= 0 || n >= 1000 {
		return ""
	}
	var b strings.Builder
	h, t, u := n/100, n/10%10, n%10
	if h > 0 {
		b.WriteRune(digits[h])
		b.WriteString("百")
		if t == 0 && u > 0 {
			b.WriteString("零")
		}
	}
	if t > 0 {
		if t > 1 || h > 0 {
			b.WriteRune(digits[t])
		}
		b.WriteString("十")
	}
	if u > 0 {
		b.WriteRune(digits[u])
	}
	return b.String()
}

// parseArticle reads 第N条.
func parseArticle(s string) (int, bool) {
	if !strings.HasPrefix(s, "第") || !strings.HasSuffix(s, "条") {
		return 0, false
	}
	num := strings.TrimSuffix(strings.TrimPrefix(s, "第"), "条")
	for n := 1; n < 1000; n++ {
		if chineseNumber(n) == num {
			return n, true
		}
	}
	return 0, false
}

func isOrdinal(s, prefix, suffix string) bool {
	if !strings.HasPrefix(s, prefix) || !strings.HasSuffix(s, suffix) {
		return false
	}
	num := strings.TrimSuffix(strings.TrimPrefix(s, prefix), suffix)
	for n := 1; n < 100; n++ {
		if chineseNumber(n) == num {
			return true
		}
	}
	return false
}
