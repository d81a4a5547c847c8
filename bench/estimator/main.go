// Command estimator measures the provisional calendar estimator against the
// published holiday schedules: for every start date of 2020–2026 and
// N = 3, 5, 10 working days, how many provisional due dates differ from the
// published calendar with the statutory days only (before) and with the 补假
// of 全国年节及纪念日放假办法 art. 6 (after).
//
//	go run ./bench/estimator
package main

import (
	"fmt"
	"os"

	"github.com/creditcase/creditcase/internal/calendar"
)

func main() {
	f, err := calendar.EvaluateEstimator([]int{2020, 2021, 2022, 2023, 2024, 2025, 2026}, []int{3, 5, 10})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("year  compared  differ-before  differ-after")
	for _, y := range f.Years {
		py := f.PerYear[y]
		fmt.Printf("%d  %8d  %13d  %12d\n", y, py[0], py[1], py[2])
	}
	fmt.Printf("all   %8d  %13d  %12d\n", f.Compared, f.Before, f.After)
	fmt.Printf("provisional answers differing from the published calendar: before %d of %d (%.1f%%), after %d of %d (%.1f%%)\n",
		f.Before, f.Compared, 100*float64(f.Before)/float64(f.Compared), f.After, f.Compared, 100*float64(f.After)/float64(f.Compared))
}
