package documents

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/go-pdf/fpdf"
	"golang.org/x/image/font"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
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
	noteSize  = 14.0 // 四号
	noteLine  = 8.4
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
	root, err := html.Parse(bytes.NewReader(doc))
	if err != nil {
		return nil, fmt.Errorf("documents: parsing rendered HTML: %w", err)
	}
	article := find(root, func(n *html.Node) bool { return n.DataAtom == atom.Article })
	if article == nil {
		return nil, fmt.Errorf("documents: rendered HTML has no <article>")
	}
	used := lettersRunes(article)
	cjk, err := CJKFont.forLetter(used)
	if err != nil {
		return nil, err
	}
	latin, err := LatinFont.forLetter(used)
	if err != nil {
		return nil, err
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
	l := &layout{pdf: pdf, ls: 1}
	pdf.SetFooterFunc(l.pageNumber)
	pdf.AddPage()
	blocks, err := l.fit(article)
	if err != nil {
		return nil, err
	}
	l.place(blocks)
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
	// ls scales the line spacing (1 = 22 lines a page, GB/T 9704-2012).
	ls float64
}

// bl and nl are the line heights of the body and of the notes.
func (l *layout) bl() float64 { return bodyLine * l.ls }
func (l *layout) nl() float64 { return noteLine * l.ls }

// lineScales are the line spacings tried, widest first: a letter that
// would leave a few lines on a last page is set a little tighter instead
// (GB/T 9704-2012 7.3.5.4: 调整行距、字距).
var lineScales = []float64{1, 0.95, 0.9, 0.86}

// fit plans the blocks at the widest line spacing that needs no more
// pages than the tightest.
func (l *layout) fit(article *html.Node) ([]block, error) {
	best, bestPages := 1.0, 0
	for i := len(lineScales) - 1; i >= 0; i-- {
		l.ls = lineScales[i]
		blocks, err := l.plan(article)
		if err != nil {
			return nil, err
		}
		n := pages(blocks)
		if i == len(lineScales)-1 || n <= bestPages {
			best, bestPages = lineScales[i], n
		}
	}
	l.ls = best
	return l.plan(article)
}

// pages counts the pages place would fill.
func pages(blocks []block) int {
	bottom := pageH - marginBottom + 0.01
	y, n := marginTop, 1
	next := func() { y, n = marginTop, n+1 }
	for i, b := range blocks {
		if y > marginTop+0.01 && breakBefore(blocks, i, bottom-y) {
			next()
		}
		if b.n == 0 {
			if y+b.fixed > bottom {
				next()
			}
			y += b.fixed
			continue
		}
		if y > marginTop+0.01 {
			y += b.before
		}
		for range b.n {
			if y+b.lineH > bottom {
				next()
			}
			y += b.lineH
		}
	}
	return n
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
	align        string  // "L", "C", "R"
	indent       float64 // first line
	hanging      float64 // every line
	before       float64
	red          bool
	grey         bool
	rightPadding float64
}

func (l *layout) em(size float64) float64 {
	// The width of one full-width character at size, in mm.
	return size / 72 * 25.4
}

// block is one child of <article>, planned: n lines of lineH after
// before, or an unbreakable height fixed; and how to draw it at the
// current position.
type block struct {
	// body is text of the letter before the signature (paragraphs, lists,
	// the attachments line); signature is the signature block.
	body, signature bool
	// keep: a heading, kept on one page with the first line after it.
	keep          bool
	before, lineH float64
	n             int
	fixed         float64
	draw          func()
}

// height is the block's height when set in one piece.
func (b block) height() float64 { return b.before + float64(b.n)*b.lineH + b.fixed }

// plan turns the children of <article> into blocks. It accepts exactly the
// elements base.html.tmpl documents and fails on anything else, so a
// template cannot put text in the HTML that the PDF silently drops.
func (l *layout) plan(article *html.Node) ([]block, error) {
	var out []block
	para := func(text string, st style, body bool) {
		out = append(out, block{body: body, before: st.before, lineH: st.line, n: len(l.paragraphLines(text, st)),
			draw: func() { l.paragraph(text, st) }})
	}
	bl := l.bl()
	for n := article.FirstChild; n != nil; n = n.NextSibling {
		switch n.Type {
		case html.TextNode:
			if strings.TrimSpace(n.Data) != "" {
				return nil, fmt.Errorf("documents: text outside a block in the rendered HTML")
			}
			continue
		case html.CommentNode:
			continue
		case html.ElementNode:
		default:
			return nil, fmt.Errorf("documents: unexpected node in the rendered HTML")
		}
		class := attr(n, "class")
		body := style{size: bodySize, line: bl, align: "L"}
		switch {
		case n.DataAtom == atom.P && class == "masthead":
			para(text(n), style{size: headSize, line: 14, align: "C", red: true}, false)
		case n.DataAtom == atom.P && class == "number":
			para(text(n), style{size: bodySize, line: bl, align: "C", before: 2 * bl}, false)
		case n.DataAtom == atom.Hr && class == "separator":
			out = append(out, block{fixed: 6, draw: func() {
				// GB/T 9704-2012 7.2.5: a red line as wide as the text, 4 mm
				// under the document number.
				y := l.pdf.GetY() + 4
				l.pdf.SetDrawColor(200, 0, 0)
				l.pdf.SetLineWidth(0.6)
				l.pdf.Line(marginLeft, y, pageW-marginRight, y)
				l.pdf.SetY(y + 2)
			}})
		case n.DataAtom == atom.H1:
			para(text(n), style{size: titleSize, line: titleLine, align: "C", before: 2 * bl}, false)
		case n.DataAtom == atom.P && class == "addressee":
			para(text(n), style{size: bodySize, line: bl, align: "L", before: bl}, true)
		case n.DataAtom == atom.P && class == "plain":
			para(text(n), body, true)
		case n.DataAtom == atom.P && class == "list-head":
			para(text(n), body, true)
			out[len(out)-1].keep = true
		case n.DataAtom == atom.P && class == "":
			body.indent = 2 * l.em(bodySize)
			para(text(n), body, true)
		case n.DataAtom == atom.P && class == "attachment":
			// 附件说明: one blank line under the body, two characters in.
			body.indent, body.before = 2*l.em(bodySize), bl
			para(text(n), body, true)
		case n.DataAtom == atom.P && class == "attachment-more":
			// Further attachments align under the first one's name.
			body.hanging = 2*l.em(bodySize) + l.width("附件：")
			para(text(n), body, true)
		case n.DataAtom == atom.P && class == "note":
			para(text(n), style{size: noteSize, line: l.nl(), align: "L", indent: 2 * l.em(noteSize), before: 2}, false)
		case n.DataAtom == atom.Ol && class == "":
			items, err := listItems(n)
			if err != nil {
				return nil, err
			}
			out = append(out, block{body: true, lineH: bl, n: l.listLines(items), draw: func() { l.list(items) }})
		case n.DataAtom == atom.Div && class == "signature":
			s, err := signatureOf(n)
			if err != nil {
				return nil, err
			}
			out = append(out, block{signature: true, fixed: l.signatureHeight(), draw: func() { l.signature(s) }})
		default:
			return nil, fmt.Errorf("documents: the PDF layout does not know <%s class=%q>", n.Data, class)
		}
	}
	return out, nil
}

// place draws the blocks top to bottom. The signature is never alone on
// a page (GB/T 9704-2012 7.3.5: the page bearing the signature and date
// carries text of the body): when the last body block would fit on this
// page but the signature after it would not, the block moves to the next
// page with the signature.
func (l *layout) place(blocks []block) {
	for i, b := range blocks {
		if l.pdf.GetY() > marginTop+0.01 && breakBefore(blocks, i, pageH-marginBottom+0.01-l.pdf.GetY()) {
			l.pdf.AddPage()
		}
		b.draw()
	}
}

// breakBefore reports whether block i, which fits in the room left on the
// page, must start the next page instead: the last body block when the
// signature after it would not fit (the signature never stands alone), and
// a heading when not even the first line of what it heads would follow it
// (a heading never ends a page).
func breakBefore(blocks []block, i int, room float64) bool {
	b := blocks[i]
	if i+1 >= len(blocks) || b.height() > room {
		return false
	}
	next := blocks[i+1]
	switch {
	case b.body && next.signature:
		return b.height()+next.height() > room
	case b.keep:
		first := next.fixed
		if next.n > 0 {
			first = next.before + next.lineH
		}
		return b.height()+first > room
	}
	return false
}

// pageNumber is the footer: "— 1 —" in 14 pt (四号) under the text block,
// odd pages to the right and even pages to the left, one character in
// (GB/T 9704-2012 7.5).
func (l *layout) pageNumber() {
	// Runs inside AddPage, in the middle of a paragraph: fpdf restores its
	// own font and colours afterwards, the layout's size is ours.
	saved := l.size
	defer func() { l.size = saved }()
	l.pdf.SetTextColor(0, 0, 0)
	l.size = 14
	l.pdf.SetY(pageH - marginBottom + 5)
	n := l.pdf.PageNo()
	em := l.em(14)
	s := "— " + strconv.Itoa(n) + " —"
	if n%2 == 1 {
		l.line(marginLeft, textW-em, "R", 7, s)
	} else {
		l.line(marginLeft+em, textW-em, "L", 7, s)
	}
}

// listItems returns the text of each <li> of an <ol>.
func listItems(n *html.Node) ([]string, error) {
	var items []string
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.TextNode && strings.TrimSpace(c.Data) == "" {
			continue
		}
		if c.Type != html.ElementNode || c.DataAtom != atom.Li {
			return nil, fmt.Errorf("documents: <ol> holds something other than <li>")
		}
		items = append(items, text(c))
	}
	return items, nil
}

// listGeometry is the indent of the labels and the width of the text.
func (l *layout) listGeometry() (ind, lw, w float64) {
	l.size = bodySize
	lw = l.width("99．")
	ind = 2 * l.em(bodySize)
	return ind, lw, textW - ind - lw
}

func (l *layout) listLines(items []string) int {
	_, _, w := l.listGeometry()
	n := 0
	for _, it := range items {
		n += len(wrap(l.width, it, w, w))
	}
	return n
}

// list lays out <ol>: "1．" labels hanging two characters in.
func (l *layout) list(items []string) {
	ind, lw, w := l.listGeometry()
	l.pdf.SetTextColor(0, 0, 0)
	for i, it := range items {
		label := strconv.Itoa(i+1) + "．"
		for j, ln := range wrap(l.width, it, w, w) {
			l.ensure(l.bl())
			if j == 0 {
				y := l.pdf.GetY()
				l.line(marginLeft+ind, lw, "L", l.bl(), label)
				l.pdf.SetY(y)
			}
			l.line(marginLeft+ind+lw, w, "L", l.bl(), ln)
		}
	}
}

// signatureLines are the issuing organ, the date and the seal's text.
type signatureLines struct{ organ, date, seal string }

func signatureOf(n *html.Node) (signatureLines, error) {
	var s signatureLines
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.TextNode && strings.TrimSpace(c.Data) == "" {
			continue
		}
		if c.Type != html.ElementNode || c.DataAtom != atom.P {
			return s, fmt.Errorf("documents: the signature holds something other than <p>")
		}
		switch attr(c, "class") {
		case "organ":
			s.organ = text(c)
		case "date":
			s.date = text(c)
		case "seal":
			s.seal = text(c)
		default:
			return s, fmt.Errorf("documents: the signature holds <p class=%q>", attr(c, "class"))
		}
	}
	if s.organ == "" || s.date == "" {
		return s, fmt.Errorf("documents: the signature needs the organ and the date")
	}
	return s, nil
}

// Seal geometry: a 40 mm seal whose centre sits 3 mm above the organ's
// line, so that organ and date are in its lower half (GB/T 9704-2012
// 7.3.5.1: 居印章中心偏下位置), its top just under the body's last line.
const (
	sealRadius   = 20.0
	sealCentreUp = 3.0
	sealAboveSig = sealRadius + sealCentreUp + 1 // from the body's last line to the organ's line
)

// signatureHeight is the room the signature block takes: from the body's
// last line, the seal's upper half, the organ and the date (the seal's
// lower half lies over them).
func (l *layout) signatureHeight() float64 { return sealAboveSig + 2*l.bl() }

// signature lays out the organ and the date after GB/T 9704-2012 7.3.5.1:
// the date four characters from the right edge, the organ centred over
// the date, the seal pressing on both, its top within a line of the body.
func (l *layout) signature(s signatureLines) {
	l.ensure(l.signatureHeight())
	l.size = bodySize
	l.pdf.SetTextColor(0, 0, 0)
	top := l.pdf.GetY() + sealAboveSig
	dateW := l.width(s.date)
	right := pageW - marginRight - 4*l.em(bodySize)
	centreX := right - dateW/2
	organW := l.width(s.organ)
	l.pdf.SetY(top)
	l.line(centreX-organW/2, organW, "L", l.bl(), s.organ)
	l.line(right-dateW, dateW, "L", l.bl(), s.date)
	if s.seal != "" {
		l.seal(centreX, top-sealCentreUp, s.seal)
	}
	l.pdf.SetY(top + 2*l.bl())
}

// seal draws the seal: a red ring, the text along its upper arc and a
// star in the middle, translucent so that the text under it stays legible.
func (l *layout) seal(cx, cy float64, text string) {
	pdf := l.pdf
	pdf.SetAlpha(0.8, "Multiply")
	defer pdf.SetAlpha(1, "Normal")
	pdf.SetDrawColor(210, 0, 0)
	pdf.SetFillColor(210, 0, 0)
	pdf.SetLineWidth(1.2)
	pdf.Circle(cx, cy, sealRadius, "D")
	// Star: five points on a circle of 6.5 mm, inner points at 0.382.
	var pts []fpdf.PointType
	for i := 0; i < 10; i++ {
		r := 6.5
		if i%2 == 1 {
			r *= 0.382
		}
		a := -math.Pi/2 + float64(i)*math.Pi/5
		pts = append(pts, fpdf.PointType{X: cx + r*math.Cos(a), Y: cy + r*math.Sin(a)})
	}
	pdf.Polygon(pts, "F")
	chars := []rune(text)
	if len(chars) == 0 {
		return
	}
	// The text runs over 220° of the upper arc, each character's foot
	// towards the centre. It is drawn as outlines, not as text: a seal is
	// an image of a seal, and text extraction reads the letter's words
	// without the seal's in between.
	const arc = 220.0
	size := 15.0
	if len(chars) > 12 {
		size = 15 * 12 / float64(len(chars))
	}
	em := l.em(size)
	textR := sealRadius - 1.5 - em*0.9
	step := arc / float64(len(chars))
	for i, ch := range chars {
		// Angle of the character from the top, clockwise.
		deg := -arc/2 + step*(float64(i)+0.5)
		rad := (deg - 90) * math.Pi / 180
		l.glyph(ch, cx+textR*math.Cos(rad), cy+textR*math.Sin(rad), em, deg*math.Pi/180)
	}
}

// sealFont is the CJK font parsed for outlines (the seal's characters).
var sealFont = sync.OnceValues(func() (*sfnt.Font, error) {
	b, err := CJKFont.load()
	if err != nil {
		return nil, err
	}
	return sfnt.Parse(b)
})

// glyph fills the outline of r, em millimetres tall, centred on (x, y)
// and turned by angle radians clockwise. A character the font lacks is
// skipped (the ring and the star still show the seal).
func (l *layout) glyph(r rune, x, y, em, angle float64) {
	f, err := sealFont()
	if err != nil {
		return
	}
	var buf sfnt.Buffer
	idx, err := f.GlyphIndex(&buf, r)
	if err != nil || idx == 0 {
		return
	}
	const ppem = 1000
	adv, err := f.GlyphAdvance(&buf, idx, fixed.I(ppem), font.HintingNone)
	if err != nil {
		return
	}
	segs, err := f.LoadGlyph(&buf, idx, fixed.I(ppem), nil)
	if err != nil {
		return
	}
	scale := em / ppem
	half := float64(adv) / 64 / 2
	sin, cos := math.Sin(angle), math.Cos(angle)
	at := func(p fixed.Point26_6) (float64, float64) {
		// The glyph's centre is half its advance right of its origin and
		// about 0.38 em above its baseline.
		lx := (float64(p.X)/64 - half) * scale
		ly := (float64(p.Y)/64)*scale + 0.38*em
		return x + lx*cos - ly*sin, y + lx*sin + ly*cos
	}
	pdf := l.pdf
	open := false
	for _, s := range segs {
		switch s.Op {
		case sfnt.SegmentOpMoveTo:
			if open {
				pdf.ClosePath()
			}
			pdf.MoveTo(at(s.Args[0]))
			open = true
		case sfnt.SegmentOpLineTo:
			pdf.LineTo(at(s.Args[0]))
		case sfnt.SegmentOpQuadTo:
			cx, cy := at(s.Args[0])
			ex, ey := at(s.Args[1])
			pdf.CurveTo(cx, cy, ex, ey)
		case sfnt.SegmentOpCubeTo:
			c0x, c0y := at(s.Args[0])
			c1x, c1y := at(s.Args[1])
			ex, ey := at(s.Args[2])
			pdf.CurveBezierCubicTo(c0x, c0y, c1x, c1y, ex, ey)
		}
	}
	if open {
		pdf.ClosePath()
		pdf.DrawPath("F")
	}
}

// ensure starts a new page unless h millimetres fit on this one.
func (l *layout) ensure(h float64) {
	if l.pdf.GetY()+h > pageH-marginBottom+0.01 {
		l.pdf.AddPage()
	}
}

// paragraphLines wraps s for st.
func (l *layout) paragraphLines(s string, st style) []string {
	l.size = st.size
	w := textW - st.rightPadding - st.hanging
	return wrap(l.width, s, w-st.indent, w)
}

// paragraph wraps s and writes it line by line.
func (l *layout) paragraph(s string, st style) {
	switch {
	case st.red:
		l.pdf.SetTextColor(200, 0, 0)
	case st.grey:
		l.pdf.SetTextColor(80, 80, 80)
	default:
		l.pdf.SetTextColor(0, 0, 0)
	}
	if st.before > 0 && l.pdf.GetY() > marginTop+0.01 {
		l.pdf.SetY(l.pdf.GetY() + st.before)
	}
	lines := l.paragraphLines(s, st)
	w := textW - st.rightPadding
	for i, ln := range lines {
		l.ensure(st.line)
		l.size = st.size
		x := marginLeft + st.hanging
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
	var toks []string // the tokens on the current line
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
		toks = toks[:0]
		if carry != "" {
			toks = append(toks, carry)
		}
		curW = measure(carry)
		width = rest
	}
	write := func(tok string, w float64) {
		cur.WriteString(tok)
		toks = append(toks, tok)
		curW += w
	}
	for _, tok := range tokens(s) {
		if cur.Len() == 0 && strings.TrimSpace(tok) == "" {
			continue
		}
		w := measure(tok)
		switch {
		case curW+w <= width+eps:
		case cur.Len() > 0 && isCloser(tok) && curW <= width+eps:
			// Hang it at the end of this line.
		case cur.Len() > 0 && isCloser(tok):
			// A closer already hangs ("）。"): one may, two may not. The
			// last piece before the closers goes down with them.
			j := len(toks) - 1
			for j > 0 && isCloser(toks[j]) {
				j--
			}
			if j == 0 {
				break // nothing to take down: let it hang
			}
			down := append([]string(nil), toks[j:]...)
			cur.Reset()
			for _, t := range toks[:j] {
				cur.WriteString(t)
			}
			flush()
			for _, t := range down {
				write(t, measure(t))
			}
		case w > width:
			// A run longer than a line: break it anywhere.
			for _, r := range tok {
				rw := measure(string(r))
				if curW+rw > width+eps && cur.Len() > 0 {
					flush()
				}
				write(string(r), rw)
			}
			continue
		default:
			flush()
			if strings.TrimSpace(tok) == "" {
				continue
			}
		}
		write(tok, w)
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
