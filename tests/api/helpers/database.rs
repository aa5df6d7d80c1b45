//! The throwaway databases tests run on: a SQLite file in a temporary directory, or a
//! PostgreSQL database created for the test (from `BANKAPI_TEST_DATABASE_URL`) and
//! dropped afterwards.

use std::path::PathBuf;

/// Names the PostgreSQL server to test against; unset means SQLite.
pub const PG_ENV: &str = "BANKAPI_TEST_DATABASE_URL";

/// A throwaway database: a SQLite file in a temporary directory, or a PostgreSQL
/// database created for the test and dropped afterwards.
pub enum TestDatabase {
    Sqlite(#[allow(dead_code)] tempfile::TempDir, String),
    Postgres {
        admin_url: String,
        name: String,
        url: String,
    },
}

impl TestDatabase {
    pub async fn create() -> Self {
        match std::env::var(PG_ENV) {
            Ok(admin_url) if !admin_url.is_empty() => {
                let name = format!("bankapi_test_{}", uuid::Uuid::new_v4().simple());
                let mut admin =
                    url::Url::parse(&admin_url).expect("BANKAPI_TEST_DATABASE_URL is a URL");
                run_admin(&admin_url, &format!("CREATE DATABASE {name}")).await;
                admin.set_path(&name);
                Self::Postgres {
                    admin_url,
                    name,
                    url: admin.to_string(),
                }
            }
            _ => {
                let dir = tempfile::tempdir().expect("temporary directory");
                let path: PathBuf = dir.path().join("bankapi.db");
                let url = format!("sqlite://{}", path.display());
                Self::Sqlite(dir, url)
            }
        }
    }

    pub fn url(&self) -> &str {
        match self {
            Self::Sqlite(_, url) => url,
            Self::Postgres { url, .. } => url,
        }
    }
}

async fn run_admin(admin_url: &str, sql: &str) {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(admin_url)
        .await
        .expect("connect to the PostgreSQL test server");
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Self::Postgres {
            admin_url, name, ..
        } = self
        {
            let admin_url = admin_url.clone();
            let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            // Drop runs inside the test's runtime; a separate thread with its own runtime
            // can block on the drop without deadlocking it.
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                if let Ok(runtime) = runtime {
                    runtime.block_on(run_admin(&admin_url, &sql));
                }
            })
            .join();
        }
    }
}
