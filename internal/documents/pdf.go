package documents

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/go-pdf/fpdf"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/creditcase/creditcase/internal/calendar"
)

// Page geometry in millimetres: A4 with the margins of GB/T 9704-2012
// (公文格式), giving a 156 × 225 mm text block.
const (
	pageW, pageH = 210.0, 297.0
	marginTop    = 37.0
	marginLeft   = 28.0
	marginRight  = 26.0
	marginBottom = 35.0
	textW        = pageW - marginLeft - marginRight

	bodySize  = 16.0 // 三号
	bodyLine  = 9.6
	titleSize = 22.0 // 二号
	titleLine = 12.0
	headSize  = 26.0
	noteSize  = 12.0
	noteLine  = 7.0
	fontCJK   = "cjk"
	fontLatin = "latin"
)

// pdfInfo is the document metadata.
type pdfInfo struct {
	title string
	organ string
	date  calendar.Date
}

// renderPDF lays out the HTML produced by the templates. It accepts exactly
// the elements base.html.tmpl documents and fails on anything else, so a
// template cannot put text in the HTML that the PDF silently drops.
func renderPDF(doc []byte, info pdfInfo) ([]byte, error) {
	cjk, err := CJKFont.load()
	if err != nil {
		return nil, err
	}
	latin, err := LatinFont.load()
	if err != nil {
		return nil, err
	}
	root, err := html.Parse(bytes.NewReader(doc))
	if err != nil {
		return nil, fmt.Errorf("documents: parsing rendered HTML: %w", err)
	}
	article := find(root, func(n *html.Node) bool { return n.DataAtom == atom.Article })
	if article == nil {
		return nil, fmt.Errorf("documents: rendered HTML has no <article>")
	}

	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetMargins(marginLeft, marginTop, marginRight)
	pdf.SetAutoPageBreak(false, marginBottom)
	pdf.AddUTF8FontFromBytes(fontCJK, "", cjk)
	pdf.AddUTF8FontFromBytes(fontLatin, "", latin)
	// Fixed dates and sorted catalogue: the same data give the same bytes.
	pdf.SetCreationDate(info.date.Start())
	pdf.SetModificationDate(info.date.Start())
	pdf.SetCatalogSort(true)
	pdf.SetTitle(info.title, true)
	pdf.SetAuthor(info.organ, true)
	pdf.SetCreator("creditcase", false)
	pdf.SetProducer("creditcase", false)
	pdf.SetLang("zh-CN")
	l := &layout{pdf: pdf}
	pdf.SetFooterFunc(func() {
		// Runs inside AddPage, in the middle of a paragraph: fpdf restores
		// its own font and colours afterwards, the layout's size is ours.
		saved := l.size
		defer func() { l.size = saved }()
		pdf.SetTextColor(0, 0, 0)
		pdf.SetY(pageH - marginBottom + 10)
		l.size = 14
		l.line(marginLeft, textW, "C", 7, "— "+strconv.Itoa(pdf.PageNo())+" —")
	})
	pdf.AddPage()

	for c := article.FirstChild; c != nil; c = c.NextSibling {
		if err := l.block(c); err != nil {
			return nil, err
		}
	}
	var out bytes.Buffer
	if err := pdf.Output(&out); err != nil {
		return nil, fmt.Errorf("documents: writing PDF: %w", err)
	}
	return out.Bytes(), nil
}

// layout writes blocks top to bottom, breaking pages itself.
type layout struct {
	pdf  *fpdf.Fpdf
	size float64 // current font size in points
}

// latin reports whether r is set in the Latin font (below the CJK blocks).
func latin(r rune) bool { return r < 0x2E80 }

// runs splits s into pieces set in one font each.
func runs(s string) []string {
	var out []string
	start := 0
	for i, r := range s {
		if i > start {
			prev, _ := utf8.DecodeLastRuneInString(s[:i])
			if latin(prev) != latin(r) {
				out = append(out, s[start:i])
				start = i
			}
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// font selects the font for a run at the current size.
func (l *layout) font(run string) {
	r, _ := utf8.DecodeRuneInString(run)
	if latin(r) {
		l.pdf.SetFont(fontLatin, "", l.size)
	} else {
		l.pdf.SetFont(fontCJK, "", l.size)
	}
}

// width measures s at the current size, font by font.
func (l *layout) width(s string) float64 {
	w := 0.0
	for _, run := range runs(s) {
		l.font(run)
		w += l.pdf.GetStringWidth(run)
	}
	return w
}

// line writes one line of text in the box [x, x+w] aligned as align, then
// moves down by h.
func (l *layout) line(x, w float64, align string, h float64, s string) {
	tw := l.width(s)
	switch align {
	case "C":
		x += (w - tw) / 2
	case "R":
		x += w - tw
	}
	y := l.pdf.GetY()
	l.pdf.SetXY(x, y)
	for _, run := range runs(s) {
		l.font(run)
		l.pdf.CellFormat(l.pdf.GetStringWidth(run), h, run, "", 0, "L", false, 0, "")
	}
	l.pdf.SetXY(marginLeft, y+h)
}

// style is how one kind of block is set.
type style struct {
	size, line   float64
	align        string // "L", "C", "R"
	indent       float64
	before       float64
	red          bool
	grey         bool
	rightPadding float64
}

func (l *layout) em(size float64) float64 {
	// The width of one full-width character at size, in mm.
	return size / 72 * 25.4
}

// block lays out one child of <article>.
func (l *layout) block(n *html.Node) error {
	switch n.Type {
	case html.TextNode:
		if strings.TrimSpace(n.Data) != "" {
			return fmt.Errorf("documents: text outside a block in the rendered HTML")
		}
		return nil
	case html.CommentNode:
		return nil
	case html.ElementNode:
	default:
		return fmt.Errorf("documents: unexpected node in the rendered HTML")
	}
	class := attr(n, "class")
	switch {
	case n.DataAtom == atom.P && class == "masthead":
		l.paragraph(text(n), style{size: headSize, line: 14, align: "C", red: true})
		y := l.pdf.GetY() + 2
		l.pdf.SetDrawColor(200, 0, 0)
		l.pdf.SetLineWidth(0.8)
		l.pdf.Line(marginLeft, y, pageW-marginRight, y)
		l.pdf.SetY(y + 2)
	case n.DataAtom == atom.H1:
		l.paragraph(text(n), style{size: titleSize, line: titleLine, align: "C", before: 6})
	case n.DataAtom == atom.P && class == "number":
		l.paragraph(text(n), style{size: bodySize, line: bodyLine, align: "C"})
		l.pdf.SetY(l.pdf.GetY() + 4)
	case n.DataAtom == atom.P && (class == "addressee" || class == "plain" || class == "list-head"):
		l.paragraph(text(n), style{size: bodySize, line: bodyLine, align: "L"})
	case n.DataAtom == atom.P && class == "":
		l.paragraph(text(n), style{size: bodySize, line: bodyLine, align: "L", indent: 2 * l.em(bodySize)})
	case n.DataAtom == atom.P && class == "note":
		l.paragraph(text(n), style{size: noteSize, line: noteLine, align: "L", grey: true, before: 2})
	case n.DataAtom == atom.Ol && class == "":
		return l.list(n)
	case n.DataAtom == atom.Div && class == "signature":
		return l.signature(n)
	default:
		return fmt.Errorf("documents: the PDF layout does not know <%s class=%q>", n.Data, class)
	}
	return nil
}

// list lays out <ol>: "1．" labels hanging two characters in.
func (l *layout) list(n *html.Node) error {
	i := 0
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.TextNode && strings.TrimSpace(c.Data) == "" {
			continue
		}
		if c.Type != html.ElementNode || c.DataAtom != atom.Li {
			return fmt.Errorf("documents: <ol> holds something other than <li>")
		}
		i++
		label := strconv.Itoa(i) + "．"
		l.size = bodySize
		l.pdf.SetTextColor(0, 0, 0)
		lw := l.width("99．")
		ind := 2 * l.em(bodySize)
		for j, ln := range wrap(l.width, text(c), textW-ind-lw, textW-ind-lw) {
			l.ensure(bodyLine)
			if j == 0 {
				y := l.pdf.GetY()
				l.line(marginLeft+ind, lw, "L", bodyLine, label)
				l.pdf.SetY(y)
			}
			l.line(marginLeft+ind+lw, textW-ind-lw, "L", bodyLine, ln)
		}
	}
	return nil
}

// signature lays out the issuing organ, date and seal, right-aligned and
// kept together on one page.
func (l *layout) signature(n *html.Node) error {
	var lines []string
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.TextNode && strings.TrimSpace(c.Data) == "" {
			continue
		}
		if c.Type != html.ElementNode || c.DataAtom != atom.P {
			return fmt.Errorf("documents: the signature holds something other than <p>")
		}
		lines = append(lines, text(c))
	}
	before := 2 * bodyLine
	l.ensure(before + float64(len(lines))*bodyLine)
	l.pdf.SetY(l.pdf.GetY() + before)
	for _, s := range lines {
		l.paragraph(s, style{size: bodySize, line: bodyLine, align: "R", rightPadding: 2 * l.em(bodySize)})
	}
	return nil
}

// ensure starts a new page unless h millimetres fit on this one.
func (l *layout) ensure(h float64) {
	if l.pdf.GetY()+h > pageH-marginBottom {
		l.pdf.AddPage()
	}
}

// paragraph wraps s and writes it line by line.
func (l *layout) paragraph(s string, st style) {
	l.size = st.size
	switch {
	case st.red:
		l.pdf.SetTextColor(200, 0, 0)
	case st.grey:
		l.pdf.SetTextColor(80, 80, 80)
	default:
		l.pdf.SetTextColor(0, 0, 0)
	}
	if st.before > 0 {
		l.pdf.SetY(l.pdf.GetY() + st.before)
	}
	w := textW - st.rightPadding
	for i, ln := range wrap(l.width, s, w-st.indent, w) {
		l.ensure(st.line)
		x := marginLeft
		if i == 0 && st.align == "L" {
			x += st.indent
		}
		l.line(x, marginLeft+w-x, st.align, st.line, ln)
	}
}

// noLineStart are characters that must not begin a line (避头): closing
// punctuation. They hang at the end of the line before instead.
const noLineStart = "，。、；：？！）》」』”’〕】．％,.;:?!)]}%"

// noLineEnd are characters that must not end a line (避尾): opening
// punctuation. They move to the next line with what follows.
const noLineEnd = "（《「『“‘〔【([{"

// wrap breaks s into lines no wider than first (first line) and rest
// (other lines). Chinese text breaks between any two characters; runs of
// Latin letters and digits (numbers, codes, words) stay whole unless
// longer than a line; closing punctuation never starts a line and opening
// punctuation never ends one.
func wrap(measure func(string) float64, s string, first, rest float64) []string {
	const eps = 0.01
	var lines []string
	var cur strings.Builder
	curW, width := 0.0, first
	flush := func() {
		line := strings.TrimRightFunc(cur.String(), unicode.IsSpace)
		carry := ""
		// Move trailing opening punctuation to the next line.
		for line != "" {
			r, size := utf8.DecodeLastRuneInString(line)
			if !strings.ContainsRune(noLineEnd, r) {
				break
			}
			carry = line[len(line)-size:] + carry
			line = line[:len(line)-size]
		}
		if line == "" { // nothing but openers: keep them here
			line, carry = carry, ""
		}
		lines = append(lines, line)
		cur.Reset()
		cur.WriteString(carry)
		curW = measure(carry)
		width = rest
	}
	for _, tok := range tokens(s) {
		if cur.Len() == 0 && strings.TrimSpace(tok) == "" {
			continue
		}
		w := measure(tok)
		switch {
		case curW+w <= width+eps:
		case cur.Len() > 0 && isCloser(tok):
			// Hang it at the end of this line.
		case w > width:
			// A run longer than a line: break it anywhere.
			for _, r := range tok {
				rw := measure(string(r))
				if curW+rw > width+eps && cur.Len() > 0 {
					flush()
				}
				cur.WriteRune(r)
				curW += rw
			}
			continue
		default:
			flush()
			if strings.TrimSpace(tok) == "" {
				continue
			}
		}
		cur.WriteString(tok)
		curW += w
	}
	if cur.Len() > 0 || len(lines) == 0 {
		lines = append(lines, strings.TrimRightFunc(cur.String(), unicode.IsSpace))
	}
	return lines
}

func isCloser(tok string) bool {
	r, _ := utf8.DecodeRuneInString(tok)
	return utf8.RuneCountInString(tok) == 1 && strings.ContainsRune(noLineStart, r)
}

// tokens splits s into unbreakable pieces: runs of ASCII letters, digits
// and the punctuation inside codes and numbers; single spaces; and every
// other character alone.
func tokens(s string) []string {
	var out []string
	start := -1
	for i, r := range s {
		word := r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("-_/.@*#+'", r))
		if word {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			out = append(out, s[start:i])
			start = -1
		}
		out = append(out, string(r))
	}
	if start >= 0 {
		out = append(out, s[start:])
	}
	return out
}

// text is the text inside n with whitespace runs (template line breaks)
// collapsed; inline elements contribute their text.
func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func find(n *html.Node, match func(*html.Node) bool) *html.Node {
	if match(n) {
		return n
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if f := find(c, match); f != nil {
			return f
		}
	}
	return nil
}
