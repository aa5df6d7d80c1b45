//! `sqlx::migrate!` embeds the migration folders at compile time, but cargo does not
//! know it reads them: without this, a new migration file is left out of the binary
//! until some Rust source changes (as the sqlx documentation warns).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
