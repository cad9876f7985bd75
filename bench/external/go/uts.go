// uts: the Unbalanced Tree Search benchmark exactly as published (Olivier et
// al., LCPC 2006; WORKLOADS.md, "UTS (the published definition)"): a node is
// a 20-byte SHA-1 state (crypto/sha1, Go's standard library), its children's
// states are SHA-1(state, i as 4 bytes big-endian), and its child count comes
// from the state's last 4 bytes: binomial (T3) or geometric (T1, T2). Each
// node forks all its children as goroutines; nodes, depth and leaves are
// reduced up the joins and checked against the published table.
package main

import (
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"math"
	"sync"
)

// The geometric shapes (UTS's -a).
const (
	shapeLinear = 0
	shapeExpDec = 1
	shapeCyclic = 2
	shapeFixed  = 3
)

// utsMaxChildren caps every node but the binomial root.
const utsMaxChildren = 100

// utsTree is one tree's parameters, as UTS's command line gives them.
type utsTree struct {
	name     string
	binomial bool    // -t 0; else geometric, -t 1
	b0       float64 // -b: the root's children (binomial), the target branching (geometric)
	q        float64 // -q: binomial, the probability that a non-root node has m children
	m        int     // -m: binomial, the children of a node that has any
	shape    int     // -a: geometric
	genMx    int     // -d: geometric
	seed     uint32  // -r
	want     utsCount
}

// The published trees (depth counts the root as 0), and the small tree of
// --checksums (-t 1 -a 3 -d 6 -b 4 -r 19), which has no published figures.
var (
	utsT1 = utsTree{name: "t1", b0: 4, shape: shapeFixed, genMx: 10, seed: 19,
		want: utsCount{nodes: 4130071, depth: 10, leaves: 3305118}}
	utsT2 = utsTree{name: "t2", b0: 6, shape: shapeCyclic, genMx: 16, seed: 502,
		want: utsCount{nodes: 4117769, depth: 81, leaves: 2342762}}
	utsT3 = utsTree{name: "t3", binomial: true, b0: 2000, q: 0.124875, m: 8, seed: 42,
		want: utsCount{nodes: 4112897, depth: 1572, leaves: 3599034}}
	utsSmall = utsTree{name: "small", b0: 4, shape: shapeFixed, genMx: 6, seed: 19}
)

type utsState [sha1.Size]byte

// utsRoot is SHA-1 of 16 zero bytes and the seed as 4 bytes big-endian.
func utsRoot(seed uint32) utsState {
	var in [20]byte
	binary.BigEndian.PutUint32(in[16:], seed)
	return sha1.Sum(in[:])
}

// child is SHA-1 of the parent's 20 bytes and i as 4 bytes big-endian.
func (s *utsState) child(i int) utsState {
	var in [24]byte
	copy(in[:20], s[:])
	binary.BigEndian.PutUint32(in[20:], uint32(i))
	return sha1.Sum(in[:])
}

// uniform is the node's random number in [0, 1): bytes 16..19 of its state,
// big-endian, masked to 31 bits, over 2^31.
func (s *utsState) uniform() float64 {
	return float64(binary.BigEndian.Uint32(s[16:])&0x7fffffff) / 2147483648.0
}

// children is the child count of a node with state s at depth d.
func (t *utsTree) children(s *utsState, d int) int {
	if t.binomial {
		if d == 0 {
			return int(math.Floor(t.b0)) // the binomial root is not capped
		}
		if s.uniform() < t.q {
			return t.m
		}
		return 0
	}
	p := 1 / (1 + t.branching(d))
	if p >= 1 || p <= 0 {
		return 0
	}
	n := int(math.Floor(math.Log(1-s.uniform()) / math.Log(1-p)))
	if n < 0 {
		return 0
	}
	if n > utsMaxChildren {
		return utsMaxChildren
	}
	return n
}

// branching is a geometric tree's target branching factor at depth d; the
// root takes b0 whatever the shape.
func (t *utsTree) branching(d int) float64 {
	if d == 0 {
		return t.b0
	}
	depth, mx := float64(d), float64(t.genMx)
	switch t.shape {
	case shapeExpDec:
		return t.b0 * math.Pow(depth, -math.Log(t.b0)/math.Log(mx))
	case shapeCyclic:
		if d > 5*t.genMx {
			return 0
		}
		return math.Pow(t.b0, math.Sin(2*math.Pi*depth/mx))
	case shapeFixed:
		if d < t.genMx {
			return t.b0
		}
		return 0
	default: // shapeLinear
		return t.b0 * (1 - depth/mx)
	}
}

// utsCount is what a subtree holds: nodes, the deepest depth, leaves.
type utsCount struct {
	nodes, depth, leaves uint64
}

func (c *utsCount) add(sub utsCount) {
	c.nodes += sub.nodes
	c.leaves += sub.leaves
	if sub.depth > c.depth {
		c.depth = sub.depth
	}
}

// search counts the subtree of the node with state s at depth d, forking
// every child as a goroutine (the child computes its own state).
func (t *utsTree) search(s utsState, d int) utsCount {
	n := t.children(&s, d)
	if n == 0 {
		return utsCount{1, uint64(d), 1}
	}
	subs := make([]utsCount, n)
	var wg sync.WaitGroup
	wg.Add(n)
	for i := range subs {
		go func(i int) {
			defer wg.Done()
			subs[i] = t.search(s.child(i), d+1)
		}(i)
	}
	wg.Wait()
	c := utsCount{1, uint64(d), 0}
	for _, sub := range subs {
		c.add(sub)
	}
	return c
}

// searchSerial is the same traversal by plain recursion.
func (t *utsTree) searchSerial(s utsState, d int) utsCount {
	n := t.children(&s, d)
	if n == 0 {
		return utsCount{1, uint64(d), 1}
	}
	c := utsCount{1, uint64(d), 0}
	for i := 0; i < n; i++ {
		c.add(t.searchSerial(s.child(i), d+1))
	}
	return c
}

func (c utsCount) String() string { return fmt.Sprintf("%d/%d/%d", c.nodes, c.depth, c.leaves) }

type utsRow struct {
	noHooks
	workers int
	tree    *utsTree
	got     utsCount
}

func (u *utsRow) prepare() { u.got = utsCount{} }
func (u *utsRow) run()     { u.got = u.tree.search(utsRoot(u.tree.seed), 0) }

// unsupported: uts forks every node but the root.
func (u *utsRow) unsupported() string {
	if u.tree.want.nodes == 0 { // a tree with no published size: the small one
		return ""
	}
	return goroutineCap("uts "+u.tree.name, u.tree.want.nodes-1)
}

func (u *utsRow) check() string {
	if u.tree.want != (utsCount{}) && u.got != u.tree.want {
		return fmt.Sprintf("wrong result: uts %s found nodes/depth/leaves %v, published %v",
			u.tree.name, u.got, u.tree.want)
	}
	return ""
}

func (u *utsRow) counters(seconds float64) []counter {
	return taskCounters("nodes_per_s", u.tree.want.nodes, u.workers, seconds)
}

func (u *utsRow) checksum() string { return u.got.String() }
