//! Text compares byte by byte on both backends: SQLite's BINARY collation, and on
//! PostgreSQL every text column declared `COLLATE "C"` (migration 0015), whatever locale
//! the database was created with. A list ordered by a text key (cards, arrangements,
//! mandates) then comes in the same order on either, and no index compares through a
//! locale (see the migration for what that cost).

use sqlx::{PgPool, SqlitePool};

use crate::helpers::{TestApp, on_postgres};

#[tokio::test]
async fn every_text_column_compares_byte_by_byte() {
    let app = TestApp::spawn().await;
    let url = &app.settings.database_url;
    let loose: Vec<(String, String, Option<String>)> = if on_postgres() {
        let pool = PgPool::connect(url).await.expect("a connection");
        let rows = sqlx::query_as(
            "SELECT c.relname::text, a.attname::text, co.collname::text
             FROM pg_attribute a
             JOIN pg_class c ON c.oid = a.attrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace
             LEFT JOIN pg_collation co ON co.oid = a.attcollation
             WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.relname <> '_sqlx_migrations'
               AND a.attnum > 0 AND NOT a.attisdropped AND a.atttypid = 'text'::regtype
               AND co.collname IS DISTINCT FROM 'C'
             ORDER BY 1, 2",
        )
        .fetch_all(&pool)
        .await
        .expect("the catalogue");
        pool.close().await;
        rows
    } else {
        // SQLite compares with BINARY unless a table or an index names another collation.
        let pool = SqlitePool::connect(url).await.expect("a connection");
        let rows = sqlx::query_as(
            "SELECT type, name, NULL FROM sqlite_schema WHERE upper(sql) LIKE '%COLLATE%' ORDER BY 1, 2",
        )
        .fetch_all(&pool)
        .await
        .expect("the schema");
        pool.close().await;
        rows
    };
    assert!(
        loose.is_empty(),
        "text that does not compare byte by byte (table or type, column or name, collation): {loose:?}"
    );
}
