// The canonical workloads of WORKLOADS.md: empty, cpu and skewed (one outside
// goroutine submits N jobs to the worker pool), producers (P outside
// goroutines submit at once) and tree (each job starts its two children as
// goroutines, one WaitGroup for them all). Each type is one row's workload
// (workload.go), driven by the main goroutine.
package main

import (
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
)

// emptyJob is the body of an empty job: it does nothing, and the call
// through a func value taken from the channel cannot be removed.
func emptyJob() {}

// ---------------------------------------------------------------------------
// empty and producers: N empty jobs from P outside goroutines (empty: the
// main goroutine itself); checked by the pool's own count of jobs run.

type emptyJobs struct {
	pooled
	jobs      int
	producers int // 0: the main goroutine submits (the empty workload)
	before    uint64
}

func newEmptyJobs(workers, jobs, producers int) *emptyJobs {
	return &emptyJobs{pooled: pooled{pool: newWorkerPool(workers)}, jobs: jobs, producers: producers}
}

func (e *emptyJobs) prepare() { e.before = e.pool.jobsRun() }

func (e *emptyJobs) run() {
	if e.producers == 0 {
		for i := 0; i < e.jobs; i++ {
			e.pool.submit(emptyJob)
		}
		e.pool.wait()
		return
	}
	var team sync.WaitGroup
	team.Add(e.producers)
	for k := 0; k < e.producers; k++ {
		share := e.jobs / e.producers
		if k < e.jobs%e.producers {
			share++
		}
		go func(share int) {
			defer team.Done()
			for i := 0; i < share; i++ {
				e.pool.submit(emptyJob)
			}
		}(share)
	}
	team.Wait()
	e.pool.wait()
}

func (e *emptyJobs) ran() uint64 { return e.pool.jobsRun() - e.before }

func (e *emptyJobs) check() string {
	if got := e.ran(); got != uint64(e.jobs) {
		return fmt.Sprintf("wrong result: %d empty jobs ran, %d submitted", got, e.jobs)
	}
	return ""
}

func (e *emptyJobs) counters(seconds float64) []counter {
	return []counter{perSecond("jobs_per_s", float64(e.jobs), seconds)}
}

func (e *emptyJobs) checksum() string { return strconv.FormatUint(e.ran(), 10) }

// ---------------------------------------------------------------------------
// cpu and skewed: job i stores spin(i, rounds(i)) in out[i]; the sum of out
// (wrapping) is checked against the serial run's.

type spinJobs struct {
	pooled
	workers int
	skewed  bool
	out     []uint64
	want    uint64
}

func newSpinJobs(workers, jobs int, skewed bool) *spinJobs {
	s := &spinJobs{pooled: pooled{pool: newWorkerPool(workers)}, workers: workers, skewed: skewed,
		out: make([]uint64, jobs)}
	kind := "cpu"
	if skewed {
		kind = "skewed"
	}
	s.want = serialSpinSum(kind, jobs, s.rounds)
	return s
}

func (s *spinJobs) rounds(i int) uint32 {
	if s.skewed {
		return skewedJobRounds(i)
	}
	return cpuRounds
}

func (s *spinJobs) prepare() {
	for i := range s.out {
		s.out[i] = 0
	}
}

func (s *spinJobs) run() {
	for i := range s.out {
		i, rounds := i, s.rounds(i)
		s.pool.submit(func() { s.out[i] = spin(uint64(i), rounds) })
	}
	s.pool.wait()
}

func (s *spinJobs) check() string {
	if got := sum64(s.out); got != s.want {
		return fmt.Sprintf("wrong result: sum of the spins %d, serial %d", got, s.want)
	}
	return ""
}

func (s *spinJobs) counters(seconds float64) []counter {
	n := float64(len(s.out))
	cs := []counter{perSecond("jobs_per_s", n, seconds)}
	if !s.skewed {
		// efficiency = N t1 / (wall W)
		return append(cs, figure("efficiency", n*t1.cpuJobNs*1e-9/(seconds*float64(s.workers))))
	}
	// ideal = total spin time / min(W, cores)
	long := (len(s.out) + skewEvery - 1) / skewEvery
	total := (float64(long)*t1.longJobNs + float64(len(s.out)-long)*t1.shortJobNs) * 1e-9
	usable := s.workers
	if usable > hardwareThreads {
		usable = hardwareThreads
	}
	return append(cs, figure("wall_over_ideal", seconds/(total/float64(usable))))
}

func (s *spinJobs) checksum() string { return strconv.FormatUint(sum64(s.out), 10) }

func sum64(values []uint64) uint64 {
	var s uint64
	for _, v := range values {
		s += v
	}
	return s
}

// serialSpinSums caches serialSpinSum per workload and n; main goroutine only.
var serialSpinSums = map[string]uint64{}

// serialSpinSum is the wrapping sum of spin(i, rounds(i)) for i < n, done
// serially once per workload (whose name says which rounds) and n.
func serialSpinSum(workload string, n int, rounds func(i int) uint32) uint64 {
	key := workload + "/" + strconv.Itoa(n)
	if s, ok := serialSpinSums[key]; ok {
		return s
	}
	var s uint64
	for i := 0; i < n; i++ {
		s += spin(uint64(i), rounds(i))
	}
	serialSpinSums[key] = s
	return s
}

// ---------------------------------------------------------------------------
// tree: the main goroutine starts the root; a node of depth d > 0 starts its
// two children as goroutines; one WaitGroup counts them all (the pool's
// wait-for-all). Every node counts itself, checked against 2^(depth+1) - 1.

type treeJobs struct {
	noHooks
	depth int
	nodes atomic.Uint64
	live  sync.WaitGroup // nodes started and not yet finished
}

func newTreeJobs(depth int) *treeJobs { return &treeJobs{depth: depth} }

func (t *treeJobs) node(depth int) {
	t.nodes.Add(1)
	if depth > 0 {
		t.live.Add(2)
		go t.node(depth - 1)
		go t.node(depth - 1)
	}
	t.live.Done()
}

func (t *treeJobs) prepare() { t.nodes.Store(0) }

func (t *treeJobs) run() {
	t.live.Add(1)
	go t.node(t.depth)
	t.live.Wait()
}

func (t *treeJobs) size() uint64 { return 1<<(t.depth+1) - 1 }

func (t *treeJobs) check() string {
	if got := t.nodes.Load(); got != t.size() {
		return fmt.Sprintf("wrong result: %d tree jobs ran, expected %d", got, t.size())
	}
	return ""
}

func (t *treeJobs) counters(seconds float64) []counter {
	return []counter{perSecond("jobs_per_s", float64(t.size()), seconds)}
}

func (t *treeJobs) checksum() string { return strconv.FormatUint(t.nodes.Load(), 10) }
