//! UTS, the Unbalanced Tree Search benchmark, as published (WORKLOADS.md,
//! "UTS"; the UTS distribution's uts.c and its SHA-1 generator rng/brg_sha1):
//! a node's state is a SHA-1 digest (Debian's librust-sha1-dev), its
//! children come from a binomial (T3) or geometric (T1, T2) law, and each
//! node forks all its children through a `rayon::scope`, inside
//! `ThreadPool::install`; nodes, depth and leaves are summed up the joins.

use rayon::ThreadPool;
use sha1::{Digest, Sha1};

use super::{ns_per_task, rate, Counters, Workload};

/// A node's state: a SHA-1 digest.
pub type State = [u8; 20];

/// UTS's MAXNUMCHILDREN: the most children of any node but a binomial root.
const MAX_CHILDREN: u64 = 100;

/// The geometric law's shapes the published trees use (-a 2 and -a 3);
/// linear (-a 0) and exponential decrease (-a 1) belong to no published tree.
#[derive(Clone, Copy, Debug)]
pub enum Shape {
    Cyclic,
    Fixed,
}

#[derive(Clone, Copy, Debug)]
pub enum Law {
    /// -t 0: the root has b0 children; any other node m with probability q.
    Binomial { q: f64, m: u64 },
    /// -t 1: geometric around a target b(depth) given by the shape (-a) and
    /// gen_mx (-d).
    Geometric { shape: Shape, gen_mx: u32 },
}

#[derive(Clone, Copy, Debug)]
pub struct UtsTree {
    pub law: Law,
    pub b0: f64,
    pub seed: u32,
}

/// A traversal's result; depth counts the root as 0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UtsCount {
    pub nodes: u64,
    pub depth: u32,
    pub leaves: u64,
}

impl UtsCount {
    fn add(self, o: UtsCount) -> UtsCount {
        UtsCount {
            nodes: self.nodes + o.nodes,
            depth: self.depth.max(o.depth),
            leaves: self.leaves + o.leaves,
        }
    }
}

/// The published trees (sample_trees.sh) and their published sizes.
pub fn published(name: &str) -> Option<(UtsTree, UtsCount)> {
    let geometric =
        |shape, gen_mx, b0, seed| UtsTree { law: Law::Geometric { shape, gen_mx }, b0, seed };
    let count = |nodes, depth, leaves| UtsCount { nodes, depth, leaves };
    match name {
        // -t 1 -a 3 -d 10 -b 4 -r 19
        "t1" => Some((geometric(Shape::Fixed, 10, 4.0, 19), count(4_130_071, 10, 3_305_118))),
        // -t 1 -a 2 -d 16 -b 6 -r 502
        "t2" => Some((geometric(Shape::Cyclic, 16, 6.0, 502), count(4_117_769, 81, 2_342_762))),
        // -t 0 -b 2000 -q 0.124875 -m 8 -r 42
        "t3" => Some((
            UtsTree { law: Law::Binomial { q: 0.124875, m: 8 }, b0: 2000.0, seed: 42 },
            count(4_112_897, 1572, 3_599_034),
        )),
        _ => None,
    }
}

fn sha1_of(parts: &[&[u8]]) -> State {
    let mut h = Sha1::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// The root's state: SHA-1 of 16 zero bytes and the seed, big-endian.
pub fn root_state(seed: u32) -> State {
    sha1_of(&[&[0u8; 16], &seed.to_be_bytes()])
}

/// Child i's state: SHA-1 of the parent's 20 bytes and i, big-endian.
pub fn child_state(parent: &State, i: u32) -> State {
    sha1_of(&[parent, &i.to_be_bytes()])
}

/// The node's uniform number: bytes 16..19 big-endian, the sign bit
/// masked off, over 2^31.
fn uniform(state: &State) -> f64 {
    let r = u32::from_be_bytes([state[16], state[17], state[18], state[19]]) & 0x7fff_ffff;
    f64::from(r) / 2_147_483_648.0
}

impl UtsTree {
    /// The children of a node at `depth` with `state` (uts.c's
    /// uts_numChildren, with its limit of MAXNUMCHILDREN).
    pub fn children(&self, state: &State, depth: u32) -> u64 {
        match self.law {
            Law::Binomial { q, m } => {
                if depth == 0 {
                    self.b0.floor() as u64
                } else if uniform(state) < q {
                    m.min(MAX_CHILDREN)
                } else {
                    0
                }
            }
            Law::Geometric { shape, gen_mx } => {
                let b = if depth == 0 { self.b0 } else { self.target(shape, gen_mx, depth) };
                let p = 1.0 / (1.0 + b);
                if p >= 1.0 {
                    return 0;
                }
                let u = uniform(state);
                let n = ((1.0 - u).ln() / (1.0 - p).ln()).floor();
                (n.max(0.0) as u64).min(MAX_CHILDREN)
            }
        }
    }

    /// The geometric law's target b at depth > 0 (uts_numChildren_geo).
    fn target(&self, shape: Shape, gen_mx: u32, depth: u32) -> f64 {
        let (b0, d, g) = (self.b0, f64::from(depth), f64::from(gen_mx));
        match shape {
            Shape::Cyclic => {
                if depth > 5 * gen_mx {
                    0.0
                } else {
                    b0.powf((2.0 * std::f64::consts::PI * d / g).sin())
                }
            }
            Shape::Fixed => {
                if depth < gen_mx {
                    b0
                } else {
                    0.0
                }
            }
        }
    }
}

/// The subtree under a node, its children forked through a scope.
fn visit(tree: &UtsTree, state: &State, depth: u32) -> UtsCount {
    let n = tree.children(state, depth);
    if n == 0 {
        return UtsCount { nodes: 1, depth, leaves: 1 };
    }
    let mut kids = vec![UtsCount::default(); n as usize];
    rayon::scope(|s| {
        for (i, slot) in kids.iter_mut().enumerate() {
            s.spawn(move |_| *slot = visit(tree, &child_state(state, i as u32), depth + 1));
        }
    });
    kids.into_iter().fold(UtsCount { nodes: 1, depth, leaves: 0 }, UtsCount::add)
}

/// The whole tree; call inside the pool.
pub fn traverse(tree: &UtsTree) -> UtsCount {
    visit(tree, &root_state(tree.seed), 0)
}

/// Plain recursion: the serial reference.
pub fn traverse_serial(tree: &UtsTree) -> UtsCount {
    fn visit_serial(tree: &UtsTree, state: &State, depth: u32) -> UtsCount {
        let n = tree.children(state, depth);
        let mut count = UtsCount { nodes: 1, depth, leaves: u64::from(n == 0) };
        for i in 0..n {
            count = count.add(visit_serial(tree, &child_state(state, i as u32), depth + 1));
        }
        count
    }
    visit_serial(tree, &root_state(tree.seed), 0)
}

pub struct Uts {
    name: String,
    tree: UtsTree,
    expected: UtsCount,
    workers: usize,
    result: UtsCount,
}

impl Uts {
    /// `name`: t1, t2 or t3.
    pub fn new(workers: usize, name: &str) -> Uts {
        let (tree, expected) = published(name).expect("a published UTS tree");
        Uts { name: name.to_string(), tree, expected, workers, result: UtsCount::default() }
    }
}

impl Workload for Uts {
    fn run(&mut self, pool: &ThreadPool) {
        let tree = &self.tree;
        self.result = pool.install(|| traverse(tree));
    }
    fn check(&mut self) -> Result<(), String> {
        let (got, want) = (self.result, self.expected);
        if got == want {
            Ok(())
        } else {
            Err(format!(
                "uts {} has {} nodes, depth {}, {} leaves; published {}, {}, {}",
                self.name, got.nodes, got.depth, got.leaves, want.nodes, want.depth, want.leaves
            ))
        }
    }
    fn counters(&self, runs: u64, wall: f64) -> Counters {
        let nodes = self.expected.nodes as f64;
        vec![
            ("nodes_per_s", rate(nodes, runs, wall)),
            ("ns_per_task", ns_per_task(nodes, runs, wall, self.workers)),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Slow in a debug build: cargo test --release -- --ignored
    #[test]
    #[ignore]
    fn the_published_trees_have_their_published_sizes() {
        for name in ["t1", "t2", "t3"] {
            let (tree, want) = published(name).unwrap();
            let got = traverse_serial(&tree);
            println!("{}: {} nodes, depth {}, {} leaves", name, got.nodes, got.depth, got.leaves);
            assert_eq!(got, want, "{}", name);
        }
    }

    #[test]
    fn the_root_state_is_sha1_of_16_zeros_and_the_seed() {
        let mut bytes = [0u8; 20];
        bytes[16..].copy_from_slice(&42u32.to_be_bytes());
        let want: State = Sha1::digest(bytes).into();
        assert_eq!(root_state(42), want);
    }
}
