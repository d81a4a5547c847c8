package documents

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"

	"github.com/creditcase/creditcase/internal/calendar"
)

// Commitment is a credit commitment (信用承诺书) a subject signs on line
// when it applies for credit repair: not a letter of the centre but the
// applicant's own document, filed with its application as the signed
// commitment the repair conditions require. The text is the core's
// (casework); this lays it out as the centre's letters are laid out.
type Commitment struct {
	Title     string
	Addressee string
	Lead      string
	Points    []string
	Closing   string
	Signer    string
	Date      calendar.Date
	// Note says how and when it was signed (on line, which account).
	Note string
}

var commitmentHTML = template.Must(template.New("commitment").Parse(`<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{{.Title}}</title></head>
<body><article>
<h1>{{.Title}}</h1>
<p class="addressee">{{.Addressee}}：</p>
<p>{{.Lead}}</p>
<ol>{{range .Points}}<li>{{.}}</li>{{end}}</ol>
{{if .Closing}}<p>{{.Closing}}</p>{{end}}
<p class="plain">承诺人：{{.Signer}}</p>
<p class="plain">签署日期：{{.DateText}}</p>
<p class="note">{{.Note}}</p>
</article></body></html>`))

// RenderCommitment renders the commitment to HTML and PDF; the same
// commitment gives the same bytes.
func RenderCommitment(c Commitment) (Rendered, error) {
	if c.Title == "" || c.Signer == "" || c.Lead == "" || len(c.Points) == 0 || c.Date.IsZero() {
		return Rendered{}, errors.New("documents: a commitment needs a title, a lead, its points, a signer and a date")
	}
	var buf bytes.Buffer
	data := struct {
		Commitment
		DateText string
	}{c, fmt.Sprintf("%d年%d月%d日", c.Date.Year, int(c.Date.Month), c.Date.Day)}
	if err := commitmentHTML.Execute(&buf, data); err != nil {
		return Rendered{}, err
	}
	pdf, err := renderPDF(buf.Bytes(), pdfInfo{title: c.Title, organ: c.Signer, date: c.Date})
	if err != nil {
		return Rendered{}, err
	}
	sum := sha256.Sum256(pdf)
	return Rendered{Title: c.Title, HTML: buf.Bytes(), PDF: pdf, SHA256: hex.EncodeToString(sum[:]), Recipient: RoleSubject}, nil
}
