package engine

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// layout is every port a server on frontend port p binds.
func layout(p int) []int { return servicePorts(p) }

// checkDisjoint fails the test when two frontend ports' layouts share a
// port (two servers would collide binding them).
func checkDisjoint(t *testing.T, ports []int) {
	t.Helper()
	owner := map[int]int{}
	for _, p := range ports {
		if p < 400 || p > 32000 {
			t.Errorf("frontend port %d out of range", p)
		}
		for _, q := range layout(p) {
			if o, ok := owner[q]; ok {
				t.Errorf("port %d is in the layout of both frontend %d and frontend %d (all chosen: %v)", q, o, p, ports)
			}
			owner[q] = p
		}
	}
}

// Stacks of one process (the integration tests, a bench) choosing their
// ports at the same instant get blocks that do not overlap, although none
// has bound its ports yet. Before the reservation every one got the same
// block (the lowest free).
func TestConcurrentPortChoicesInOneProcessDoNotCollide(t *testing.T) {
	const n = 8
	ports := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			p, err := FreeFrontendPort("127.0.0.1")
			if err != nil {
				t.Error(err)
			}
			ports[i] = p
		})
	}
	wg.Wait()
	defer func() {
		for _, p := range ports {
			ReleasePort(p)
		}
	}()
	checkDisjoint(t, ports)
}

// Several processes choosing their ports at the same instant (two test
// binaries starting their stacks, a bench beside them) get blocks that do
// not overlap: each holds its reservation, as a server would until it has
// bound its ports, while the others choose. Before, each one probed from
// 20000 up and found the same free block.
func TestConcurrentPortChoicesAcrossProcessesDoNotCollide(t *testing.T) {
	if os.Getenv("ENGINE_PORT_CHILD") == "1" {
		return
	}
	const n = 6
	type child struct {
		cmd   *exec.Cmd
		stdin io.WriteCloser
		out   *bufio.Reader
	}
	var children []child
	for range n {
		cmd := exec.Command(os.Args[0], "-test.run=^TestPortChildProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), "ENGINE_PORT_CHILD=1")
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		children = append(children, child{cmd: cmd, stdin: stdin, out: bufio.NewReader(stdout)})
	}
	// Started together: every child chooses as soon as it runs.
	for _, c := range children {
		if err := c.cmd.Start(); err != nil {
			t.Fatal(err)
		}
	}
	var ports []int
	for _, c := range children {
		line, err := c.out.ReadString('\n')
		if err != nil {
			t.Fatalf("child: %v (%q)", err, line)
		}
		p, err := strconv.Atoi(strings.TrimPrefix(strings.TrimSpace(line), "port "))
		if err != nil {
			t.Fatalf("child said %q", line)
		}
		ports = append(ports, p)
	}
	for _, c := range children {
		_ = c.stdin.Close()
		_ = c.cmd.Wait()
	}
	checkDisjoint(t, ports)
}

// TestPortChildProcess is the child of the test above: it chooses a port,
// says which, and holds the reservation until its input closes.
func TestPortChildProcess(t *testing.T) {
	if os.Getenv("ENGINE_PORT_CHILD") != "1" {
		t.Skip("run by TestConcurrentPortChoicesAcrossProcessesDoNotCollide")
	}
	p, err := FreeFrontendPort("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("port " + strconv.Itoa(p) + "\n")
	_, _ = io.Copy(io.Discard, os.Stdin)
}

// A released reservation can be taken again, and a reserved one cannot.
func TestReservationHeldUntilReleased(t *testing.T) {
	p, err := FreeFrontendPort("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := reserve(p); ok {
		t.Fatalf("block %d reserved twice", p)
	}
	ReleasePort(p)
	locks, ok := reserve(p)
	if !ok {
		t.Fatalf("block %d still reserved after ReleasePort", p)
	}
	unlock(locks)
}
