// Command creditcase is the one binary of the credit case management system:
// the embedded development stack, the production roles and the tools for people
// and scripts, each a subcommand.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/creditcase/creditcase/internal/config"
)

// command is one subcommand. Files in this package add theirs to commands
// from an init function, so each subcommand lives in a file of its own.
type command struct {
	name    string
	summary string
	// usage is printed by `creditcase help NAME` and on a usage error.
	usage string
	run   func(ctx context.Context, args []string, stdout io.Writer) error
}

var commands = map[string]command{}

func register(c command) {
	if _, dup := commands[c.name]; dup {
		panic("creditcase: command registered twice: " + c.name)
	}
	commands[c.name] = c
}

// usageError marks a mistake in how the command was called: the command's
// usage is printed with it and the exit code is 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func newUsageError(format string, args ...any) error {
	return usageError{msg: fmt.Sprintf(format, args...)}
}

func main() {
	os.Exit(runMain(os.Args[1:], os.Stdout, os.Stderr))
}

func runMain(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		if len(args) > 1 {
			if c, ok := commands[args[1]]; ok {
				fmt.Fprintln(stdout, c.usage)
				return 0
			}
		}
		printHelp(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "creditcase: unknown command %q (see creditcase --help)\n", args[0])
		return 2
	}
	rest := args[1:]
	if len(rest) > 0 && (rest[0] == "-h" || rest[0] == "--help") {
		fmt.Fprintln(stdout, c.usage)
		return 0
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := c.run(ctx, rest, stdout); err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(stderr, "creditcase %s: %s\n\n%s\n", c.name, ue.msg, c.usage)
			return 2
		}
		fmt.Fprintf(stderr, "creditcase %s: %s\n", c.name, err)
		return 1
	}
	return 0
}

func printHelp(w io.Writer) {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("creditcase — case management for a public credit information centre\n\n")
	b.WriteString("Usage: creditcase COMMAND [arguments]\n\nCommands:\n")
	for _, n := range names {
		fmt.Fprintf(&b, "  %-10s %s\n", n, commands[n].summary)
	}
	b.WriteString("\nRun `creditcase help COMMAND` for a command's arguments.\n")
	b.WriteString(envHelp)
	fmt.Fprint(w, b.String())
}

var envHelp = config.Help
