package documents

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

//go:embed templates/*.html.tmpl
var templateFiles embed.FS

// funcs are the helpers templates may call; each returns plain text,
// which html/template escapes like any other value.
var funcs = template.FuncMap{
	"cndate":    ChineseDate,
	"you":       you,
	"cites":     cites,
	"sentence":  sentence,
	"remedies":  remedies,
	"duebasis":  dueBasis,
	"listlabel": listLabel,
}

// you is how a notice addresses its subject: 你 a person, 你单位 an
// organisation.
func you(s Subject) string {
	if s.Organisation {
		return "你单位"
	}
	return "你"
}

// cites writes citations as 《A》第十条、第十二条、《B》第五条第一款: an
// instrument is named once for the citations of it that follow each other,
// and an article once for its paragraphs ("第三十二条第一款、第三款").
func cites(cs []Citation) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		switch {
		case i > 0 && cs[i-1].Instrument == c.Instrument && cs[i-1].Article == c.Article && c.Paragraph != "":
			parts[i] = c.Paragraph + c.Item
		case i > 0 && cs[i-1].Instrument == c.Instrument:
			parts[i] = c.Article + c.Paragraph + c.Item
		default:
			parts[i] = c.String()
		}
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

// dueBasis says where a time limit comes from, for the note under the
// letter: the citations that set it, or that it is the centre's own.
func dueBasis(d Due) string {
	if len(d.Basis) == 0 {
		return "该期限为本中心确定的办理期限。"
	}
	return "期限依据：" + cites(d.Basis) + "。"
}

// listLabel numbers an attachment or list item: 1．
func listLabel(i int) string { return strconv.Itoa(i+1) + "．" }

// remedies writes the remedies paragraphs (救济途径) of a letter: object
// is what the reader may disagree with ("上述处理结果", "本决定") and doc
// the letter itself ("本告知书", "本决定书"). Each remedy says where to
// go, within how long of receipt, and on what basis; a remedy absent from
// r is not mentioned.
func remedies(r Remedies, s Subject, object, doc string) []string {
	var out []string
	who := you(s)
	if a := r.Appeal; a != nil {
		p := "依照" + cites(a.Basis) + "的规定，" + who + "对" + object + "不服的，可以向" + a.To +
			"提出申诉，请于收到" + doc + "之日起" + a.Within + "内提出"
		if a.ThenReview {
			p += "；对申诉决定不服的，可以依法申请行政复议或者提起行政诉讼"
		}
		out = append(out, p+"。")
	}
	if t := r.Transfer; t != nil {
		out = append(out, "依照"+cites(t.Basis)+"的规定，"+who+"对"+object+"仍有异议的，可以自收到"+doc+"之日起"+t.Within+
			"内向本中心提出，本中心将移交信息提供单位处理。")
	}
	rv, l := r.Review, r.Litigation
	if rv == nil && l == nil {
		return out
	}
	p := who + "对" + object + "不服的，可以"
	var basis []Citation
	if rv != nil {
		p += "自收到" + doc + "之日起" + rv.Within + "内向" + rv.Organ + "申请行政复议"
		basis = append(basis, rv.Basis...)
	}
	if l != nil {
		if rv != nil {
			p += "，也可以"
		}
		court := l.Court
		if court == "" {
			court = "有管辖权的人民法院"
		}
		p += "自收到" + doc + "之日起" + l.Within + "内向" + court + "提起行政诉讼"
		basis = append(basis, l.Basis...)
	}
	if len(basis) > 0 {
		p += "（" + cites(basis) + "）"
	}
	return append(out, p+"。")
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

// PlainText returns what a rendered document says, block by block, one
// line each (list items numbered "1．"), as a reader of the PDF reads it:
// the text golden files and checks compare.
func PlainText(doc []byte) (string, error) {
	root, err := html.Parse(bytes.NewReader(doc))
	if err != nil {
		return "", err
	}
	article := find(root, func(n *html.Node) bool { return n.DataAtom == atom.Article })
	if article == nil {
		return "", fmt.Errorf("documents: no <article>")
	}
	var b strings.Builder
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != html.ElementNode {
				continue
			}
			switch {
			case c.DataAtom == atom.P && attr(c, "class") == "seal":
				b.WriteString("（印章：" + text(c) + "）\n")
			case c.DataAtom == atom.P, c.DataAtom == atom.H1:
				b.WriteString(text(c) + "\n")
			case c.DataAtom == atom.Hr:
				b.WriteString("——\n")
			case c.DataAtom == atom.Ol:
				items, err := listItems(c)
				if err != nil {
					continue
				}
				for i, it := range items {
					b.WriteString(listLabel(i) + it + "\n")
				}
			default:
				walk(c)
			}
		}
	}
	walk(article)
	return b.String(), nil
}
