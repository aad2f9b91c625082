//! Many rows in one statement.
//!
//! Callers give rows as JSON arrays, one item per column, and put [`rows_source`] where a
//! `VALUES (…), (…)` list goes (after `INSERT INTO t (…)`, or as a subquery whose columns are
//! `column1`, `column2` …) and [`list_source`] inside `x IN (…)`; [`bind_rows`] binds them.
//!
//! - **PostgreSQL**: each column travels as one array parameter, turned back into rows by
//!   `unnest`, so the statement has one text however many rows it carries. With `VALUES` each
//!   row count was its own text: a transaction of 30 messages and the next of 31 used
//!   different statements, a dozen such statements a transaction turned the connection's
//!   prepared-statement cache (100 entries) over constantly, and nearly every statement of a
//!   small transaction was parsed, planned and described again, a round trip more (954
//!   distinct texts in a ten-second paced run). Arrays rather than one JSON parameter: reading
//!   columns out of JSON costs a parse per column and was measured slower on big batches.
//! - **SQLite**: plain `VALUES` with anonymous parameters. Preparing a statement is a cheap
//!   in-process call there.
//!
//! The SQL is built only from fixed fragments; every value is bound.

use super::{Backend, Result, StoreError, param, row_placeholders};
use serde_json::Value;
use sqlx::any::AnyArguments;
use sqlx::query::Query;

/// Rows a statement carries at most (SQLite allows 32,766 parameters; tickets have 22
/// columns).
pub(crate) const ROWS_PER_STATEMENT: usize = 500;

/// A column's type (PostgreSQL's arrays are typed).
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
/// `VALUES` list on SQLite, a `SELECT` from one array parameter a column on PostgreSQL (with a trailing
/// `WHERE true`, which an `INSERT … SELECT … ON CONFLICT` needs on SQLite and is harmless
/// elsewhere). Columns are named `column1`, `column2` … on both.
pub(crate) fn rows_source(backend: Backend, n: usize, cols: &[Ty], count: usize) -> String {
    match backend {
        Backend::Sqlite => format!("VALUES {}", row_placeholders(backend, count, cols.len())),
        Backend::Postgres => {
            let arrays = cols
                .iter()
                .enumerate()
                .map(|(i, ty)| format!("CAST({} AS {}[])", param(backend, n + i), ty.postgres()))
                .collect::<Vec<_>>()
                .join(", ");
            let names = (1..=cols.len())
                .map(|i| format!("column{i}"))
                .collect::<Vec<_>>()
                .join(", ");
            format!("SELECT * FROM unnest({arrays}) AS v({names}) WHERE true")
        }
    }
}

/// The source of `count` values of type `ty` for `x IN (…)`, parameters from the `n`th.
pub(crate) fn list_source(backend: Backend, n: usize, ty: Ty, count: usize) -> String {
    match backend {
        Backend::Sqlite => vec!["?"; count].join(","),
        Backend::Postgres => format!(
            "SELECT unnest(CAST({} AS {}[]))",
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
            let width = match rows.first() {
                Some(Value::Array(items)) => items.len(),
                _ => 1,
            };
            let mut columns = vec![String::from("{"); width];
            for (r, row) in rows.iter().enumerate() {
                let items = match row {
                    Value::Array(items) => &items[..],
                    item => std::slice::from_ref(item),
                };
                if items.len() != width {
                    return Err(StoreError::Corrupt("rows of different widths".into()));
                }
                for (column, item) in columns.iter_mut().zip(items) {
                    if r > 0 {
                        column.push(',');
                    }
                    array_item(column, item)?;
                }
            }
            let mut q = q;
            for mut column in columns {
                column.push('}');
                q = q.bind(column);
            }
            Ok(q)
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

/// Appends one item of a PostgreSQL array literal (`{"a","b \"c\"",NULL,42}`): text quoted
/// with its quotes and backslashes escaped, numbers as written, NULL bare.
fn array_item(out: &mut String, value: &Value) -> Result<()> {
    match value {
        Value::Null => out.push_str("NULL"),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::String(s) => {
            out.push('"');
            for c in s.chars() {
                if c == '"' || c == '\\' {
                    out.push('\\');
                }
                out.push(c);
            }
            out.push('"');
        }
        other => {
            return Err(StoreError::Corrupt(format!(
                "a row holds a nested value: {other}"
            )));
        }
    }
    Ok(())
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
            "SELECT * FROM unnest(CAST($1 AS TEXT[]), CAST($2 AS BIGINT[])) \
             AS v(column1, column2) WHERE true"
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
            "SELECT unnest(CAST($2 AS BIGINT[]))"
        );
    }

    #[test]
    fn array_literals_escape_what_postgres_reads_specially() {
        let mut out = String::new();
        for v in [
            Value::from("a\"b\\c,{d}"),
            Value::Null,
            Value::from(-42),
            Value::from("NULL"),
        ] {
            if !out.is_empty() {
                out.push(',');
            }
            array_item(&mut out, &v).expect("item");
        }
        assert_eq!(out, r#""a\"b\\c,{d}",NULL,-42,"NULL""#);
    }
}
