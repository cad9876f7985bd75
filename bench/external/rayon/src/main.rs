//! rayon_bench: the `rayon` outside baseline of bench/external/README.md,
//! the workloads of WORKLOADS.md written as rayon's own users write them
//! (a rayon::ThreadPool of W threads: scopes for outside submissions, join
//! and scope for fork-join, parallel iterators for loops and the reduction),
//! reported in Google Benchmark's JSON beside pool_bench's rows. The driver
//! runs one row at a time on the main thread.
//!
//! Exit status: 0, 1 when --checksums found a wrong result or the JSON
//! file could not be written, 2 for a bad option or environment value.

#![warn(unsafe_op_in_unsafe_fn)]

mod checksums;
mod clock;
mod context;
mod filter;
mod harness;
mod kernels;
mod options;
mod report;
mod rows;
mod workloads;

use std::io::Write;
use std::path::Path;

use harness::{Repetition, Settings};
use report::{Entry, Json};

fn fail(code: i32, message: &str) -> ! {
    eprintln!("rayon_bench: {}", message);
    std::process::exit(code);
}

fn write_json(path: &Path, context: Json, entries: &[Entry]) -> std::io::Result<()> {
    let doc = Json::Obj(vec![
        ("context".into(), context),
        ("benchmarks".into(), Json::Arr(entries.iter().map(Entry::to_json).collect())),
    ]);
    let mut text = String::new();
    doc.write(0, &mut text);
    text.push('\n');
    std::fs::write(path, text)
}

fn main() {
    let argv: Vec<String> = std::env::args_os()
        .map(|a| {
            a.into_string().unwrap_or_else(|a| fail(2, &format!("argument {:?} is not UTF-8", a)))
        })
        .collect();
    let opts = options::parse_args(&argv[1..]).unwrap_or_else(|e| fail(2, &e));
    if opts.help {
        print!("{}", options::USAGE);
        return;
    }
    let sweep = options::sweep_from_environment().unwrap_or_else(|e| fail(2, &e));
    let filter = filter::Filter::new(&opts.filter).unwrap_or_else(|e| fail(2, &e));
    if opts.checksums {
        std::process::exit(checksums::print_checksums());
    }
    let rows: Vec<harness::Row> =
        rows::all_rows(&sweep).into_iter().filter(|r| filter.matches(&r.name)).collect();
    if opts.list_tests {
        for r in &rows {
            println!("{}", r.name);
        }
        return;
    }
    if rows.is_empty() {
        eprintln!("rayon_bench: failed to match any benchmarks against regex: {}", opts.filter);
        return;
    }
    if let Some(out) = &opts.out {
        if let Err(e) = std::fs::File::create(out) {
            fail(2, &format!("--benchmark_out: cannot write {}: {}", out.display(), e));
        }
    }

    let spin_times = clock::calibrate_spin();
    // Not given: pool_bench's minimum, 20 ms quick and 50 ms full.
    let min_time = match opts.min_time {
        t if t > 0.0 => t,
        _ if sweep.quick => 0.02,
        _ => 0.05,
    };
    let settings = Settings { min_time, hardware_threads: sweep.hardware_threads, spin_times };
    let context = context::context(&argv.join(" "), &argv[0], &sweep, &spin_times);

    let reps = opts.repetitions;
    let width = rows.iter().map(|r| r.name.len() + 8).max().unwrap_or(10).max(20);
    let rule = "-".repeat(width + 57);
    println!(
        "{}\n{:<width$} {:>13} {:>13} {:>12} UserCounters...\n{}",
        rule,
        "Benchmark",
        "Time",
        "CPU",
        "Iterations",
        rule,
        width = width
    );

    // Each row: its repetitions (printed as they end), then, with two or
    // more, the aggregates.
    let mut entries: Vec<Entry> = Vec::new();
    for (r, row) in rows.iter().enumerate() {
        let mut iterations = None;
        let mut done: Vec<Repetition> = Vec::with_capacity(reps);
        for k in 0..reps {
            let rep = harness::run_repetition(row, &settings, &mut iterations);
            let e = Entry {
                name: row.name.clone(),
                run_name: row.name.clone(),
                family_index: r,
                repetitions: reps,
                repetition_index: Some(k),
                aggregate: None,
                rep: rep.clone(),
            };
            println!("{}", e.console_line(width));
            let _ = std::io::stdout().flush();
            entries.push(e);
            done.push(rep);
        }
        if reps > 1 {
            for a in report::aggregates(&row.name, r, &done) {
                println!("{}", a.console_line(width));
                entries.push(a);
            }
        }
    }
    if let Some(out) = &opts.out {
        if let Err(e) = write_json(out, context, &entries) {
            fail(1, &format!("--benchmark_out: cannot write {}: {}", out.display(), e));
        }
    }
}
