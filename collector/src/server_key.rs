//! The collector's own signing key: it signs its answers to the stations' hellos
//! (`reprise_cert::exchange`), so that a station believes only this server about its time and
//! about whether its certificates have a home here.
//!
//! Generated once, the first time `serve` or `server-key` needs it, and kept beside the database
//! (`<SQLite file>.server-key`; a PostgreSQL database has no "beside", so `--server-key PATH` is
//! required there). PKCS#8 PEM, mode 0600, written to a temporary file and linked into place
//! without replacing anything: two collectors starting at once end up with the same key. A key
//! file that exists but cannot be read is an error, never a reason to make a new key — every
//! stick that pinned the old one would refuse the server.

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

use ed25519_dalek::SigningKey;

/// Why the server key could not be had.
#[derive(Debug, thiserror::Error)]
pub enum ServerKeyError {
    #[error(
        "a PostgreSQL database has no folder to keep the server key beside it: give \
         --server-key PATH (a file on this machine, created on first use)"
    )]
    NoDefault,
    #[error("cannot read the server key {path}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the server key {path} is not a PKCS#8 Ed25519 key (not replaced: stations pinned it)")]
    Decode {
        path: PathBuf,
        #[source]
        source: reprise_cert::sign::KeyError,
    },
    #[error("cannot create the server key {path}")]
    Create {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot make a server key")]
    Generate(#[source] reprise_cert::sign::KeyError),
}

/// The server key and its fingerprint.
#[derive(Clone)]
pub struct ServerKey {
    pub key: SigningKey,
    /// `sha256:<hex>` of the raw public key: what `reprise.server-key=` pins.
    pub key_id: String,
    pub path: PathBuf,
}

impl std::fmt::Debug for ServerKey {
    // Never the private key, even in a debug print.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerKey")
            .field("key_id", &self.key_id)
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// Where the key of database `db` lives: `explicit` when given, else beside a SQLite file.
pub fn path_for(db: &str, explicit: Option<&Path>) -> Result<PathBuf, ServerKeyError> {
    if let Some(p) = explicit {
        return Ok(p.to_owned());
    }
    if db.starts_with("postgres://") || db.starts_with("postgresql://") {
        return Err(ServerKeyError::NoDefault);
    }
    let mut name = PathBuf::from(db).into_os_string();
    name.push(".server-key");
    Ok(PathBuf::from(name))
}

/// The key at `path`, created there when there is none yet; whether it was just created.
pub fn load_or_create(path: &Path) -> Result<(ServerKey, bool), ServerKeyError> {
    if let Some(k) = load(path)? {
        return Ok((k, false));
    }
    let key = reprise_cert::sign::generate().map_err(ServerKeyError::Generate)?;
    let pem = reprise_cert::sign::private_key_pem(&key).map_err(ServerKeyError::Generate)?;
    let create = |source| ServerKeyError::Create {
        path: path.to_owned(),
        source,
    };
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map_or_else(|| "server-key".into(), |n| n.to_string_lossy().into_owned());
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temp)
        .and_then(|mut f| {
            f.write_all(pem.as_bytes())?;
            f.sync_all()
        });
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(create(e));
    }
    // A link never replaces: if another collector made its key meanwhile, that one is kept.
    let linked = std::fs::hard_link(&temp, path);
    let _ = std::fs::remove_file(&temp);
    match linked {
        Ok(()) => {
            if let Ok(d) = std::fs::File::open(dir) {
                let _ = d.sync_all();
            }
            Ok((
                ServerKey {
                    key_id: reprise_cert::sign::key_id(&key.verifying_key()),
                    key,
                    path: path.to_owned(),
                },
                true,
            ))
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let k = load(path)?.ok_or_else(|| create(e))?;
            Ok((k, false))
        }
        Err(e) => Err(create(e)),
    }
}

/// The key at `path`, `None` when there is no file.
fn load(path: &Path) -> Result<Option<ServerKey>, ServerKeyError> {
    let pem = match std::fs::read_to_string(path) {
        Ok(p) => p,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(ServerKeyError::Read {
                path: path.to_owned(),
                source,
            });
        }
    };
    let key = reprise_cert::sign::signing_key_from_pem(&pem, &path.display().to_string()).map_err(
        |source| ServerKeyError::Decode {
            path: path.to_owned(),
            source,
        },
    )?;
    Ok(Some(ServerKey {
        key_id: reprise_cert::sign::key_id(&key.verifying_key()),
        key,
        path: path.to_owned(),
    }))
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    #[test]
    fn made_once_then_the_same_key_every_time() {
        let dir = tempfile::tempdir().unwrap();
        let path = path_for(dir.path().join("atelier.db").to_str().unwrap(), None).unwrap();
        assert_eq!(path, dir.path().join("atelier.db.server-key"));
        let (first, created) = load_or_create(&path).unwrap();
        assert!(created);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let (again, created) = load_or_create(&path).unwrap();
        assert!(!created);
        assert_eq!(again.key_id, first.key_id);
        assert!(reprise_cert::exchange::is_key_id(&first.key_id));
        // No temporary file left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_damaged_key_is_an_error_and_is_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        std::fs::write(&path, "not a key").unwrap();
        let e = load_or_create(&path).unwrap_err();
        assert!(matches!(e, ServerKeyError::Decode { .. }), "{e}");
        assert!(e.to_string().contains(path.to_str().unwrap()), "{e}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "not a key");
    }

    #[test]
    fn postgres_needs_a_path() {
        assert!(matches!(
            path_for("postgres://u@h/db", None),
            Err(ServerKeyError::NoDefault)
        ));
        assert_eq!(
            path_for("postgres://u@h/db", Some(Path::new("/etc/k"))).unwrap(),
            PathBuf::from("/etc/k")
        );
    }
}
