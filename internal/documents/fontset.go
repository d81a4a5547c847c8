package documents

import (
	"sync"
	"unicode"

	"github.com/go-pdf/fpdf"
	"golang.org/x/net/html"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// Parsing a TrueType font and cutting the subset a PDF embeds take time in
// proportion to the characters the font maps: for the CJK font (tens of
// thousands of characters) they were most of a letter's rendering time.
// So each font is cut, once per process, to a working set (the characters
// of GB 2312, which the letters' own words and nearly every name and
// address are written in, plus the Latin, punctuation and symbol blocks),
// and a letter whose every character lies in the working set is set in
// that smaller font. The glyphs, their widths and the font's metrics are
// the original's, so the letter looks exactly the same; a letter with a
// character outside the set (a rare character of a name) is set in the
// whole font, as before. Which font a letter gets depends only on its own
// characters: the same letter gives the same bytes in every process.

// layoutText is the text the layout itself writes or measures besides the
// letter's (the page numbers, the attachment label, the list labels).
const layoutText = "— 0123456789 附件：．"

// workingSet is the characters the reduced fonts carry.
var workingSet = sync.OnceValue(func() map[rune]bool {
	set := map[rune]bool{}
	// Every character below U+0250 (ASCII, Latin-1, Latin Extended A and
	// B), the general punctuation, letterlike symbols, number forms,
	// arrows and mathematical operators.
	for _, r := range [][2]rune{{0, 0x24F}, {0x2000, 0x22FF}} {
		for c := r[0]; c <= r[1]; c++ {
			set[c] = true
		}
	}
	// GB 2312: rows 1–9 (symbols, full-width forms, kana, Greek,
	// Cyrillic, pinyin, box drawing) and 16–87 (the 6 763 hanzi), decoded
	// from their EUC-CN bytes.
	dec := simplifiedchinese.GBK.NewDecoder()
	for hi := 0xA1; hi <= 0xF7; hi++ {
		if hi > 0xA9 && hi < 0xB0 {
			continue
		}
		for lo := 0xA1; lo <= 0xFE; lo++ {
			b, err := dec.Bytes([]byte{byte(hi), byte(lo)})
			if err != nil {
				continue
			}
			for _, c := range string(b) {
				if c != unicode.ReplacementChar && !unicode.In(c, unicode.Co) {
					set[c] = true
				}
			}
		}
	}
	for _, c := range layoutText {
		set[c] = true
	}
	return set
})

// reduceFonts can be turned off (tests compare the two ways).
var reduceFonts = true

// reducedFonts holds each font's reduced copy by path, cut on first use.
var reducedFonts sync.Map // path → func() []byte

// forLetter returns the font to embed for a letter whose characters are
// used: the reduced font when the working set has them all, else the
// whole font.
func (s FontSpec) forLetter(used map[rune]bool) ([]byte, error) {
	full, err := s.load()
	if err != nil {
		return nil, err
	}
	if !reduceFonts {
		return full, nil
	}
	set := workingSet()
	for c := range used {
		if !set[c] {
			return full, nil
		}
	}
	path, err := s.Path()
	if err != nil {
		return nil, err
	}
	cut, _ := reducedFonts.LoadOrStore(path, sync.OnceValue(func() []byte {
		var cutset []rune
		for c := range set {
			cutset = append(cutset, c)
		}
		return fpdf.UTF8CutFont(full, string(cutset))
	}))
	if b := cut.(func() []byte)(); len(b) > 0 {
		return b, nil
	}
	return full, nil
}

// lettersRunes returns every character of the text under n and of the
// layout's own text.
func lettersRunes(n *html.Node) map[rune]bool {
	used := map[rune]bool{}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			for _, c := range n.Data {
				used[c] = true
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	for _, c := range layoutText {
		used[c] = true
	}
	return used
}
