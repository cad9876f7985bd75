// The fork-join workloads of WORKLOADS.md's field table written with
// goroutines, Go's own work-stealing scheduler: fib, skynet, nqueens and
// integrate. A fork is `go` on a closure that stores its result in a captured
// variable, the join a sync.WaitGroup's Wait; the main goroutine calls the
// root and so takes part as one of the W Ps, as a Go program does. Results
// and task counts travel up the joins, so no counter is shared.
package main

import (
	"fmt"
	"math"
	"strconv"
	"sync"
)

// ---------------------------------------------------------------------------
// fib: fork fib(n-1), call fib(n-2), join. tasks(n) = 2 F(n+1) - 1 calls.

func fib(n int) uint64 {
	if n < 2 {
		return uint64(n)
	}
	var a uint64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		a = fib(n - 1)
	}()
	b := fib(n - 2)
	wg.Wait()
	return a + b
}

// fibonacci is F(n), iteratively.
func fibonacci(n int) uint64 {
	a, b := uint64(0), uint64(1)
	for i := 0; i < n; i++ {
		a, b = b, a+b
	}
	return a
}

type fibRow struct {
	noHooks
	workers, n int
	got        uint64
}

func (f *fibRow) prepare()      { f.got = 0 }
func (f *fibRow) run()          { f.got = fib(f.n) }
func (f *fibRow) tasks() uint64 { return 2*fibonacci(f.n+1) - 1 }

// unsupported: fib forks once per call that is not a leaf.
func (f *fibRow) unsupported() string {
	return goroutineCap(fmt.Sprintf("fib(%d)", f.n), (f.tasks()-1)/2)
}

func (f *fibRow) check() string {
	if want := fibonacci(f.n); f.got != want {
		return fmt.Sprintf("wrong result: fib(%d) = %d, expected %d", f.n, f.got, want)
	}
	return ""
}

func (f *fibRow) counters(seconds float64) []counter {
	return taskCounters("tasks_per_s", f.tasks(), f.workers, seconds)
}

func (f *fibRow) checksum() string { return strconv.FormatUint(f.got, 10) }

// taskCounters are `rate` (tasks per second) and ns_per_task = wall x W /
// tasks, libfork's metric.
func taskCounters(rate string, tasks uint64, workers int, seconds float64) []counter {
	return []counter{perSecond(rate, float64(tasks), seconds),
		figure("ns_per_task", seconds*1e9*float64(workers)/float64(tasks))}
}

// ---------------------------------------------------------------------------
// skynet: a node with `size` = 10^(depth - level) > 1 forks its 10 children,
// child k with base + k x size / 10; a leaf returns its base; the sum of the
// leaves is that of 0 .. 10^depth - 1.

func skynet(base, size uint64) uint64 {
	if size == 1 {
		return base
	}
	child := size / 10
	var sums [10]uint64
	var wg sync.WaitGroup
	wg.Add(10)
	for k := range sums {
		go func(k int) {
			defer wg.Done()
			sums[k] = skynet(base+uint64(k)*child, child)
		}(k)
	}
	wg.Wait()
	var s uint64
	for _, v := range sums {
		s += v
	}
	return s
}

type skynetRow struct {
	noHooks
	workers, depth int
	got            uint64
}

func (s *skynetRow) leaves() uint64 {
	n := uint64(1)
	for l := 0; l < s.depth; l++ {
		n *= 10
	}
	return n
}

func (s *skynetRow) prepare() { s.got = 0 }
func (s *skynetRow) run()     { s.got = skynet(0, s.leaves()) }

// tasks is the sum of 10^l for l = 0 .. depth.
func (s *skynetRow) tasks() uint64 { return (10*s.leaves() - 1) / 9 }

// unsupported: skynet forks every node but the root.
func (s *skynetRow) unsupported() string {
	return goroutineCap(fmt.Sprintf("skynet at depth %d", s.depth), s.tasks()-1)
}

func (s *skynetRow) check() string {
	if n := s.leaves(); s.got != n*(n-1)/2 {
		return fmt.Sprintf("wrong result: skynet(%d) = %d, expected %d", s.depth, s.got, n*(n-1)/2)
	}
	return ""
}

func (s *skynetRow) counters(seconds float64) []counter {
	return taskCounters("tasks_per_s", s.tasks(), s.workers, seconds)
}

func (s *skynetRow) checksum() string { return strconv.FormatUint(s.got, 10) }

// ---------------------------------------------------------------------------
// nqueens: a node is a board (passed by value) with queens in rows 0 .. row-1;
// each column of the next row that no queen above attacks is a child,
// forked. Solutions and nodes (the valid placements, the root counted) are
// summed up the joins.

const maxQueens = 16

// board[r] is the column of the queen in row r.
type board [maxQueens]int8

// attacked reports whether a queen at (row, col) would be attacked by one
// of the queens in rows 0 .. row-1.
func (b *board) attacked(row int, col int8) bool {
	for r := 0; r < row; r++ {
		d := int8(row - r)
		if c := b[r]; c == col || c-col == d || col-c == d {
			return true
		}
	}
	return false
}

type queensCount struct {
	solutions, nodes uint64
}

func nqueens(n, row int, b board) queensCount {
	if row == n {
		return queensCount{1, 1}
	}
	var children [maxQueens]queensCount
	var wg sync.WaitGroup
	for col := int8(0); col < int8(n); col++ {
		if b.attacked(row, col) {
			continue
		}
		next := b
		next[row] = col
		wg.Add(1)
		go func(slot *queensCount, next board) {
			defer wg.Done()
			*slot = nqueens(n, row+1, next)
		}(&children[col], next)
	}
	wg.Wait()
	c := queensCount{0, 1}
	for _, sub := range children[:n] {
		c.solutions += sub.solutions
		c.nodes += sub.nodes
	}
	return c
}

// nqueensSerial is the same traversal by plain recursion: the reference.
func nqueensSerial(n, row int, b board) queensCount {
	if row == n {
		return queensCount{1, 1}
	}
	c := queensCount{0, 1}
	for col := int8(0); col < int8(n); col++ {
		if !b.attacked(row, col) {
			next := b
			next[row] = col
			sub := nqueensSerial(n, row+1, next)
			c.solutions += sub.solutions
			c.nodes += sub.nodes
		}
	}
	return c
}

// nqueensSolutions are the published counts (WORKLOADS.md) for n = 8 .. 15.
var nqueensSolutions = map[int]uint64{8: 92, 9: 352, 10: 724, 11: 2680, 12: 14200, 13: 73712,
	14: 365596, 15: 2279184}

// serialQueens caches the serial traversal per n; main goroutine only.
var serialQueens = map[int]queensCount{}

type nqueensRow struct {
	noHooks
	workers, n int
	got, want  queensCount
}

func newNqueensRow(workers, n int) *nqueensRow {
	want, ok := serialQueens[n]
	if !ok {
		want = nqueensSerial(n, 0, board{})
		serialQueens[n] = want
	}
	return &nqueensRow{workers: workers, n: n, want: want}
}

func (q *nqueensRow) prepare() { q.got = queensCount{} }
func (q *nqueensRow) run()     { q.got = nqueens(q.n, 0, board{}) }

// unsupported: nqueens forks every node but the root.
func (q *nqueensRow) unsupported() string {
	return goroutineCap(fmt.Sprintf("nqueens(%d)", q.n), q.want.nodes-1)
}

func (q *nqueensRow) check() string {
	if published, ok := nqueensSolutions[q.n]; ok && q.want.solutions != published {
		return fmt.Sprintf("wrong result: serial nqueens(%d) found %d solutions, published %d",
			q.n, q.want.solutions, published)
	}
	if q.got != q.want {
		return fmt.Sprintf("wrong result: nqueens(%d) found %d solutions in %d nodes, serial %d in %d",
			q.n, q.got.solutions, q.got.nodes, q.want.solutions, q.want.nodes)
	}
	return ""
}

func (q *nqueensRow) counters(seconds float64) []counter {
	cs := []counter{perSecond("solutions_per_s", float64(q.want.solutions), seconds)}
	return append(cs, taskCounters("nodes_per_s", q.want.nodes, q.workers, seconds)...)
}

func (q *nqueensRow) checksum() string { return strconv.FormatUint(q.got.solutions, 10) }

// ---------------------------------------------------------------------------
// integrate: adaptive trapezoid of f(x) = (x^2 + 1) x over [0, n], as libfork
// writes it. One call on [x1, x2], given f at both ends and the area of its
// one trapezoid:
//
//	half = (x2 - x1) / 2;  x0 = x1 + half;  y0 = f(x0)
//	left = (y1 + y0) / 2 * half;  right = (y0 + y2) / 2 * half
//	if |(left + right) - area| < eps: return left + right
//	else: fork integrate(x1, y1, x0, y0, left), call integrate(x0, y0, x2,
//	      y2, right), join, return their sum
//
// starting from integrate(0, f(0), n, f(n), 0), in IEEE double arithmetic
// with every operation rounded as written. The float64() conversions forbid
// fusing a product into the next sum (Go's spec lets a compiler fuse x*y + z
// unless a conversion rounds x*y; on amd64 Go 1.19 never does, other targets
// may), so the call count is the serial one on every machine.

const integrateEps = 1e-9

func integrand(x float64) float64 { return (float64(x*x) + 1) * x }

// integral is a call's area and the calls it took, itself included.
type integral struct {
	area  float64
	calls uint64
}

// trapezoids is the arithmetic of one call, shared by the serial reference.
func trapezoids(x1, y1, x2, y2 float64) (x0, y0, left, right float64) {
	half := (x2 - x1) / 2
	x0 = x1 + half
	y0 = integrand(x0)
	left = float64((y1 + y0) / 2 * half)
	right = float64((y0 + y2) / 2 * half)
	return
}

func integrate(x1, y1, x2, y2, area float64) integral {
	x0, y0, left, right := trapezoids(x1, y1, x2, y2)
	if both := left + right; math.Abs(both-area) < integrateEps {
		return integral{both, 1}
	}
	var l integral
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		l = integrate(x1, y1, x0, y0, left)
	}()
	r := integrate(x0, y0, x2, y2, right)
	wg.Wait()
	return integral{l.area + r.area, 1 + l.calls + r.calls}
}

func integrateSerial(x1, y1, x2, y2, area float64) integral {
	x0, y0, left, right := trapezoids(x1, y1, x2, y2)
	if both := left + right; math.Abs(both-area) < integrateEps {
		return integral{both, 1}
	}
	l := integrateSerial(x1, y1, x0, y0, left)
	r := integrateSerial(x0, y0, x2, y2, right)
	return integral{l.area + r.area, 1 + l.calls + r.calls}
}

// integrateClosedForm is the exact integral over [0, n]: n^2 (n^2 + 2) / 4.
func integrateClosedForm(n float64) float64 { return n * n * (float64(n*n) + 2) / 4 }

// serialIntegrals caches the serial run per n; main goroutine only.
var serialIntegrals = map[int]integral{}

type integrateRow struct {
	noHooks
	workers, n int
	got, want  integral
}

func newIntegrateRow(workers, n int) *integrateRow {
	x := float64(n)
	want, ok := serialIntegrals[n]
	if !ok {
		want = integrateSerial(0, integrand(0), x, integrand(x), 0)
		serialIntegrals[n] = want
	}
	return &integrateRow{workers: workers, n: n, want: want}
}

func (g *integrateRow) prepare() { g.got = integral{} }

func (g *integrateRow) run() {
	x := float64(g.n)
	g.got = integrate(0, integrand(0), x, integrand(x), 0)
}

// unsupported: integrate forks once per call that is not a leaf.
func (g *integrateRow) unsupported() string {
	return goroutineCap(fmt.Sprintf("integrate(%d)", g.n), (g.want.calls-1)/2)
}

func (g *integrateRow) check() string {
	exact := integrateClosedForm(float64(g.n))
	if math.Abs(g.got.area-exact) > 1e-9*exact {
		return fmt.Sprintf("wrong result: integrate(%d) = %.17g, exactly %.17g", g.n, g.got.area, exact)
	}
	if g.got.calls != g.want.calls {
		return fmt.Sprintf("wrong result: integrate(%d) took %d calls, serial %d", g.n, g.got.calls,
			g.want.calls)
	}
	return ""
}

func (g *integrateRow) counters(seconds float64) []counter {
	return taskCounters("tasks_per_s", g.want.calls, g.workers, seconds)
}

func (g *integrateRow) checksum() string {
	return strconv.FormatUint(g.got.calls, 10) + "/" + fmt.Sprintf("%.17g", g.got.area)
}
