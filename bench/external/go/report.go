// The output of a run, as Google Benchmark writes it so that the sweep and
// the plot program read it unchanged: a console line per repetition (and the
// _mean, _median, _stddev and _cv lines after a row's repetitions), the
// context block on stderr, and the JSON file of --benchmark_out (context,
// then one "iteration" entry per repetition). Main goroutine only.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"time"
)

// ---------------------------------------------------------------------------
// Console

type console struct {
	width int // of the name column
}

func newConsole(rows []row) *console {
	c := &console{width: len("Benchmark")}
	for _, r := range rows {
		if n := len(r.name) + len("_median"); n > c.width {
			c.width = n
		}
	}
	return c
}

func (c *console) header() {
	line := strings.Repeat("-", c.width+53)
	fmt.Println(line)
	fmt.Printf("%-*s %13s %15s %12s %s\n", c.width, "Benchmark", "Time", "CPU", "Iterations",
		"UserCounters...")
	fmt.Println(line)
}

// formatTime is Google Benchmark's time column: 10 characters.
func formatTime(t float64) string {
	switch {
	case t < 1:
		return fmt.Sprintf("%10.3f", t)
	case t < 10:
		return fmt.Sprintf("%10.2f", t)
	case t < 100:
		return fmt.Sprintf("%10.1f", t)
	case t > 9999999999:
		return fmt.Sprintf("%1.4e", t)
	}
	return fmt.Sprintf("%10.0f", t)
}

// humanReadable writes a counter with a k, M, G or T suffix (powers of 1000).
func humanReadable(v float64) string {
	suffix := ""
	for _, s := range []string{"k", "M", "G", "T"} {
		if math.Abs(v) < 1000 {
			break
		}
		v /= 1000
		suffix = s
	}
	return strconv.FormatFloat(v, 'g', 6, 64) + suffix
}

func (c *console) line(name string, r result) {
	if r.err != "" {
		fmt.Printf("%-*s ERROR OCCURRED: '%s'\n", c.width, name, r.err)
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-*s %s ns %s ns %12d", c.width, name, formatTime(r.realNs), formatTime(r.cpuNs),
		r.iterations)
	for _, k := range r.counters {
		unit := ""
		if k.rate {
			unit = "/s"
		}
		fmt.Fprintf(&b, " %s=%s%s", k.name, humanReadable(k.value), unit)
	}
	fmt.Println(b.String())
}

// aggregates prints a row's _mean, _median, _stddev and _cv lines over its
// repetitions that succeeded (times and counters; _cv: times only, in %).
func (c *console) aggregates(name string, reps []result) {
	var ok []result
	for _, r := range reps {
		if r.err == "" {
			ok = append(ok, r)
		}
	}
	if len(ok) < 2 {
		return
	}
	stat := func(f func(result) float64) (mean, median, stddev float64) {
		xs := make([]float64, len(ok))
		for i, r := range ok {
			xs[i] = f(r)
			mean += xs[i]
		}
		mean /= float64(len(xs))
		for _, x := range xs {
			stddev += (x - mean) * (x - mean)
		}
		stddev = math.Sqrt(stddev / float64(len(xs)-1))
		sort.Float64s(xs)
		median = xs[len(xs)/2]
		if len(xs)%2 == 0 {
			median = (xs[len(xs)/2-1] + xs[len(xs)/2]) / 2
		}
		return mean, median, stddev
	}
	var mean, median, stddev result
	for _, r := range []*result{&mean, &median, &stddev} {
		r.iterations = ok[0].iterations
	}
	mean.realNs, median.realNs, stddev.realNs = stat(func(r result) float64 { return r.realNs })
	mean.cpuNs, median.cpuNs, stddev.cpuNs = stat(func(r result) float64 { return r.cpuNs })
	for i, k := range ok[0].counters {
		i := i
		m, med, sd := stat(func(r result) float64 { return r.counters[i].value })
		mean.counters = append(mean.counters, counter{k.name, m, k.rate})
		median.counters = append(median.counters, counter{k.name, med, k.rate})
		stddev.counters = append(stddev.counters, counter{k.name, sd, k.rate})
	}
	c.line(name+"_mean", mean)
	c.line(name+"_median", median)
	c.line(name+"_stddev", stddev)
	fmt.Printf("%-*s %10.2f %%  %10.2f %%  %12d\n", c.width, name+"_cv", 100*stddev.realNs/mean.realNs,
		100*stddev.cpuNs/mean.cpuNs, mean.iterations)
}

// ---------------------------------------------------------------------------
// JSON

// object is a JSON object that keeps its keys in the order written.
type object []field

type field struct {
	key   string
	value interface{}
}

func (o object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		key, err := json.Marshal(f.key)
		if err != nil {
			return nil, err
		}
		value, err := json.Marshal(f.value)
		if err != nil {
			return nil, err
		}
		b.Write(key)
		b.WriteByte(':')
		b.Write(value)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// entry is one repetition's "benchmarks" element.
func entry(name string, family, repetitions, repetition int, r result) object {
	o := object{
		{"name", name}, {"family_index", family}, {"per_family_instance_index", 0},
		{"run_name", name}, {"run_type", "iteration"}, {"repetitions", repetitions},
		{"repetition_index", repetition}, {"threads", 1},
	}
	if r.err != "" {
		o = append(o, field{"error_occurred", true}, field{"error_message", r.err})
	}
	o = append(o, field{"iterations", r.iterations}, field{"real_time", r.realNs},
		field{"cpu_time", r.cpuNs}, field{"time_unit", "ns"})
	for _, k := range r.counters {
		if !math.IsNaN(k.value) && !math.IsInf(k.value, 0) { // JSON has neither
			o = append(o, field{k.name, k.value})
		}
	}
	return o
}

// writeJSON writes the context and the entries to out, and closes it.
func writeJSON(out *os.File, context object, entries []object) error {
	text, err := json.MarshalIndent(object{{"context", context}, {"benchmarks", entries}}, "", "  ")
	if err == nil {
		w := bufio.NewWriter(out)
		w.Write(text)
		w.WriteString("\n")
		err = w.Flush()
	}
	if closeErr := out.Close(); err == nil {
		err = closeErr
	}
	return err
}

// ---------------------------------------------------------------------------
// Context: Google Benchmark's own fields, then what pool_bench adds
// (bench/context.hpp) where Go can say it.

func runContext(o *options, start time.Time) object {
	host, _ := os.Hostname()
	executable, _ := os.Executable()
	workers := make([]string, len(o.workers))
	for i, w := range o.workers {
		workers[i] = strconv.Itoa(w)
	}
	workersSource := "default"
	if o.workersChosen {
		workersSource = "chosen"
	}
	quick := "0"
	if o.quick {
		quick = "1"
	}
	c := object{
		{"date", start.Format("2006-01-02T15:04:05-07:00")},
		{"host_name", host},
		{"executable", executable},
		{"num_cpus", runtime.NumCPU()},
	}
	if mhz := cpuinfo("cpu MHz"); mhz != "" {
		if f, err := strconv.ParseFloat(mhz, 64); err == nil {
			c = append(c, field{"mhz_per_cpu", int(f)})
		}
	}
	if load := loadAverage(); load != nil {
		c = append(c, field{"load_avg", load})
	}
	c = append(c, object{
		{"library_build_type", "release"},
		{"compiler", runtime.Version()},
		{"system", "go"},
		{"go_build", buildSettings()},
		{"git_revision", gitRevision()},
		{"gogc", envOr("GOGC", "100 (default)")},
		{"gomaxprocs", "the row's workers"},
		{"command_line", strings.Join(os.Args, " ")},
		{"hardware_threads", strconv.Itoa(hardwareThreads)},
		{"poolbench_quick", quick},
		{"poolbench_workers", strings.Join(workers, ",")},
		{"poolbench_workers_source", workersSource},
		{"t1_cpu_job_ns", strconv.FormatFloat(t1.cpuJobNs, 'f', 6, 64)},
		{"t1_skewed_short_job_ns", strconv.FormatFloat(t1.shortJobNs, 'f', 6, 64)},
		{"t1_skewed_long_job_ns", strconv.FormatFloat(t1.longJobNs, 'f', 6, 64)},
		{"cpu_model", orUnknown(cpuinfo("model name"))},
		{"kernel", orUnknown(firstLine("/proc/sys/kernel/osrelease"))},
	}...)
	return c
}

// printContext is Google Benchmark's stderr preamble.
func printContext(start time.Time) {
	fmt.Fprintln(os.Stderr, start.Format("2006-01-02T15:04:05-07:00"))
	executable, _ := os.Executable()
	fmt.Fprintf(os.Stderr, "Running %s\n", executable)
	fmt.Fprintf(os.Stderr, "Run on (%d X %s MHz CPU s), %s, GOMAXPROCS = the row's workers\n",
		runtime.NumCPU(), orUnknown(cpuinfo("cpu MHz")), runtime.Version())
	if load := loadAverage(); load != nil {
		fmt.Fprintf(os.Stderr, "Load Average: %.2f, %.2f, %.2f\n", load[0], load[1], load[2])
	}
}

// buildSettings are the go build flags recorded in the binary (-trimpath,
// GOAMD64, CGO_ENABLED, ...).
func buildSettings() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	var parts []string
	for _, s := range info.Settings {
		parts = append(parts, s.Key+"="+s.Value)
	}
	return strings.Join(parts, " ")
}

// gitRevision is pool_bench's git_revision (a short hash, "-dirty" when the
// tree had changes) from the VCS stamp go build records, else "unknown".
func gitRevision() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	revision, dirty := "unknown", ""
	for _, s := range info.Settings {
		switch {
		case s.Key == "vcs.revision" && len(s.Value) >= 7:
			revision = s.Value[:7]
		case s.Key == "vcs.modified" && s.Value == "true":
			dirty = "-dirty"
		}
	}
	if revision == "unknown" {
		return revision
	}
	return revision + dirty
}

func envOr(name, otherwise string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return otherwise
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// cpuinfo is the first value of key in /proc/cpuinfo, or "".
func cpuinfo(key string) string {
	text, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(text), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func firstLine(path string) string {
	text, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	line, _, _ := strings.Cut(string(text), "\n")
	return strings.TrimSpace(line)
}

// loadAverage is /proc/loadavg's three averages, or nil.
func loadAverage() []float64 {
	fields := strings.Fields(firstLine("/proc/loadavg"))
	if len(fields) < 3 {
		return nil
	}
	load := make([]float64, 3)
	for i := range load {
		v, err := strconv.ParseFloat(fields[i], 64)
		if err != nil {
			return nil
		}
		load[i] = v
	}
	return load
}
