package ident

import (
	"errors"
	"strings"
	"testing"
)

// Examples printed in the standards themselves.
func TestIDNumberOfficialExamples(t *testing.T) {
	for _, s := range []string{
		"11010519491231002X", // GB 11643-1999 appendix: 北京市朝阳区, 1949-12-31, female
		"440524188001010014", // GB 11643-1999 appendix: 广东省汕头市潮阳县, 1880-01-01, male
	} {
		if err := CheckIDNumber(s); err != nil {
			t.Errorf("CheckIDNumber(%s) = %v, want nil", s, err)
		}
	}
}

func TestCreditCodeOfficialExample(t *testing.T) {
	// GB 32100-2015 appendix example.
	const s = "91350100M000100Y43"
	if err := CheckCreditCode(s); err != nil {
		t.Fatalf("CheckCreditCode(%s) = %v", s, err)
	}
	c, err := CreditCodeCheckChar(s[:17])
	if err != nil || c != '3' {
		t.Fatalf("check char = %c, %v; want 3", c, err)
	}
}

func TestIDNumberRejects(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want error
	}{
		{"110105194912310021", ErrCheckDigit},
		{"11010519491231002", ErrLength},
		{"1101051949123100XX", ErrCharacter},
		{"11010519491331002X", ErrBirthDate}, // month 13
		{"110105290001010012", ErrBirthDate}, // future
		{"010105194912310020", ErrRegion},
		{"11010519491231002x", ErrCharacter}, // callers normalise first
	} {
		if err := CheckIDNumber(tc.in); !errors.Is(err, tc.want) {
			t.Errorf("CheckIDNumber(%s) = %v, want %v", tc.in, err, tc.want)
		}
	}
	if err := CheckIDNumber(Normalize(" 11010519491231002x ")); err != nil {
		t.Errorf("normalised lower-case x refused: %v", err)
	}
}

func TestCreditCodeRejects(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want error
	}{
		{"91350100M000100Y44", ErrCheckDigit},
		{"91350100M000100Y4", ErrLength},
		{"91350100M000100I43", ErrCharacter}, // I is not in the alphabet
		{"9135010OM000100Y43", ErrCharacter},
		{"91A50100M000100Y4W", ErrRegion}, // letters in the division code
	} {
		err := CheckCreditCode(tc.in)
		if tc.want == ErrRegion {
			// Make the check character right so the division code is what fails.
			c, _ := CreditCodeCheckChar(tc.in[:17])
			err = CheckCreditCode(tc.in[:17] + string(c))
		}
		if !errors.Is(err, tc.want) {
			t.Errorf("CheckCreditCode(%s) = %v, want %v", tc.in, err, tc.want)
		}
	}
}

// Every single-character substitution of a valid code must be caught: the
// MOD 11-2 and MOD 31 schemes detect all single errors.
func TestSingleSubstitutionsDetected(t *testing.T) {
	id := "11010519491231002X"
	for i := 0; i < 17; i++ {
		for c := byte('0'); c <= '9'; c++ {
			if c == id[i] {
				continue
			}
			s := id[:i] + string(c) + id[i+1:]
			if CheckIDNumber(s) == nil {
				t.Errorf("substitution %s accepted", s)
			}
		}
	}
	code := "91350100M000100Y43"
	for i := 0; i < 18; i++ {
		for j := 0; j < len(creditAlphabet); j++ {
			c := creditAlphabet[j]
			if c == code[i] {
				continue
			}
			s := code[:i] + string(c) + code[i+1:]
			if CheckCreditCode(s) == nil {
				t.Errorf("substitution %s accepted", s)
			}
		}
	}
}

func TestMask(t *testing.T) {
	if got := MaskIDNumber("11010519491231002X"); got != "110***********002X" {
		t.Errorf("MaskIDNumber = %s", got)
	}
	if got := MaskName("欧阳娜娜"); got != "欧***" {
		t.Errorf("MaskName = %s", got)
	}
	if got := MaskName("张三"); got != "张*" {
		t.Errorf("MaskName = %s", got)
	}
	if got := Mask(Person, "11010519491231002X"); strings.Contains(got, "19491231") {
		t.Errorf("Mask leaks the birth date: %s", got)
	}
	if got := Mask(Organisation, "91350100M000100Y43"); got != "91350100M000100Y43" {
		t.Errorf("credit codes are public, got %s", got)
	}
}

// FuzzIDNumber: whatever the input, a number accepted has its check digit
// right, and completing any 17 digits with the computed check character is
// accepted whenever the date and region are valid.
func FuzzIDNumber(f *testing.F) {
	f.Add("11010519491231002X")
	f.Add("440524188001010014")
	f.Add("")
	f.Add("1101051949123100")
	f.Fuzz(func(t *testing.T, s string) {
		err := CheckIDNumber(s)
		if err == nil {
			want, derr := IDNumberCheckDigit(s[:17])
			if derr != nil || want != s[17] {
				t.Fatalf("accepted %q with wrong check digit", s)
			}
		}
		if len(s) >= 17 {
			if c, derr := IDNumberCheckDigit(s[:17]); derr == nil {
				full := s[:17] + string(c)
				if e := CheckIDNumber(full); errors.Is(e, ErrCheckDigit) {
					t.Fatalf("computed check digit refused for %q", full)
				}
			}
		}
		_ = MaskIDNumber(s)
	})
}

// FuzzCreditCode: the same property for GB 32100.
func FuzzCreditCode(f *testing.F) {
	f.Add("91350100M000100Y43")
	f.Add("")
	f.Add("91350100M000100Y4")
	f.Fuzz(func(t *testing.T, s string) {
		if CheckCreditCode(s) == nil {
			want, err := CreditCodeCheckChar(s[:17])
			if err != nil || want != s[17] {
				t.Fatalf("accepted %q with wrong check character", s)
			}
		}
		if len(s) >= 17 {
			if c, err := CreditCodeCheckChar(s[:17]); err == nil {
				full := s[:17] + string(c)
				if e := CheckCreditCode(full); errors.Is(e, ErrCheckDigit) {
					t.Fatalf("computed check character refused for %q", full)
				}
			}
		}
	})
}

func TestMaskIDNumbersIn(t *testing.T) {
	cases := map[string]string{
		`ERROR:  value "11010519491231002X" is out of range`: `ERROR:  value "110***********002X" is out of range`,
		"11010519491231002X,110105194912310021":              "110***********002X,110***********0021",
		"order 9101051949123100211 stays":                    "order 9101051949123100211 stays",
		"no numbers here":                                    "no numbers here",
	}
	for in, want := range cases {
		if got := MaskIDNumbersIn(in); got != want {
			t.Errorf("MaskIDNumbersIn(%q) = %q, want %q", in, got, want)
		}
	}
}
