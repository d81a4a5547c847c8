package evidence

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"
)

func samplePNG(t testing.TB, w, h int, shade uint8) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := 0; x < w; x++ {
		img.Set(x, x%h, color.RGBA{shade, 0, 0, 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func sampleJPEG(t testing.TB) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 16, 8))
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// samplePDF is a minimal one-page PDF; tag makes distinct contents.
func samplePDF(tag string) []byte {
	return []byte("%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n" +
		"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n" +
		"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >> endobj\n" +
		"% " + tag + "\ntrailer << /Root 1 0 R >>\n%%EOF\n")
}

// pngHeaderOnly is a PNG whose IHDR claims w×h, with no image data.
func pngHeaderOnly(w, h uint32) []byte {
	var b bytes.Buffer
	b.Write([]byte("\x89PNG\r\n\x1a\n"))
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	chunk := append([]byte("IHDR"), ihdr...)
	binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	b.Write(pngEnd)
	return b.Bytes()
}

func TestCheckAcceptsByContent(t *testing.T) {
	cases := []struct {
		name, client string
		data         []byte
		wantType     string
		wantName     string
	}{
		{"pdf", "证明材料.PDF", samplePDF("a"), TypePDF, "证明材料.pdf"},
		{"png named pdf", "photo.pdf", samplePNG(t, 4, 4, 1), TypePNG, "photo.pdf.png"},
		{"jpeg named exe", "C:\\Users\\x\\scan.exe", sampleJPEG(t), TypeJPEG, "scan.exe.jpg"},
		{"jpeg keeps jpeg", "scan.JPEG", sampleJPEG(t), TypeJPEG, "scan.jpeg"},
		{"pdf trailing newlines", "a.pdf", append(samplePDF("b"), "\r\n\r\n"...), TypePDF, "a.pdf"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := Check(c.client, c.data, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if f.ContentType != c.wantType || f.Name != c.wantName || f.Size != int64(len(c.data)) || len(f.SHA256) != 64 {
				t.Fatalf("got %+v, want type %s name %q", f, c.wantType, c.wantName)
			}
		})
	}
}

func TestCheckRefuses(t *testing.T) {
	pngData := samplePNG(t, 8, 8, 2)
	jpgData := sampleJPEG(t)
	pdfData := samplePDF("c")
	cases := []struct {
		name string
		data []byte
		lim  Limits
		want error
	}{
		{"empty", nil, Limits{}, ErrEmpty},
		{"html named pdf", []byte("<html><script>alert(1)</script></html>"), Limits{}, ErrTypeNotAllowed},
		{"gif", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), Limits{}, ErrTypeNotAllowed},
		{"zip", []byte("PK\x03\x04\x14\x00\x00\x00\x08\x00"), Limits{}, ErrTypeNotAllowed},
		{"svg", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>`), Limits{}, ErrTypeNotAllowed},
		{"pdf truncated", pdfData[:len(pdfData)-10], Limits{}, ErrCorrupt},
		{"pdf bad version", append([]byte("%PDF-x.4"), pdfData[8:]...), Limits{}, ErrCorrupt},
		{"png truncated", pngData[:len(pngData)-5], Limits{}, ErrCorrupt},
		{"png header garbage", append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{1}, 40)...), Limits{}, ErrCorrupt},
		{"jpeg truncated", jpgData[:len(jpgData)-2], Limits{}, ErrCorrupt},
		{"jpeg magic only", []byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 0, 0xFF, 0xD9}, Limits{}, ErrCorrupt},
		{"png pixel bomb", pngHeaderOnly(100_000, 100_000), Limits{}, ErrTooLarge},
		{"too large", pdfData, Limits{MaxFileSize: int64(len(pdfData) - 1)}, ErrTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Check("x.pdf", c.data, c.lim)
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			e, ok := AsError(err)
			if !ok || e.Field != FieldFile || e.Zh == "" || e.En == "" || !strings.Contains(e.Error(), e.En) {
				t.Fatalf("error %#v lacks field or messages", err)
			}
			if errors.Is(err, &Error{Code: "other"}) {
				t.Fatal("matched a different code")
			}
		})
	}
}

func TestCheckSizeMessage(t *testing.T) {
	_, err := Check("a.pdf", samplePDF(strings.Repeat("x", 2<<20)), Limits{MaxFileSize: 1 << 20})
	e, ok := AsError(err)
	if !ok || !strings.Contains(e.Zh, "1 MiB") || !strings.Contains(e.En, "limit of 1 MiB") {
		t.Fatalf("got %v", err)
	}
}

func TestSanitizeName(t *testing.T) {
	const hash = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	long := strings.Repeat("长", 150) + ".pdf"
	cases := []struct{ in, ct, want string }{
		{"../../etc/passwd", TypePDF, "passwd.pdf"},
		{"..\\..\\boot.ini", TypePNG, "boot.ini.png"},
		{"evil\u202Egpj.exe", TypeJPEG, "evilgpj.exe.jpg"},
		{"a\x00b\r\nc.pdf", TypePDF, "ab c.pdf"},
		{"  营业执照 副本 .pdf  ", TypePDF, "营业执照 副本.pdf"},
		{"what?<is>:this|*\".png", TypePNG, "what__is__this___.png"},
		{"CON.pdf", TypePDF, "_CON.pdf"},
		{"nul", TypePNG, "_nul.png"},
		{"", TypePDF, "evidence-0123456789ab.pdf"},
		{"...", TypeJPEG, "evidence-0123456789ab.jpg"},
		{"zero\u200bwidth.png", TypePNG, "zerowidth.png"},
		{"e\u0301.pdf", TypePDF, "\u00e9.pdf"}, // NFC
		{"bad\xffutf8.pdf", TypePDF, "badutf8.pdf"},
		{long, TypePDF, strings.Repeat("长", MaxNameRunes-4) + ".pdf"},
	}
	for _, c := range cases {
		if got := SanitizeName(c.in, c.ct, hash); got != c.want {
			t.Errorf("SanitizeName(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func FuzzSanitizeName(f *testing.F) {
	f.Add("a/b\\c.pdf")
	f.Add("\u202e\x00.png")
	f.Fuzz(func(t *testing.T, in string) {
		got := SanitizeName(in, TypePDF, "0123456789abcdef")
		if got == "" || !strings.HasSuffix(got, ".pdf") || strings.ContainsAny(got, "/\\<>:\"|?*\x00") {
			t.Fatalf("SanitizeName(%q) = %q", in, got)
		}
		if n := len([]rune(got)); n > MaxNameRunes {
			t.Fatalf("SanitizeName(%q) has %d runes", in, n)
		}
		if strings.HasPrefix(got, " ") || strings.HasPrefix(got, ".") {
			t.Fatalf("SanitizeName(%q) = %q starts with a space or dot", in, got)
		}
	})
}
