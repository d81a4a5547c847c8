package web

import (
	"fmt"
	"net/http"
	"regexp"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/message/catalog"

	"github.com/creditcase/creditcase/internal/calendar"
)

// Languages of the console: Simplified Chinese first, English second.
var (
	langZH = language.MustParse("zh-CN")
	langEN = language.English
)

// cat holds every string the console shows, in both languages. The
// strings live in several catalogue files (messages.go, messages_staff.go,
// …), each a []msg that registers itself with register in its init;
// templates name keys, they hold no text of their own.
var cat = catalog.NewBuilder(catalog.Fallback(langZH))

// msg is one catalogue entry: a key and its text in both languages.
type msg = struct{ key, zh, en string }

// keys is the set of catalogue keys; registered every entry of every
// catalogue file, in the order registered.
var (
	keys       = map[string]bool{}
	registered []msg
)

// register adds a catalogue file's messages. A key given twice (in one
// file or in two) is a programming error: the console does not start.
func register(ms []msg) {
	for _, m := range ms {
		if keys[m.key] {
			panic("web: catalogue key given twice: " + m.key)
		}
		keys[m.key] = true
		registered = append(registered, m)
		if err := cat.SetString(langZH, m.key, m.zh); err != nil {
			panic("web: catalogue " + m.key + ": " + err.Error())
		}
		if err := cat.SetString(langEN, m.key, m.en); err != nil {
			panic("web: catalogue " + m.key + ": " + err.Error())
		}
	}
}

func init() { register(messages) }

// known reports whether key is in the catalogue.
func known(key string) bool { return keys[key] }

// Localizer speaks one language: message look-ups and date formats.
type Localizer struct {
	// Lang is the page's lang attribute: "zh-CN" or "en".
	Lang string
	p    *message.Printer
}

var (
	localizerZH = &Localizer{Lang: "zh-CN", p: message.NewPrinter(langZH, message.Catalog(cat))}
	localizerEN = &Localizer{Lang: "en", p: message.NewPrinter(langEN, message.Catalog(cat))}
)

// langCookie keeps the reader's choice of language.
const langCookie = "cc_lang"

// localizerFor picks the language: the cookie set by the switch, else the
// Accept-Language header, else Chinese.
func localizerFor(r *http.Request) *Localizer {
	if ck, err := r.Cookie(langCookie); err == nil {
		switch ck.Value {
		case "en":
			return localizerEN
		case "zh":
			return localizerZH
		}
	}
	tags, _, err := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	if err != nil || len(tags) == 0 {
		return localizerZH
	}
	// The first language the reader names that the console speaks wins;
	// any Chinese (zh-TW too) reads the Simplified pages.
	for _, t := range tags {
		switch base, _ := t.Base(); base.String() {
		case "zh":
			return localizerZH
		case "en":
			return localizerEN
		}
	}
	return localizerZH
}

// English reports whether the page is in English.
func (l *Localizer) English() bool { return l.Lang == "en" }

// T returns the message key with args filled in (fmt verbs).
func (l *Localizer) T(key string, args ...any) string { return l.p.Sprintf(key, args...) }

// Pick chooses between a Chinese and an English text supplied by the core
// (refusals, field errors, conditions): the core's own bilingual messages,
// with the dates they name (2027-02-11) written as the reader reads dates.
func (l *Localizer) Pick(zh, en string) string {
	s := zh
	if l.English() && en != "" {
		s = en
	}
	return isoDate.ReplaceAllStringFunc(s, func(m string) string {
		if len(m) != len("2006-01-02") {
			return m // part of a longer number (a case number)
		}
		d, err := calendar.ParseDate(m)
		if err != nil {
			return m
		}
		return l.Date(d)
	})
}

// isoDate finds runs of digits and dashes holding an ISO date; only a run
// that is exactly a date is one.
var isoDate = regexp.MustCompile(`[0-9-]*[0-9]{4}-[0-9]{2}-[0-9]{2}[0-9-]*`)

// Date formats a date as the reader expects it: 2026年12月14日, or
// 14 December 2026. It accepts calendar.Date, time.Time and pointers to
// them (nil prints nothing); instants are taken in Asia/Shanghai.
func (l *Localizer) Date(v any) string {
	var d calendar.Date
	switch x := v.(type) {
	case calendar.Date:
		d = x
	case *calendar.Date:
		if x == nil {
			return ""
		}
		d = *x
	case time.Time:
		if x.IsZero() {
			return ""
		}
		d = calendar.DateOf(x)
	case *time.Time:
		if x == nil || x.IsZero() {
			return ""
		}
		d = calendar.DateOf(*x)
	case string:
		p, err := calendar.ParseDate(x)
		if err != nil {
			return x
		}
		d = p
	default:
		return fmt.Sprint(v)
	}
	if d.IsZero() {
		return ""
	}
	if l.English() {
		return fmt.Sprintf("%d %s %d", d.Day, d.Month, d.Year)
	}
	return fmt.Sprintf("%d年%d月%d日", d.Year, int(d.Month), d.Day)
}

// DateTime formats an instant in Asia/Shanghai with its time of day.
func (l *Localizer) DateTime(v any) string {
	var t time.Time
	switch x := v.(type) {
	case time.Time:
		t = x
	case *time.Time:
		if x == nil {
			return ""
		}
		t = *x
	default:
		return fmt.Sprint(v)
	}
	if t.IsZero() {
		return ""
	}
	t = t.In(calendar.Shanghai)
	return l.Date(t) + " " + t.Format("15:04")
}

// Enum translates a code of the domain (a stage, a category, a status)
// through the catalogue key prefix.code; an unknown code is shown as is.
func (l *Localizer) Enum(prefix, code string) string {
	if code == "" {
		return ""
	}
	key := prefix + "." + code
	if !known(key) {
		return code
	}
	return l.T(key)
}

// EnumUnder is Enum for a case whose profile's result route is route
// (policy.ResultRoute): the words of prefix.code/route where the route
// changes them (the closed stage of an objection is an appeal window only
// where the regulation grants an appeal), else Enum's.
func (l *Localizer) EnumUnder(prefix, code, route string) string {
	if code != "" && route != "" {
		if key := prefix + "." + code + "/" + route; known(key) {
			return l.T(key)
		}
	}
	return l.Enum(prefix, code)
}

// KeyUnder is key/route when the catalogue has words for route, else key.
func KeyUnder(key, route string) string {
	if route != "" && known(key+"/"+route) {
		return key + "/" + route
	}
	return key
}

// Other returns the localizer of the other language (the switch's label
// is written in the language it switches to).
func (l *Localizer) Other() *Localizer {
	if l.English() {
		return localizerZH
	}
	return localizerEN
}

// OtherCode is the cookie value that switches to the other language.
func (l *Localizer) OtherCode() string {
	if l.English() {
		return "zh"
	}
	return "en"
}
