//! The command line and environment (bench/external/README.md, "The command
//! line"): the subset of Google Benchmark's flags and pool_bench's
//! POOLBENCH_QUICK / POOLBENCH_WORKERS that scripts/run-sweep passes to the
//! outside programs, with the same meaning. A value that is not one of these is an `Err` naming it,
//! which main turns into exit status 2. Read once, by main.

use std::path::PathBuf;

pub const USAGE: &str = "\
usage: rayon_bench [options]

The workloads of WORKLOADS.md on a rayon::ThreadPool of W threads, as
bench/external/README.md defines them; results in Google Benchmark's JSON.

  --benchmark_list_tests[=true]       print the rows that would run, then exit
  --benchmark_filter=REGEX            rows whose name matches REGEX (POSIX
                                      extended; a leading '-' negates)
  --benchmark_repetitions=N           repetitions of each row (default 1)
  --benchmark_out=FILE                write the JSON results to FILE
  --benchmark_out_format=json         the only format
  --benchmark_min_time=S              each timed repetition lasts at least S
                                      seconds (default 0.05, quick 0.02; '0.05s' too)
  --checksums                         run each workload once at its small size
                                      at 2 workers, print `workload value`
  --help                              this text

environment:
  POOLBENCH_QUICK=1                   the quick sizes (unset or 0: the full sizes)
  POOLBENCH_WORKERS=1,2,4             worker counts (default: quick 1, the
                                      hardware threads and twice them; full
                                      1, 2, 4, ... up to the hardware threads,
                                      the hardware thread count and twice it)
";

/// What the command line asks for.
#[derive(Debug, Clone)]
pub struct Options {
    pub help: bool,
    pub checksums: bool,
    pub list_tests: bool,
    pub filter: String,
    pub repetitions: usize,
    pub out: Option<PathBuf>,
    pub min_time: f64,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            help: false,
            checksums: false,
            list_tests: false,
            filter: String::new(),
            repetitions: 1,
            out: None,
            min_time: 0.0,
        }
    }
}

/// Google Benchmark's boolean flag values.
fn parse_bool(flag: &str, value: Option<&str>) -> Result<bool, String> {
    match value {
        None => Ok(true),
        Some("true" | "1" | "yes" | "on") => Ok(true),
        Some("false" | "0" | "no" | "off") => Ok(false),
        Some(v) => Err(format!("{}: '{}' is not true or false", flag, v)),
    }
}

fn require<'a>(flag: &str, value: Option<&'a str>) -> Result<&'a str, String> {
    value.ok_or_else(|| format!("{} needs a value ({}=...)", flag, flag))
}

pub fn parse_args(args: &[String]) -> Result<Options, String> {
    let mut o = Options::default();
    for arg in args {
        let (flag, value) = match arg.split_once('=') {
            Some((f, v)) => (f, Some(v)),
            None => (arg.as_str(), None),
        };
        match flag {
            "--help" | "-h" if value.is_none() => o.help = true,
            "--checksums" if value.is_none() => o.checksums = true,
            "--benchmark_list_tests" => o.list_tests = parse_bool(flag, value)?,
            "--benchmark_filter" => o.filter = require(flag, value)?.to_string(),
            "--benchmark_repetitions" => {
                let v = require(flag, value)?;
                o.repetitions = match v.parse::<usize>() {
                    Ok(n) if n >= 1 => n,
                    _ => return Err(format!("{}: '{}' is not a whole number >= 1", flag, v)),
                };
            }
            "--benchmark_out" => {
                let v = require(flag, value)?;
                if v.is_empty() {
                    return Err(format!("{}: empty file name", flag));
                }
                o.out = Some(PathBuf::from(v));
            }
            "--benchmark_out_format" => {
                let v = require(flag, value)?;
                if v != "json" {
                    return Err(format!("{}: '{}' is not supported (only json)", flag, v));
                }
            }
            "--benchmark_min_time" => {
                let v = require(flag, value)?;
                let number = v.strip_suffix('s').unwrap_or(v);
                o.min_time = match number.parse::<f64>() {
                    Ok(s) if s.is_finite() && s >= 0.0 => s,
                    _ => return Err(format!("{}: '{}' is not a number of seconds", flag, v)),
                };
            }
            _ => return Err(format!("unknown option '{}' (see --help)", arg)),
        }
    }
    Ok(o)
}

/// The environment's part: sizes and worker counts.
#[derive(Debug, Clone)]
pub struct Sweep {
    pub quick: bool,
    pub workers: Vec<usize>,
    pub workers_chosen: bool,
    pub hardware_threads: usize,
}

/// The most workers a row may ask for (as pool_bench's k_max_workers).
pub const MAX_WORKERS: usize = 4096;

/// The hardware threads this process may run on: the CPUs of its affinity
/// mask, else what the standard library reports.
pub fn hardware_threads() -> usize {
    // SAFETY: set is a plain bit set that sched_getaffinity fills.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) == 0 {
            let n = libc::CPU_COUNT(&set);
            if n > 0 {
                return n as usize;
            }
        }
    }
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

/// pool_bench's default worker counts: quick 1, hw, 2 hw; full 1, 2, 4, ...
/// up to hw, hw itself, and 2 hw.
pub fn default_workers(hw: usize, quick: bool) -> Vec<usize> {
    let mut ws = if quick {
        vec![1, hw, 2 * hw]
    } else {
        let mut ws = Vec::new();
        let mut w = 1;
        while w <= hw {
            ws.push(w);
            w *= 2;
        }
        ws.push(hw);
        ws.push(2 * hw);
        ws
    };
    ws.sort_unstable();
    ws.dedup();
    ws
}

/// "1,2,16" -> [1, 2, 16], sorted; an error for an empty item, a zero, a
/// non-number, a count above MAX_WORKERS or a duplicate.
pub fn parse_workers(list: &str) -> Result<Vec<usize>, String> {
    let mut ws: Vec<usize> = Vec::new();
    for item in list.split(',') {
        let w = match item.parse::<usize>() {
            Ok(w) if (1..=MAX_WORKERS).contains(&w) && !item.starts_with('+') => w,
            _ => {
                return Err(format!(
                    "POOLBENCH_WORKERS: '{}' is not a worker count (a whole number from 1 to {})",
                    item, MAX_WORKERS
                ))
            }
        };
        if ws.contains(&w) {
            return Err(format!("POOLBENCH_WORKERS: {} is listed twice", w));
        }
        ws.push(w);
    }
    ws.sort_unstable();
    Ok(ws)
}

/// Reads POOLBENCH_QUICK and POOLBENCH_WORKERS.
pub fn sweep_from_environment() -> Result<Sweep, String> {
    let hw = hardware_threads();
    let quick = match std::env::var("POOLBENCH_QUICK") {
        Err(std::env::VarError::NotPresent) => false,
        Ok(v) if v.is_empty() || v == "0" => false,
        Ok(v) if v == "1" => true,
        Ok(v) => return Err(format!("POOLBENCH_QUICK must be 0 or 1, got '{}'", v)),
        Err(_) => return Err("POOLBENCH_QUICK is not valid text".to_string()),
    };
    let (workers, chosen) = match std::env::var("POOLBENCH_WORKERS") {
        Err(std::env::VarError::NotPresent) => (default_workers(hw, quick), false),
        Ok(v) if v.is_empty() => (default_workers(hw, quick), false),
        Ok(v) => (parse_workers(&v)?, true),
        Err(_) => return Err("POOLBENCH_WORKERS is not valid text".to_string()),
    };
    Ok(Sweep { quick, workers, workers_chosen: chosen, hardware_threads: hw })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_readmes_flags_parse() {
        let o = parse_args(&args(&[
            "--benchmark_out=/tmp/x.json",
            "--benchmark_out_format=json",
            "--benchmark_repetitions=3",
            "--benchmark_filter=fib",
            "--benchmark_min_time=0.1s",
        ]))
        .unwrap();
        assert_eq!(o.repetitions, 3);
        assert_eq!(o.filter, "fib");
        assert!((o.min_time - 0.1).abs() < 1e-12);
    }

    #[test]
    fn anything_else_is_refused() {
        assert!(parse_args(&args(&["--benchmark_repetitions=0"])).is_err());
        assert!(parse_args(&args(&["--benchmark_out_format=csv"])).is_err());
        assert!(parse_args(&args(&["--benchmark_min_time=x"])).is_err());
        assert!(parse_args(&args(&["--frobnicate"])).is_err());
        assert!(parse_args(&args(&["--checksums=1"])).is_err());
        assert!(parse_args(&args(&["--benchmark_color=false"])).is_err());
    }

    #[test]
    fn worker_lists() {
        assert_eq!(parse_workers("4,1,2").unwrap(), vec![1, 2, 4]);
        assert!(parse_workers("1,1").is_err());
        assert!(parse_workers("0").is_err());
        assert!(parse_workers("1,").is_err());
        assert!(parse_workers("4097").is_err());
        assert_eq!(default_workers(2, true), vec![1, 2, 4]);
        assert_eq!(default_workers(6, false), vec![1, 2, 4, 6, 12]);
    }
}
