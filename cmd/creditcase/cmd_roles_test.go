package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/permission"
)

// `creditcase roles` prints the table the core enforces: read back, every
// row's marks are what permission.Allows answers for each role, every use
// case is printed once, and the administrator is marked for no casework
// (the security review's admin removing a listing).
func TestRolesPrintsTheEnforcedTable(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := runMain([]string{"roles"}, &out, &errOut); code != 0 {
		t.Fatalf("creditcase roles: exit %d: %s", code, errOut.String())
	}
	lines := strings.Split(strings.TrimRight(out.String(), "\n"), "\n")
	head := strings.Fields(lines[0])
	wantHead := []string{"use", "case"}
	for _, r := range permission.Roles {
		wantHead = append(wantHead, string(r))
	}
	if strings.Join(head, " ") != strings.Join(wantHead, " ") {
		t.Fatalf("header %q, want %q", lines[0], strings.Join(wantHead, " "))
	}
	printed := map[string]bool{}
	for _, line := range lines[1:] {
		f := strings.Fields(line)
		if len(f) < 1+len(permission.Roles)+1 {
			t.Fatalf("short line %q", line)
		}
		uc := f[0]
		if printed[uc] {
			t.Errorf("%s printed twice", uc)
		}
		printed[uc] = true
		for i, r := range permission.Roles {
			want := "-"
			if permission.Allows(r, permission.UseCase(uc)) {
				want = "yes"
			}
			if f[1+i] != want {
				t.Errorf("%s under %s: printed %q, enforced %q", uc, r, f[1+i], want)
			}
		}
	}
	for _, e := range permission.Table() {
		if !printed[string(e.UseCase)] {
			t.Errorf("%s not printed", e.UseCase)
		}
	}
	for _, uc := range []string{"removeListing", "getRecord", "listObjections", "decideRepair"} {
		if !printed[uc] || permission.Allows(auth.Admin, permission.UseCase(uc)) {
			t.Errorf("admin may take %s", uc)
		}
	}
	for _, uc := range []string{"createAccount", "disableAccount", "createProvider", "importCalendar"} {
		if !permission.Allows(auth.Admin, permission.UseCase(uc)) {
			t.Errorf("admin may not take %s", uc)
		}
	}
}
