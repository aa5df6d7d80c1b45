//! The `bankapi` binary: parses the command line and hands over to the library.

use clap::Parser;

/// glibc's allocator serialises threads on its arena locks under load (seen in profiles of
/// `GET /events/{id}` as futex waits in malloc and free); mimalloc keeps per-thread heaps.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = bankapi::cli::Cli::parse();
    match bankapi::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bankapi: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
