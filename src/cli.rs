//! The command line: `serve`, `migrate` and `token`.

use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};

use crate::auth::TokenVerifier;
use crate::auth::mint::{TokenRequest, default_scopes, mint_hs256};
use crate::config::{Secret, Settings};
use crate::startup::{Application, shutdown_signal};
use crate::{demo, store, telemetry};

/// bankapi: the Customer Order API v2 and Customer Event API v2.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Cli {
    /// A TOML file with settings (environment variables BANKAPI_* override it).
    #[arg(long, global = true, env = "BANKAPI_CONFIG")]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server.
    Serve {
        /// Load the demo data set into an empty database and print tokens and a first call.
        #[arg(long)]
        demo: bool,
    },
    /// Apply the configured backend's migrations and exit.
    Migrate,
    /// Print a signed development token (HS256) alone on stdout.
    Token {
        /// Add the bank:staff scope (act for any customer).
        #[arg(long)]
        staff: bool,
        /// The customer the token acts for.
        #[arg(long)]
        customer_number: Option<String>,
        /// A scope to grant; repeat for several. Default: read and write on both APIs.
        #[arg(long = "scope")]
        scopes: Vec<String>,
        /// Lifetime in seconds.
        #[arg(long, default_value_t = 3600)]
        ttl: u64,
        /// The token's subject (default: derived from the customer or "staff").
        #[arg(long)]
        subject: Option<String>,
    },
}

/// Runs one command.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let mut settings = Settings::load(cli.config.as_deref())?;
    match cli.command {
        Command::Serve { demo } => serve(&mut settings, demo).await,
        Command::Migrate => {
            telemetry::init(settings.log_format);
            store::connect(&settings.database_url, 1, true).await?;
            eprintln!(
                "migrations applied to {}",
                redact_url(&settings.database_url)
            );
            Ok(())
        }
        Command::Token {
            staff,
            customer_number,
            scopes,
            ttl,
            subject,
        } => {
            let secret = signing_secret(&settings)?;
            let mut request = match (&customer_number, staff) {
                (Some(number), _) => TokenRequest::customer(number),
                (None, _) => TokenRequest::staff(),
            };
            if !scopes.is_empty() {
                request.scopes = scopes;
            }
            if staff && !request.scopes.iter().any(|s| s == "bank:staff") {
                request.scopes.push("bank:staff".into());
            }
            if !staff && customer_number.is_none() {
                anyhow::bail!("say --staff or --customer-number N");
            }
            if let Some(subject) = subject {
                request.subject = subject;
            }
            request.ttl_seconds = ttl;
            let token = mint_hs256(
                secret.expose(),
                &settings.auth_issuer,
                &settings.auth_audience,
                &request,
            )?;
            println!("{token}");
            Ok(())
        }
    }
}

async fn serve(settings: &mut Settings, demo: bool) -> anyhow::Result<()> {
    telemetry::init(settings.log_format);
    if !settings.has_token_verification() {
        anyhow::ensure!(
            demo,
            "no way to verify tokens: set BANKAPI_AUTH_JWKS_URL, BANKAPI_AUTH_PUBLIC_KEY_FILE or \
             BANKAPI_AUTH_HS256_SECRET (or run with --demo for a generated development secret)"
        );
        let secret = demo_secret(&settings.demo_secret_file)?;
        settings.auth_hs256_secret = Some(secret);
    }
    let verifier = TokenVerifier::from_settings(settings)?
        .ok_or_else(|| anyhow::anyhow!("no token verification configured"))?;
    tracing::info!(keys = verifier.describe(), "token verification");
    let app = Application::build(settings, verifier).await?;
    if demo {
        let loaded = demo::load_if_empty(app.stores()).await?;
        tracing::info!(loaded, "demo data");
    }
    let addr = app.local_addr()?;
    tracing::info!(%addr, backend = ?app.stores().backend, database = %redact_url(&settings.database_url), "listening");
    if demo {
        print_demo_banner(settings)?;
    }
    app.run_until(shutdown_signal()).await
}

/// The secret `bankapi token` signs with: the configured one, else the demo's.
fn signing_secret(settings: &Settings) -> anyhow::Result<Secret> {
    if let Some(secret) = &settings.auth_hs256_secret {
        return Ok(secret.clone());
    }
    let path = &settings.demo_secret_file;
    if path.exists() {
        return read_secret(path);
    }
    anyhow::bail!(
        "no signing secret: set BANKAPI_AUTH_HS256_SECRET, or start `bankapi serve --demo` once in this \
         directory so it writes {}; tokens of a real authorization server cannot be minted here",
        path.display()
    )
}

fn read_secret(path: &Path) -> anyhow::Result<Secret> {
    let value = std::fs::read_to_string(path)?;
    Ok(Secret::new(value.trim()))
}

/// Reuses the demo secret file, or generates one and says so.
fn demo_secret(path: &Path) -> anyhow::Result<Secret> {
    if path.exists() {
        eprintln!(
            "demo: using the development signing secret in {}",
            path.display()
        );
        return read_secret(path);
    }
    use rand::Rng;
    let bytes: [u8; 32] = rand::rng().random();
    let secret = hex::encode(bytes);
    write_private(path, &secret)?;
    eprintln!(
        "demo: no token verification configured, so a development signing secret was generated and saved \
         in {} (HS256; never use this in production)",
        path.display()
    );
    Ok(Secret::new(secret))
}

fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)?;
        file.write_all(contents.as_bytes())?;
    }
    #[cfg(not(unix))]
    std::fs::write(path, contents)?;
    Ok(())
}

fn print_demo_banner(settings: &Settings) -> anyhow::Result<()> {
    let secret = settings
        .auth_hs256_secret
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("demo banner needs the HS256 secret"))?;
    let mint = |request: &TokenRequest| {
        mint_hs256(
            secret.expose(),
            &settings.auth_issuer,
            &settings.auth_audience,
            request,
        )
    };
    let mut staff = TokenRequest::staff();
    staff.ttl_seconds = 86_400;
    let mut customer = TokenRequest::customer("1400269");
    customer.ttl_seconds = 86_400;
    let staff_token = mint(&staff)?;
    let customer_token = mint(&customer)?;
    let base = settings.public_base();
    println!(
        "\nbankapi demo is ready at {base}  (tokens below are valid for 24 hours; scopes: {})\n\n\
         staff token (bank:staff):\n  export STAFF_TOKEN={staff_token}\n\n\
         token for customer 1400269:\n  export TOKEN={customer_token}\n\n\
         the event guide's first call:\n  curl -s -H \"Authorization: Bearer {customer_token}\" \"{base}/customer-event/events?customer-number=1400269\"\n\n\
         Swagger UI: {base}/swagger-ui\n",
        default_scopes().join(" ")
    );
    Ok(())
}

/// A database URL fit for logs: any password replaced.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}
