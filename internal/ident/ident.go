// Package ident checks the two identifiers a credit subject is known by:
// the citizen identity number (公民身份号码, GB 11643-1999) of a natural
// person and the unified social credit code (统一社会信用代码, GB 32100-2015)
// of an organisation, both including their check characters. It also masks
// them (and names) for logs: personal data never reach a log unmasked.
package ident

import (
	"errors"
	"strings"
	"time"
)

// Kind is what sort of subject an identifier belongs to.
type Kind string

// Kinds.
const (
	Person       Kind = "person"       // 自然人, 公民身份号码
	Organisation Kind = "organisation" // 法人和非法人组织, 统一社会信用代码
)

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return k == Person || k == Organisation }

// Errors. Each names what is wrong so that the API can answer with a field
// error.
var (
	ErrLength      = errors.New("ident: wrong length (18 characters)")
	ErrCharacter   = errors.New("ident: character not allowed")
	ErrBirthDate   = errors.New("ident: birth date is not a real past date")
	ErrRegion      = errors.New("ident: administrative division code is not valid")
	ErrCheckDigit  = errors.New("ident: check character does not match")
	ErrUnknownKind = errors.New("ident: unknown subject kind")
)

// Normalize upper-cases s and trims spaces: a lower-case "x" check digit
// or letters in a credit code are accepted and stored upper-case.
func Normalize(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }

// Check validates s as an identifier of kind k; s must already be
// normalised.
func Check(k Kind, s string) error {
	switch k {
	case Person:
		return CheckIDNumber(s)
	case Organisation:
		return CheckCreditCode(s)
	}
	return ErrUnknownKind
}

// GB 11643-1999 §8.2: ISO 7064 MOD 11-2 weights of the 17 body digits and
// the check character for each remainder.
var (
	idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	idChecks  = "10X98765432"
)

// IDNumberCheckDigit returns the check character for the 17 body digits.
func IDNumberCheckDigit(body string) (byte, error) {
	if len(body) != 17 {
		return 0, ErrLength
	}
	sum := 0
	for i := 0; i < 17; i++ {
		c := body[i]
		if c < '0' || c > '9' {
			return 0, ErrCharacter
		}
		sum += int(c-'0') * idWeights[i]
	}
	return idChecks[sum%11], nil
}

// CheckIDNumber validates an 18-character citizen identity number: digits,
// a plausible division code, a real birth date not in the future and the
// check character (GB 11643-1999). 15-digit first-generation numbers are
// not accepted: they carry no check digit.
func CheckIDNumber(s string) error {
	if len(s) != 18 {
		return ErrLength
	}
	want, err := IDNumberCheckDigit(s[:17])
	if err != nil {
		return err
	}
	// First digit of the division code (GB/T 2260): 1–8 are the regions
	// of the mainland and Hong Kong, Macao, Taiwan.
	if s[0] < '1' || s[0] > '8' {
		return ErrRegion
	}
	birth, err := time.Parse("20060102", s[6:14])
	if err != nil || birth.Year() < 1850 || birth.After(time.Now()) {
		return ErrBirthDate
	}
	last := s[17]
	if (last < '0' || last > '9') && last != 'X' {
		return ErrCharacter
	}
	if last != want {
		return ErrCheckDigit
	}
	return nil
}

// GB 32100-2015 §4: the 31 characters a code may use (no I, O, S, V, Z)
// and the weights of positions 1–17 (3^(i-1) mod 31).
const creditAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

var creditWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

func creditValue(c byte) int { return strings.IndexByte(creditAlphabet, c) }

// CreditCodeCheckChar returns the check character for the first 17
// characters of a unified social credit code.
func CreditCodeCheckChar(body string) (byte, error) {
	if len(body) != 17 {
		return 0, ErrLength
	}
	sum := 0
	for i := 0; i < 17; i++ {
		v := creditValue(body[i])
		if v < 0 {
			return 0, ErrCharacter
		}
		sum += v * creditWeights[i]
	}
	return creditAlphabet[(31-sum%31)%31], nil
}

// CheckCreditCode validates an 18-character unified social credit code:
// the GB 32100 alphabet, a six-digit division code in positions 3–8 and
// the check character in position 18.
func CheckCreditCode(s string) error {
	if len(s) != 18 {
		return ErrLength
	}
	want, err := CreditCodeCheckChar(s[:17])
	if err != nil {
		return err
	}
	if creditValue(s[17]) < 0 {
		return ErrCharacter
	}
	for i := 2; i < 8; i++ {
		if s[i] < '0' || s[i] > '9' {
			return ErrRegion
		}
	}
	if s[17] != want {
		return ErrCheckDigit
	}
	return nil
}
