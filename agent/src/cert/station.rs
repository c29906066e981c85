//! The station's signing key on disk: `station.key` (PKCS#8 PEM, 0600) and `station.pub` (SPKI
//! PEM) in a key folder — created once, never overwritten, loaded by every command that signs.

use std::path::{Path, PathBuf};

use ed25519_dalek::SigningKey;

use super::sign;
use crate::sys::atomic::{self, AtomicWriteError};
use crate::sys::file::{self, FileError};
use crate::sys::random;

/// File name of the private key in the key folder.
pub const PRIVATE_KEY_FILE: &str = "station.key";
/// File name of the public key in the key folder.
pub const PUBLIC_KEY_FILE: &str = "station.pub";

/// Why the station key could not be created or loaded.
#[derive(Debug, thiserror::Error)]
pub enum StationKeyError {
    #[error("cannot read the station key")]
    Read(#[source] FileError),
    #[error("invalid station key {path}")]
    Invalid {
        path: PathBuf,
        #[source]
        source: sign::KeyError,
    },
    #[error("cannot create the key folder {path}")]
    Folder {
        path: PathBuf,
        #[source]
        source: AtomicWriteError,
    },
    #[error("a key already exists in {path}; refusing to overwrite it")]
    Exists { path: PathBuf },
    #[error("cannot write the station key into {path}")]
    Write {
        path: PathBuf,
        #[source]
        source: AtomicWriteError,
    },
}

/// Creates a new key pair in `dir` (created if missing). Refuses when either file exists.
pub fn create(dir: &Path) -> Result<SigningKey, StationKeyError> {
    atomic::ensure_dir(dir).map_err(|source| StationKeyError::Folder {
        path: dir.to_owned(),
        source,
    })?;
    for name in [PRIVATE_KEY_FILE, PUBLIC_KEY_FILE] {
        let path = dir.join(name);
        if file::exists(&path) {
            return Err(StationKeyError::Exists { path });
        }
    }
    let invalid = |source| StationKeyError::Invalid {
        path: dir.join(PRIVATE_KEY_FILE),
        source,
    };
    // The seed comes from the one OS random source (`sys::random`); from there the key is what
    // `reprise_cert::sign::generate` makes.
    let seed = random::bytes::<32>().map_err(|e| invalid(sign::KeyError::Random(e.to_string())))?;
    let key = SigningKey::from_bytes(&seed);
    let private = sign::private_key_pem(&key).map_err(invalid)?;
    let public = sign::public_key_pem(&key.verifying_key()).map_err(invalid)?;
    let write = |name: &str, bytes: &[u8], mode: u32| {
        atomic::write_new(dir, name, bytes, mode).map_err(|source| StationKeyError::Write {
            path: dir.join(name),
            source,
        })
    };
    // Private key first: a station.pub without its station.key would be useless.
    write(PRIVATE_KEY_FILE, private.as_bytes(), 0o600)?;
    write(PUBLIC_KEY_FILE, public.as_bytes(), 0o644)?;
    Ok(key)
}

/// Loads the private key of `dir`; `Ok(None)` when there is none yet.
pub fn load(dir: &Path) -> Result<Option<SigningKey>, StationKeyError> {
    let path = dir.join(PRIVATE_KEY_FILE);
    let Some(pem) = file::read_optional(&path).map_err(StationKeyError::Read)? else {
        return Ok(None);
    };
    sign::signing_key_from_pem(&pem, &path.display().to_string())
        .map(Some)
        .map_err(|source| StationKeyError::Invalid { path, source })
}

/// Loads the station key of `dir`, or creates it (first boot of a fresh stick). Returns the key
/// and whether it was just created.
pub fn load_or_create(dir: &Path) -> Result<(SigningKey, bool), StationKeyError> {
    match load(dir)? {
        Some(key) => Ok((key, false)),
        None => create(dir).map(|k| (k, true)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_once_loaded_after() {
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("keys");
        assert!(load(&keys).unwrap().is_none());
        let (k1, created) = load_or_create(&keys).unwrap();
        assert!(created);
        let (k2, created) = load_or_create(&keys).unwrap();
        assert!(!created);
        assert_eq!(k1.to_bytes(), k2.to_bytes());
        assert!(matches!(create(&keys), Err(StationKeyError::Exists { .. })));
        let pem = keys.join(PRIVATE_KEY_FILE);
        std::fs::remove_file(&pem).unwrap();
        std::fs::write(&pem, "garbage").unwrap();
        assert!(matches!(load(&keys), Err(StationKeyError::Invalid { .. })));
    }
}
