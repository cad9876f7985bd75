// The command line and environment of go_bench: the subset of Google
// Benchmark's flags and pool_bench's variables that bench/external/README.md
// lists, with the same meaning. Anything else, or a bad value, is an error
// that names it (main exits 2). Read once, by main, before anything runs.
package main

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

const usage = `usage: go_bench [options]

The go outside baseline of poolbench (bench/external/README.md): the
workloads of WORKLOADS.md written as Go's users write them, with the rows,
counters and JSON of pool_bench.

  --benchmark_list_tests[=true]   print the row names that would run, and exit
  --benchmark_filter=REGEX        run only the rows REGEX matches (-REGEX: the others)
  --benchmark_repetitions=N       repetitions of each row (default 1)
  --benchmark_out=FILE            write the results as Google Benchmark's JSON to FILE
  --benchmark_out_format=json     the only format
  --benchmark_min_time=S          each repetition runs iterations for at least
                                  S seconds (default 0.05, quick 0.02; "0.05s" too)
  --checksums                     run every workload once at its small size at
                                  2 workers, print "workload value" lines, and exit
  --help                          this text

Environment:
  POOLBENCH_QUICK=1         the quick sizes; unset or 0: the full sizes
  POOLBENCH_WORKERS=1,2,4   the worker counts (default: quick 1, the hardware
                            threads and twice them; full 1, 2, 4, ... up to the
                            hardware threads, that count, and twice it)
`

// maxWorkers is pool_bench's limit (pools/config.hpp's k_max_workers).
const maxWorkers = 4096

type options struct {
	help          bool
	listTests     bool
	checksums     bool
	filter        *regexp.Regexp // nil: every row
	negateFilter  bool           // run the rows filter does not match
	repetitions   int
	outFile       string
	minTime       time.Duration
	quick         bool
	workers       []int
	workersChosen bool // POOLBENCH_WORKERS was given
}

// parseOptions reads the arguments (without the program name) and the
// environment through getenv.
func parseOptions(args []string, getenv func(string) string) (options, error) {
	o := options{repetitions: 1, minTime: 0}
	for _, arg := range args {
		name, value, hasValue := strings.Cut(arg, "=")
		var err error
		switch name {
		case "--help":
			o.help = true
		case "--checksums":
			if hasValue {
				err = errors.New("takes no value")
			}
			o.checksums = true
		case "--benchmark_list_tests":
			o.listTests = true
			if hasValue {
				o.listTests, err = parseBool(value)
			}
		case "--benchmark_filter":
			err = o.setFilter(value, hasValue)
		case "--benchmark_repetitions":
			o.repetitions, err = strconv.Atoi(value)
			if err != nil || o.repetitions < 1 {
				err = errors.New("must be a whole number of at least 1")
			}
		case "--benchmark_out":
			o.outFile = value
			if value == "" {
				err = errors.New("needs a file name")
			}
		case "--benchmark_out_format":
			if value != "json" {
				err = errors.New("only json is written")
			}
		case "--benchmark_min_time":
			o.minTime, err = parseSeconds(value)
		default:
			return o, fmt.Errorf("unknown option '%s' (--help lists them)", arg)
		}
		if err != nil {
			return o, fmt.Errorf("%s: bad value '%s': %v", name, value, err)
		}
	}
	if err := o.readEnvironment(getenv); err != nil {
		return o, err
	}
	return o, nil
}

func (o *options) setFilter(spec string, given bool) error {
	if !given {
		return errors.New("needs =REGEX")
	}
	if strings.HasPrefix(spec, "-") {
		o.negateFilter = true
		spec = spec[1:]
	}
	if spec == "" || spec == "all" {
		spec = "."
	}
	re, err := regexp.Compile(spec)
	o.filter = re
	return err
}

// selected reports whether the row named name runs under the filter.
func (o *options) selected(name string) bool {
	if o.filter == nil {
		return true
	}
	return o.filter.MatchString(name) != o.negateFilter
}

// parseBool takes the values Google Benchmark's boolean flags take.
func parseBool(value string) (bool, error) {
	switch strings.ToLower(value) {
	case "true", "yes", "on", "1":
		return true, nil
	case "false", "no", "off", "0":
		return false, nil
	}
	return false, errors.New("must be true or false")
}

// parseSeconds reads "0.05" or "0.05s".
func parseSeconds(value string) (time.Duration, error) {
	s, err := strconv.ParseFloat(strings.TrimSuffix(value, "s"), 64)
	if err != nil || s < 0 || s > 1e6 {
		return 0, errors.New("must be a number of seconds, such as 0.05 or 0.05s")
	}
	return time.Duration(s * float64(time.Second)), nil
}

func (o *options) readEnvironment(getenv func(string) string) error {
	switch quick := getenv("POOLBENCH_QUICK"); quick {
	case "", "0":
	case "1":
		o.quick = true
	default:
		return fmt.Errorf("POOLBENCH_QUICK must be 0 or 1, got '%s'", quick)
	}
	if o.minTime == 0 { // not given: pool_bench's, 20 ms quick and 50 ms full
		o.minTime = 50 * time.Millisecond
		if o.quick {
			o.minTime = 20 * time.Millisecond
		}
	}
	list := getenv("POOLBENCH_WORKERS")
	if list == "" {
		o.workers = defaultWorkers(hardwareThreads, o.quick)
		return nil
	}
	o.workersChosen = true
	for _, item := range strings.Split(list, ",") {
		w, err := strconv.Atoi(item)
		if err != nil || w < 1 || w > maxWorkers {
			return fmt.Errorf("POOLBENCH_WORKERS: '%s' is not a worker count (a whole number from 1 to %d)",
				item, maxWorkers)
		}
		for _, seen := range o.workers {
			if seen == w {
				return fmt.Errorf("POOLBENCH_WORKERS: %d is listed twice", w)
			}
		}
		o.workers = append(o.workers, w)
	}
	sort.Ints(o.workers)
	return nil
}

// defaultWorkers is pool_bench's list: quick 1, hw, 2 hw; full 1, 2, 4, ...
// up to hw, hw itself, and 2 hw; sorted, each once.
func defaultWorkers(hw int, quick bool) []int {
	ws := []int{1, hw, 2 * hw}
	if !quick {
		ws = nil
		for w := 1; w <= hw; w *= 2 {
			ws = append(ws, w)
		}
		ws = append(ws, hw, 2*hw)
	}
	sort.Ints(ws)
	unique := ws[:1]
	for _, w := range ws[1:] {
		if w != unique[len(unique)-1] {
			unique = append(unique, w)
		}
	}
	return unique
}
