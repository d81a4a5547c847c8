package integration

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/creditcase/creditcase/internal/ident"
	"github.com/creditcase/creditcase/internal/pgcluster"
)

// Personal data out of every log (issue 16): after the whole integration
// run — every test, the worker, the embedded Temporal server, the private
// PostgreSQL — every log file of the run is searched for the identity
// number and the name of every person in the database (the demo's and the
// tests' own). TestMain fails the run when one is found, and when the
// PostgreSQL log is readable by anyone but its owner.

// personalData returns the identity numbers and names of every person
// subject in the stack's database.
func personalData(pool *pgxpool.Pool) ([]string, error) {
	rows, err := pool.Query(context.Background(), `SELECT ident, name FROM subjects WHERE kind = 'person'`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		out = append(out, id)
		if utf8.RuneCountInString(name) >= 2 {
			out = append(out, name)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no person subjects: the search would prove nothing")
	}
	return out, nil
}

// logsClean reports whether no log file under dir holds any of secrets.
func logsClean(dir string, secrets []string) bool {
	clean, files, size := true, 0, 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && filepath.Base(path) == "pg" {
			return filepath.SkipDir // the cluster's data files, not logs
		}
		if d.IsDir() || !strings.HasSuffix(path, ".log") {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if strings.HasSuffix(path, "pg.log") && info.Mode().Perm() != pgcluster.LogMode {
			fmt.Fprintf(os.Stderr, "logs: %s has mode %v, want %v\n", path, info.Mode().Perm(), os.FileMode(pgcluster.LogMode))
			clean = false
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		size += len(data)
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for n := 1; sc.Scan(); n++ {
			line := sc.Text()
			for _, s := range secrets {
				if strings.Contains(line, s) {
					clean = false
					fmt.Fprintf(os.Stderr, "logs: %s:%d holds personal data %s: %.200s\n", filepath.Base(path), n,
						ident.MaskIDNumber(s), strings.ReplaceAll(line, s, ident.MaskIDNumber(s)))
				}
			}
		}
		return sc.Err()
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "logs:", err)
		return false
	}
	if files < 2 {
		fmt.Fprintf(os.Stderr, "logs: only %d log files found under %s; want the stack's and PostgreSQL's\n", files, dir)
		return false
	}
	fmt.Fprintf(os.Stderr, "logs: %d files, %d bytes searched for %d identity numbers and names of persons: clean=%v\n", files, size, len(secrets), clean)
	return clean
}
