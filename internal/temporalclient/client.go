// Package temporalclient dials Temporal the same way for every role: the SDK's
// envconfig loader (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TLS_*, …),
// our zerolog logger, the request-ID propagator and the Prometheus metrics.
package temporalclient

import (
	"context"
	"fmt"
	"time"

	"github.com/rs/zerolog"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
	"go.temporal.io/sdk/workflow"

	"github.com/creditcase/creditcase/internal/logging"
	"github.com/creditcase/creditcase/internal/reqid"
)

// Options say how to dial. HostPort and Namespace override the environment.
type Options struct {
	HostPort  string
	Namespace string
	Logger    zerolog.Logger
	Metrics   client.MetricsHandler
}

// Dial connects and checks the server answers within 15 s.
func Dial(ctx context.Context, o Options) (client.Client, error) {
	opts, err := envconfig.LoadDefaultClientOptions()
	if err != nil {
		return nil, fmt.Errorf("temporal client settings: %w", err)
	}
	if o.HostPort != "" {
		opts.HostPort = o.HostPort
	}
	if o.Namespace != "" {
		opts.Namespace = o.Namespace
	}
	if opts.HostPort == "" {
		opts.HostPort = client.DefaultHostPort
	}
	opts.Logger = logging.NewSDK(o.Logger)
	opts.ContextPropagators = []workflow.ContextPropagator{reqid.Propagator{}}
	if o.Metrics != nil {
		opts.MetricsHandler = o.Metrics
	}
	dctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	c, err := client.DialContext(dctx, opts)
	if err != nil {
		return nil, fmt.Errorf("cannot reach Temporal at %s (namespace %s): %v: check TEMPORAL_ADDRESS and that the server runs", opts.HostPort, opts.Namespace, err)
	}
	return c, nil
}
