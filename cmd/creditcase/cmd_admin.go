package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"strings"

	"github.com/creditcase/creditcase/internal/audit"
	"github.com/creditcase/creditcase/internal/auth"
	"github.com/creditcase/creditcase/internal/config"
	"github.com/creditcase/creditcase/internal/db"
	"github.com/creditcase/creditcase/internal/records"
)

const adminUsage = `Usage: creditcase admin create --username NAME --display-name TEXT (--password-stdin | ADMIN_PASSWORD=…)

Creates an administrator account in the database of DATABASE_URL: the first
log-in of a production install (the production roles seed nothing; the
administrator then creates the other accounts through the API or console).

The password is never an argument (other users see arguments in ps):
  --password-stdin   read it from standard input (the first line)
  ADMIN_PASSWORD     or from this environment variable
It must pass the password policy every account is held to (at least 12
characters, not a common password, not built on the user name, the display
name or the centre's name); a weak one is refused with the reason and nothing
is stored. The creation is written to the audit trail (account.created, by
cli:<the operating-system user>).

Exit status: 0 created; 1 refused (weak password, user name taken, database
unreachable); 2 wrong arguments.

Example (after creditcase migrate up):
  read -rs PW && printf '%s\n' "$PW" | creditcase admin create --username ops.admin --display-name 运维管理员 --password-stdin`

// adminStdin is where --password-stdin reads (a test replaces it).
var adminStdin io.Reader = os.Stdin

func init() {
	register(command{name: "admin", summary: "create an administrator account (the first log-in of a production install)",
		usage: adminUsage, run: runAdmin})
}

func runAdmin(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return newUsageError("admin: the only subcommand is create")
	}
	fs := flag.NewFlagSet("admin create", flag.ContinueOnError)
	username := fs.String("username", "", "log-in name: 3–64 lower-case letters, digits, . _ -")
	display := fs.String("display-name", "", "the name shown to people and in the audit trail")
	fromStdin := fs.Bool("password-stdin", false, "read the password from standard input")
	rest, err := parseFlags(fs, args[1:], adminUsage, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return newUsageError("unexpected argument %q (the password is read from standard input or ADMIN_PASSWORD, never an argument)", rest[0])
	}
	if *username == "" || *display == "" {
		return newUsageError("--username and --display-name are required")
	}
	pw, err := adminPassword(*fromStdin)
	if err != nil {
		return err
	}
	cfg, err := config.FromEnv("json")
	if err != nil {
		return err
	}
	if cfg.DatabaseURL == "" {
		return errors.New("DATABASE_URL is not set (the database the roles use, migrated with creditcase migrate up)")
	}
	pool, err := db.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	actor := audit.Actor{Username: "cli", Role: string(auth.Admin)}
	if u, err := user.Current(); err == nil {
		actor.Username = "cli:" + u.Username
	}
	a, err := auth.New(pool, 0).CreateAccount(ctx, actor, auth.NewAccount{
		Username: *username, DisplayName: *display, Password: pw, Role: auth.Admin,
	})
	var ve *records.ValidationError
	switch {
	case errors.As(err, &ve):
		var why []string
		for _, f := range ve.Fields {
			why = append(why, fmt.Sprintf("%s: %s（%s）", f.Field, f.EN, f.ZH))
		}
		return fmt.Errorf("refused, nothing stored: %s", strings.Join(why, "; "))
	case err != nil:
		return err
	}
	fmt.Fprintf(stdout, "administrator %s (%s) created: account %d; log in at the API (POST /api/v1/auth/login) or the console\n",
		a.Username, a.DisplayName, a.ID)
	return nil
}

// adminPassword reads the password from standard input (its first line)
// or ADMIN_PASSWORD; exactly one of the two.
func adminPassword(fromStdin bool) (string, error) {
	env, inEnv := os.LookupEnv("ADMIN_PASSWORD")
	switch {
	case fromStdin && inEnv:
		return "", newUsageError("give the password either on standard input or in ADMIN_PASSWORD, not both")
	case inEnv:
		return env, nil
	case !fromStdin:
		return "", newUsageError("no password: pass --password-stdin and write it to standard input, or set ADMIN_PASSWORD")
	}
	line, err := bufio.NewReader(io.LimitReader(adminStdin, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the password from standard input: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}
