// The loop workloads: parallel_for (WORKLOADS.md's research workload; a
// fixed grain submits one pool job per grain, grain:auto is the idiomatic
// loop below) and dispenso's small_for and reduce. A loop without a grain is
// written as Go users write one: [0, N) split into four chunks per GOMAXPROCS,
// one goroutine per chunk, a WaitGroup; reduce combines the chunks' partial
// sums in chunk order, so its result does not depend on timing.
package main

import (
	"fmt"
	"runtime"
	"strconv"
	"sync"
)

// autoChunks is the chunk count of a loop given no grain.
func autoChunks() int { return 4 * runtime.GOMAXPROCS(0) }

// forChunks runs body(c, lo, hi) for the chunks c of [0, n) split into
// `chunks` contiguous ranges of near-equal size (fewer when n is smaller),
// one goroutine each, and returns when all have finished.
func forChunks(n, chunks int, body func(c, lo, hi int)) {
	if chunks > n {
		chunks = n
	}
	var wg sync.WaitGroup
	wg.Add(chunks)
	for c := 0; c < chunks; c++ {
		go func(c, lo, hi int) {
			defer wg.Done()
			body(c, lo, hi)
		}(c, c*n/chunks, (c+1)*n/chunks)
	}
	wg.Wait()
}

// ---------------------------------------------------------------------------
// parallel_for: out[i] = spin(i, 10) over [0, N), checked by the wrapping
// sum of out against the serial loop's.

const parallelForRounds = 10

func parallelForJobRounds(int) uint32 { return parallelForRounds }

type parallelFor struct {
	pooled     // the pool that runs a fixed grain's chunks; nil for grain:auto
	grain  int // 0: auto
	out    []uint64
	want   uint64
}

func newParallelFor(workers, n, grain int) *parallelFor {
	f := &parallelFor{grain: grain, out: make([]uint64, n),
		want: serialSpinSum("parallel_for", n, parallelForJobRounds)}
	if grain > 0 {
		f.pool = newWorkerPool(workers)
	}
	return f
}

func (f *parallelFor) prepare() {
	for i := range f.out {
		f.out[i] = 0
	}
}

func spinRange(out []uint64, lo, hi int) {
	for i := lo; i < hi; i++ {
		out[i] = spin(uint64(i), parallelForRounds)
	}
}

func (f *parallelFor) run() {
	n := len(f.out)
	if f.grain == 0 {
		forChunks(n, autoChunks(), func(_, lo, hi int) { spinRange(f.out, lo, hi) })
		return
	}
	for lo := 0; lo < n; lo += f.grain {
		lo, hi := lo, lo+f.grain
		if hi > n {
			hi = n
		}
		f.pool.submit(func() { spinRange(f.out, lo, hi) })
	}
	f.pool.wait()
}

func (f *parallelFor) check() string {
	if got := sum64(f.out); got != f.want {
		return fmt.Sprintf("wrong result: parallel_for checksum %d, serial %d", got, f.want)
	}
	return ""
}

func (f *parallelFor) counters(seconds float64) []counter {
	return []counter{perSecond("elements_per_s", float64(len(f.out)), seconds)}
}

func (f *parallelFor) checksum() string { return strconv.FormatUint(sum64(f.out), 10) }

// ---------------------------------------------------------------------------
// small_for and reduce: in[i] = (splitmix(i) & 255) - 127, filled before the
// clock; small_for writes out[i] = in[i]^2 - 3 in[i] (32-bit), reduce sums
// the same values in 64 bits.

func loopInput(n int) []int32 {
	in := make([]int32, n)
	for i := range in {
		in[i] = int32(splitmix(uint64(i))&255) - 127
	}
	return in
}

type smallFor struct {
	noHooks
	in, out []int32
}

func newSmallFor(n int) *smallFor { return &smallFor{in: loopInput(n), out: make([]int32, n)} }

func (s *smallFor) prepare() {
	for i := range s.out {
		s.out[i] = 0
	}
}

func (s *smallFor) run() {
	forChunks(len(s.in), autoChunks(), func(_, lo, hi int) {
		out := s.out[lo:hi]
		for i, v := range s.in[lo:hi] {
			out[i] = v*v - 3*v
		}
	})
}

// check compares every element with the serial loop's value.
func (s *smallFor) check() string {
	for i, v := range s.in {
		if want := v*v - 3*v; s.out[i] != want {
			return fmt.Sprintf("wrong result: small_for out[%d] = %d, serial %d", i, s.out[i], want)
		}
	}
	return ""
}

func (s *smallFor) counters(seconds float64) []counter {
	return []counter{figure("ns_per_call", seconds*1e9),
		perSecond("elements_per_s", float64(len(s.in)), seconds)}
}

func (s *smallFor) checksum() string {
	var sum int64
	for _, v := range s.out {
		sum += int64(v)
	}
	return strconv.FormatInt(sum, 10)
}

type reduce struct {
	noHooks
	in   []int32
	sum  int64
	want int64
}

func reduceTerm(v int32) int64 {
	x := int64(v)
	return x*x - 3*x
}

// serialReduceSums caches the serial sum per n; main goroutine only.
var serialReduceSums = map[int]int64{}

func newReduce(n int) *reduce {
	r := &reduce{in: loopInput(n)}
	want, ok := serialReduceSums[n]
	if !ok {
		for _, v := range r.in {
			want += reduceTerm(v)
		}
		serialReduceSums[n] = want
	}
	r.want = want
	return r
}

func (r *reduce) prepare() { r.sum = 0 }

func (r *reduce) run() {
	chunks := autoChunks()
	if chunks > len(r.in) {
		chunks = len(r.in)
	}
	partial := make([]int64, chunks)
	forChunks(len(r.in), chunks, func(c, lo, hi int) {
		var s int64
		for _, v := range r.in[lo:hi] {
			s += reduceTerm(v)
		}
		partial[c] = s
	})
	var sum int64
	for _, s := range partial {
		sum += s
	}
	r.sum = sum
}

func (r *reduce) check() string {
	if r.sum != r.want {
		return fmt.Sprintf("wrong result: reduce sum %d, serial %d", r.sum, r.want)
	}
	return ""
}

func (r *reduce) counters(seconds float64) []counter {
	return []counter{figure("ns_per_call", seconds*1e9),
		perSecond("elements_per_s", float64(len(r.in)), seconds)}
}

func (r *reduce) checksum() string { return strconv.FormatInt(r.sum, 10) }
