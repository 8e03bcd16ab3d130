//! Data folders: creating them private, and opening only real wuye folders.

use std::path::{Path, PathBuf};

use crate::store::{Store, StoreError};

/// Why a data folder could not be created or opened.
#[derive(Debug, thiserror::Error)]
pub enum FolderError {
    /// `init` found files already there.
    #[error("{0} already holds files; choose a new or empty folder (nothing was changed)")]
    NotEmpty(PathBuf),
    /// The folder does not exist or holds no database.
    #[error("{path} is not a wuye {role} folder: run `{init}` first, or check --data")]
    NotInitialised {
        /// The folder.
        path: PathBuf,
        /// agent or server.
        role: &'static str,
        /// The command that creates one.
        init: &'static str,
    },
    /// The folder belongs to the other program.
    #[error("{path} is a wuye {found} folder, not a {role} folder: check --data")]
    WrongRole {
        /// The folder.
        path: PathBuf,
        /// What it is.
        found: String,
        /// What was expected.
        role: &'static str,
    },
    /// The file system refused.
    #[error("cannot use {path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The failure.
        source: std::io::Error,
    },
    /// The database file is damaged (a copy taken while it was being written, say).
    #[error(
        "{path} is damaged ({detail}): it may be a copy taken while the database was being written; \
         restore the folder from a copy made with the backup command; nothing was written"
    )]
    Damaged {
        /// The database file.
        path: PathBuf,
        /// What SQLite found.
        detail: String,
    },
    /// A backup would overwrite a file.
    #[error("{0} already exists: give a new file name for the backup (nothing was written)")]
    Exists(PathBuf),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The setting holding the identity of the file the database was last
/// checked in (device and inode): a file copied or restored by hand has
/// another, and is checked whole before it is used.
pub const FILE_IDENTITY_KEY: &str = "file_identity";

#[cfg(unix)]
fn file_identity(path: &Path) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| format!("{}:{}", m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn file_identity(_path: &Path) -> Option<String> {
    None
}

/// Checks the whole database (`PRAGMA quick_check`) when its file is not the
/// one last checked (copied or restored by hand), and notes the file once it
/// passes; a damaged file is refused before anything is written to it.
fn check_copied(store: &Store, db: &Path) -> Result<(), FolderError> {
    let Some(identity) = file_identity(db) else { return Ok(()) };
    if store.setting(FILE_IDENTITY_KEY)?.as_deref() == Some(identity.as_str()) {
        return Ok(());
    }
    let verdict =
        store.quick_check().map_err(|e| FolderError::Damaged { path: db.to_path_buf(), detail: e.to_string() })?;
    if verdict != "ok" {
        return Err(FolderError::Damaged { path: db.to_path_buf(), detail: verdict });
    }
    store.set_setting(FILE_IDENTITY_KEY, &identity)?;
    Ok(())
}

fn damaged_or(db: &Path, e: StoreError) -> FolderError {
    match &e {
        StoreError::Sqlite(rusqlite::Error::SqliteFailure(f, _))
            if matches!(f.code, rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase) =>
        {
            FolderError::Damaged { path: db.to_path_buf(), detail: e.to_string() }
        }
        _ => FolderError::Store(e),
    }
}

/// Writes a consistent copy of `store`'s database to `to`, a new file
/// readable by its owner only, while the program may go on using it.
pub fn backup(store: &Store, to: &Path) -> Result<(), FolderError> {
    if to.exists() {
        return Err(FolderError::Exists(to.to_path_buf()));
    }
    store.backup_to(to)?;
    restrict(to, 0o600)
}

/// Makes `dir` (which must be new or empty) a folder of `role` from a backup
/// file: the file is checked whole and must be a `role` database; the live
/// folder is never overwritten.
pub fn restore(
    from: &Path,
    dir: &Path,
    db_file: &str,
    role: &'static str,
    init: &'static str,
) -> Result<Store, FolderError> {
    if dir.exists() && std::fs::read_dir(dir).map_err(io(dir))?.next().is_some() {
        return Err(FolderError::NotEmpty(dir.to_path_buf()));
    }
    if !from.is_file() {
        return Err(FolderError::Io {
            path: from.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such backup file"),
        });
    }
    {
        // Checked where it lies, read-only, before anything is made.
        let copy = Store::open_snapshot(from).map_err(|e| damaged_or(from, e))?;
        let verdict = copy.quick_check().map_err(|e| damaged_or(from, e))?;
        if verdict != "ok" {
            return Err(FolderError::Damaged { path: from.to_path_buf(), detail: verdict });
        }
        match copy.setting(ROLE_KEY).map_err(|e| damaged_or(from, e))? {
            Some(found) if found == role => {}
            Some(found) => return Err(FolderError::WrongRole { path: from.to_path_buf(), found, role }),
            None => return Err(FolderError::NotInitialised { path: from.to_path_buf(), role, init }),
        }
    }
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    restrict(dir, 0o700)?;
    let db = dir.join(db_file);
    std::fs::copy(from, &db).map_err(io(&db))?;
    restrict(&db, 0o600)?;
    open(dir, db_file, role, init)
}

/// The setting that marks which program a folder belongs to.
pub const ROLE_KEY: &str = "role";

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> FolderError + '_ {
    move |source| FolderError::Io { path: path.to_path_buf(), source }
}

/// Creates `dir` (owner-only) and a new store in it, refusing a folder that holds anything.
pub fn create(dir: &Path, db_file: &str, role: &'static str) -> Result<Store, FolderError> {
    let db = dir.join(db_file);
    if dir.exists() && std::fs::read_dir(dir).map_err(io(dir))?.next().is_some() {
        return Err(FolderError::NotEmpty(dir.to_path_buf()));
    }
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    restrict(dir, 0o700)?;
    let store = Store::open(&db)?;
    restrict(&db, 0o600)?;
    store.set_setting(ROLE_KEY, role)?;
    if let Some(identity) = file_identity(&db) {
        store.set_setting(FILE_IDENTITY_KEY, &identity)?;
    }
    Ok(store)
}

/// Opens the store of an existing folder of the given role.
pub fn open(dir: &Path, db_file: &str, role: &'static str, init: &'static str) -> Result<Store, FolderError> {
    let db = dir.join(db_file);
    if !db.is_file() {
        return Err(FolderError::NotInitialised { path: dir.to_path_buf(), role, init });
    }
    for warning in loose_permissions(dir, db_file) {
        tracing::warn!("{warning}");
    }
    let opened = match Store::open_existing(&db) {
        Err(StoreError::Sqlite(e)) if Store::is_storage_failure(&e) && disk_full(dir) => {
            tracing::warn!(
                "the disk holding {} is full: showing what was saved; nothing can be saved until space is freed",
                dir.display()
            );
            Some(Store::open_snapshot(&db)?)
        }
        other => other.map_err(|e| damaged_or(&db, e))?,
    };
    let Some(store) = opened else {
        return Err(FolderError::NotInitialised { path: dir.to_path_buf(), role, init });
    };
    match store.setting(ROLE_KEY).map_err(|e| damaged_or(&db, e))? {
        Some(found) if found == role => {
            if !store.is_snapshot() {
                check_copied(&store, &db)?;
            }
            Ok(store)
        }
        Some(found) => Err(FolderError::WrongRole { path: dir.to_path_buf(), found, role }),
        None => Err(FolderError::NotInitialised { path: dir.to_path_buf(), role, init }),
    }
}

/// Free space below which a folder's disk counts as full: SQLite needs room
/// for its shared-memory file (32 KiB) and log pages to do anything.
pub const FULL_BELOW_BYTES: u64 = 1024 * 1024;

/// Bytes an ordinary program may still write on the file system holding
/// `dir`, where the system tells.
#[cfg(unix)]
pub fn free_bytes(dir: &Path) -> Option<u64> {
    let stat = rustix::fs::statvfs(dir).ok()?;
    Some(stat.f_bavail.saturating_mul(stat.f_frsize))
}

/// Bytes free on the disk holding `dir`: not known on this system.
#[cfg(not(unix))]
pub fn free_bytes(_dir: &Path) -> Option<u64> {
    None
}

/// Whether the disk holding `dir` is (nearly) full.
pub fn disk_full(dir: &Path) -> bool {
    free_bytes(dir).is_some_and(|free| free < FULL_BELOW_BYTES)
}

/// The words for an error that a full disk caused, if one did: a storage
/// failure found anywhere in `chain` while the disk holding `dir` is full.
pub fn disk_full_message<'a>(
    mut chain: impl Iterator<Item = &'a (dyn std::error::Error + 'static)>,
    dir: &Path,
) -> Option<String> {
    let storage = chain.any(|e| e.downcast_ref::<rusqlite::Error>().is_some_and(Store::is_storage_failure));
    (storage && disk_full(dir))
        .then(|| format!("the disk holding {} is full: free space and try again; nothing was saved", dir.display()))
}

/// Warnings for a folder, or database files in it, that others than the owner
/// may read: residents' personal data lives there.
#[cfg(unix)]
pub fn loose_permissions(dir: &Path, db_file: &str) -> Vec<String> {
    use std::os::unix::fs::PermissionsExt;
    let mut out = Vec::new();
    let mut check = |path: &Path, want: u32| {
        if let Ok(meta) = std::fs::metadata(path) {
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                out.push(format!(
                    "{} can be read by users other than its owner (mode {mode:o}): it holds residents' personal data; run `chmod {want:o} {}`",
                    path.display(),
                    path.display()
                ));
            }
        }
    };
    check(dir, 0o700);
    for suffix in ["", "-wal", "-shm"] {
        check(&dir.join(format!("{db_file}{suffix}")), 0o600);
    }
    out
}

/// Permissions are not checked off Unix.
#[cfg(not(unix))]
pub fn loose_permissions(_dir: &Path, _db_file: &str) -> Vec<String> {
    Vec::new()
}

/// Writes a file readable by its owner only.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), FolderError> {
    std::fs::write(path, bytes).map_err(io(path))?;
    restrict(path, 0o600)
}

/// Sets a path's permissions (owner-only folders and files).
#[cfg(unix)]
pub fn restrict(path: &Path, mode: u32) -> Result<(), FolderError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(io(path))
}

/// Sets a path's permissions (nothing to do off Unix).
#[cfg(not(unix))]
pub fn restrict(_path: &Path, _mode: u32) -> Result<(), FolderError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_refuses_a_folder_with_files_and_open_refuses_the_wrong_kind() {
        let dir = std::env::temp_dir().join(format!("wuye-folder-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        create(&dir, "agent.db", "agent").unwrap();
        assert!(matches!(create(&dir, "agent.db", "agent"), Err(FolderError::NotEmpty(_))));
        assert!(matches!(open(&dir, "agent.db", "server", "x"), Err(FolderError::WrongRole { .. })));
        assert!(matches!(open(&dir, "server.db", "server", "x"), Err(FolderError::NotInitialised { .. })));
        open(&dir, "agent.db", "agent", "x").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o700);
            assert!(loose_permissions(&dir, "x.db").is_empty());
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
            let warnings = loose_permissions(&dir, "x.db");
            assert_eq!(warnings.len(), 1, "{warnings:?}");
            assert!(warnings[0].contains("mode 755") && warnings[0].contains("chmod 700"), "{warnings:?}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
