// The compute kernels the workloads share (WORKLOADS.md): the xorshift64*
// spin, splitmix64's finalizer, and the start-up measurement of one spin
// job's sequential time (t1), which the cpu efficiency and the skewed ideal
// divide by. The kernels are pure functions, safe from any goroutine;
// calibrate runs once, from main, before any row's goroutines exist.
package main

import (
	"runtime"
	"sort"
	"syscall"
	"time"
)

// spin is xorshift64*, a dependent chain the compiler cannot shorten.
func spin(seed uint64, rounds uint32) uint64 {
	x := seed | 1
	for i := uint32(0); i < rounds; i++ {
		x ^= x >> 12
		x ^= x << 25
		x ^= x >> 27
		x *= 0x2545F4914F6CDD1D
	}
	return x
}

// splitmix is splitmix64's finalizer.
func splitmix(x uint64) uint64 {
	x += 0x9E3779B97F4A7C15
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9
	x = (x ^ (x >> 27)) * 0x94D049BB133111EB
	return x ^ (x >> 31)
}

// The spin lengths of the cpu and skewed workloads.
const (
	cpuRounds    = 1000
	skewedRounds = 200
	skewEvery    = 64 // job i with i % 64 == 0 is long ...
	skewFactor   = 64 // ... and spins 64 times the rounds
)

func skewedJobRounds(i int) uint32 {
	if i%skewEvery == 0 {
		return skewedRounds * skewFactor
	}
	return skewedRounds
}

// spinTimings holds one spin job's sequential time per length, in ns.
type spinTimings struct {
	cpuJobNs   float64 // spin(i, 1000): t1 of the cpu efficiency
	shortJobNs float64 // spin(i, 200): skewed, i % 64 != 0
	longJobNs  float64 // spin(i, 200 x 64): skewed, i % 64 == 0
}

// t1 is written once by calibrate, before any row runs.
var t1 spinTimings

// calibrate measures each spin length as pool_bench does: the median over 7
// runs (one more discarded first) of a run's CPU time per call, on one OS
// thread, so that time spent preempted by other processes does not count.
func calibrate() {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	t1.cpuJobNs = nsPerSpin(cpuRounds)
	t1.shortJobNs = nsPerSpin(skewedRounds)
	t1.longJobNs = nsPerSpin(skewedRounds * skewFactor)
}

func nsPerSpin(rounds uint32) float64 {
	const runs = 7
	const roundsPerRun = 2_000_000 // about 5 ms of spinning
	calls := roundsPerRun / int(rounds)
	if calls < 16 {
		calls = 16
	}
	out := make([]uint64, calls)
	var perCall []float64
	for r := -1; r < runs; r++ {
		start := threadCPU()
		for i := range out {
			out[i] = spin(uint64(i), rounds)
		}
		ns := float64(threadCPU() - start)
		if r >= 0 {
			perCall = append(perCall, ns/float64(calls))
		}
	}
	sort.Float64s(perCall)
	return perCall[len(perCall)/2]
}

// rusageThread is Linux's RUSAGE_THREAD: the calling thread's usage.
const rusageThread = 1

// threadCPU is the CPU time of the calling OS thread so far (microsecond
// resolution, as the kernel reports it).
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// processCPU is the CPU time of every thread of this process so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
