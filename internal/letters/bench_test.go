package letters

import (
	"testing"

	"github.com/creditcase/creditcase/internal/documents"
	"github.com/creditcase/creditcase/internal/policy"
)

// BenchmarkRender measures one letter from the case to its HTML and PDF
// (compose, template, layout, font subsetting): the acceptance notice (two
// pages) and the pre-listing notice (the longest, three pages).
//
//	go test -run '^$' -bench Render -benchmem ./internal/letters/
func BenchmarkRender(b *testing.B) {
	p, err := policy.Default().Get("nantong")
	if err != nil {
		b.Fatal(err)
	}
	for _, kind := range []documents.Kind{documents.KindAcceptance, documents.KindListingNotice} {
		b.Run(string(kind), func(b *testing.B) {
			c := fixedCase(b, p, kind)
			series, err := Series(p, kind)
			if err != nil {
				b.Fatal(err)
			}
			is := fixedIssue(kind, "", documents.FormatNumber(series, 2026, 7))
			b.ReportAllocs()
			var size int
			for b.Loop() {
				data, err := Compose(c, is)
				if err != nil {
					b.Fatal(err)
				}
				r, err := documents.Render(kind, data)
				if err != nil {
					b.Fatal(err)
				}
				size = len(r.PDF)
			}
			b.ReportMetric(float64(size)/1024, "KiB/pdf")
		})
	}
}
