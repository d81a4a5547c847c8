package ident

import (
	"regexp"
	"unicode/utf8"
)

// Mask returns a form of identifier s fit for logs and public pages. A
// citizen identity number keeps its first three and last four characters
// (110***********002X); a credit code is public information and stays
// whole. Anything else is masked like an identity number.
func Mask(k Kind, s string) string {
	if k == Organisation {
		return s
	}
	return MaskIDNumber(s)
}

// MaskIDNumber keeps the first three and last four characters of s.
func MaskIDNumber(s string) string {
	n := utf8.RuneCountInString(s)
	if n <= 7 {
		return stars(n)
	}
	r := []rune(s)
	return string(r[:3]) + stars(n-7) + string(r[n-4:])
}

// MaskName keeps the first character of a person's name (the family name
// in most cases) and replaces the rest: 张三 → 张*, 欧阳娜娜 → 欧***.
func MaskName(name string) string {
	n := utf8.RuneCountInString(name)
	if n == 0 {
		return ""
	}
	r, _ := utf8.DecodeRuneInString(name)
	return string(r) + stars(n-1)
}

func stars(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = '*'
	}
	return string(b)
}

// idNumberInText is an 18-character citizen identity number inside text:
// a division code starting 1–8, a birth date 18xx–20xx, a sequence number
// and a check character, not part of a longer run of digits or letters.
var idNumberInText = regexp.MustCompile(`(^|[^0-9A-Za-z])([1-8][0-9]{5}(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx])($|[^0-9A-Za-z])`)

// MaskIDNumbersIn masks every citizen identity number written in text
// (whether or not its check character is right), for logs that quote
// what others wrote.
func MaskIDNumbersIn(text string) string {
	if len(text) < 18 {
		return text
	}
	// Matches may share a boundary character, so replace until stable.
	for i := 0; i < 4; i++ {
		out := idNumberInText.ReplaceAllStringFunc(text, func(m string) string {
			sub := idNumberInText.FindStringSubmatch(m)
			return sub[1] + MaskIDNumber(sub[2]) + sub[3]
		})
		if out == text {
			break
		}
		text = out
	}
	return text
}
