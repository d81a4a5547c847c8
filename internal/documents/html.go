package documents

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"strings"
	"sync"
)

//go:embed templates/*.html.tmpl
var templateFiles embed.FS

// funcs are the helpers templates may call; each returns plain text,
// which html/template escapes like any other value.
var funcs = template.FuncMap{
	"cndate":   ChineseDate,
	"you":      you,
	"cites":    cites,
	"sentence": sentence,
	"remedies": remedies,
}

// you is how a notice addresses its subject: 你 a person, 你单位 an
// organisation.
func you(s Subject) string {
	if s.Organisation {
		return "你单位"
	}
	return "你"
}

// cites writes citations as 《A》第十条、《B》第五条.
func cites(cs []Citation) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = "《" + c.Instrument + "》" + c.Article
	}
	return strings.Join(parts, "、")
}

// sentence ends s with exactly one full stop (。), whatever the caller
// ended it with.
func sentence(s string) string {
	s = strings.TrimRightFunc(strings.TrimSpace(s), func(r rune) bool {
		return strings.ContainsRune("。．.；;，, ", r)
	})
	return s + "。"
}

// remedies writes the remedies sentence after lead, e.g. "如对上述处理结果
// 有异议，可以……向……提出申诉；也可以自知道该行政行为之日起六十日内……".
// The 60 days are 行政复议法 art. 20, the six months 行政诉讼法 art. 46.
func remedies(r Remedies, lead string) string {
	var b strings.Builder
	b.WriteString(lead)
	b.WriteString("，")
	if r.AppealTo != "" {
		b.WriteString("可以")
		if r.AppealWithin != "" {
			b.WriteString("自收到本文书之日起" + r.AppealWithin + "内")
		}
		b.WriteString("向" + r.AppealTo + "提出申诉；也")
	}
	court := r.Court
	if court == "" {
		court = "有管辖权的人民法院"
	}
	b.WriteString("可以自知道该行政行为之日起六十日内向" + r.ReviewOrgan +
		"申请行政复议，或者自知道或者应当知道该行政行为之日起六个月内依法向" + court + "提起行政诉讼。")
	return b.String()
}

// parseTemplates builds one template set per kind: the base frame plus
// the kind's own file.
var parseTemplates = sync.OnceValues(func() (map[Kind]*template.Template, error) {
	base, err := template.New("base").Funcs(funcs).ParseFS(templateFiles, "templates/base.html.tmpl")
	if err != nil {
		return nil, err
	}
	out := make(map[Kind]*template.Template, len(registry))
	for k := range registry {
		t, err := base.Clone()
		if err != nil {
			return nil, err
		}
		if _, err := t.ParseFS(templateFiles, "templates/"+string(k)+".html.tmpl"); err != nil {
			return nil, fmt.Errorf("documents: template of %s: %w", k, err)
		}
		out[k] = t
	}
	return out, nil
})

// renderHTML executes the kind's template over d.
func renderHTML(kind Kind, title string, d Data) ([]byte, error) {
	sets, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := sets[kind].ExecuteTemplate(&b, "document", struct {
		Title string
		D     Data
	}{title, d}); err != nil {
		return nil, fmt.Errorf("documents: rendering %s: %w", kind, err)
	}
	return b.Bytes(), nil
}
