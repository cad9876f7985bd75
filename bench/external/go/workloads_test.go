// Tests of the workloads' definitions against figures known from outside
// this program: UTS's published trees (serially; skipped under -short), the
// closed forms of fib, skynet and integrate, the published nqueens counts,
// and the forked traversals against the serial ones. `go test` (in this
// folder), or `go test -short` for the fast ones.
package main

import (
	"runtime"
	"testing"
)

func TestUTSPublishedTreesSerially(t *testing.T) {
	if testing.Short() {
		t.Skip("about 4 million SHA-1 nodes per tree")
	}
	for _, tree := range []*utsTree{&utsT1, &utsT2, &utsT3} {
		if got := tree.searchSerial(utsRoot(tree.seed), 0); got != tree.want {
			t.Errorf("uts %s: nodes/depth/leaves %v, published %v", tree.name, got, tree.want)
		}
	}
}

func TestUTSForkedMatchesSerial(t *testing.T) {
	runtime.GOMAXPROCS(2)
	tree := &utsSmall
	want := tree.searchSerial(utsRoot(tree.seed), 0)
	if got := tree.search(utsRoot(tree.seed), 0); got != want {
		t.Errorf("uts small: forked %v, serial %v", got, want)
	}
}

func TestForkJoinResults(t *testing.T) {
	runtime.GOMAXPROCS(2)
	if got := fib(20); got != 6765 {
		t.Errorf("fib(20) = %d", got)
	}
	if got := skynet(0, 10_000); got != 49_995_000 {
		t.Errorf("skynet(4) = %d", got)
	}
	for n := 8; n <= 11; n++ {
		got := nqueens(n, 0, board{})
		if got.solutions != nqueensSolutions[n] || got != nqueensSerial(n, 0, board{}) {
			t.Errorf("nqueens(%d) = %+v, published %d solutions", n, got, nqueensSolutions[n])
		}
	}
	row := newIntegrateRow(2, 100)
	row.run()
	if msg := row.check(); msg != "" {
		t.Error(msg)
	}
	// The same arithmetic in C (gcc -ffp-contract=off) takes 779,923 calls.
	if row.got.calls != 779_923 {
		t.Errorf("integrate(100) took %d calls, expected 779923", row.got.calls)
	}
}

func TestShuffleIsAPermutation(t *testing.T) {
	a := shuffled(1000)
	seen := make([]bool, len(a))
	for _, v := range a {
		if seen[v] {
			t.Fatalf("%d twice", v)
		}
		seen[v] = true
	}
	// The LCG's first step from x = 1 picks j = 1103527590 % 1000 for i = 999.
	if a[999] != 590 {
		t.Errorf("a[999] = %d, expected 590", a[999])
	}
}

func TestEveryRowPassesItsCheckAtSmallSizes(t *testing.T) {
	runtime.GOMAXPROCS(2)
	for _, w := range []workload{
		newEmptyJobs(2, 10_000, 0), newEmptyJobs(2, 10_000, 3), newSpinJobs(2, 1000, true),
		newTreeJobs(12), newParallelFor(2, 10_000, 64), newParallelFor(2, 10_000, 0),
		newMatmulRow(128), newMergesortRow(300_000), newChainRow(2, 500),
		newSpawnBusyRow(2, 500), newSmallFor(1001), newReduce(7),
	} {
		if _, _, msg := runOnce(w); msg != "" {
			t.Errorf("%T: %s", w, msg)
		}
		w.close()
	}
}
