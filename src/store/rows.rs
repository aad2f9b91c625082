//! Many rows in one statement.
//!
//! Callers give rows as JSON arrays, one item per column, and put [`rows_source`] where a
//! `VALUES (…), (…)` list goes (after `INSERT INTO t (…)`, or as a subquery whose columns are
//! `column1`, `column2` …) and [`list_source`] inside `x IN (…)`; [`bind_rows`] binds them.
//!
//! - **PostgreSQL**: the rows travel as one JSON parameter, read back as rows by
//!   `json_array_elements`, so the statement has one text however many rows it carries. With
//!   `VALUES` each row count was its own text: a transaction of 30 messages and the next of 31
//!   used different statements, a dozen such statements a transaction turned the connection's
//!   prepared-statement cache (100 entries) over constantly, and every statement of a small
//!   transaction was parsed, planned and described again — an extra round trip each (954
//!   distinct texts in a ten-second paced run, 46 now).
//! - **SQLite**: plain `VALUES` with anonymous parameters. Preparing a statement is a cheap
//!   in-process call there, and reading rows out of JSON (`json_each`, `->>`) was measured
//!   slower than binding them (docs/benchmarks.md, "One statement text per statement").
//!
//! The SQL is built only from fixed fragments; every value is bound.

use super::{Backend, Result, StoreError, param, row_placeholders};
use serde_json::Value;
use sqlx::any::AnyArguments;
use sqlx::query::Query;

/// Rows a statement carries at most (SQLite allows 32,766 parameters; tickets have 22
/// columns).
pub(crate) const ROWS_PER_STATEMENT: usize = 500;

/// The type a column is read back as (PostgreSQL reads JSON values as text and casts them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ty {
    Text,
    Int,
}

impl Ty {
    fn postgres(self) -> &'static str {
        match self {
            Ty::Text => "TEXT",
            Ty::Int => "BIGINT",
        }
    }
}

/// The source of `count` rows of columns `cols`, whose parameters start at the `n`th: a
/// `VALUES` list on SQLite, a `SELECT` from one JSON parameter on PostgreSQL (with a trailing
/// `WHERE true`, which an `INSERT … SELECT … ON CONFLICT` needs on SQLite and is harmless
/// elsewhere). Columns are named `column1`, `column2` … on both.
pub(crate) fn rows_source(backend: Backend, n: usize, cols: &[Ty], count: usize) -> String {
    match backend {
        Backend::Sqlite => format!("VALUES {}", row_placeholders(backend, count, cols.len())),
        Backend::Postgres => {
            let list = cols
                .iter()
                .enumerate()
                .map(|(i, ty)| format!("CAST(j.v->>{i} AS {}) AS column{}", ty.postgres(), i + 1))
                .collect::<Vec<_>>()
                .join(", ");
            format!(
                "SELECT {list} FROM json_array_elements(CAST({} AS JSON)) AS j(v) WHERE true",
                param(backend, n)
            )
        }
    }
}

/// The source of `count` values of type `ty` for `x IN (…)`, parameters from the `n`th.
pub(crate) fn list_source(backend: Backend, n: usize, ty: Ty, count: usize) -> String {
    match backend {
        Backend::Sqlite => vec!["?"; count].join(","),
        Backend::Postgres => format!(
            "SELECT CAST(json_array_elements_text(CAST({} AS JSON)) AS {})",
            param(backend, n),
            ty.postgres()
        ),
    }
}

/// Binds `rows` (arrays, for [`rows_source`]) or values (for [`list_source`]) to `q`.
pub(crate) fn bind_rows<'q>(
    backend: Backend,
    q: Query<'q, sqlx::Any, AnyArguments>,
    rows: &[Value],
) -> Result<Query<'q, sqlx::Any, AnyArguments>> {
    match backend {
        Backend::Postgres => {
            let json = serde_json::to_string(rows)
                .map_err(|e| StoreError::Corrupt(format!("rows as JSON: {e}")))?;
            Ok(q.bind(json))
        }
        Backend::Sqlite => {
            let mut q = q;
            for row in rows {
                match row {
                    Value::Array(items) => {
                        for item in items {
                            q = bind_value(q, item)?;
                        }
                    }
                    item => q = bind_value(q, item)?,
                }
            }
            Ok(q)
        }
    }
}

fn bind_value<'q>(
    q: Query<'q, sqlx::Any, AnyArguments>,
    value: &Value,
) -> Result<Query<'q, sqlx::Any, AnyArguments>> {
    Ok(match value {
        Value::Null => q.bind(None::<i64>),
        Value::String(s) => q.bind(s.clone()),
        Value::Number(n) => match n.as_i64() {
            Some(i) => q.bind(i),
            None => q.bind(n.as_f64().unwrap_or_default()),
        },
        Value::Bool(b) => q.bind(*b),
        other => {
            return Err(StoreError::Corrupt(format!(
                "a row holds a nested value: {other}"
            )));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_backend_has_its_source() {
        let cols = [Ty::Text, Ty::Int];
        assert_eq!(
            rows_source(Backend::Postgres, 1, &cols, 3),
            "SELECT CAST(j.v->>0 AS TEXT) AS column1, CAST(j.v->>1 AS BIGINT) AS column2 \
             FROM json_array_elements(CAST($1 AS JSON)) AS j(v) WHERE true"
        );
        // One text on PostgreSQL whatever the count; one per count on SQLite.
        assert_eq!(
            rows_source(Backend::Postgres, 1, &cols, 3),
            rows_source(Backend::Postgres, 1, &cols, 40)
        );
        assert_eq!(
            rows_source(Backend::Sqlite, 1, &cols, 2),
            "VALUES (?,?),(?,?)"
        );
        assert_eq!(list_source(Backend::Sqlite, 2, Ty::Int, 3), "?,?,?");
        assert_eq!(
            list_source(Backend::Postgres, 2, Ty::Int, 3),
            "SELECT CAST(json_array_elements_text(CAST($2 AS JSON)) AS BIGINT)"
        );
    }
}
