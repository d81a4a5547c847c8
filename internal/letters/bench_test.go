package letters

import (
	"syscall"
	"testing"
	"time"

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
			cpu0 := cpuTime(b)
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
			// CPU time is what this shared machine's load does not stretch.
			b.ReportMetric(float64((cpuTime(b)-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
		})
	}
}

// cpuTime is the CPU time the process has used (user and system).
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
