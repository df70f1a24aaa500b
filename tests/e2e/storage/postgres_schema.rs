//! PostgreSQL beside SQLite (issue 8): `latchkey migrate` makes the same tables, with the same
//! columns, the same NOT NULLs and the same unique keys, on both engines (the flows are one set
//! of SQL, so a column or a unique index that one engine lacks is a behaviour that differs);
//! several processes migrating one fresh database at once all succeed and apply each migration
//! once.
//!
//! PostgreSQL-only: without `LATCHKEY_TEST_POSTGRES` these tests say so and pass (under
//! `CI=true` they fail).

use std::{
    collections::{BTreeMap, BTreeSet},
    path::Path,
    process::Output,
};

use crate::support::*;
use sqlx::AnyPool;

/// `latchkey migrate` on `database`; its output.
fn migrate(dir: &Path, database: &TestDatabase) -> Output {
    latchkey(dir)
        .arg("migrate")
        .env("LATCHKEY_DATABASE_URL", database.env_url())
        .env("LATCHKEY_SECRET", SECRET)
        .output()
        .expect("run latchkey migrate")
}

fn assert_migrated(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "latchkey migrate on {what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// What the schema of one engine says, in terms both engines share.
#[derive(Debug, Default, PartialEq, Eq)]
struct Schema {
    /// table -> column -> NOT NULL
    columns: BTreeMap<String, BTreeMap<String, bool>>,
    /// (table, key columns sorted, partial) of every primary key and unique index
    unique: BTreeSet<(String, Vec<String>, bool)>,
}

/// Tables that belong to the tools, not to Latchkey.
fn ours(table: &str) -> bool {
    table != "_sqlx_migrations" && !table.starts_with("sqlite_")
}

async fn sqlite_schema(db: &AnyPool) -> Schema {
    let mut schema = Schema::default();
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .fetch_all(db)
            .await
            .expect("tables");
    for table in tables.into_iter().filter(|t| ours(t)) {
        let columns: Vec<(String, i64, i64)> =
            sqlx::query_as("SELECT name, \"notnull\", pk FROM pragma_table_info($1)")
                .bind(&table)
                .fetch_all(db)
                .await
                .expect("columns");
        let mut key: Vec<String> = columns
            .iter()
            .filter(|(_, _, pk)| *pk > 0)
            .map(|(name, _, _)| name.clone())
            .collect();
        if !key.is_empty() {
            key.sort();
            schema.unique.insert((table.clone(), key, false));
        }
        schema.columns.insert(
            table.clone(),
            columns
                .into_iter()
                // A primary key cannot hold NULL on PostgreSQL; SQLite's pragma says 0 unless
                // it is declared NOT NULL too, which changes nothing for a key.
                .map(|(name, not_null, pk)| (name, not_null != 0 || pk > 0))
                .collect(),
        );
        // Unique indexes, apart from the primary key's (counted above, with rowid keys).
        let indexes: Vec<(String, i64)> = sqlx::query_as(
            "SELECT name, partial FROM pragma_index_list($1) WHERE \"unique\" = 1 AND origin <> 'pk'",
        )
        .bind(&table)
        .fetch_all(db)
        .await
        .expect("indexes");
        for (index, partial) in indexes {
            let mut key: Vec<String> = sqlx::query_scalar(
                "SELECT COALESCE(name, '<expression>') FROM pragma_index_info($1) ORDER BY seqno",
            )
            .bind(&index)
            .fetch_all(db)
            .await
            .expect("index columns");
            key.sort();
            schema.unique.insert((table.clone(), key, partial != 0));
        }
    }
    schema
}

async fn postgres_schema(db: &AnyPool) -> Schema {
    let mut schema = Schema::default();
    let columns: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT CAST(c.table_name AS TEXT), CAST(c.column_name AS TEXT), CAST(c.is_nullable AS TEXT) \
         FROM information_schema.columns c JOIN information_schema.tables t \
           ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
         WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'",
    )
    .fetch_all(db)
    .await
    .expect("columns");
    for (table, column, nullable) in columns.into_iter().filter(|(t, _, _)| ours(t)) {
        schema
            .columns
            .entry(table)
            .or_default()
            .insert(column, nullable == "NO");
    }
    let indexes: Vec<(String, String, bool)> = sqlx::query_as(
        "SELECT CAST(t.relname AS TEXT), \
                (SELECT string_agg(pg_get_indexdef(ix.indexrelid, k, true), ',') \
                   FROM generate_series(1, ix.indnkeyatts) AS k), \
                ix.indpred IS NOT NULL \
         FROM pg_index ix \
         JOIN pg_class t ON t.oid = ix.indrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         WHERE n.nspname = current_schema() AND ix.indisunique",
    )
    .fetch_all(db)
    .await
    .expect("unique indexes");
    for (table, key, partial) in indexes.into_iter().filter(|(t, _, _)| ours(t)) {
        let mut key: Vec<String> = key
            .split(',')
            .map(|c| {
                let c = c.trim().trim_matches('"');
                if c.contains('(') || c.contains(' ') {
                    "<expression>".to_owned()
                } else {
                    c.to_owned()
                }
            })
            .collect();
        key.sort();
        schema.unique.insert((table, key, partial));
    }
    schema
}

/// Where two maps differ, one line per difference.
fn differences<K: Ord + std::fmt::Debug, V: PartialEq + std::fmt::Debug>(
    sqlite: &BTreeMap<K, V>,
    postgres: &BTreeMap<K, V>,
) -> Vec<String> {
    let keys: BTreeSet<&K> = sqlite.keys().chain(postgres.keys()).collect();
    keys.into_iter()
        .filter_map(|k| match (sqlite.get(k), postgres.get(k)) {
            (Some(a), Some(b)) if a == b => None,
            (a, b) => Some(format!("{k:?}: SQLite {a:?}, PostgreSQL {b:?}")),
        })
        .collect()
}

#[tokio::test]
async fn both_engines_migrate_to_the_same_tables_columns_and_unique_keys() {
    if postgres_or_skip("the schema comparison of SQLite and PostgreSQL").is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("temporary directory");
    let sqlite = TestDatabase::Sqlite(dir.path().join("schema.db"));
    let postgres = TestDatabase::postgres().await;
    assert_migrated(&migrate(dir.path(), &sqlite), "SQLite");
    assert_migrated(&migrate(dir.path(), &postgres), "PostgreSQL");

    let sqlite_db = sqlite.connect().await;
    let postgres_db = postgres.connect().await;
    let sqlite_schema = sqlite_schema(&sqlite_db).await;
    let postgres_schema = postgres_schema(&postgres_db).await;
    sqlite_db.close().await;
    postgres_db.close().await;

    for table in [
        "users",
        "link_tokens",
        "sessions",
        "outbox",
        "email_changes",
    ] {
        assert!(
            sqlite_schema.columns.contains_key(table),
            "{table} in {sqlite_schema:?}"
        );
    }
    // The readers see what they should: keys that the flows' races rely on.
    for schema in [&sqlite_schema, &postgres_schema] {
        for key in [
            ("users", "email_norm", false),
            ("users", "id", false),
            ("email_changes", "user_id", true),
        ] {
            let key = (key.0.to_owned(), vec![key.1.to_owned()], key.2);
            assert!(schema.unique.contains(&key), "{key:?} in {schema:?}");
        }
    }
    // Tables, then columns, then NOT NULL: each difference named.
    let tables = |s: &Schema| -> BTreeMap<String, ()> {
        s.columns.keys().map(|t| (t.clone(), ())).collect()
    };
    let missing = differences(&tables(&sqlite_schema), &tables(&postgres_schema));
    assert!(missing.is_empty(), "tables differ:\n{}", missing.join("\n"));
    let mut columns = Vec::new();
    let mut nullability = Vec::new();
    for (table, sqlite_columns) in &sqlite_schema.columns {
        let postgres_columns = &postgres_schema.columns[table];
        let names = |c: &BTreeMap<String, bool>| -> BTreeMap<String, ()> {
            c.keys().map(|k| (k.clone(), ())).collect()
        };
        columns.extend(
            differences(&names(sqlite_columns), &names(postgres_columns))
                .into_iter()
                .map(|d| format!("{table}.{d}")),
        );
        nullability.extend(
            differences(sqlite_columns, postgres_columns)
                .into_iter()
                .filter(|_| names(sqlite_columns) == names(postgres_columns))
                .map(|d| format!("{table}.{d} (NOT NULL)")),
        );
    }
    assert!(
        columns.is_empty(),
        "columns differ:\n{}",
        columns.join("\n")
    );
    assert!(
        nullability.is_empty(),
        "NOT NULL differs:\n{}",
        nullability.join("\n")
    );
    let only_sqlite: Vec<_> = sqlite_schema
        .unique
        .difference(&postgres_schema.unique)
        .collect();
    let only_postgres: Vec<_> = postgres_schema
        .unique
        .difference(&sqlite_schema.unique)
        .collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "unique keys (table, columns, partial) differ: only on SQLite {only_sqlite:?}, only on \
         PostgreSQL {only_postgres:?}"
    );
}

/// Several processes starting at once on a new database (a rolling deploy, a compose file with
/// replicas): every one migrates or finds it migrated, none fails, each migration is applied
/// once.
#[tokio::test]
async fn concurrent_migrations_of_one_database_all_succeed() {
    if postgres_or_skip("the concurrent migration check").is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("temporary directory");
    let database = TestDatabase::postgres().await;
    let runs: Vec<_> = (0..4)
        .map(|_| {
            let (dir, database) = (dir.path().to_owned(), database.clone());
            std::thread::spawn(move || migrate(&dir, &database))
        })
        .collect();
    for run in runs {
        assert_migrated(&run.join().expect("join"), "PostgreSQL, four at once");
    }
    let db = database.connect().await;
    let (applied, distinct): (i64, i64) =
        sqlx::query_as("SELECT COUNT(*), COUNT(DISTINCT version) FROM _sqlx_migrations")
            .fetch_one(&db)
            .await
            .expect("the migrations table");
    assert!(applied > 0);
    assert_eq!(applied, distinct, "a migration was recorded twice");
    let failed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE NOT success")
        .fetch_one(&db)
        .await
        .expect("the migrations table");
    assert_eq!(failed, 0);
    db.close().await;
}
