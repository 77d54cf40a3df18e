//! `belfry version`.

use crate::failure::Failure;

/// Version of the on-disk and wire formats this build writes (and the oldest it reads).
pub const FORMAT_VERSION: u32 = 1;

pub fn run(json: bool) -> Result<(), Failure> {
    let version = env!("CARGO_PKG_VERSION");
    if json {
        let v = serde_json::json!({
            "name": "belfry",
            "version": version,
            "format_version": FORMAT_VERSION,
            "api": "dkron-v1",
        });
        println!("{v}");
    } else {
        println!("Name: Belfry");
        println!("Version: {version}");
        println!("Format: {FORMAT_VERSION} (reads back to 1)");
        println!("API: Dkron /v1 compatible");
    }
    Ok(())
}
