package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/creditcase/creditcase/internal/config"
	"github.com/creditcase/creditcase/internal/db"
)

func init() {
	register(command{
		name:    "migrate",
		summary: "apply (up), roll back one (down) or list (status) database migrations on DATABASE_URL",
		usage: `Usage: creditcase migrate up|down|status

  up      apply every pending migration
  down    roll back the newest applied migration
  status  list every migration and whether it is applied

Migrations hold a PostgreSQL advisory lock, so concurrent runs wait for each other.`,
		run: runMigrate,
	})
}

func runMigrate(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) != 1 {
		return newUsageError("want exactly one of up, down, status")
	}
	cfg, err := config.FromEnv("json")
	if err != nil {
		return err
	}
	pool, err := db.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	m, err := db.NewMigrator(pool)
	if err != nil {
		return err
	}
	defer m.Close()
	switch args[0] {
	case "up":
		applied, err := m.Up(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "applied %d migration(s) %v\n", len(applied), applied)
	case "down":
		v, err := m.Down(ctx)
		if err != nil {
			return err
		}
		if v == 0 {
			fmt.Fprintln(stdout, "nothing to roll back")
		} else {
			fmt.Fprintf(stdout, "rolled back migration %d\n", v)
		}
	case "status":
		st, err := m.Status(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "VERSION\tSTATE\tAPPLIED AT\tFILE")
		for _, s := range st {
			state, at := "pending", ""
			if s.Applied {
				state, at = "applied", s.AppliedAt.Format("2006-01-02 15:04:05")
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", s.Version, state, at, s.Name)
		}
		return tw.Flush()
	default:
		return newUsageError("unknown migrate action %q", args[0])
	}
	return nil
}
