//! The workspace's crate boundaries, as Cargo resolves them: the dashboard (`belfry-tui`) and
//! the client crate (`belfry-client`) must never compile the engine. A dependency that brings
//! `belfry` (and with it openraft, redb, foca) back into either fails here, naming the crate.
//!
//! The graphs are `cargo tree`'s for this machine's platform, read from the committed
//! Cargo.lock (`--locked --offline`): what `cargo build -p belfry-tui` really compiles.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

/// The engine and the crates only the engine needs; none may be under the dashboard.
const ENGINE: [&str; 4] = ["belfry", "openraft", "redb", "foca"];

/// Every package `package` compiles (normal and build dependencies, and its own dev-dependencies,
/// which `cargo test -p package` compiles too), by name.
fn compiled_packages(package: &str) -> BTreeSet<String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = Command::new(&cargo)
        .args(["tree", "--offline", "--locked", "-p", package])
        .args([
            "-e",
            "normal,build,dev",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .current_dir(&workspace)
        .output()
        .unwrap_or_else(|e| panic!("{cargo:?} tree: {e}"));
    assert!(
        out.status.success(),
        "cargo tree -p {package} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Each line is `name vX.Y.Z [(path)] [(*)]`.
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(String::from)
        .collect()
}

fn engine_crates_in(packages: &BTreeSet<String>) -> Vec<&'static str> {
    ENGINE
        .into_iter()
        .filter(|name| packages.contains(*name))
        .collect()
}

#[test]
fn the_dashboard_and_the_client_crate_do_not_compile_the_engine() {
    // The reading itself is checked on the binary's package, which does compile the engine:
    // were the names or the parsing wrong, this would find nothing there either.
    let cli = compiled_packages("belfry-cli");
    assert_eq!(engine_crates_in(&cli), ENGINE, "belfry-cli's graph as read");

    let dashboard = compiled_packages("belfry-tui");
    assert!(
        dashboard.contains("belfry-client") && dashboard.contains("ratatui"),
        "belfry-tui's graph as read: {dashboard:?}"
    );
    assert_eq!(
        engine_crates_in(&dashboard),
        Vec::<&str>::new(),
        "the dashboard compiles the engine again: depend on belfry-client, not belfry \
         (`cargo tree -p belfry-tui -i <crate>` shows the path)"
    );

    let client = compiled_packages("belfry-client");
    let mut heavy = engine_crates_in(&client);
    // The client crate serves nothing: no HTTP server framework either.
    heavy.extend(["axum"].into_iter().filter(|n| client.contains(*n)));
    assert_eq!(
        heavy,
        Vec::<&str>::new(),
        "belfry-client must stay small (`cargo tree -p belfry-client -i <crate>` shows the path)"
    );
}
