//! Results as Google Benchmark writes them: a console line per repetition
//! and per aggregate, and the JSON document of bench/external/README.md
//! ("context" and "benchmarks": one "iteration" row per repetition and, with
//! two or more good repetitions, the mean, median, stddev and cv aggregate
//! rows).
//! Single-threaded: the driver's.

use std::fmt::Write as _;

use crate::harness::Repetition;

/// A JSON value, as much of JSON as the document needs.
pub enum Json {
    Str(String),
    Num(f64),
    Int(i64),
    Bool(bool),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

fn escape(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A finite number as JSON: plain decimals for ordinary magnitudes,
/// exponent form otherwise (both round-trip); null for NaN or infinity.
fn number(x: f64, out: &mut String) {
    if !x.is_finite() {
        out.push_str("null");
    } else if x == 0.0 || (1e-4..1e15).contains(&x.abs()) {
        let _ = write!(out, "{}", x);
    } else {
        let _ = write!(out, "{:e}", x);
    }
}

impl Json {
    pub fn write(&self, indent: usize, out: &mut String) {
        let pad = |n: usize, out: &mut String| out.extend(std::iter::repeat(' ').take(n));
        match self {
            Json::Str(s) => escape(s, out),
            Json::Num(x) => number(*x, out),
            Json::Int(i) => {
                let _ = write!(out, "{}", i);
            }
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Arr(items) => {
                if items.is_empty() {
                    out.push_str("[]");
                    return;
                }
                out.push_str("[\n");
                for (i, item) in items.iter().enumerate() {
                    pad(indent + 2, out);
                    item.write(indent + 2, out);
                    out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
                }
                pad(indent, out);
                out.push(']');
            }
            Json::Obj(fields) => {
                if fields.is_empty() {
                    out.push_str("{}");
                    return;
                }
                out.push_str("{\n");
                for (i, (k, v)) in fields.iter().enumerate() {
                    pad(indent + 2, out);
                    escape(k, out);
                    out.push_str(": ");
                    v.write(indent + 2, out);
                    out.push_str(if i + 1 < fields.len() { ",\n" } else { "\n" });
                }
                pad(indent, out);
                out.push('}');
            }
        }
    }
}

/// One reported row of the JSON's "benchmarks": an iteration or an aggregate.
pub struct Entry {
    pub name: String,
    pub run_name: String,
    pub family_index: usize,
    pub repetitions: usize,
    /// Some(index) for an iteration row; None for an aggregate.
    pub repetition_index: Option<usize>,
    /// For an aggregate: its name ("mean", ...) and unit ("time", "percentage").
    pub aggregate: Option<(&'static str, &'static str)>,
    pub rep: Repetition,
}

impl Entry {
    pub fn to_json(&self) -> Json {
        let mut f: Vec<(String, Json)> = vec![
            ("name".into(), Json::Str(self.name.clone())),
            ("family_index".into(), Json::Int(self.family_index as i64)),
            ("per_family_instance_index".into(), Json::Int(0)),
            ("run_name".into(), Json::Str(self.run_name.clone())),
            (
                "run_type".into(),
                Json::Str(if self.aggregate.is_some() { "aggregate" } else { "iteration" }.into()),
            ),
            ("repetitions".into(), Json::Int(self.repetitions as i64)),
        ];
        if let Some(i) = self.repetition_index {
            f.push(("repetition_index".into(), Json::Int(i as i64)));
        }
        f.push(("threads".into(), Json::Int(1)));
        if let Some((name, unit)) = self.aggregate {
            f.push(("aggregate_name".into(), Json::Str(name.into())));
            f.push(("aggregate_unit".into(), Json::Str(unit.into())));
        }
        if let Some(e) = &self.rep.error {
            f.push(("error_occurred".into(), Json::Bool(true)));
            f.push(("error_message".into(), Json::Str(e.clone())));
        }
        f.push(("iterations".into(), Json::Int(self.rep.iterations as i64)));
        f.push(("real_time".into(), Json::Num(self.rep.real_ns)));
        f.push(("cpu_time".into(), Json::Num(self.rep.cpu_ns)));
        f.push(("time_unit".into(), Json::Str("ns".into())));
        for (k, v) in &self.rep.counters {
            f.push((k.to_string(), Json::Num(*v)));
        }
        Json::Obj(f)
    }

    /// The console line, Google Benchmark's columns (times in ms).
    pub fn console_line(&self, width: usize) -> String {
        if let Some(e) = &self.rep.error {
            return format!("{:<width$} ERROR OCCURRED: '{}'", self.name, e, width = width);
        }
        let (unit, scale) = match self.aggregate {
            Some((_, "percentage")) => ("%", 100.0),
            _ => ("ms", 1e-6),
        };
        let mut line = format!(
            "{:<width$} {:>10.3} {:<2} {:>10.3} {:<2} {:>12}",
            self.name,
            self.rep.real_ns * scale,
            unit,
            self.rep.cpu_ns * scale,
            unit,
            self.rep.iterations,
            width = width
        );
        for (k, v) in &self.rep.counters {
            let shown = match self.aggregate {
                Some((_, "percentage")) => format!("{:.2}%", v * 100.0),
                _ => human(*v, k.ends_with("_per_s")),
            };
            let _ = write!(line, " {}={}", k, shown);
        }
        line
    }
}

/// A counter as Google Benchmark prints it: scaled by an SI prefix (k, M,
/// G, T), "/s" after a rate.
fn human(v: f64, is_rate: bool) -> String {
    let (mut x, mut prefix) = (v, "");
    for p in ["k", "M", "G", "T"] {
        if x.abs() < 1000.0 {
            break;
        }
        x /= 1000.0;
        prefix = p;
    }
    format!("{:.3}{}{}", x, prefix, if is_rate { "/s" } else { "" })
}

/// The aggregate rows of a row's repetitions: none unless at least two
/// succeeded (as Google Benchmark).
pub fn aggregates(run_name: &str, family_index: usize, reps: &[Repetition]) -> Vec<Entry> {
    let good: Vec<&Repetition> = reps.iter().filter(|r| r.error.is_none()).collect();
    if good.len() < 2 {
        return Vec::new();
    }
    type Stat = fn(&[f64]) -> f64;
    fn mean(v: &[f64]) -> f64 {
        v.iter().sum::<f64>() / v.len() as f64
    }
    fn median(v: &[f64]) -> f64 {
        let mut s = v.to_vec();
        s.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
        let n = s.len();
        if n % 2 == 1 {
            s[n / 2]
        } else {
            (s[n / 2 - 1] + s[n / 2]) / 2.0
        }
    }
    fn stddev(v: &[f64]) -> f64 {
        let m = mean(v);
        (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (v.len() - 1) as f64).sqrt()
    }
    fn cv(v: &[f64]) -> f64 {
        stddev(v) / mean(v)
    }
    let stats: [(&'static str, &'static str, Stat); 4] = [
        ("mean", "time", mean),
        ("median", "time", median),
        ("stddev", "time", stddev),
        ("cv", "percentage", cv),
    ];
    let column =
        |pick: &dyn Fn(&Repetition) -> f64| good.iter().map(|r| pick(r)).collect::<Vec<f64>>();
    stats
        .iter()
        .map(|&(name, unit, stat)| {
            let counters = good[0]
                .counters
                .iter()
                .enumerate()
                .map(|(i, (k, _))| (*k, stat(&column(&|r: &Repetition| r.counters[i].1))))
                .collect();
            Entry {
                name: format!("{}_{}", run_name, name),
                run_name: run_name.to_string(),
                family_index,
                repetitions: reps.len(),
                repetition_index: None,
                aggregate: Some((name, unit)),
                rep: Repetition {
                    iterations: good.len() as u64,
                    real_ns: stat(&column(&|r: &Repetition| r.real_ns)),
                    cpu_ns: stat(&column(&|r: &Repetition| r.cpu_ns)),
                    counters,
                    error: None,
                },
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_escapes_and_numbers() {
        let mut s = String::new();
        Json::Obj(vec![
            ("a\"b".into(), Json::Str("x\\y\n".into())),
            ("n".into(), Json::Num(41234567.0)),
            ("r".into(), Json::Num(6.5e17)),
            ("z".into(), Json::Num(f64::NAN)),
        ])
        .write(0, &mut s);
        let want = concat!(
            "{\n  \"a\\\"b\": \"x\\\\y\\n\",\n",
            "  \"n\": 41234567,\n  \"r\": 6.5e17,\n  \"z\": null\n}"
        );
        assert_eq!(s, want);
    }

    #[test]
    fn aggregates_need_two_good_repetitions() {
        let rep = |t: f64| Repetition {
            iterations: 1,
            real_ns: t,
            cpu_ns: t,
            counters: vec![("x", t)],
            error: None,
        };
        assert!(aggregates("r", 0, &[rep(1.0)]).is_empty());
        let a = aggregates("r", 0, &[rep(1.0), rep(3.0), rep(2.0)]);
        assert_eq!(a.len(), 4);
        assert_eq!(a[1].name, "r_median");
        assert_eq!(a[1].rep.real_ns, 2.0);
        assert_eq!(a[0].rep.counters[0].1, 2.0);
    }
}
