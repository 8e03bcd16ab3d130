//! One migration scheme for every local table, on both sides: each component
//! (the record store, head office's sites, the site's sign-ins) lists its
//! steps in order; the steps not yet applied run once, at open, in one
//! transaction, and the version reached is kept in `schema_versions`. A
//! database that needs nothing is opened without writing.
//!
//! Every step is idempotent (`CREATE … IF NOT EXISTS`, a column added only
//! when absent), so a database made before this scheme is adopted by running
//! its steps again.

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior};

use crate::store::error::StoreError;

/// One step of a component's layout.
#[derive(Clone, Copy)]
pub enum Step {
    /// Statements run as they are.
    Sql(&'static str),
    /// Columns (name, type) added to a table where they are missing.
    AddColumns {
        /// The table.
        table: &'static str,
        /// The columns.
        columns: &'static [(&'static str, &'static str)],
    },
    /// Work done in code inside the migration's transaction (rebuilding
    /// derived rows from the documents, say).
    Run(fn(&Transaction<'_>) -> Result<(), StoreError>),
}

impl Step {
    fn run(&self, tx: &Transaction<'_>) -> Result<(), StoreError> {
        match self {
            Step::Sql(sql) => tx.execute_batch(sql)?,
            Step::Run(work) => work(tx)?,
            Step::AddColumns { table, columns } => {
                for (column, kind) in *columns {
                    let present: bool = tx.query_row(
                        "SELECT EXISTS (SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2)",
                        [table, column],
                        |r| r.get(0),
                    )?;
                    if !present {
                        tx.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column} {kind}"))?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// The version `component` has reached in this database (0: none yet).
pub fn version(conn: &Connection, component: &str) -> Result<usize, StoreError> {
    let exists: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_versions')",
        [],
        |r| r.get(0),
    )?;
    if !exists {
        return Ok(0);
    }
    let v: Option<i64> = conn
        .query_row("SELECT version FROM schema_versions WHERE component = ?1", [component], |r| r.get(0))
        .optional()?;
    Ok(v.unwrap_or(0).max(0) as usize)
}

/// Brings `component` up to the last of its `steps` on the database `conn`
/// (a store's connection); refuses a database a newer build has taken further.
pub fn apply(conn: &Connection, component: &'static str, steps: &[Step]) -> Result<(), StoreError> {
    let known = steps.len();
    let reached = version(conn, component)?;
    if reached == known {
        return Ok(());
    }
    if reached > known {
        return Err(StoreError::LayoutTooNew { component, version: reached, known });
    }
    let tx = Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_versions (component TEXT PRIMARY KEY, version INTEGER NOT NULL)",
    )?;
    // Read again under the write lock: another process may have done it meanwhile.
    let reached = version(&tx, component)?;
    if reached > known {
        return Err(StoreError::LayoutTooNew { component, version: reached, known });
    }
    for step in &steps[reached..] {
        step.run(&tx)?;
    }
    tx.execute(
        "INSERT INTO schema_versions (component, version) VALUES (?1, ?2)
         ON CONFLICT (component) DO UPDATE SET version = excluded.version",
        rusqlite::params![component, known as i64],
    )?;
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const STEPS: [Step; 2] = [
        Step::Sql("CREATE TABLE IF NOT EXISTS things (id TEXT PRIMARY KEY)"),
        Step::AddColumns { table: "things", columns: &[("colour", "TEXT"), ("size", "INTEGER")] },
    ];

    #[test]
    fn steps_run_once_in_order_and_a_database_made_before_them_is_adopted() {
        let store = Connection::open_in_memory().unwrap();
        apply(&store, "things", &STEPS[..1]).unwrap();
        assert_eq!(version(&store, "things").unwrap(), 1);
        apply(&store, "things", &STEPS).unwrap();
        apply(&store, "things", &STEPS).unwrap();
        assert_eq!(version(&store, "things").unwrap(), 2);
        store.execute("INSERT INTO things (id, colour, size) VALUES ('a', 'red', 3)", []).unwrap();

        // Made by hand before the scheme: the same steps adopt it, nothing is lost.
        let old = Connection::open_in_memory().unwrap();
        old.execute_batch(
            "CREATE TABLE things (id TEXT PRIMARY KEY, colour TEXT); INSERT INTO things VALUES ('b', 'blue');",
        )
        .unwrap();
        apply(&old, "things", &STEPS).unwrap();
        let row: (String, Option<i64>) =
            old.query_row("SELECT colour, size FROM things", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
        assert_eq!(row, ("blue".to_string(), None));

        let e = apply(&store, "things", &STEPS[..1]).unwrap_err().to_string();
        assert!(e.contains("newer"), "{e}");
    }
}
