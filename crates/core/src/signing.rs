//! The shard's ed25519 signing key: generated on first start, kept in a 0600 file.

use std::{fs, io::Write, path::Path};

use ruma::signatures::Ed25519KeyPair;

use crate::{CoreError, Result};

/// Loads the key at `path`, creating it (and its directory) when absent.
pub fn load_or_create_signing_key(path: &Path) -> Result<Ed25519KeyPair> {
    let document = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => create_key_file(path)?,
        Err(e) => return Err(CoreError::Internal(format!("cannot read signing key {}: {e}", path.display()))),
    };
    let (version, der) = parse_key_file(&document)
        .ok_or_else(|| CoreError::Internal(format!("signing key file {} is malformed", path.display())))?;
    Ed25519KeyPair::from_der(&der, version)
        .map_err(|e| CoreError::Internal(format!("signing key {} is invalid: {e}", path.display())))
}

/// File format: `ed25519 <version> <base64 pkcs8>`, one line, like Synapse's key files.
fn parse_key_file(bytes: &[u8]) -> Option<(String, Vec<u8>)> {
    use base64::Engine;
    let text = std::str::from_utf8(bytes).ok()?;
    let mut parts = text.split_whitespace();
    (parts.next()? == "ed25519").then_some(())?;
    let version = parts.next()?.to_owned();
    let der = base64::engine::general_purpose::STANDARD.decode(parts.next()?).ok()?;
    Some((version, der))
}

fn create_key_file(path: &Path) -> Result<Vec<u8>> {
    use base64::Engine;
    let io_error = |e: std::io::Error| CoreError::Internal(format!("cannot write signing key {}: {e}", path.display()));
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(io_error)?;
    }
    let der = Ed25519KeyPair::generate();
    let version: String = {
        let bytes: [u8; 4] = rand::random();
        hex::encode(bytes)
    };
    let line = format!("ed25519 a_{version} {}\n", base64::engine::general_purpose::STANDARD.encode(&der));
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(io_error)?;
    file.write_all(line.as_bytes()).map_err(io_error)?;
    file.sync_all().map_err(io_error)?;
    Ok(line.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_created_private_and_reloaded() {
        let dir = std::env::temp_dir().join(format!("rempart-key-{}", hex::encode(rand::random::<[u8; 8]>())));
        let path = dir.join("signing.key");
        let first = load_or_create_signing_key(&path).unwrap();
        let second = load_or_create_signing_key(&path).unwrap();
        assert_eq!(first.public_key(), second.public_key());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        fs::remove_dir_all(dir).unwrap();
    }
}
