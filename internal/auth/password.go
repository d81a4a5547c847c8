package auth

import (
	"bufio"
	_ "embed"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/creditcase/creditcase/internal/records"
)

// Password policy. A password has at least MinPassword characters (at most
// MaxPassword bytes) and must not be guessable from what an attacker tries
// first: it is refused when it is a common password (common_passwords.txt)
// with at most digits and symbols around it, or when — once the common
// words, the context words (the account's user name and display name, the
// centre's name, the product's name), runs such as "1234", "abcd", "qwer"
// and repeated characters are taken out — fewer than 8 characters or fewer
// than 5 different ones are left. Digit-for-letter swaps (p@ssw0rd) are
// undone first.

//go:embed common_passwords.txt
var commonPasswordsFile string

var commonPasswords = func() map[string]bool {
	m := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(commonPasswordsFile))
	for sc.Scan() {
		w := strings.TrimSpace(sc.Text())
		if w != "" && !strings.HasPrefix(w, "#") {
			m[strings.ToLower(w)] = true
		}
	}
	return m
}()

// commonWords are the common passwords of 4 characters or more, longest
// first, taken out of a password before its strength is judged.
var commonWords = func() []string {
	var out []string
	for w := range commonPasswords {
		if utf8.RuneCountInString(w) >= 4 {
			out = append(out, w)
		}
	}
	sortLongestFirst(out)
	return out
}()

func sortLongestFirst(ws []string) {
	slices.SortFunc(ws, func(a, b string) int {
		if d := utf8.RuneCountInString(b) - utf8.RuneCountInString(a); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
}

// DefaultContextWords are refused in every password: the product and the
// centre's generic names.
var DefaultContextWords = []string{"creditcase", "credit", "xinyong", "信用", "公共信用信息", "信用中心", "工作机构"}

// Residual strength a password keeps once the guessable parts are taken out.
const (
	minResidual         = 8
	minResidualDistinct = 5
)

// unleet undoes the digit and symbol swaps people make for letters.
var unleet = strings.NewReplacer("0", "o", "1", "i", "3", "e", "4", "a", "5", "s", "7", "t", "@", "a", "$", "s", "!", "i", "|", "l")

// keyboard rows and alphabets: any 3 characters in a row of these, forwards
// or backwards, count as a run.
var walks = []string{
	"abcdefghijklmnopqrstuvwxyz", "0123456789", "01234567890",
	"qwertyuiop", "asdfghjkl", "zxcvbnm", "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
	"qazwsxedcrfvtgbyhnujmikolp", "!@#$%^&*()",
}

// CheckPassword returns the field error for a password too weak for the
// account named username / displayName, or nil.
func (s *Service) CheckPassword(pw, username, displayName string) *records.FieldError {
	if n := utf8.RuneCountInString(pw); n < MinPassword || len(pw) > MaxPassword {
		return &records.FieldError{Field: "password", Code: "length",
			ZH: fmt.Sprintf("密码至少 %d 个字符（最多 %d 字节）", MinPassword, MaxPassword),
			EN: fmt.Sprintf("a password has at least %d characters (at most %d bytes)", MinPassword, MaxPassword)}
	}
	lower := strings.ToLower(pw)
	plain := unleet.Replace(lower)
	for _, v := range []string{lower, plain, trimNonLetters(lower), unleet.Replace(trimNonLetters(lower)), trimNonLetters(plain)} {
		if commonPasswords[v] {
			return &records.FieldError{Field: "password", Code: "common",
				ZH: "这是常见密码（或常见密码加数字、符号），很容易被猜中：请另选一个",
				EN: "this is a common password (or one with digits or symbols added) and easily guessed: choose another"}
		}
	}
	context := contextWords(username, displayName, s.contextWords)
	usedContext := false
	strong := true
	// Both as typed (for runs such as 1234) and with swaps undone (for
	// words such as p@ssw0rd): the weaker reading counts.
	for _, rest := range []string{lower, plain} {
		for _, w := range context {
			if strings.Contains(rest, w) || strings.Contains(rest, unleet.Replace(w)) {
				usedContext = true
				rest = strings.ReplaceAll(strings.ReplaceAll(rest, w, ""), unleet.Replace(w), "")
			}
		}
		for _, w := range commonWords {
			rest = strings.ReplaceAll(rest, w, "")
		}
		rest = dropRuns(rest)
		if utf8.RuneCountInString(rest) < minResidual || distinct(rest) < minResidualDistinct {
			strong = false
		}
	}
	if strong {
		return nil
	}
	if usedContext {
		return &records.FieldError{Field: "password", Code: "context",
			ZH: "密码以用户名、姓名或中心名称为主，很容易被猜中：请另选一个",
			EN: "the password is built on the user name, the display name or the centre's name and easily guessed: choose another"}
	}
	return &records.FieldError{Field: "password", Code: "weak",
		ZH: fmt.Sprintf("密码太简单：去掉常见词、连续字符（如 1234、abcd、qwer）和重复字符后，应至少剩下 %d 个字符、其中 %d 个互不相同", minResidual, minResidualDistinct),
		EN: fmt.Sprintf("the password is too simple: without common words, runs (1234, abcd, qwer) and repeated characters it must keep at least %d characters, %d of them different", minResidual, minResidualDistinct)}
}

// contextWords are the words of the account and the centre that no
// password may rest on: whole, and split at separators (3 characters or
// more).
func contextWords(username, displayName string, extra []string) []string {
	var out []string
	add := func(w string) {
		w = strings.ToLower(strings.TrimSpace(w))
		if utf8.RuneCountInString(w) >= 3 || (w != "" && !isASCII(w) && utf8.RuneCountInString(w) >= 2) {
			out = append(out, w)
		}
	}
	for _, w := range append([]string{username, displayName}, extra...) {
		add(w)
		parts := strings.FieldsFunc(w, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
		for _, p := range parts {
			add(p)
		}
		add(strings.Join(parts, ""))
	}
	// Longest first: the centre's full name goes before the 信用 inside it.
	sortLongestFirst(out)
	return out
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func trimNonLetters(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return !unicode.IsLetter(r) })
}

// dropRuns takes out every run of 3 or more characters that follow a walk
// (forwards or backwards) and every character repeated 3 times or more.
func dropRuns(s string) string {
	rs := []rune(s)
	drop := make([]bool, len(rs))
	for i := 0; i+2 < len(rs); i++ {
		if rs[i] == rs[i+1] && rs[i] == rs[i+2] {
			for j := i; j < len(rs) && rs[j] == rs[i]; j++ {
				drop[j] = true
			}
		}
	}
	// A longer run is a chain of overlapping 3-character windows.
	for i := 0; i+3 <= len(rs); i++ {
		win := string(rs[i : i+3])
		for _, w := range walks {
			if strings.Contains(w, win) || strings.Contains(reverse(w), win) {
				drop[i], drop[i+1], drop[i+2] = true, true, true
				break
			}
		}
	}
	var b strings.Builder
	for i, r := range rs {
		if !drop[i] {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func reverse(s string) string {
	rs := []rune(s)
	for i, j := 0, len(rs)-1; i < j; i, j = i+1, j-1 {
		rs[i], rs[j] = rs[j], rs[i]
	}
	return string(rs)
}

func distinct(s string) int {
	seen := map[rune]bool{}
	for _, r := range s {
		seen[r] = true
	}
	return len(seen)
}
