// Records the compiler's version for the JSON context ("compiler"): cargo
// runs this script with RUSTC set to the rustc that builds the crate. And
// the revision built ("git_revision"), read from the file that
// POOLBENCH_GIT_REVISION_FILE names (bench/git_revision.cmake writes it at
// every build, and rewrites it only when the revision changes).

use std::process::Command;

fn main() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let version = Command::new(&rustc)
        .arg("--version")
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map(|text| text.trim().to_string())
        .filter(|text| !text.is_empty())
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=RAYON_BENCH_RUSTC_VERSION={}", version);
    if let Ok(path) = std::env::var("POOLBENCH_GIT_REVISION_FILE") {
        if let Ok(text) = std::fs::read_to_string(&path) {
            let revision = text.trim();
            if !revision.is_empty() {
                println!("cargo:rustc-env=POOLBENCH_GIT_REVISION={}", revision);
            }
        }
        println!("cargo:rerun-if-changed={}", path);
    }
    println!("cargo:rerun-if-env-changed=RUSTC");
    println!("cargo:rerun-if-env-changed=POOLBENCH_RAYON_VERSION");
    println!("cargo:rerun-if-env-changed=POOLBENCH_GIT_REVISION_FILE");
    println!("cargo:rerun-if-changed=build.rs");
}
