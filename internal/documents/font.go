package documents

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
)

// PDFs are set in two TrueType fonts: a CJK font for Chinese characters and
// full-width punctuation, and a Latin font for everything below U+2E80
// (digits, letters, “quotes”, dashes), which CJK fallback fonts such as
// Droid Sans Fallback do not carry. Each is found through an environment
// variable naming a .ttf file, else in the usual Debian places.
type FontSpec struct {
	// Env names the variable that overrides the search.
	Env string
	// Package is the Debian package that provides the default.
	Package string
	// Paths are searched in order when Env is not set.
	Paths []string
}

// CJKFont and LatinFont say where the fonts are looked for.
var (
	CJKFont = FontSpec{
		Env:     "DOCUMENT_FONT",
		Package: "fonts-droid-fallback",
		Paths: []string{
			"/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
			"/usr/share/fonts-droid-fallback/truetype/DroidSansFallback.ttf",
			"/usr/share/fonts/truetype/droid/DroidSansFallback.ttf",
		},
	}
	LatinFont = FontSpec{
		Env:     "DOCUMENT_LATIN_FONT",
		Package: "fonts-dejavu-core",
		Paths: []string{
			"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
			"/usr/share/fonts/dejavu/DejaVuSans.ttf",
		},
	}
)

// ErrFontMissing matches (errors.Is) a *FontError: a font PDFs need is not
// available.
var ErrFontMissing = errors.New("documents: font for PDF documents missing")

// FontError says which font could not be used and what to do about it.
type FontError struct {
	// Env is the variable that names the font; Package the Debian package
	// that provides the default.
	Env, Package string
	// Path is the font tried, when Env named one.
	Path string
	// Tried lists the system paths searched.
	Tried []string
	// Reason says what was wrong with Path.
	Reason string
}

// Error tells the operator how to fix it.
func (e *FontError) Error() string {
	if e.Path != "" {
		return fmt.Sprintf("documents: %s=%s cannot be used for PDFs: %s; point it at a TrueType (.ttf) font, or unset it to use the Debian package %s",
			e.Env, e.Path, e.Reason, e.Package)
	}
	return fmt.Sprintf("documents: no font for PDFs (looked in %s): install the Debian package %s (`make setup` does), or set %s to a TrueType (.ttf) font",
		strings.Join(e.Tried, ", "), e.Package, e.Env)
}

// Is makes errors.Is(err, ErrFontMissing) true.
func (e *FontError) Is(target error) bool { return target == ErrFontMissing }

// Path returns the font file: the environment variable when set, else the
// first of Paths that exists.
func (s FontSpec) Path() (string, error) {
	if p := os.Getenv(s.Env); p != "" {
		return p, nil
	}
	for _, p := range s.Paths {
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, nil
		}
	}
	return "", &FontError{Env: s.Env, Package: s.Package, Tried: s.Paths}
}

// fontCache keeps loaded fonts by path: they are megabytes, read once.
var fontCache sync.Map // path → []byte

// load reads and checks the font.
func (s FontSpec) load() ([]byte, error) {
	path, err := s.Path()
	if err != nil {
		return nil, err
	}
	if b, ok := fontCache.Load(path); ok {
		return b.([]byte), nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		if os.Getenv(s.Env) == "" {
			return nil, &FontError{Env: s.Env, Package: s.Package, Tried: s.Paths}
		}
		reason := "cannot be read"
		if errors.Is(err, os.ErrNotExist) {
			reason = "no such file"
		}
		return nil, &FontError{Env: s.Env, Package: s.Package, Path: path, Reason: reason}
	}
	if reason := checkTrueType(b); reason != "" {
		return nil, &FontError{Env: s.Env, Package: s.Package, Path: path, Reason: reason}
	}
	fontCache.Store(path, b)
	return b, nil
}

// checkTrueType returns why b is not a single TrueType font, or "".
func checkTrueType(b []byte) string {
	switch {
	case len(b) < 12:
		return "not a font file"
	case bytes.HasPrefix(b, []byte("ttcf")):
		return "it is a TrueType collection (.ttc); a single .ttf is needed"
	case bytes.HasPrefix(b, []byte("OTTO")):
		return "it is an OpenType/CFF font (.otf); a TrueType .ttf is needed"
	case bytes.HasPrefix(b, []byte{0, 1, 0, 0}), bytes.HasPrefix(b, []byte("true")):
		return ""
	}
	return "not a TrueType font file"
}
