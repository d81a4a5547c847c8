package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTick is the unit of the CPU times in /proc/<pid>/stat (USER_HZ,
// 100 on Linux).
const clockTick = 10 * time.Millisecond

// procCPU is the CPU time (user + system) process pid has used, and its
// parent's pid; ok is false when the process is gone.
func procCPU(pid int) (cpu time.Duration, ppid int, ok bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, false
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, 0, false
	}
	f := strings.Fields(s[i+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, 0, false
	}
	ppid, _ = strconv.Atoi(f[1])
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * clockTick, ppid, true
}

// serverCPU is the CPU time the PostgreSQL server whose postmaster is pid
// has used: the postmaster and its live children (backends, checkpointer,
// WAL writer, autovacuum). A child that exited in between is not counted;
// the bench's pool keeps its connections.
func serverCPU(pid int) time.Duration {
	total, _, _ := procCPU(pid)
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if c, ppid, ok := procCPU(p); ok && ppid == pid {
			total += c
		}
	}
	return total
}

// postmasterPID reads the postmaster's pid from the data directory.
func postmasterPID(dataDir string) (int, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		return 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return strconv.Atoi(strings.TrimSpace(line))
}

// selfCPU is the CPU time this process (the API) has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// machine prints the load average and the five busiest processes, as the
// bench rule asks at the start and the end of every measurement.
func machine(when string) {
	b, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("-- %s %s: load average %s", when, time.Now().UTC().Format("15:04:05Z"), b)
	out, err := exec.Command("ps", "aux", "--sort=-%cpu").Output()
	if err != nil {
		fmt.Printf("   (ps: %v)\n", err)
		return
	}
	lines := strings.Split(string(out), "\n")
	for _, l := range lines[:min(6, len(lines))] {
		if len(l) > 160 {
			l = l[:160]
		}
		fmt.Println("   " + l)
	}
}
