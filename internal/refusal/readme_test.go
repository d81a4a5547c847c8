package refusal

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// The problem table is written twice, in the code and in README.md; they
// must say the same.
func TestREADMEListsEveryProblemWithItsStatus(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	for _, r := range Table() {
		row := fmt.Sprintf("| `%s` | %d |", r.Kind, r.Status)
		if !strings.Contains(readme, row) {
			t.Errorf("README.md lacks the row %q", row)
		}
	}
	if n := strings.Count(readme, "| `") - strings.Count(readme, "| `creditcase"); n < len(Table()) {
		t.Errorf("README has %d table rows, code %d", n, len(Table()))
	}
}

// Every kind has a status; unknown kinds are 500.
func TestStatus(t *testing.T) {
	if Status(WrongStage) != 409 || Status(InvalidInput) != 422 || Status(EngineUnavailable) != 503 || Status("nope") != 500 {
		t.Fatal("status table")
	}
}
