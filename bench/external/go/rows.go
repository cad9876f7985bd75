// The rows go_bench runs, in pool_bench's order and with its names
// (bench/ROW_NAMES.md, with `go` in the pool's place): one entry per workload
// saying its variants at W workers (the name's tail after workers:W, and how
// to build the workload), at the quick or the full sizes of
// bench/external/README.md. Every workload sweeps the same worker list.
package main

import (
	"fmt"
)

// variant is one row of a workload at one worker count.
type variant struct {
	suffix string // "/n:30"
	build  func() workload
}

// allRows is every row, workload by workload, each over every worker count.
func allRows(quick bool, workers []int) []row {
	// sizes is quick's list, or full's.
	sizes := func(q, full []int) []int {
		if quick {
			return q
		}
		return full
	}
	workloads := []struct {
		name     string
		variants func(w int) []variant
	}{
		{"empty", func(w int) []variant {
			return each("jobs", sizes([]int{100_000}, []int{1_000_000}), func(n int) workload {
				return newEmptyJobs(w, n, 0)
			})
		}},
		{"cpu", func(w int) []variant {
			return each("jobs", sizes([]int{10_000}, []int{100_000}), func(n int) workload {
				return newSpinJobs(w, n, false)
			})
		}},
		{"skewed", func(w int) []variant {
			return each("jobs", sizes([]int{10_000}, []int{100_000}), func(n int) workload {
				return newSpinJobs(w, n, true)
			})
		}},
		{"tree", func(w int) []variant {
			return each("depth", sizes([]int{17}, []int{20}), func(d int) workload { return newTreeJobs(d) })
		}},
		{"producers", func(w int) []variant {
			var vs []variant
			n := sizes([]int{100_000}, []int{1_000_000})[0]
			for _, p := range sizes([]int{2}, []int{1, 2, 4}) {
				p := p
				vs = append(vs, variant{fmt.Sprintf("/jobs:%d/producers:%d", n, p),
					func() workload { return newEmptyJobs(w, n, p) }})
			}
			return vs
		}},
		{"parallel_for", func(w int) []variant {
			n := sizes([]int{1_000_000}, []int{10_000_000})[0]
			n8w := n / (8 * w)
			if n8w < 1 {
				n8w = 1
			}
			grains := []struct {
				label string
				grain int // 0: auto
			}{{"1", 1}, {"64", 64}, {"4096", 4096}, {"n_8w", n8w}, {"auto", 0}}
			if quick { // pool_bench's quick grains: N / (8 W) and automatic
				grains = grains[3:]
			}
			var vs []variant
			for _, g := range grains {
				g := g
				vs = append(vs, variant{fmt.Sprintf("/n:%d/grain:%s", n, g.label),
					func() workload { return newParallelFor(w, n, g.grain) }})
			}
			return vs
		}},
		{"fib", func(w int) []variant {
			return each("n", sizes([]int{30}, []int{30, 39}), func(n int) workload {
				return &fibRow{workers: w, n: n}
			})
		}},
		{"skynet", func(w int) []variant {
			return each("depth", sizes([]int{6}, []int{6, 8}), func(d int) workload {
				return &skynetRow{workers: w, depth: d}
			})
		}},
		{"uts", func(w int) []variant {
			trees := []*utsTree{&utsT3}
			if !quick {
				trees = []*utsTree{&utsT1, &utsT2, &utsT3}
			}
			var vs []variant
			for _, t := range trees {
				t := t
				vs = append(vs, variant{"/tree:" + t.name,
					func() workload { return &utsRow{workers: w, tree: t} }})
			}
			return vs
		}},
		{"nqueens", func(w int) []variant {
			return each("n", sizes([]int{12}, []int{12, 14}), func(n int) workload {
				return newNqueensRow(w, n)
			})
		}},
		{"integrate", func(w int) []variant {
			return each("n", sizes([]int{100}, []int{100, 10_000}), func(n int) workload {
				return newIntegrateRow(w, n)
			})
		}},
		{"matmul", func(w int) []variant {
			return each("n", sizes([]int{512}, []int{512, 2048}), func(n int) workload {
				return newMatmulRow(n)
			})
		}},
		{"mergesort", func(w int) []variant {
			return each("n", sizes([]int{1 << 20}, []int{1 << 22, 1 << 25}), func(n int) workload {
				return newMergesortRow(n)
			})
		}},
		{"chain", func(w int) []variant {
			return each("links", []int{10_000}, func(n int) workload { return newChainRow(w, n) })
		}},
		{"spawn_busy", func(w int) []variant {
			return each("jobs", []int{10_000}, func(n int) workload { return newSpawnBusyRow(w, n) })
		}},
		{"small_for", func(w int) []variant {
			return each("n", sizes([]int{1000, 1_000_000}, []int{1000, 1_000_000, 100_000_000}),
				func(n int) workload { return newSmallFor(n) })
		}},
		{"reduce", func(w int) []variant {
			return each("n", sizes([]int{1000, 1_000_000}, []int{1000, 1_000_000, 100_000_000}),
				func(n int) workload { return newReduce(n) })
		}},
	}
	var rows []row
	for _, wl := range workloads {
		for _, w := range workers {
			for _, v := range wl.variants(w) {
				rows = append(rows, row{
					name:    fmt.Sprintf("%s/go/workers:%d%s/real_time", wl.name, w, v.suffix),
					workers: w,
					build:   v.build,
				})
			}
		}
	}
	return rows
}

// each is one variant per value, named "/key:value".
func each(key string, values []int, build func(int) workload) []variant {
	var vs []variant
	for _, v := range values {
		v := v
		vs = append(vs, variant{fmt.Sprintf("/%s:%d", key, v), func() workload { return build(v) }})
	}
	return vs
}
