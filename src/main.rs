//! The `bankapi` binary: parses the command line and hands over to the library.

use clap::Parser;

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
