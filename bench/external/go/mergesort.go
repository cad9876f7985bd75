// mergesort (WORKLOADS.md's field table): n 64-bit integers, 0 .. n-1
// shuffled before the clock, sorted by a parallel merge sort: below 2,048
// elements sort.Ints, else fork the left half, sort the right, join, merge
// into the other buffer; a merge above 65,536 elements splits the longer run
// at its middle, binary-searches the other, and forks the two halves. The
// two buffers (a and the scratch, allocated before the clock) swap roles at
// each level, so no level copies its result back.
package main

import (
	"fmt"
	"sort"
	"strconv"
	"sync"
)

const (
	mergesortSerialBelow = 2048
	mergeSerialUpTo      = 65536
)

// shuffled is 0 .. n-1 shuffled by the C++ side's exact procedure:
//
//	x = 1                                 (uint64)
//	for i = n-1 down to 1:
//	    x = x * 1103515245 + 12345        (wrapping modulo 2^64)
//	    j = x % (i + 1)
//	    swap a[i], a[j]
func shuffled(n int) []int {
	a := make([]int, n)
	for i := range a {
		a[i] = i
	}
	x := uint64(1)
	for i := n - 1; i >= 1; i-- {
		x = x*1103515245 + 12345
		j := x % uint64(i+1)
		a[i], a[j] = a[j], a[i]
	}
	return a
}

// fork runs left in a new goroutine and right in this one, and returns when
// both have.
func fork(left, right func()) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		left()
	}()
	right()
	wg.Wait()
}

// sortInPlace sorts a, using scratch (as long as a) as its other buffer.
func sortInPlace(a, scratch []int) {
	if len(a) < mergesortSerialBelow {
		sort.Ints(a)
		return
	}
	m := len(a) / 2
	fork(func() { sortInto(a[:m], scratch[:m]) }, func() { sortInto(a[m:], scratch[m:]) })
	merge(scratch[:m], scratch[m:], a)
}

// sortInto leaves a's elements sorted in out (as long as a); a is scratch.
func sortInto(a, out []int) {
	if len(a) < mergesortSerialBelow {
		sort.Ints(a)
		copy(out, a)
		return
	}
	m := len(a) / 2
	fork(func() { sortInPlace(a[:m], out[:m]) }, func() { sortInPlace(a[m:], out[m:]) })
	merge(a[:m], a[m:], out)
}

// merge merges the sorted runs x and y into out (len(x) + len(y) long).
func merge(x, y, out []int) {
	if len(x)+len(y) <= mergeSerialUpTo {
		mergeSerial(x, y, out)
		return
	}
	if len(x) < len(y) {
		x, y = y, x
	}
	mx := len(x) / 2
	my := sort.SearchInts(y, x[mx])
	fork(func() { merge(x[:mx], y[:my], out[:mx+my]) },
		func() { merge(x[mx:], y[my:], out[mx+my:]) })
}

func mergeSerial(x, y, out []int) {
	i, j, k := 0, 0, 0
	for i < len(x) && j < len(y) {
		if y[j] < x[i] {
			out[k] = y[j]
			j++
		} else {
			out[k] = x[i]
			i++
		}
		k++
	}
	k += copy(out[k:], x[i:])
	copy(out[k:], y[j:])
}

type mergesortRow struct {
	noHooks
	input      []int // the shuffle, made once
	a, scratch []int
}

func newMergesortRow(n int) *mergesortRow {
	return &mergesortRow{input: shuffled(n), a: make([]int, n), scratch: make([]int, n)}
}

func (s *mergesortRow) prepare() { copy(s.a, s.input) }
func (s *mergesortRow) run()     { sortInPlace(s.a, s.scratch) }

func (s *mergesortRow) check() string {
	for i, v := range s.a {
		if v != i {
			return fmt.Sprintf("wrong result: mergesort a[%d] = %d", i, v)
		}
	}
	return ""
}

func (s *mergesortRow) counters(seconds float64) []counter {
	return []counter{perSecond("elements_per_s", float64(len(s.a)), seconds)}
}

// checksum is the wrapping sum over i of a[i] x (i + 1).
func (s *mergesortRow) checksum() string {
	var sum uint64
	for i, v := range s.a {
		sum += uint64(v) * uint64(i+1)
	}
	return strconv.FormatUint(sum, 10)
}
