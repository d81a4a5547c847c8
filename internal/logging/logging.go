// Package logging builds the zerolog logger every part of creditcase writes to,
// and adapts it to the Temporal SDK and server logger interfaces so that one
// stream carries everything.
package logging

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// Format is the output format of the log stream.
type Format string

const (
	// JSON writes one JSON object a line: the production format.
	JSON Format = "json"
	// Console writes coloured, aligned lines for people: the `dev` default.
	Console Format = "console"
)

// New returns a logger writing to w at the given level ("debug", "info",
// "warn", "error") in the given format.
func New(w io.Writer, level string, format Format) (zerolog.Logger, error) {
	lvl, err := ParseLevel(level)
	if err != nil {
		return zerolog.Nop(), err
	}
	switch format {
	case JSON, "":
	case Console:
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: "15:04:05.000"}
	default:
		return zerolog.Nop(), fmt.Errorf("LOG_FORMAT %q: want json or console", format)
	}
	zerolog.TimeFieldFormat = time.RFC3339Nano
	return zerolog.New(w).Level(lvl).With().Timestamp().Logger(), nil
}

// ParseLevel reads a level name; the empty string means info.
func ParseLevel(s string) (zerolog.Level, error) {
	if s == "" {
		return zerolog.InfoLevel, nil
	}
	lvl, err := zerolog.ParseLevel(strings.ToLower(s))
	if err != nil || lvl == zerolog.NoLevel {
		return zerolog.InfoLevel, fmt.Errorf("LOG_LEVEL %q: want debug, info, warn or error", s)
	}
	return lvl, nil
}

// Stderr is a logger for the time before configuration is read.
func Stderr() zerolog.Logger {
	return zerolog.New(zerolog.ConsoleWriter{Out: os.Stderr, TimeFormat: "15:04:05.000"}).With().Timestamp().Logger()
}
