// The classic Go worker pool, the program this project started from: W
// goroutines ranging over one channel of jobs, and a sync.WaitGroup that
// counts the jobs submitted and not yet finished. The outside submissions of
// every workload go through it; nested work is plain goroutines instead.
// Submit and Wait: any goroutine (Wait as sync.WaitGroup allows); jobsRun:
// after a Wait; close: once, after the last Wait.
package main

import "sync"

// jobBuffer is the job channel's capacity: buffered, as users size their
// job channels, so that a submit rarely waits for a worker to be ready.
const jobBuffer = 1024

// cacheLine is the stride that keeps two workers' counters off one pair of
// cache lines (x86's adjacent-line prefetcher pulls lines in pairs).
const cacheLine = 128

type workerPool struct {
	jobs    chan func()
	pending sync.WaitGroup // jobs submitted and not yet finished
	workers sync.WaitGroup // the worker goroutines, for close
	ran     []workerTally  // one per worker, written only by that worker
}

// workerTally counts the jobs one worker ran, alone on its cache lines.
type workerTally struct {
	jobs uint64
	_    [cacheLine - 8]byte
}

// newWorkerPool starts the pool's goroutines; call it outside the clock.
func newWorkerPool(workers int) *workerPool {
	p := &workerPool{jobs: make(chan func(), jobBuffer), ran: make([]workerTally, workers)}
	p.workers.Add(workers)
	for w := range p.ran {
		go p.work(&p.ran[w])
	}
	return p
}

func (p *workerPool) work(tally *workerTally) {
	defer p.workers.Done()
	for job := range p.jobs {
		job()
		tally.jobs++
		p.pending.Done() // after the count, so that Wait's return orders it
	}
}

// submit queues a job; it blocks while the channel is full.
func (p *workerPool) submit(job func()) {
	p.pending.Add(1)
	p.jobs <- job
}

// wait returns when every job submitted so far has finished.
func (p *workerPool) wait() {
	p.pending.Wait()
}

// jobsRun is the number of jobs the workers have run; call it after wait.
func (p *workerPool) jobsRun() uint64 {
	var n uint64
	for w := range p.ran {
		n += p.ran[w].jobs
	}
	return n
}

// close stops the workers and returns once they have left.
func (p *workerPool) close() {
	close(p.jobs)
	p.workers.Wait()
}
