//! A database left at an older schema, to test what one migration does to rows written before
//! it: the migrations before it are applied, the test writes its rows in the old shape, then
//! [`SchemaBefore::migrate`] applies the migration under test.

use std::path::{Path, PathBuf};

use sqlx::Connection as _;

use super::Db;

pub struct SchemaBefore {
    pub conn: sqlx::AnyConnection,
    migration: PathBuf,
    _dir: tempfile::TempDir,
}

impl SchemaBefore {
    /// A fresh database of `db` with every migration numbered below `version` applied.
    pub async fn new(db: Db, version: u32) -> SchemaBefore {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = super::database_url(db, &dir).await;
        let url = match db {
            Db::Sqlite => format!("{url}?mode=rwc"),
            Db::Postgres => url,
        };
        sqlx::any::install_default_drivers();
        let conn = sqlx::AnyConnection::connect(&url).await.expect("connect");
        let folder = match db {
            Db::Sqlite => "sqlite",
            Db::Postgres => "postgres",
        };
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(folder);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&root)
            .expect("migrations")
            .map(|e| e.expect("entry").path())
            .collect();
        files.sort();
        let migration = files
            .iter()
            .find(|f| number(f) == version)
            .unwrap_or_else(|| panic!("no migration {version:04}"))
            .clone();
        let mut old = SchemaBefore {
            conn,
            migration,
            _dir: dir,
        };
        for f in files.iter().filter(|f| number(f) < version) {
            old.run_file(f).await;
        }
        old
    }

    /// Runs `sql` on the old schema.
    pub async fn exec(&mut self, sql: &str) {
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
            .execute(&mut self.conn)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// Applies the migration under test.
    pub async fn migrate(&mut self) {
        let migration = self.migration.clone();
        self.run_file(&migration).await;
    }

    async fn run_file(&mut self, path: &Path) {
        let sql = std::fs::read_to_string(path).expect("sql");
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut self.conn)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}

/// The number a migration file starts with (`0012_ticket_numbers.sql` → 12).
fn number(path: &Path) -> u32 {
    path.file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.split('_').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(u32::MAX)
}
