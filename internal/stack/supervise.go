package stack

import (
	"context"
	"fmt"
	"time"

	"github.com/creditcase/creditcase/internal/health"
)

// PostgreSQL restarts (issue 12.4): when the private cluster dies (a crash,
// kill -9), the stack starts it again on the same port and data — PostgreSQL
// recovers from its WAL, the pool reconnects, the engine and the worker
// carry on — waiting RestartBackoff, doubling up to RestartBackoffMax
// between failed attempts. More than RestartLimit restarts within
// RestartWindow and the stack gives up (Failed): something is wrong that a
// restart does not mend. Meanwhile the API answers 503 problem+json
// (database-unavailable) and /readyz 503.
const (
	RestartBackoff    = 500 * time.Millisecond
	RestartBackoffMax = 10 * time.Second
	RestartLimit      = 5
	RestartWindow     = 10 * time.Minute
)

// superviseDB restarts the private cluster whenever it exits, until Stop.
func (s *Stack) superviseDB() {
	var restarts []time.Time
	for {
		<-s.PG.Done()
		if s.PG.Stopping() {
			return
		}
		now := time.Now()
		recent := restarts[:0]
		for _, t := range restarts {
			if now.Sub(t) < RestartWindow {
				recent = append(recent, t)
			}
		}
		restarts = recent
		if len(restarts) >= RestartLimit {
			s.log.Error().Int("restarts", len(restarts)).Dur("window", RestartWindow).Msg("PostgreSQL keeps exiting: giving up")
			s.pgFailed <- fmt.Errorf("PostgreSQL exited %d times within %s; see %s.log", len(restarts)+1, RestartWindow, s.PG.Dir())
			return
		}
		restarts = append(restarts, now)
		s.log.Error().Str("log", s.PG.Dir()+".log").Msg("PostgreSQL exited unexpectedly: restarting it")
		wait := RestartBackoff
		for {
			time.Sleep(wait)
			if s.PG.Stopping() {
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			err := s.PG.Restart(ctx)
			cancel()
			if err == nil {
				s.log.Info().Int("port", s.PG.Port()).Msg("PostgreSQL restarted")
				break
			}
			s.log.Warn().Err(err).Dur("next_in", wait).Msg("PostgreSQL restart failed: trying again")
			if wait *= 2; wait > RestartBackoffMax {
				wait = RestartBackoffMax
			}
		}
	}
}

// readinessChecks are what a first request needs beyond the worker's own
// checks, reported on /readyz: every migration applied, a worker polling
// the case task queue, and (dev) the demo accounts seeded.
func (s *Stack) readinessChecks(seeded func(context.Context) error) []health.Check {
	checks := []health.Check{health.MigrationsCheck(s.Pool), health.PollerCheck(s.Temporal, false)}
	if seeded != nil {
		checks = append(checks, health.Check{Name: "seed", Run: seeded})
	}
	return checks
}
