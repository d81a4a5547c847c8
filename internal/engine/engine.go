// Package engine runs a Temporal server inside the creditcase process,
// persisting to PostgreSQL (its own databases `temporal` and
// `temporal_visibility`), for `creditcase dev`, the integration tests and
// `creditcase engine` (the server alone: small sites, tests; several
// processes on one PostgreSQL form one cluster). Larger sites run Temporal's
// own server or Temporal Cloud (deploy/README.md).
package engine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/server/common/auth"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	"go.temporal.io/server/common/log"
	"go.temporal.io/server/common/metrics"
	"go.temporal.io/server/common/persistence/sql/sqlplugin/postgresql"
	"go.temporal.io/server/temporal"
	"google.golang.org/protobuf/types/known/durationpb"
)

// Database names on the PostgreSQL server, beside the application's own.
const (
	HistoryDatabase    = "temporal"
	VisibilityDatabase = "temporal_visibility"
	// NumHistoryShards is fixed when the databases are first created and can
	// never change afterwards.
	NumHistoryShards = 4
	clusterName      = "active"
	// HistoryCacheSize is how many workflows' mutable state the history
	// service keeps in memory (Temporal's default is 128 000 per host,
	// kept an hour): about 50 KiB each, so every case touched within the
	// hour — all of them after a day's filing at a province's scale — would
	// stay resident (705 MiB of engine with 10 000 cases just filed,
	// gigabytes at 100 000). A case not held is read back from PostgreSQL
	// at its next step (one execution row); cases wait days between steps.
	HistoryCacheSize = 4096
	// NamespaceRefresh is how often each service re-reads the namespaces
	// (Temporal's default is 10 s): a namespace or search attribute set up
	// at start is served by every service within it.
	NamespaceRefresh = time.Second
	// MaxJoinDuration bounds one attempt of a service to join the
	// membership ring at start (Temporal's default). A restarted engine
	// finds its previous run's services in cluster_membership for 20 s
	// and tries them too; ringpop backs off between rounds (0.1 s
	// doubling), so an attempt that cannot join ends at the first round
	// past this bound — about 13 s here, 51–67 s with the former 30 s —
	// and Temporal retries it 10 s later, when the stale hosts are gone,
	// for at most a minute in all: an attempt longer than that ends the
	// engine (fatal).
	MaxJoinDuration = 10 * time.Second
)

// Config describes the embedded server.
type Config struct {
	// PostgresURL is any database URL on the server that will hold Temporal's
	// databases; user and password must be able to create databases.
	PostgresURL string
	// IP is the address every service binds; the frontend is at IP:FrontendPort.
	IP           string
	FrontendPort int
	// Namespace is registered at start with Retention.
	Namespace string
	Retention time.Duration
	// SearchAttributes are registered in Namespace at start (no personal data).
	SearchAttributes map[string]enumspb.IndexedValueType
	Logger           log.Logger
}

// Server is a running embedded Temporal server.
type Server struct {
	srv      temporal.Server
	hostPort string
	port     int
}

// Start prepares the databases and schemas, starts every service in process,
// and returns once Namespace and the search attributes are usable.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.IP == "" {
		cfg.IP = "127.0.0.1"
	}
	if cfg.Namespace == "" {
		cfg.Namespace = "default"
	}
	if cfg.Retention == 0 {
		cfg.Retention = 30 * 24 * time.Hour
	}
	if cfg.Logger == nil {
		cfg.Logger = log.NewNoopLogger()
	}
	sqlBase, err := sqlConfig(cfg.PostgresURL)
	if err != nil {
		return nil, err
	}
	if err := checkPort(cfg.IP, cfg.FrontendPort); err != nil {
		return nil, err
	}
	hist, vis := *sqlBase, *sqlBase
	hist.DatabaseName, vis.DatabaseName = HistoryDatabase, VisibilityDatabase
	if err := prepareSchema(ctx, cfg.PostgresURL, &hist, "postgresql/v12/temporal", cfg.Logger); err != nil {
		return nil, fmt.Errorf("temporal schema: %w", err)
	}
	if err := prepareSchema(ctx, cfg.PostgresURL, &vis, "postgresql/v12/visibility", cfg.Logger); err != nil {
		return nil, fmt.Errorf("temporal visibility schema: %w", err)
	}
	sc, err := serverConfig(cfg, &hist, &vis)
	if err != nil {
		return nil, err
	}
	// The search attributes are read from each service's caches, never
	// forced from the database on every call: Temporal's
	// system.forceSearchAttributesCacheRefreshOnRead (a testing switch, "not
	// to be turned on in production") read the namespace row and the
	// cluster metadata on every call that maps a search attribute — a
	// describe, a start, a visibility count — and answered "Namespace
	// default is not found" to every such call for the moment the
	// engine's PostgreSQL connections took to come back after a
	// PostgreSQL restart. Attributes added at a first start reach every
	// service's namespace registry within NamespaceRefresh; setUpNamespace
	// waits for that.
	dc := dynamicconfig.StaticClient{
		dynamicconfig.NamespaceCacheRefreshInterval.Key(): []dynamicconfig.ConstrainedValue{{Value: NamespaceRefresh}},
		dynamicconfig.HistoryCacheHostLevelMaxSize.Key():  []dynamicconfig.ConstrainedValue{{Value: HistoryCacheSize}},
	}
	srv, err := temporal.NewServer(
		temporal.WithConfig(sc),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithLogger(cfg.Logger),
		temporal.WithDynamicConfigClient(dc),
		temporal.WithCustomMetricsHandler(metrics.NoopMetricsHandler),
	)
	if err != nil {
		return nil, fmt.Errorf("create temporal server: %w", err)
	}
	if err := srv.Start(); err != nil {
		return nil, fmt.Errorf("start temporal server: %w", err)
	}
	s := &Server{srv: srv, hostPort: net.JoinHostPort(cfg.IP, strconv.Itoa(cfg.FrontendPort)), port: cfg.FrontendPort}
	if err := s.setUpNamespace(ctx, cfg); err != nil {
		_ = srv.Stop()
		return nil, err
	}
	return s, nil
}

// HostPort is the frontend address clients dial.
func (s *Server) HostPort() string { return s.hostPort }

// Stop stops every service and gives up the port reservation of
// FreeFrontendPort, if the server's port was one.
func (s *Server) Stop() error {
	err := s.srv.Stop()
	ReleasePort(s.port)
	return err
}

func (s *Server) setUpNamespace(ctx context.Context, cfg Config) error {
	ctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	c, err := client.DialContext(ctx, client.Options{HostPort: s.hostPort, Namespace: cfg.Namespace, Logger: quietSDKLogger{}})
	if err != nil {
		return fmt.Errorf("dial embedded temporal: %w", err)
	}
	defer c.Close()
	err = retry(ctx, func() error {
		_, err := c.WorkflowService().RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{
			Namespace:                        cfg.Namespace,
			WorkflowExecutionRetentionPeriod: durationpb.New(cfg.Retention),
		})
		var exists *serviceerror.NamespaceAlreadyExists
		if errors.As(err, &exists) {
			return nil
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("register namespace %s: %w", cfg.Namespace, err)
	}
	err = retry(ctx, func() error {
		_, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: cfg.Namespace})
		return err
	})
	if err != nil {
		return fmt.Errorf("namespace %s not usable: %w", cfg.Namespace, err)
	}
	added := false
	err = retry(ctx, func() error {
		a, err := ensureSearchAttributes(ctx, c.OperatorService(), cfg)
		added = added || a
		return err
	})
	if err != nil {
		return err
	}
	// The operator service reads the attributes from the database; a
	// start or an upsert maps them through each service's namespace
	// registry, which has them only after its next refresh. The frontend
	// shows it has them by accepting a visibility query naming them all;
	// the other services refresh on the same interval, so a first start
	// that has just added them gives them two more.
	if err := retry(ctx, func() error { return searchAttributesServed(ctx, c, cfg) }); err != nil {
		return fmt.Errorf("search attributes of namespace %s not served: %w", cfg.Namespace, err)
	}
	if added {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * NamespaceRefresh):
		}
	}
	return nil
}

// searchAttributesServed asks the frontend to count the workflows matching
// a query that names every search attribute of cfg: it refuses a name its
// namespace registry does not know.
func searchAttributesServed(ctx context.Context, c client.Client, cfg Config) error {
	query := searchAttributesQuery(cfg.SearchAttributes)
	if query == "" {
		return nil
	}
	_, err := c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: cfg.Namespace, Query: query})
	return err
}

// searchAttributesQuery is a visibility query naming every attribute of
// sas (in name order), each compared with a value of its type.
func searchAttributesQuery(sas map[string]enumspb.IndexedValueType) string {
	names := make([]string, 0, len(sas))
	for name := range sas {
		names = append(names, name)
	}
	sort.Strings(names)
	terms := make([]string, 0, len(names))
	for _, name := range names {
		var v string
		switch sas[name] {
		case enumspb.INDEXED_VALUE_TYPE_DATETIME:
			v = "> '1970-01-01T00:00:00Z'"
		case enumspb.INDEXED_VALUE_TYPE_INT, enumspb.INDEXED_VALUE_TYPE_DOUBLE:
			v = "= 0"
		case enumspb.INDEXED_VALUE_TYPE_BOOL:
			v = "= false"
		default:
			v = "= ''"
		}
		terms = append(terms, name+" "+v)
	}
	return strings.Join(terms, " AND ")
}

// ensureSearchAttributes adds the attributes of cfg the namespace lacks; it
// reports whether it added any.
func ensureSearchAttributes(ctx context.Context, op operatorservice.OperatorServiceClient, cfg Config) (bool, error) {
	have, err := op.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: cfg.Namespace})
	if err != nil {
		return false, err
	}
	missing := map[string]enumspb.IndexedValueType{}
	for name, typ := range cfg.SearchAttributes {
		got, ok := have.GetCustomAttributes()[name]
		if ok && got != typ {
			return false, fmt.Errorf("search attribute %s exists with type %s, want %s", name, got, typ)
		}
		if !ok {
			missing[name] = typ
		}
	}
	if len(missing) == 0 {
		return false, nil
	}
	_, err = op.AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace:        cfg.Namespace,
		SearchAttributes: missing,
	})
	var exists *serviceerror.AlreadyExists
	if errors.As(err, &exists) {
		return true, nil
	}
	if err == nil {
		return true, errors.New("search attributes added; checking again") // next attempt verifies
	}
	return false, err
}

func retry(ctx context.Context, f func() error) error {
	var err error
	for {
		if err = f(); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// sqlConfig turns a PostgreSQL URL into the server's SQL settings.
func sqlConfig(pgURL string) (*config.SQL, error) {
	u, err := url.Parse(pgURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("DATABASE_URL is not a postgres://user:password@host:port/db URL")
	}
	host := u.Hostname()
	port := u.Port()
	if port == "" {
		port = "5432"
	}
	pw, _ := u.User.Password()
	c := &config.SQL{
		User:            u.User.Username(),
		Password:        pw,
		PluginName:      postgresql.PluginNamePGX,
		ConnectAddr:     net.JoinHostPort(host, port),
		ConnectProtocol: "tcp",
		MaxConns:        20,
		MaxIdleConns:    20,
		MaxConnLifetime: time.Hour,
	}
	if mode := u.Query().Get("sslmode"); mode != "" && mode != "disable" {
		c.TLS = &auth.TLS{Enabled: true, EnableHostVerification: mode == "verify-full"}
	}
	return c, nil
}

// Service ports are laid out from the frontend port P, as Temporal's own
// defaults are from 7233: gRPC P..P+3, membership P-300..P-297, frontend HTTP
// P+10. Membership ports are stored as smallint, so P must stay below 32000.
var serviceNames = []string{"frontend", "history", "matching", "worker"}

func servicePorts(p int) []int {
	ports := []int{p + 10}
	for i := range serviceNames {
		ports = append(ports, p+i, p-300+i)
	}
	return ports
}

func serverConfig(cfg Config, hist, vis *config.SQL) (*config.Config, error) {
	services := map[string]config.Service{}
	for i, name := range serviceNames {
		rpc := config.RPC{GRPCPort: cfg.FrontendPort + i, MembershipPort: cfg.FrontendPort - 300 + i, BindOnIP: cfg.IP}
		if name == "frontend" {
			rpc.HTTPPort = cfg.FrontendPort + 10
		}
		services[name] = config.Service{RPC: rpc}
	}
	frontend := net.JoinHostPort(cfg.IP, strconv.Itoa(cfg.FrontendPort))
	return &config.Config{
		Global: config.Global{
			Membership: config.Membership{MaxJoinDuration: MaxJoinDuration, BroadcastAddress: cfg.IP},
		},
		Persistence: config.Persistence{
			DefaultStore:     "default",
			VisibilityStore:  "visibility",
			NumHistoryShards: NumHistoryShards,
			DataStores: map[string]config.DataStore{
				"default":    {SQL: hist},
				"visibility": {SQL: vis},
			},
		},
		ClusterMetadata: &cluster.Config{
			EnableGlobalNamespace:    false,
			FailoverVersionIncrement: 10,
			MasterClusterName:        clusterName,
			CurrentClusterName:       clusterName,
			ClusterInformation: map[string]cluster.ClusterInformation{
				clusterName: {Enabled: true, InitialFailoverVersion: 1, RPCAddress: frontend},
			},
		},
		DCRedirectionPolicy: config.DCRedirectionPolicy{Policy: "noop"},
		Services:            services,
		Archival: config.Archival{
			History:    config.HistoryArchival{State: "disabled"},
			Visibility: config.VisibilityArchival{State: "disabled"},
		},
		NamespaceDefaults: config.NamespaceDefaults{
			Archival: config.ArchivalNamespaceDefaults{
				History:    config.HistoryArchivalNamespaceDefaults{State: "disabled"},
				Visibility: config.VisibilityArchivalNamespaceDefaults{State: "disabled"},
			},
		},
		PublicClient: config.PublicClient{HostPort: frontend},
	}, nil
}

func checkPort(ip string, port int) error {
	if port < 400 || port > 32000 {
		return fmt.Errorf("TEMPORAL_PORT %d is out of range: it must lie between 400 and 32000 (Temporal stores membership ports as smallint)", port)
	}
	for _, p := range servicePorts(port) {
		l, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(p)))
		if err != nil {
			return fmt.Errorf("port %d on %s is in use (another Temporal server?): set TEMPORAL_PORT to another frontend port (services use P..P+3, P-300..P-297 and P+10)", p, ip)
		}
		_ = l.Close()
	}
	return nil
}

// quietSDKLogger drops the SDK client's own lines during set-up retries.
type quietSDKLogger struct{}

func (quietSDKLogger) Debug(string, ...any) {}
func (quietSDKLogger) Info(string, ...any)  {}
func (quietSDKLogger) Warn(string, ...any)  {}
func (quietSDKLogger) Error(string, ...any) {}
