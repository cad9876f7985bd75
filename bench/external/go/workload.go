// What a row runs: the workload interface the timing loop drives (runner.go)
// and the counters a row reports. One workload value belongs to one
// repetition of one row and is driven by the main goroutine alone; its
// goroutines (its pool's, the ones run() starts) are its own business.
package main

import "fmt"

// workload is one row's work, built with GOMAXPROCS already set to W. The
// runner calls, for the warm-up and then each timed run: prepare, run
// (timed: first submit to the wait's return), finish, check; then counters
// once, and close.
type workload interface {
	prepare()      // untimed, before each run: reset what the run fills in
	run()          // timed
	finish()       // untimed, after each run: stop what run left working
	check() string // "" or "wrong result: ..." about the run just done
	// counters are the row's figures, given the mean real time of one run.
	counters(seconds float64) []counter
	// checksum is the --checksums value of the run just done.
	checksum() string
	close() // after the row
}

// capped is a workload that may be too big for Go to run: unsupported is
// "" or "unsupported: <why>", and the runner then skips the row with it.
type capped interface {
	unsupported() string
}

// maxGoroutinesPerRun caps the goroutines one run of a fork-join row may
// start, as pool_bench caps thread_per_job's threads. Go's per-P run queues
// are FIFO (only the newest goroutine jumps the queue), so a fork-join tree
// runs close to breadth-first: a large share of its goroutines are alive at
// once, each with its own stack, and a run above the cap takes minutes and
// many GB (the commit that set it gives the measurements).
const maxGoroutinesPerRun = 20_000_000

// maxGoroutinesPerRunQuick is the quick sweep's cap, pool_bench's for the
// pools whose fork-join queues a job per fork: a goroutine per fork takes
// go about 0.4 to 1.5 us a task, so the field's trees (nqueens(12)'s 8.6e5
// goroutines to uts's 4.1e6) would take it 0.7 to 7 s a run; --full runs
// them.
const maxGoroutinesPerRunQuick = 500_000

// goroutineLimit is the cap in force: main sets the quick one.
var goroutineLimit uint64 = maxGoroutinesPerRun

// goroutineCap is "" when a run of `workload` starting `goroutines`
// goroutines is under the cap, else the row's "unsupported: ..." message.
func goroutineCap(workload string, goroutines uint64) string {
	if goroutines <= goroutineLimit {
		return ""
	}
	if goroutineLimit < maxGoroutinesPerRun {
		return fmt.Sprintf("unsupported: go starts a goroutine per fork and %s starts %d per run, "+
			"above go_bench's cap of %d in the quick sweep (--full runs it)", workload, goroutines,
			goroutineLimit)
	}
	return fmt.Sprintf("unsupported: go starts a goroutine per fork and %s starts %d per run, "+
		"above go_bench's cap of %d (Go's FIFO run queues keep millions of them alive at once: "+
		"minutes and many GB per run)", workload, goroutines, maxGoroutinesPerRun)
}

// noHooks gives prepare, finish and close their do-nothing default.
type noHooks struct{}

func (noHooks) prepare() {}
func (noHooks) finish()  {}
func (noHooks) close()   {}

// pooled is a workload's worker pool (nil for one that has none), closed
// with the workload.
type pooled struct {
	noHooks
	pool *workerPool
}

func (p pooled) close() {
	if p.pool != nil {
		p.pool.close()
	}
}

// counter is one figure of a row, a Google Benchmark user counter.
type counter struct {
	name  string
	value float64
	rate  bool // a per-second figure, shown with "/s" on the console
}

// perSecond is a kIsRate-style counter: count per second of real time.
func perSecond(name string, count, seconds float64) counter {
	return counter{name, count / seconds, true}
}

func figure(name string, value float64) counter {
	return counter{name, value, false}
}
