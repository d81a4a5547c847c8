package calendar

import (
	"fmt"
	"strings"
	"time"
)

// EstimatorFigures compare the provisional estimator with the published
// calendar: for every start date of each year and each length N (working
// days), the due date estimated as if the year's schedule were unpublished
// against the due date of the published schedule.
type EstimatorFigures struct {
	Years []int `json:"years"`
	Ns    []int `json:"ns"`
	// Compared is the number of (start date, N) computations compared;
	// those whose published answer needs an unpublished year are left out.
	Compared int `json:"compared"`
	// Before counts the estimates that differ with the statutory days only
	// (the estimator before art. 6); After with their 补假 added.
	Before int `json:"before"`
	After  int `json:"after"`
	// PerYear holds [compared, before, after] per year.
	PerYear map[int][3]int `json:"per_year"`
}

// EvaluateEstimator computes EstimatorFigures over the embedded data for
// years (each must be published) and lengths ns.
func EvaluateEstimator(years, ns []int) (EstimatorFigures, error) {
	files, err := readEmbedded()
	if err != nil {
		return EstimatorFigures{}, err
	}
	truth, err := compileFiles(files)
	if err != nil {
		return EstimatorFigures{}, err
	}
	f := EstimatorFigures{Years: years, Ns: ns, PerYear: map[int][3]int{}}
	for _, y := range years {
		key := fmt.Sprintf("cn/%d.json", y)
		if _, ok := files[key]; !ok {
			return f, fmt.Errorf("calendar: no data for %d", y)
		}
		if yf := truth.data.years[y]; yf == nil || yf.Status != StatusPublished {
			return f, fmt.Errorf("calendar: %d is not published", y)
		}
		est := map[string]rawFile{}
		for k, v := range files {
			if strings.HasPrefix(k, "cn/") { // the national table only
				est[k] = v
			}
		}
		est[key] = rawFile{origin: "estimate:" + key, data: fmt.Appendf(nil, `{"year": %d, "status": "unpublished"}`, y)}
		var tables [2]*table
		for i, makeUp := range []bool{false, true} {
			ds, err := parseFiles(est)
			if err != nil {
				return f, err
			}
			ds.noMakeUp = !makeUp
			tables[i] = compile(ds, "")
		}
		before := &Calendar{tables: map[string]*table{"": tables[0]}}
		after := &Calendar{tables: map[string]*table{"": tables[1]}}
		var py [3]int
		for d := (Date{y, time.January, 1}); d.Year == y; d = d.AddDays(1) {
			for _, n := range ns {
				want, err := truth.Add(d, n, WorkingDays, Options{})
				if err != nil {
					continue // the published answer itself needs an unpublished year
				}
				b, err := before.Add(d, n, WorkingDays, Options{Provisional: true})
				if err != nil {
					return f, err
				}
				a, err := after.Add(d, n, WorkingDays, Options{Provisional: true})
				if err != nil {
					return f, err
				}
				py[0]++
				if b.Due != want.Due {
					py[1]++
				}
				if a.Due != want.Due {
					py[2]++
				}
			}
		}
		f.PerYear[y] = py
		f.Compared += py[0]
		f.Before += py[1]
		f.After += py[2]
	}
	return f, nil
}
