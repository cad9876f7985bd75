// The timing loop: one repetition of one row is GOMAXPROCS = W, a fresh
// workload (its pool's goroutines started there, outside the clock), one
// untimed warm-up run, then the timed runs, each checked; real time per run
// from the monotonic clock, CPU time from the process's rusage over the same
// span. As Google Benchmark does, the first repetition runs as many
// iterations as last --benchmark_min_time and later ones repeat that count.
// Main goroutine only.
package main

import (
	"runtime"
	"time"
)

// row is one benchmark row of the table (rows.go).
type row struct {
	name    string // as listed, "/real_time" included
	workers int
	build   func() workload
}

// result is one repetition of one row.
type result struct {
	iterations int
	realNs     float64 // per iteration
	cpuNs      float64 // the process's, per iteration
	counters   []counter
	err        string // "wrong result: ..." or "unsupported: ..."; no figures
}

// runOnce is one run of w: prepare, the timed run, finish, check.
func runOnce(w workload) (wall, cpu time.Duration, wrong string) {
	w.prepare()
	cpuStart := processCPU()
	start := time.Now()
	w.run()
	wall = time.Since(start)
	cpu = processCPU() - cpuStart
	w.finish()
	return wall, cpu, w.check()
}

// runRepetition runs one repetition of r: `iterations` timed runs when it is
// above 0, else as many as last minTime (at least one).
func runRepetition(r row, iterations int, minTime time.Duration) result {
	runtime.GOMAXPROCS(r.workers)
	runtime.GC() // the previous row's garbage is not this row's to collect
	w := r.build()
	defer w.close()
	if c, ok := w.(capped); ok {
		if why := c.unsupported(); why != "" {
			return result{err: why}
		}
	}
	if _, _, wrong := runOnce(w); wrong != "" {
		return result{err: wrong}
	}
	var res result
	var wall, cpu time.Duration
	more := func() bool {
		if iterations > 0 {
			return res.iterations < iterations
		}
		return res.iterations == 0 || wall < minTime
	}
	for more() {
		runWall, runCPU, wrong := runOnce(w)
		if wrong != "" {
			res.err = wrong
			break
		}
		res.iterations++
		wall += runWall
		cpu += runCPU
	}
	if res.iterations > 0 {
		res.realNs = float64(wall.Nanoseconds()) / float64(res.iterations)
		res.cpuNs = float64(cpu.Nanoseconds()) / float64(res.iterations)
	}
	if res.err == "" {
		res.counters = w.counters(res.realNs * 1e-9)
	}
	return res
}
