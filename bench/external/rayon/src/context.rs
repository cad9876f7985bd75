//! The JSON "context": Google Benchmark's own keys (date, host, CPUs,
//! caches, load, build type) read as it reads them on Linux, then the
//! build's (compiler from build.rs, rayon's package version and the git
//! revision passed by CMake) and the sweep's. A fact that cannot be read is
//! "unknown" or left out. Called once, by the driver.

use crate::clock::SpinTimes;
use crate::options::Sweep;
use crate::report::Json;

fn read_trimmed(path: &str) -> Option<String> {
    std::fs::read_to_string(path).ok().map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// Local time as ISO 8601 with the offset, "2024-05-01T12:00:00+02:00".
fn date() -> String {
    // SAFETY: time, localtime_r and strftime write only into the locals.
    unsafe {
        let now = libc::time(std::ptr::null_mut());
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&now, &mut tm).is_null() {
            return "unknown".to_string();
        }
        let mut buf = [0 as libc::c_char; 64];
        let n = libc::strftime(
            buf.as_mut_ptr(),
            buf.len(),
            b"%Y-%m-%dT%H:%M:%S%z\0".as_ptr().cast(),
            &tm,
        );
        let s = String::from_utf8_lossy(std::slice::from_raw_parts(buf.as_ptr().cast::<u8>(), n))
            .into_owned();
        // +0200 -> +02:00, as Google Benchmark writes it.
        if s.len() >= 5 {
            let (head, tz) = s.split_at(s.len() - 2);
            format!("{}:{}", head, tz)
        } else {
            s
        }
    }
}

fn host_name() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: gethostname writes at most buf.len() bytes.
    if unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } != 0 {
        return "unknown".to_string();
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

fn num_cpus() -> i64 {
    // SAFETY: sysconf has no preconditions.
    let n = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
    n.max(1) as i64
}

fn cpuinfo_field(field: &str) -> Option<String> {
    let text = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    text.lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
}

fn mhz_per_cpu() -> i64 {
    if let Some(khz) = read_trimmed("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq")
        .and_then(|s| s.parse::<f64>().ok())
    {
        return (khz / 1000.0).round() as i64;
    }
    cpuinfo_field("cpu MHz")
        .and_then(|s| s.parse::<f64>().ok())
        .map(|m| m.round() as i64)
        .unwrap_or(0)
}

fn cpu_scaling_enabled() -> bool {
    match read_trimmed("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor") {
        Some(g) => g != "performance",
        None => false,
    }
}

/// CPUs in a list such as "0-3,8".
fn count_cpu_list(list: &str) -> i64 {
    list.split(',')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('-') {
            Some((a, b)) => match (a.parse::<i64>(), b.parse::<i64>()) {
                (Ok(a), Ok(b)) if b >= a => b - a + 1,
                _ => 0,
            },
            None => 1,
        })
        .sum()
}

fn caches() -> Json {
    let mut list = Vec::new();
    for index in 0.. {
        let dir = format!("/sys/devices/system/cpu/cpu0/cache/index{}", index);
        let (kind, level, size) = match (
            read_trimmed(&format!("{}/type", dir)),
            read_trimmed(&format!("{}/level", dir)),
            read_trimmed(&format!("{}/size", dir)),
        ) {
            (Some(kind), Some(level), Some(size)) => (kind, level, size),
            _ => break,
        };
        let bytes = match size.strip_suffix('K') {
            Some(k) => k.parse::<i64>().unwrap_or(0) * 1024,
            None => match size.strip_suffix('M') {
                Some(m) => m.parse::<i64>().unwrap_or(0) * 1024 * 1024,
                None => size.parse::<i64>().unwrap_or(0),
            },
        };
        let sharing = read_trimmed(&format!("{}/shared_cpu_list", dir))
            .map(|l| count_cpu_list(&l))
            .unwrap_or(1);
        list.push(Json::Obj(vec![
            ("type".into(), Json::Str(kind)),
            ("level".into(), Json::Int(level.parse().unwrap_or(0))),
            ("size".into(), Json::Int(bytes)),
            ("num_sharing".into(), Json::Int(sharing)),
        ]));
    }
    Json::Arr(list)
}

fn load_avg() -> Json {
    let mut loads = [0f64; 3];
    // SAFETY: getloadavg writes at most 3 doubles.
    let n = unsafe { libc::getloadavg(loads.as_mut_ptr(), 3) };
    Json::Arr(loads.iter().take(n.max(0) as usize).map(|&l| Json::Num(l)).collect())
}

fn kernel() -> String {
    // SAFETY: uname fills the struct; its fields are NUL-terminated.
    unsafe {
        let mut u: libc::utsname = std::mem::zeroed();
        if libc::uname(&mut u) != 0 {
            return "unknown".to_string();
        }
        let field = |f: &[libc::c_char]| {
            std::ffi::CStr::from_ptr(f.as_ptr()).to_string_lossy().into_owned()
        };
        format!("{} {} {}", field(&u.sysname), field(&u.release), field(&u.machine))
    }
}

/// The whole context object.
pub fn context(command_line: &str, executable: &str, sweep: &Sweep, spin: &SpinTimes) -> Json {
    let s = |v: &str| Json::Str(v.to_string());
    let workers = sweep.workers.iter().map(|w| w.to_string()).collect::<Vec<_>>().join(",");
    Json::Obj(vec![
        ("date".into(), Json::Str(date())),
        ("host_name".into(), Json::Str(host_name())),
        ("executable".into(), s(executable)),
        ("num_cpus".into(), Json::Int(num_cpus())),
        ("mhz_per_cpu".into(), Json::Int(mhz_per_cpu())),
        ("cpu_scaling_enabled".into(), Json::Bool(cpu_scaling_enabled())),
        ("caches".into(), caches()),
        ("load_avg".into(), load_avg()),
        ("library_build_type".into(), s(if cfg!(debug_assertions) { "debug" } else { "release" })),
        ("system".into(), s("rayon")),
        ("compiler".into(), s(env!("RAYON_BENCH_RUSTC_VERSION"))),
        ("rayon_version".into(), s(option_env!("POOLBENCH_RAYON_VERSION").unwrap_or("unknown"))),
        ("git_revision".into(), s(option_env!("POOLBENCH_GIT_REVISION").unwrap_or("unknown"))),
        ("build_type".into(), s(if cfg!(debug_assertions) { "debug" } else { "release" })),
        ("command_line".into(), s(command_line)),
        (
            "cpu_model".into(),
            Json::Str(cpuinfo_field("model name").unwrap_or_else(|| "unknown".into())),
        ),
        ("kernel".into(), Json::Str(kernel())),
        ("hardware_threads".into(), Json::Str(sweep.hardware_threads.to_string())),
        ("poolbench_quick".into(), s(if sweep.quick { "1" } else { "0" })),
        ("poolbench_workers".into(), Json::Str(workers)),
        (
            "poolbench_workers_source".into(),
            s(if sweep.workers_chosen { "chosen" } else { "default" }),
        ),
        ("t1_cpu_job_ns".into(), Json::Str(format!("{:.3}", spin.cpu_job_ns))),
        ("t1_skewed_short_job_ns".into(), Json::Str(format!("{:.3}", spin.short_job_ns))),
        ("t1_skewed_long_job_ns".into(), Json::Str(format!("{:.3}", spin.long_job_ns))),
    ])
}
