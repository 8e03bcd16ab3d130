//! Plain SQL written once for both stores: statements both databases read,
//! with `?N` parameters and [`Cell`] values, run through [`Sql`]. The small
//! side tables (sign-in names, sessions, head office's people) are written
//! this way, and the figures read the projections and their sums this way;
//! records themselves are written through [`crate::Records`].

use crate::records::{Cell, Dialect};
use crate::store::{Store, StoreError};

/// A database that runs plain statements over the side tables.
pub trait Sql {
    /// The SQL it reads, for the few expressions that differ ([`Dialect::field`]).
    fn dialect(&self) -> Dialect;

    /// Runs a statement; how many rows it changed.
    fn exec(&self, sql: &str, args: &[Cell]) -> Result<usize, StoreError>;

    /// Runs a query (or a statement with `RETURNING`); its rows.
    fn rows(&self, sql: &str, args: &[Cell]) -> Result<Vec<Vec<Cell>>, StoreError>;

    /// Runs `f` in one write transaction, committed when `f` returns `Ok`:
    /// writers in other processes wait for it (SQLite's `IMMEDIATE`;
    /// PostgreSQL serializes such transactions with an advisory lock).
    fn write(&self, f: &mut dyn FnMut(&dyn Sql) -> Result<(), StoreError>) -> Result<(), StoreError>;
}

/// The one row a query returns, if any.
pub fn row(sql: &dyn Sql, query: &str, args: &[Cell]) -> Result<Option<Vec<Cell>>, StoreError> {
    Ok(sql.rows(query, args)?.into_iter().next())
}

/// `column IN (?first, …)` over `n` arguments (false when `n` is 0).
pub fn one_of(column: &str, first: usize, n: usize) -> String {
    if n == 0 {
        return "1 = 0".into();
    }
    let params: Vec<String> = (first..first + n).map(|i| format!("?{i}")).collect();
    format!("{column} IN ({})", params.join(", "))
}

/// Text as an argument.
pub fn text(value: impl Into<String>) -> Cell {
    Cell::Text(value.into())
}

/// Optional text as an argument (NULL when absent).
pub fn opt_text(value: Option<impl Into<String>>) -> Cell {
    value.map_or(Cell::Null, |v| Cell::Text(v.into()))
}

/// Reads a SQLite value as a [`Cell`].
pub fn sqlite_cell(value: rusqlite::types::ValueRef<'_>) -> Cell {
    use rusqlite::types::ValueRef;
    match value {
        ValueRef::Integer(v) => Cell::Int(v),
        ValueRef::Text(t) => Cell::Text(String::from_utf8_lossy(t).into_owned()),
        _ => Cell::Null,
    }
}

fn sqlite_args(args: &[Cell]) -> Vec<rusqlite::types::Value> {
    args.iter()
        .map(|c| match c {
            Cell::Null => rusqlite::types::Value::Null,
            Cell::Int(n) => rusqlite::types::Value::Integer(*n),
            Cell::Text(t) => rusqlite::types::Value::Text(t.clone()),
        })
        .collect()
}

/// Rows of a SQLite query as cells.
pub fn sqlite_rows(conn: &rusqlite::Connection, sql: &str, args: &[Cell]) -> Result<Vec<Vec<Cell>>, StoreError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let n = stmt.column_count();
    let mut rows = stmt.query(rusqlite::params_from_iter(sqlite_args(args)))?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let mut cells = Vec::with_capacity(n);
        for i in 0..n {
            cells.push(sqlite_cell(row.get_ref(i)?));
        }
        out.push(cells);
    }
    Ok(out)
}

impl Sql for rusqlite::Connection {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn exec(&self, sql: &str, args: &[Cell]) -> Result<usize, StoreError> {
        Ok(self.prepare_cached(sql)?.execute(rusqlite::params_from_iter(sqlite_args(args)))?)
    }

    fn rows(&self, sql: &str, args: &[Cell]) -> Result<Vec<Vec<Cell>>, StoreError> {
        sqlite_rows(self, sql, args)
    }

    fn write(&self, f: &mut dyn FnMut(&dyn Sql) -> Result<(), StoreError>) -> Result<(), StoreError> {
        let tx = rusqlite::Transaction::new_unchecked(self, rusqlite::TransactionBehavior::Immediate)?;
        f(&*tx)?;
        tx.commit()?;
        Ok(())
    }
}

impl Sql for Store {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn exec(&self, sql: &str, args: &[Cell]) -> Result<usize, StoreError> {
        self.conn().exec(sql, args)
    }

    fn rows(&self, sql: &str, args: &[Cell]) -> Result<Vec<Vec<Cell>>, StoreError> {
        self.conn().rows(sql, args)
    }

    fn write(&self, f: &mut dyn FnMut(&dyn Sql) -> Result<(), StoreError>) -> Result<(), StoreError> {
        self.conn().write(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_that_fails_leaves_nothing_and_one_that_succeeds_commits() {
        let store = Store::open_in_memory().unwrap();
        store.exec("CREATE TABLE t (k TEXT PRIMARY KEY, n INTEGER NOT NULL)", &[]).unwrap();
        let failed = store.write(&mut |tx| {
            tx.exec("INSERT INTO t (k, n) VALUES (?1, 1)", &[text("甲")])?;
            Err(StoreError::Backend("stop".into()))
        });
        assert!(failed.is_err());
        assert!(store.rows("SELECT k FROM t", &[]).unwrap().is_empty());
        store
            .write(&mut |tx| {
                tx.exec("INSERT INTO t (k, n) VALUES (?1, ?2)", &[text("乙"), Cell::Int(2)])?;
                Ok(())
            })
            .unwrap();
        assert_eq!(store.rows("SELECT k, n FROM t", &[]).unwrap(), vec![vec![text("乙"), Cell::Int(2)]]);
        assert_eq!(row(&store, "SELECT n FROM t WHERE k = ?1", &[opt_text(None::<String>)]).unwrap(), None);
    }
}
