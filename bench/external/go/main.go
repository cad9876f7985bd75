// go_bench: the `go` outside baseline of poolbench (bench/external/README.md).
// The workloads of WORKLOADS.md written as Go's users write them: outside
// submissions through the classic worker pool (W goroutines ranging over one
// channel of jobs, pool.go), nested work as goroutines joined by a
// sync.WaitGroup (Go's own work-stealing scheduler), loops as one goroutine
// per chunk; GOMAXPROCS = W for every row. Rows, counters and JSON are
// pool_bench's, so the sweep and the plots read them unchanged. Example:
//
//	POOLBENCH_QUICK=1 POOLBENCH_WORKERS=1,2 go_bench --benchmark_filter=fib \
//	    --benchmark_out=go.json --benchmark_out_format=json
package main

import (
	"fmt"
	"os"
	"runtime"
	"time"
)

// hardwareThreads is the CPUs this process may run on (its affinity mask,
// as pool_bench counts them), read at start-up before any GOMAXPROCS change.
var hardwareThreads = runtime.NumCPU()

func main() {
	os.Exit(run())
}

func run() int {
	o, err := parseOptions(os.Args[1:], os.Getenv)
	if o.help {
		fmt.Print(usage)
		return 0
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "go_bench: %v\n", err)
		return 2
	}
	if o.checksums {
		return printChecksums()
	}
	var rows []row
	if o.quick {
		goroutineLimit = maxGoroutinesPerRunQuick
	}
	for _, r := range allRows(o.quick, o.workers) {
		if o.selected(r.name) {
			rows = append(rows, r)
		}
	}
	if o.listTests {
		for _, r := range rows {
			fmt.Println(r.name)
		}
		return 0
	}
	if len(rows) == 0 {
		fmt.Fprintf(os.Stderr, "Failed to match any benchmarks against regex: %v\n", o.filter)
		return 0
	}
	var out *os.File
	if o.outFile != "" {
		if out, err = os.Create(o.outFile); err != nil {
			fmt.Fprintf(os.Stderr, "go_bench: --benchmark_out: %v\n", err)
			return 2
		}
	}
	start := time.Now()
	calibrate()
	context := runContext(&o, start)
	printContext(start)
	con := newConsole(rows)
	con.header()
	entries := []object{}
	for family, r := range rows {
		reps := make([]result, o.repetitions)
		iterations := 0 // the first repetition's count, repeated by the others
		for i := range reps {
			reps[i] = runRepetition(r, iterations, o.minTime)
			if i == 0 {
				iterations = reps[0].iterations
			}
			con.line(r.name, reps[i])
			entries = append(entries, entry(r.name, family, o.repetitions, i, reps[i]))
		}
		con.aggregates(r.name, reps)
	}
	if out != nil {
		if err := writeJSON(out, context, entries); err != nil {
			fmt.Fprintf(os.Stderr, "go_bench: --benchmark_out: %v\n", err)
			return 1
		}
	}
	return 0
}
