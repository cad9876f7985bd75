// matmul (WORKLOADS.md's field table): C = A x B for N x N int32 matrices
// (the C++ side's int), A = B = all ones and C = 0 before each run, so every
// element of C must equal N. A product is split into its eight half-size
// products in two phases of four forked goroutines each (the second phase
// accumulates into the same quarters of C, so it waits for the first); a
// block of N <= 32 multiplies serially in i-k-j order.
package main

import (
	"fmt"
	"strconv"
	"sync"
)

const matmulSerialBlock = 32

// block is an n x n square of a row-major matrix with row stride `stride`,
// starting at data[0].
type block struct {
	data   []int32
	n      int
	stride int
}

// quarter is the quarter (i, j) of b, i and j in {0, 1}.
func (b block) quarter(i, j int) block {
	h := b.n / 2
	return block{b.data[i*h*b.stride+j*h:], h, b.stride}
}

// multiplyAdd does c += a x b.
func multiplyAdd(c, a, b block) {
	if c.n <= matmulSerialBlock {
		multiplyAddSerial(c, a, b)
		return
	}
	var wg sync.WaitGroup
	phase := func(k int) {
		wg.Add(4)
		for i := 0; i < 2; i++ {
			for j := 0; j < 2; j++ {
				go func(i, j int) {
					defer wg.Done()
					multiplyAdd(c.quarter(i, j), a.quarter(i, k), b.quarter(k, j))
				}(i, j)
			}
		}
		wg.Wait()
	}
	phase(0) // C11 += A11 B11, C12 += A11 B12, C21 += A21 B11, C22 += A21 B12
	phase(1) // C11 += A12 B21, C12 += A12 B22, C21 += A22 B21, C22 += A22 B22
}

func multiplyAddSerial(c, a, b block) {
	n := c.n
	for i := 0; i < n; i++ {
		ci := c.data[i*c.stride : i*c.stride+n]
		for k := 0; k < n; k++ {
			aik := a.data[i*a.stride+k]
			bk := b.data[k*b.stride : k*b.stride+n]
			for j := range ci {
				ci[j] += aik * bk[j]
			}
		}
	}
}

type matmulRow struct {
	noHooks
	n       int
	a, b, c []int32
}

func newMatmulRow(n int) *matmulRow {
	m := &matmulRow{n: n, a: make([]int32, n*n), b: make([]int32, n*n), c: make([]int32, n*n)}
	for i := range m.a {
		m.a[i], m.b[i] = 1, 1
	}
	return m
}

func (m *matmulRow) prepare() {
	for i := range m.c {
		m.c[i] = 0
	}
}

func (m *matmulRow) run() {
	multiplyAdd(block{m.c, m.n, m.n}, block{m.a, m.n, m.n}, block{m.b, m.n, m.n})
}

func (m *matmulRow) check() string {
	for i, v := range m.c {
		if v != int32(m.n) {
			return fmt.Sprintf("wrong result: matmul C[%d][%d] = %d, expected %d", i/m.n, i%m.n, v, m.n)
		}
	}
	return ""
}

func (m *matmulRow) counters(seconds float64) []counter {
	n := float64(m.n)
	return []counter{perSecond("madds_per_s", n*n*n, seconds)}
}

func (m *matmulRow) checksum() string {
	var sum int64
	for _, v := range m.c {
		sum += int64(v)
	}
	return strconv.FormatInt(sum, 10)
}
