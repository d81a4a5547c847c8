package engine

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
)

// Choosing a free block of ports for an embedded server used to be a probe
// (listen and close every port of the layout) followed, seconds later, by
// the server's own binds. Every process on the machine probed from 20000
// up, so two stacks starting at the same instant (two test binaries, a
// bench beside a test) found the same free block and the second died
// binding it ("Failed to start ringpop listener … address already in
// use": a Fatal of the Temporal server, which ends the process, so a retry
// after the fact is not possible).
//
// FreeFrontendPort now reserves the block it answers: an exclusive,
// non-blocking flock on a lock file per 20-port group of the layout (the
// group of P and that of P-300, where the membership ports lie), held by
// the process until its server stops (Server.Stop) or the process ends
// (the kernel drops a dead process's locks: no stale reservation after a
// kill -9). Another process, or another stack of the same process (flock
// locks belong to the open file, not the process), skips a reserved block
// even before its server has bound it. The search starts at a random block
// of the range rather than at its bottom, so that processes starting
// together do not all contend for the same few blocks, and a program that
// does not take the locks (a server started with an explicit TEMPORAL_PORT)
// is less likely to meet a creditcase stack on its way up.

// Range of the frontend ports FreeFrontendPort picks from, in blocks of
// portStep; membership ports lie 300 below (so ≥ 19700). It stays below
// the blocks the programs that probe without reserving search from — the
// benches' engines (bench/internal/procs: 24300 and 30300 up) and the
// crash test's dev (28000 up) — so that they never meet a block reserved
// here and not yet bound; 200 blocks are many more than the stacks one
// machine runs at once.
const (
	portLow  = 20000
	portHigh = 23980
	portStep = 20
)

var (
	reservedMu sync.Mutex
	// reserved holds the lock files of the blocks this process reserved,
	// by frontend port.
	reserved = map[int][]*os.File{}
)

// lockDir is where the reservations' lock files live (shared by every
// process of the machine).
func lockDir() string { return filepath.Join(os.TempDir(), "creditcase-temporal-ports") }

// FreeFrontendPort finds a frontend port whose whole layout is free and
// reserves it for this process (see above) until the server started on it
// stops; ReleasePort gives it up sooner (a port picked and then not used).
func FreeFrontendPort(ip string) (int, error) {
	if err := os.MkdirAll(lockDir(), 0o777); err != nil {
		return 0, fmt.Errorf("temporal port reservations: %w", err)
	}
	blocks := (portHigh-portLow)/portStep + 1
	first := rand.IntN(blocks)
	for i := range blocks {
		p := portLow + ((first+i)%blocks)*portStep
		locks, ok := reserve(p)
		if !ok {
			continue
		}
		if checkPort(ip, p) != nil {
			unlock(locks)
			continue
		}
		reservedMu.Lock()
		reserved[p] = locks
		reservedMu.Unlock()
		return p, nil
	}
	return 0, fmt.Errorf("no free block of ports for Temporal between %d and %d", portLow-300, portHigh+10)
}

// ReleasePort gives up the reservation of frontend port p, if this process
// holds one.
func ReleasePort(p int) {
	reservedMu.Lock()
	locks := reserved[p]
	delete(reserved, p)
	reservedMu.Unlock()
	unlock(locks)
}

// reserve locks the groups of frontend port p's layout (p's and p-300's),
// both or neither.
func reserve(p int) ([]*os.File, bool) {
	var locks []*os.File
	for _, g := range []int{p, p - 300} {
		f, err := lockGroup(g)
		if err != nil {
			unlock(locks)
			return nil, false
		}
		locks = append(locks, f)
	}
	return locks, true
}

// lockGroup takes the exclusive lock of the 20-port group starting at g
// without waiting.
func lockGroup(g int) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(lockDir(), strconv.Itoa(g)+".lock"), os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("ports %d.. reserved by another stack", g)
		}
		return nil, err
	}
	return f, nil
}

func unlock(locks []*os.File) {
	for _, f := range locks {
		_ = f.Close() // closing the file drops its flock
	}
}
