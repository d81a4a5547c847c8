// Package evidence checks and stores the files that parties upload with an
// objection, a representation, a repair application or a provider's reply
// (证据材料).
//
// A file's type is decided from its content, never from the client's
// Content-Type header or file name: only PDF, JPEG and PNG are accepted, and
// each must look whole (a PDF ends with %%EOF, a JPEG with its end-of-image
// marker, a PNG with its IEND chunk, and images decode their headers within
// a size bound). The name the client sent is kept only for display, after
// sanitising. Files are stored content-addressed by SHA-256 (see Store).
package evidence

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image/jpeg"
	"image/png"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Accepted content types.
const (
	TypePDF  = "application/pdf"
	TypeJPEG = "image/jpeg"
	TypePNG  = "image/png"
)

// Default limits.
const (
	DefaultMaxFileSize  = 10 << 20 // 10 MiB per file
	DefaultMaxCaseTotal = 50 << 20 // 50 MiB per case
	DefaultMaxCaseFiles = 50
	// MaxImagePixels bounds width×height of an accepted image, so that a
	// small file cannot expand to gigabytes when displayed.
	MaxImagePixels = 100_000_000
	// MaxNameRunes bounds the stored display name, extension included.
	MaxNameRunes = 100
)

// Limits are the size limits applied to uploads. Zero fields take the
// defaults.
type Limits struct {
	// MaxFileSize is the largest accepted file, in bytes.
	MaxFileSize int64
	// MaxCaseTotal is the largest total size of all evidence of one case.
	MaxCaseTotal int64
	// MaxCaseFiles is the largest number of files one case may hold.
	MaxCaseFiles int
}

// withDefaults fills zero fields with the defaults.
func (l Limits) withDefaults() Limits {
	if l.MaxFileSize <= 0 {
		l.MaxFileSize = DefaultMaxFileSize
	}
	if l.MaxCaseTotal <= 0 {
		l.MaxCaseTotal = DefaultMaxCaseTotal
	}
	if l.MaxCaseFiles <= 0 {
		l.MaxCaseFiles = DefaultMaxCaseFiles
	}
	return l
}

// Code says why a file was refused; it is stable and meant for machines
// (problem+json "code" of a field error).
type Code string

// Refusal codes.
const (
	CodeEmpty          Code = "empty"
	CodeTooLarge       Code = "too_large"
	CodeTypeNotAllowed Code = "type_not_allowed"
	CodeCorrupt        Code = "corrupt"
	CodeCaseTotal      Code = "case_total_exceeded"
	CodeCaseFiles      Code = "case_files_exceeded"
	CodeNoCase         Code = "case_required"
)

// Error is a refused upload: the request field it concerns, a stable code
// and a message in Chinese and in English for people. It never contains
// the file's content.
type Error struct {
	Field string
	Code  Code
	Zh    string
	En    string
}

// Error returns the English message.
func (e *Error) Error() string { return "evidence: " + e.En }

// Is matches errors with the same code, so errors.Is(err, ErrTooLarge)
// works whatever the message.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// Sentinels for errors.Is.
var (
	ErrEmpty          = &Error{Code: CodeEmpty}
	ErrTooLarge       = &Error{Code: CodeTooLarge}
	ErrTypeNotAllowed = &Error{Code: CodeTypeNotAllowed}
	ErrCorrupt        = &Error{Code: CodeCorrupt}
	ErrCaseTotal      = &Error{Code: CodeCaseTotal}
	ErrCaseFiles      = &Error{Code: CodeCaseFiles}
)

// FieldFile is the request field that carries the file.
const FieldFile = "file"

// File is an accepted file: its sanitised display name, the type sniffed
// from its content, its size and its SHA-256 (lower-case hex).
type File struct {
	Name        string
	ContentType string
	Size        int64
	SHA256      string
}

// Check decides whether data may be filed as evidence under the client's
// name, and returns what is stored. Only the per-file limits apply here;
// the per-case limits are applied by Store.Put.
func Check(name string, data []byte, lim Limits) (File, error) {
	lim = lim.withDefaults()
	if len(data) == 0 {
		return File{}, &Error{Field: FieldFile, Code: CodeEmpty,
			Zh: "上传的文件为空", En: "the uploaded file is empty"}
	}
	if int64(len(data)) > lim.MaxFileSize {
		return File{}, &Error{Field: FieldFile, Code: CodeTooLarge,
			Zh: fmt.Sprintf("文件大小 %s 超过上限 %s", humanSize(int64(len(data))), humanSize(lim.MaxFileSize)),
			En: fmt.Sprintf("the file is %s, more than the limit of %s", humanSize(int64(len(data))), humanSize(lim.MaxFileSize))}
	}
	ct, err := Sniff(data)
	if err != nil {
		return File{}, err
	}
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])
	return File{
		Name:        SanitizeName(name, ct, hash),
		ContentType: ct,
		Size:        int64(len(data)),
		SHA256:      hash,
	}, nil
}

// Sniff returns the content type of data when it is an accepted and
// well-formed PDF, JPEG or PNG file. It first asks
// net/http.DetectContentType, then checks the format's own structure.
func Sniff(data []byte) (string, error) {
	ct := http.DetectContentType(data)
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	switch ct {
	case TypePDF:
		return ct, checkPDF(data)
	case TypeJPEG:
		return ct, checkJPEG(data)
	case TypePNG:
		return ct, checkPNG(data)
	}
	return "", &Error{Field: FieldFile, Code: CodeTypeNotAllowed,
		Zh: "只接受 PDF、JPEG 或 PNG 格式的文件（按文件内容判断，而非文件名）",
		En: "only PDF, JPEG and PNG files are accepted (judged by the content, not the file name)"}
}

func corrupt(format string) error {
	return &Error{Field: FieldFile, Code: CodeCorrupt,
		Zh: "文件不是完整有效的 " + format + " 文件，可能已损坏或被截断",
		En: "the file is not a complete, valid " + format + " file; it may be damaged or truncated"}
}

// checkPDF wants a "%PDF-1.x" or "%PDF-2.x" header and an end-of-file
// marker near the end (incremental updates may follow an earlier one, but
// the last section must end with %%EOF, give or take trailing whitespace).
func checkPDF(data []byte) error {
	if len(data) < 16 || !bytes.HasPrefix(data, []byte("%PDF-")) ||
		(data[5] != '1' && data[5] != '2') || data[6] != '.' || data[7] < '0' || data[7] > '9' {
		return corrupt("PDF")
	}
	tail := data[max(0, len(data)-1024):]
	tail = bytes.TrimRight(tail, "\x00\r\n\t\f ")
	if !bytes.HasSuffix(tail, []byte("%%EOF")) {
		return corrupt("PDF")
	}
	return nil
}

// checkJPEG wants a decodable JPEG header with sane dimensions and an
// end-of-image marker at the end (trailing padding tolerated).
func checkJPEG(data []byte) error {
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 {
		return corrupt("JPEG")
	}
	if int64(cfg.Width)*int64(cfg.Height) > MaxImagePixels {
		return tooManyPixels(cfg.Width, cfg.Height)
	}
	tail := bytes.TrimRight(data[max(0, len(data)-4096):], "\x00")
	if !bytes.HasSuffix(tail, []byte{0xFF, 0xD9}) {
		return corrupt("JPEG")
	}
	return nil
}

// pngEnd is the IEND chunk: length 0, type, CRC.
var pngEnd = []byte{0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xAE, 0x42, 0x60, 0x82}

// checkPNG wants a decodable PNG header with sane dimensions and the IEND
// chunk at the end.
func checkPNG(data []byte) error {
	cfg, err := png.DecodeConfig(bytes.NewReader(data))
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 {
		return corrupt("PNG")
	}
	if int64(cfg.Width)*int64(cfg.Height) > MaxImagePixels {
		return tooManyPixels(cfg.Width, cfg.Height)
	}
	if !bytes.HasSuffix(data, pngEnd) {
		return corrupt("PNG")
	}
	return nil
}

func tooManyPixels(w, h int) error {
	return &Error{Field: FieldFile, Code: CodeTooLarge,
		Zh: fmt.Sprintf("图片尺寸 %d×%d 过大（上限 %d 像素）", w, h, MaxImagePixels),
		En: fmt.Sprintf("the image is %d×%d, more than %d pixels", w, h, MaxImagePixels)}
}

// extensions maps an accepted type to the extension stored names end with,
// and the other spellings of it that a client's name may already carry.
var extensions = map[string][]string{
	TypePDF:  {".pdf"},
	TypeJPEG: {".jpg", ".jpeg", ".jpe"},
	TypePNG:  {".png"},
}

// windowsReserved are base names Windows refuses, whatever the extension.
var windowsReserved = map[string]bool{
	"CON": true, "PRN": true, "AUX": true, "NUL": true,
	"COM1": true, "COM2": true, "COM3": true, "COM4": true, "COM5": true, "COM6": true, "COM7": true, "COM8": true, "COM9": true,
	"LPT1": true, "LPT2": true, "LPT3": true, "LPT4": true, "LPT5": true, "LPT6": true, "LPT7": true, "LPT8": true, "LPT9": true,
}

// SanitizeName turns the name a client sent into one that is safe to store,
// show and offer for download: the last path element only, NFC-normalised,
// without control, format (bidirectional overrides, zero-width) or
// reserved characters, at most MaxNameRunes runes, and ending with the
// extension of contentType (the client's own extension is kept only when it
// agrees). An empty result becomes "evidence-<first 12 hex of hash>".
func SanitizeName(name, contentType, hash string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	if !utf8.ValidString(name) {
		name = strings.ToValidUTF8(name, "")
	}
	name = norm.NFC.String(name)
	var b strings.Builder
	space := false
	for _, r := range name {
		switch {
		case r == '\uFFFD':
			continue
		case unicode.IsSpace(r):
			if !space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = true
			continue
		case unicode.IsControl(r), unicode.Is(unicode.Cf, r), unicode.Is(unicode.Co, r), unicode.Is(unicode.Cs, r):
			continue
		case strings.ContainsRune(`<>:"|?*`, r):
			r = '_'
		}
		space = false
		b.WriteRune(r)
	}
	name = strings.Trim(b.String(), " .")

	exts := extensions[contentType]
	want := ""
	if len(exts) > 0 {
		want = exts[0]
	}
	stem := name
	if dot := strings.LastIndexByte(name, '.'); dot > 0 {
		ext := strings.ToLower(name[dot:])
		for _, e := range exts {
			if ext == e {
				stem, want = name[:dot], ext
				break
			}
		}
	}
	stem = strings.TrimRight(stem, " .")
	if base, _, _ := strings.Cut(stem, "."); windowsReserved[strings.ToUpper(strings.TrimSpace(base))] {
		stem = "_" + stem
	}
	if stem == "" {
		stem = "evidence-" + hash[:min(12, len(hash))]
	}
	if r := []rune(stem); len(r)+utf8.RuneCountInString(want) > MaxNameRunes {
		stem = strings.TrimRight(string(r[:MaxNameRunes-utf8.RuneCountInString(want)]), " .")
	}
	return stem + want
}

// humanSize formats n bytes for messages: "10 MiB", "512 KiB", "12 B".
func humanSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// AsError returns the *Error inside err, if any.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
