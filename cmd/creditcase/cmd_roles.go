package main

import (
	"context"
	"io"

	"github.com/creditcase/creditcase/internal/permission"
)

func init() {
	register(command{
		name:    "roles",
		summary: "print the permission table: which role may take which use case",
		usage: `Usage: creditcase roles

Prints the one permission table of the application core (internal/permission):
one line per use case (the operationId of its HTTP operation), "yes" under
each role that may take it. Which objects a role may then see (its own cases,
its provider's records) is decided by the use case.`,
		run: func(_ context.Context, args []string, stdout io.Writer) error {
			if len(args) > 0 {
				return newUsageError("roles takes no arguments")
			}
			return permission.Print(stdout)
		},
	})
}
