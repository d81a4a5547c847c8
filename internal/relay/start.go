package relay

import (
	"context"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"

	"github.com/creditcase/creditcase/internal/notify"
)

// FromEnv reads the deployment's subscribers from SUBSCRIBERS_FILE (none
// when unset) and the SMTP settings the e-mail subscribers use.
func FromEnv() (Config, *notify.SMTPConfig, error) {
	cfg := Config{Initial: DefaultInitial, MaxBackoff: DefaultMaxBackoff}
	if path := os.Getenv("SUBSCRIBERS_FILE"); path != "" {
		var err error
		if cfg, err = LoadFile(path); err != nil {
			return cfg, nil, err
		}
	}
	smtpCfg, ok, err := notify.SMTPFromEnv()
	if err != nil || !ok {
		return cfg, nil, err
	}
	return cfg, &smtpCfg, nil
}

// Start syncs the subscribers into the database and runs a relay until
// stop is called; stop waits for the deliveries in flight. A relay that
// stops on an error logs it.
func Start(ctx context.Context, pool *pgxpool.Pool, cfg Config, smtpCfg *notify.SMTPConfig, log zerolog.Logger) (stop func(), err error) {
	if err := Sync(ctx, pool, cfg); err != nil {
		return nil, err
	}
	r := &Relay{Pool: pool, Config: cfg, SMTP: smtpCfg, Log: log.With().Str("component", "relay").Logger()}
	if err := r.init(); err != nil {
		return nil, err
	}
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for rctx.Err() == nil {
			err := r.Run(rctx)
			if err == nil {
				continue
			}
			// A lost connection: start again shortly; deliveries wait in
			// the database meanwhile.
			r.Log.Error().Err(err).Msg("relay stopped on an error; restarting")
			select {
			case <-rctx.Done():
			case <-time.After(5 * time.Second):
			}
		}
	}()
	return func() { cancel(); <-done }, nil
}
