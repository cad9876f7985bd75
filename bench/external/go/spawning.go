// tokio's scheduler benchmarks (WORKLOADS.md's field table), the Go way:
// chain (chained_spawn: the first link is an outside job through the worker
// pool, each link then starts the next as a goroutine) and spawn_busy
// (spawn_many_remote_busy: W background goroutines spin ~10 us and re-spawn
// themselves while the main goroutine submits N empty jobs to the pool).
package main

import (
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// ---------------------------------------------------------------------------
// chain

type chainRow struct {
	pooled
	links int
	count int            // links run; link k+1 starts after link k's increment
	rest  sync.WaitGroup // the links after the first
}

func newChainRow(workers, links int) *chainRow {
	return &chainRow{pooled: pooled{pool: newWorkerPool(workers)}, links: links}
}

// link is link k (from 1): it counts itself and starts link k+1. The go
// statement orders this link's increment before the next one's, and the
// last link's Done before the main goroutine's Wait returns, so the plain
// counter needs no atomics.
func (c *chainRow) link(k int) {
	c.count++
	if k < c.links {
		c.rest.Add(1)
		go func() {
			defer c.rest.Done()
			c.link(k + 1)
		}()
	}
}

func (c *chainRow) prepare() { c.count = 0 }

// run: link 1's rest.Add happens before its pool job finishes, so after the
// pool's wait the WaitGroup counts every link still to come.
func (c *chainRow) run() {
	c.pool.submit(func() { c.link(1) })
	c.pool.wait()
	c.rest.Wait()
}

func (c *chainRow) check() string {
	if c.count != c.links {
		return fmt.Sprintf("wrong result: the chain ran %d links of %d", c.count, c.links)
	}
	return ""
}

func (c *chainRow) counters(seconds float64) []counter {
	return []counter{figure("ns_per_link", seconds*1e9/float64(c.links))}
}

func (c *chainRow) checksum() string { return strconv.Itoa(c.count) }

// ---------------------------------------------------------------------------
// spawn_busy

// busyStall is how long a background goroutine spins before re-spawning.
const busyStall = 10 * time.Microsecond

type spawnBusyRow struct {
	pooled
	jobs, busy int
	ran        atomic.Uint64  // outside jobs run
	stop       atomic.Bool    // tells the background goroutines to leave
	background sync.WaitGroup // one per background goroutine's line of re-spawns
	count      func()         // the outside job
}

func newSpawnBusyRow(workers, jobs int) *spawnBusyRow {
	s := &spawnBusyRow{pooled: pooled{pool: newWorkerPool(workers)}, jobs: jobs, busy: workers}
	s.count = func() { s.ran.Add(1) }
	return s
}

// spinBusy spins for busyStall, then re-spawns itself unless told to stop.
func (s *spawnBusyRow) spinBusy() {
	for start := time.Now(); time.Since(start) < busyStall; {
	}
	if s.stop.Load() {
		s.background.Done()
		return
	}
	go s.spinBusy()
}

// prepare starts the background goroutines, before the clock.
func (s *spawnBusyRow) prepare() {
	s.ran.Store(0)
	s.stop.Store(false)
	s.background.Add(s.busy)
	for b := 0; b < s.busy; b++ {
		go s.spinBusy()
	}
}

// run submits the N outside jobs and waits for them: the pool's WaitGroup
// counts only its own jobs, not the background goroutines.
func (s *spawnBusyRow) run() {
	for i := 0; i < s.jobs; i++ {
		s.pool.submit(s.count)
	}
	s.pool.wait()
}

// finish stops the background goroutines, after the clock.
func (s *spawnBusyRow) finish() {
	s.stop.Store(true)
	s.background.Wait()
}

func (s *spawnBusyRow) check() string {
	if got := s.ran.Load(); got != uint64(s.jobs) {
		return fmt.Sprintf("wrong result: %d outside jobs ran, %d submitted", got, s.jobs)
	}
	return ""
}

func (s *spawnBusyRow) counters(seconds float64) []counter {
	return []counter{figure("ns_per_submit", seconds*1e9/float64(s.jobs))}
}

func (s *spawnBusyRow) checksum() string { return strconv.FormatUint(s.ran.Load(), 10) }
