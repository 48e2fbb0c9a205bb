//! Link options for the `golive` binary, and rebuilding when a migration changes.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    // The migrations are embedded at compile time.
    println!("cargo:rerun-if-changed=migrations");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        // Relative relocations packed (DT_RELR, glibc 2.36 and later): the loader reads 20 KB of
        // them at start instead of 1 MB, which otherwise stays in memory for the process's life.
        // A linker without the option warns and ignores it.
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}
