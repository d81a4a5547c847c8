package logging

import (
	"fmt"
	"io"
	"os"

	"github.com/rs/zerolog"
	sdklog "go.temporal.io/sdk/log"
	serverlog "go.temporal.io/server/common/log"
	"go.temporal.io/server/common/log/tag"
)

// SDK adapts zerolog to the Temporal SDK's logger (key-value pairs).
type SDK struct{ l zerolog.Logger }

var (
	_ sdklog.Logger     = SDK{}
	_ sdklog.WithLogger = SDK{}
)

// NewSDK returns the SDK logger writing to l, with component=temporal-sdk.
func NewSDK(l zerolog.Logger) SDK {
	return SDK{l: l.With().Str("component", "temporal-sdk").Logger()}
}

func (s SDK) Debug(msg string, kv ...any) { withKV(s.l.Debug(), kv).Msg(msg) }
func (s SDK) Info(msg string, kv ...any)  { withKV(s.l.Info(), kv).Msg(msg) }
func (s SDK) Warn(msg string, kv ...any)  { withKV(s.l.Warn(), kv).Msg(msg) }
func (s SDK) Error(msg string, kv ...any) { withKV(s.l.Error(), kv).Msg(msg) }

// With returns a logger that adds kv to every line.
func (s SDK) With(kv ...any) sdklog.Logger {
	ctx := s.l.With()
	for i := 0; i+1 < len(kv); i += 2 {
		ctx = ctx.Interface(fmt.Sprint(kv[i]), kv[i+1])
	}
	return SDK{l: ctx.Logger()}
}

func withKV(e *zerolog.Event, kv []any) *zerolog.Event {
	for i := 0; i+1 < len(kv); i += 2 {
		k := fmt.Sprint(kv[i])
		if err, ok := kv[i+1].(error); ok {
			e = e.AnErr(k, err)
			continue
		}
		e = e.Interface(k, kv[i+1])
	}
	if len(kv)%2 == 1 {
		e = e.Interface("extra", kv[len(kv)-1])
	}
	return e
}

// Server adapts zerolog to the embedded Temporal server's tagged logger.
type Server struct{ l zerolog.Logger }

var (
	_ serverlog.Logger     = Server{}
	_ serverlog.WithLogger = Server{}
)

// NewServer returns the server logger writing to l, with component=temporal-server.
func NewServer(l zerolog.Logger) Server {
	return Server{l: l.With().Str("component", "temporal-server").Logger()}
}

func (s Server) Debug(msg string, tags ...tag.Tag)  { withTags(s.l.Debug(), tags).Msg(msg) }
func (s Server) Info(msg string, tags ...tag.Tag)   { withTags(s.l.Info(), tags).Msg(msg) }
func (s Server) Warn(msg string, tags ...tag.Tag)   { withTags(s.l.Warn(), tags).Msg(msg) }
func (s Server) Error(msg string, tags ...tag.Tag)  { withTags(s.l.Error(), tags).Msg(msg) }
func (s Server) DPanic(msg string, tags ...tag.Tag) { withTags(s.l.Error(), tags).Msg(msg) }
func (s Server) Panic(msg string, tags ...tag.Tag) {
	withTags(s.l.Error(), tags).Msg(msg)
	panic(msg)
}

// Fatal is the embedded engine giving up: the process ends, as the server
// expects. The reason goes to the log and always to standard error too — a
// process whose log is filtered or discarded (a test's stack, a quiet
// level) must not end with exit status 1 and not a word on why.
func (s Server) Fatal(msg string, tags ...tag.Tag) {
	withTags(s.l.WithLevel(zerolog.FatalLevel), tags).Msg(msg)
	line := "temporal server: fatal: " + msg
	for _, t := range tags {
		line += fmt.Sprintf(" %s=%v", t.Key(), tagValue(t))
	}
	fmt.Fprintln(fatalOutput, line)
	fatalExit(1)
}

// fatalOutput and fatalExit are standard error and os.Exit; tests replace them.
var (
	fatalOutput io.Writer = os.Stderr
	fatalExit             = os.Exit
)

// With returns a logger that adds tags to every line.
func (s Server) With(tags ...tag.Tag) serverlog.Logger {
	ctx := s.l.With()
	for _, t := range tags {
		ctx = ctx.Interface(t.Key(), tagValue(t))
	}
	return Server{l: ctx.Logger()}
}

func withTags(e *zerolog.Event, tags []tag.Tag) *zerolog.Event {
	for _, t := range tags {
		if err, ok := t.Value().(error); ok {
			e = e.AnErr(t.Key(), err)
			continue
		}
		e = e.Interface(t.Key(), tagValue(t))
	}
	return e
}

func tagValue(t tag.Tag) any {
	if s, ok := t.Value().(fmt.Stringer); ok {
		return s.String()
	}
	return t.Value()
}
