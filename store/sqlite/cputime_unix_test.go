//go:build unix

package sqlite

import "syscall"

// cpuNanos returns the CPU time (user + system) the process has used so far,
// all threads, or -1 when it cannot be read.
func cpuNanos() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return -1
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
