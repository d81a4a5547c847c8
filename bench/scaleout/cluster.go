package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	persistencespb "go.temporal.io/server/api/persistence/v1"
	"google.golang.org/protobuf/proto"
)

// runCluster: two `creditcase engine` processes on the same PostgreSQL, on
// two loopback addresses, form one Temporal cluster (membership through the
// cluster_membership table, the history shards shared between them). Both
// APIs and both workers use the second node's frontend. Mid-load the first
// node is killed with SIGKILL: its shards must move to the second, and every
// case must finish exactly once.
func (r *rehearsal) runCluster(ctx context.Context) error {
	if err := os.Mkdir(r.dir, 0o755); err != nil {
		return err
	}
	if err := r.startBackbone(ctx); err != nil {
		return err
	}
	tpool, err := pgxpool.New(ctx, r.pg.URL("temporal"))
	if err != nil {
		return err
	}
	defer tpool.Close()
	if err := r.startAPIs(ctx); err != nil {
		return err
	}
	for i := range 2 {
		if err := r.startWorker(ctx, fmt.Sprintf("worker-%d", i+1), r.v1, r.httpPort[2+i]); err != nil {
			return err
		}
	}
	if err := r.setUpCentre(ctx); err != nil {
		return err
	}

	// Both nodes are members, and each owns shards.
	nodeA, nodeB := r.engineIPs[0], r.engineIPs[1]
	var before map[string][]int32
	if err := waitFor(ctx, 90*time.Second, func() (bool, error) {
		var err error
		before, err = shardOwners(ctx, tpool)
		return err == nil && len(before[nodeA]) > 0 && len(before[nodeB]) > 0, err
	}); err != nil {
		return fmt.Errorf("the two engine nodes never shared the shards (owners %v): %w", before, err)
	}
	members, err := liveMembers(ctx, tpool)
	if err != nil {
		return err
	}
	say(fmt.Sprintf("one cluster: members %s; shards %s", members, describe(before)))

	warm, err := r.phase(ctx, "warm-up", min(4, r.o.n), nil)
	if err != nil {
		return err
	}
	var killedAt time.Time
	moved := make(chan time.Duration, 1)
	var after map[string][]int32
	killed, err := r.phase(ctx, "kill -9 engine node", r.o.n, func(answered int, since time.Duration) bool {
		if answered < r.o.n*(1+len(firstHalf)+len(secondHalf))/3 {
			return false
		}
		say(fmt.Sprintf("kill -9 %s (pid %d), owner of shards %v, after %d answered calls", r.engines[0].Name, r.engines[0].PID(), before[nodeA], answered))
		r.engines[0].Kill9()
		killedAt = time.Now()
		go func() {
			err := waitFor(ctx, 5*time.Minute, func() (bool, error) {
				var err error
				after, err = shardOwners(ctx, tpool)
				return err == nil && len(after[nodeA]) == 0 && len(after[nodeB]) == 4, err
			})
			if err != nil {
				moved <- -1
				return
			}
			moved <- time.Since(killedAt)
		}()
		return true
	})
	if err != nil {
		return err
	}
	if killedAt.IsZero() {
		return fmt.Errorf("the kill never happened")
	}
	took := <-moved
	if took < 0 {
		return fmt.Errorf("the killed node's shards never moved: owners %v", after)
	}
	say("checking every case in PostgreSQL")
	baseline, err := r.verify(ctx, append(warm.cases, killed.cases...), nil, nil)
	if err != nil {
		return err
	}
	fmt.Printf("\ntwo-node engine cluster: %s and %s on one PostgreSQL (members %s); APIs and workers on %s\n", nodeA, nodeB, members, r.frontend)
	fmt.Printf("shards before: %s\n", describe(before))
	fmt.Printf("kill -9 %s %.1fs into the phase; all 4 shards owned by %s %.1fs later: %s\n",
		r.engines[0].Name, killedAt.Sub(killed.start).Seconds(), nodeB, took.Seconds(), describe(after))
	fmt.Printf("%d cases during the kill: %.2f cases/s, p50 %s, p95 %s; %d calls retried on the other API, %d ambiguous answers resolved by reading back\n",
		len(killed.cases), killed.rate(), killed.pct(50), killed.pct(95), killed.failovers, killed.ambiguous)
	fmt.Printf("checked %d cases: each finished once; per case exactly: %s\n", len(warm.cases)+len(killed.cases), baseline)
	fmt.Println("PASS")
	return nil
}

// shardOwners reads which engine node (by address) owns each history shard,
// from Temporal's own shards table.
func shardOwners(ctx context.Context, pool *pgxpool.Pool) (map[string][]int32, error) {
	rows, err := pool.Query(ctx, `SELECT shard_id, data, data_encoding FROM shards ORDER BY shard_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]int32{}
	for rows.Next() {
		var id int32
		var data []byte
		var enc string
		if err := rows.Scan(&id, &data, &enc); err != nil {
			return nil, err
		}
		if !strings.EqualFold(enc, "proto3") {
			return nil, fmt.Errorf("shard %d: encoding %s", id, enc)
		}
		var info persistencespb.ShardInfo
		if err := proto.Unmarshal(data, &info); err != nil {
			return nil, fmt.Errorf("shard %d: %w", id, err)
		}
		host, _, _ := strings.Cut(info.GetOwner(), ":")
		out[host] = append(out[host], id)
	}
	return out, rows.Err()
}

// liveMembers lists the hosts heartbeating in cluster_membership.
func liveMembers(ctx context.Context, pool *pgxpool.Pool) (string, error) {
	rows, err := pool.Query(ctx, `SELECT DISTINCT rpc_address FROM cluster_membership WHERE record_expiry > now() ORDER BY 1`)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var hosts []string
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return "", err
		}
		hosts = append(hosts, h)
	}
	return strings.Join(hosts, ", "), rows.Err()
}

func describe(owners map[string][]int32) string {
	hosts := make([]string, 0, len(owners))
	for h := range owners {
		hosts = append(hosts, h)
	}
	sort.Strings(hosts)
	parts := make([]string, len(hosts))
	for i, h := range hosts {
		parts[i] = fmt.Sprintf("%s owns %v", h, owners[h])
	}
	return strings.Join(parts, "; ")
}

func waitFor(ctx context.Context, limit time.Duration, ok func() (bool, error)) error {
	deadline := time.Now().Add(limit)
	var last error
	for {
		done, err := ok()
		if done {
			return nil
		}
		last = err
		if time.Now().After(deadline) {
			return fmt.Errorf("not within %s (last error %v)", limit, last)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}
