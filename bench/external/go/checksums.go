// --checksums: every workload once at its small size (bench/external/README.md)
// at 2 workers, one "workload value" line each, the same work as
// `pool_bench --checksums=serial` prints, for tests/bench to compare. Main
// goroutine only.
package main

import (
	"fmt"
	"os"
	"runtime"
)

func printChecksums() int {
	const w = 2
	runtime.GOMAXPROCS(w)
	small := []struct {
		name  string
		build func() workload
	}{
		{"empty", func() workload { return newEmptyJobs(w, 1000, 0) }},
		{"cpu", func() workload { return newSpinJobs(w, 1000, false) }},
		{"skewed", func() workload { return newSpinJobs(w, 1000, true) }},
		{"tree", func() workload { return newTreeJobs(10) }},
		{"producers", func() workload { return newEmptyJobs(w, 1000, 2) }},
		{"parallel_for", func() workload { return newParallelFor(w, 10_000, 0) }},
		{"fib", func() workload { return &fibRow{workers: w, n: 20} }},
		{"skynet", func() workload { return &skynetRow{workers: w, depth: 4} }},
		{"uts", func() workload { return &utsRow{workers: w, tree: &utsSmall} }},
		{"nqueens", func() workload { return newNqueensRow(w, 8) }},
		{"integrate", func() workload { return newIntegrateRow(w, 100) }},
		{"matmul", func() workload { return newMatmulRow(64) }},
		{"mergesort", func() workload { return newMergesortRow(1 << 14) }},
		{"chain", func() workload { return newChainRow(w, 1000) }},
		{"spawn_busy", func() workload { return newSpawnBusyRow(w, 1000) }},
		{"small_for", func() workload { return newSmallFor(1000) }},
		{"reduce", func() workload { return newReduce(1000) }},
	}
	for _, s := range small {
		wl := s.build()
		_, _, wrong := runOnce(wl)
		value := wl.checksum()
		wl.close()
		if wrong != "" {
			fmt.Fprintf(os.Stderr, "go_bench: --checksums: %s: %s\n", s.name, wrong)
			return 1
		}
		fmt.Printf("%s %s\n", s.name, value)
	}
	return 0
}
