package ident

import "unicode/utf8"

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
