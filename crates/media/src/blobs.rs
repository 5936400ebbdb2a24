//! Content-addressed storage of media files and their cached thumbnails, behind a small trait so that an
//! S3-compatible object store can be added later beside the file system.
//!
//! Methods block: callers run them with `spawn_blocking`, except [`BlobWriter::write`], which stays cheap (a
//! buffered file write). Blobs are named by the SHA-256 of their content, so identical uploads are stored once;
//! deciding when a blob is no longer referenced is the caller's business.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// Why a blob operation failed.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// The file system failed.
    #[error("blob storage I/O error: {0}")]
    Io(#[from] io::Error),
    /// A hash argument is not 64 lowercase hexadecimal characters.
    #[error("invalid blob hash")]
    InvalidHash,
    /// A thumbnail key has characters other than `[a-z0-9-]`, or is empty or too long.
    #[error("invalid thumbnail key")]
    InvalidKey,
    /// A thumbnail was written for a blob that does not exist (any more).
    #[error("no blob with this hash")]
    MissingBlob,
}

/// What identifies a stored blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobInfo {
    /// Lowercase hex SHA-256 of the content.
    pub sha256: String,
    /// Size of the content in bytes.
    pub size: u64,
}

/// Where blobs and their thumbnails are kept.
pub trait BlobStore: Send + Sync + 'static {
    /// Starts writing a new blob into a temporary place.
    fn begin(&self) -> Result<Box<dyn BlobWriter>, BlobError>;
    /// The content, or None if no blob has this hash.
    fn read(&self, sha256: &str) -> Result<Option<Vec<u8>>, BlobError>;
    /// The content opened for reading, with its length, or None if no blob has this hash: a
    /// download streams it instead of holding it whole in memory.
    fn open(&self, sha256: &str) -> Result<Option<(File, u64)>, BlobError>;
    /// Removes a blob and its cached thumbnails; absent is not an error.
    fn delete(&self, sha256: &str) -> Result<(), BlobError>;
    /// A cached thumbnail of a blob (key = `Size::cache_key()`).
    fn read_thumbnail(&self, sha256: &str, key: &str) -> Result<Option<Vec<u8>>, BlobError>;
    /// Caches a thumbnail of an existing blob (atomically: temp file then rename).
    fn write_thumbnail(&self, sha256: &str, key: &str, bytes: &[u8]) -> Result<(), BlobError>;
}

/// A blob being written. Dropping it unfinished discards what was written.
pub trait BlobWriter: Send {
    /// Appends bytes (hashing as it goes).
    fn write(&mut self, chunk: &[u8]) -> Result<(), BlobError>;
    /// Number of bytes written so far.
    fn len(&self) -> u64;
    /// Whether nothing has been written yet.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Makes the blob durable and visible under its hash (if a blob with the same hash already exists, it is kept:
    /// identical uploads are stored once). Returns the hash and size.
    fn finish(self: Box<Self>) -> Result<BlobInfo, BlobError>;
}

/// Whether `sha256` is 64 lowercase hex characters: the only strings that become blob paths.
pub fn is_valid_sha256(sha256: &str) -> bool {
    sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Whether `key` can name a cached thumbnail: 1..=64 characters of `[a-z0-9-]` (so never `.` or `..`).
pub fn is_valid_thumbnail_key(key: &str) -> bool {
    (1..=64).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn check_sha256(sha256: &str) -> Result<(), BlobError> {
    if is_valid_sha256(sha256) { Ok(()) } else { Err(BlobError::InvalidHash) }
}

/// Reads a whole file, None if it does not exist.
fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, BlobError> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error.into()),
    }
}

/// Makes a rename or a newly created entry in `dir` durable.
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Creates `base/a/b/...` one level at a time, syncing each parent that gained an entry, so that a blob renamed
/// into the last directory survives a crash along with the directories leading to it.
fn create_dirs_durably(base: &Path, components: &[&str]) -> io::Result<PathBuf> {
    let mut dir = base.to_path_buf();
    for component in components {
        let parent = dir.clone();
        dir.push(component);
        match fs::create_dir(&dir) {
            Ok(()) => sync_dir(&parent)?,
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
            Err(error) => return Err(error),
        }
    }
    Ok(dir)
}

/// A name for a temporary file that no other writer will pick.
fn temp_name(prefix: &str) -> String {
    format!("{prefix}-{}", hex::encode(rand::random::<[u8; 16]>()))
}

/// Writes `bytes` to a new temporary file in `tmp`, synced, and returns its path.
fn write_temp(tmp: &Path, prefix: &str, bytes: &[u8]) -> io::Result<PathBuf> {
    let path = tmp.join(temp_name(prefix));
    let result = (|| {
        let mut file = OpenOptions::new().write(true).create_new(true).open(&path)?;
        file.write_all(bytes)?;
        file.sync_all()
    })();
    match result {
        Ok(()) => Ok(path),
        Err(error) => {
            let _ = fs::remove_file(&path);
            Err(error)
        }
    }
}

/// Files under a root directory: blobs at `blobs/ab/cd/<sha256>`, thumbnails at
/// `thumbnails/ab/cd/<sha256>/<key>`, temporary files in `tmp/`. Paths are built only from validated hashes and
/// keys, so nothing is read or written outside the root. One store per root: `open` clears `tmp/`, which would
/// destroy the uploads in progress of another process sharing it.
#[derive(Debug)]
pub struct FilesystemBlobStore {
    blobs: PathBuf,
    thumbnails: PathBuf,
    tmp: PathBuf,
}

impl FilesystemBlobStore {
    /// Creates the directories, and removes leftovers in `tmp/` from a crash (a crash mid-upload leaves no
    /// visible half-file: blobs only appear by rename once complete).
    pub fn open(root: &Path) -> Result<Self, BlobError> {
        let store = Self { blobs: root.join("blobs"), thumbnails: root.join("thumbnails"), tmp: root.join("tmp") };
        for dir in [root, &store.blobs, &store.thumbnails, &store.tmp] {
            fs::create_dir_all(dir)?;
        }
        for entry in fs::read_dir(&store.tmp)? {
            let entry = entry?;
            if entry.file_type()?.is_dir() {
                fs::remove_dir_all(entry.path())?;
            } else {
                fs::remove_file(entry.path())?;
            }
        }
        Ok(store)
    }

    /// `blobs/ab/cd/<sha256>`, for a validated hash.
    fn blob_path(&self, sha256: &str) -> PathBuf {
        self.blobs.join(&sha256[0..2]).join(&sha256[2..4]).join(sha256)
    }

    /// `thumbnails/ab/cd/<sha256>`, for a validated hash.
    fn thumbnail_dir(&self, sha256: &str) -> PathBuf {
        self.thumbnails.join(&sha256[0..2]).join(&sha256[2..4]).join(sha256)
    }

    /// The thumbnail's path, after validating both parts.
    fn thumbnail_path(&self, sha256: &str, key: &str) -> Result<PathBuf, BlobError> {
        check_sha256(sha256)?;
        if !is_valid_thumbnail_key(key) {
            return Err(BlobError::InvalidKey);
        }
        Ok(self.thumbnail_dir(sha256).join(key))
    }
}

impl BlobStore for FilesystemBlobStore {
    fn begin(&self) -> Result<Box<dyn BlobWriter>, BlobError> {
        let path = self.tmp.join(temp_name("upload"));
        let file = OpenOptions::new().write(true).create_new(true).open(&path)?;
        Ok(Box::new(FilesystemBlobWriter {
            file: Some(BufWriter::new(file)),
            temp_path: path,
            blobs: self.blobs.clone(),
            hasher: Sha256::new(),
            len: 0,
        }))
    }

    fn read(&self, sha256: &str) -> Result<Option<Vec<u8>>, BlobError> {
        check_sha256(sha256)?;
        read_optional(&self.blob_path(sha256))
    }

    fn open(&self, sha256: &str) -> Result<Option<(File, u64)>, BlobError> {
        check_sha256(sha256)?;
        let file = match File::open(self.blob_path(sha256)) {
            Ok(file) => file,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(error.into()),
        };
        let len = file.metadata()?.len();
        Ok(Some((file, len)))
    }

    fn delete(&self, sha256: &str) -> Result<(), BlobError> {
        check_sha256(sha256)?;
        // Thumbnails first: a crash in between leaves a blob without thumbnails, which regenerates them, rather
        // than thumbnails nothing would ever delete.
        match fs::remove_dir_all(self.thumbnail_dir(sha256)) {
            Err(error) if error.kind() != io::ErrorKind::NotFound => return Err(error.into()),
            _ => {}
        }
        match fs::remove_file(self.blob_path(sha256)) {
            Err(error) if error.kind() != io::ErrorKind::NotFound => Err(error.into()),
            _ => Ok(()),
        }
    }

    fn read_thumbnail(&self, sha256: &str, key: &str) -> Result<Option<Vec<u8>>, BlobError> {
        read_optional(&self.thumbnail_path(sha256, key)?)
    }

    fn write_thumbnail(&self, sha256: &str, key: &str, bytes: &[u8]) -> Result<(), BlobError> {
        let path = self.thumbnail_path(sha256, key)?;
        if !self.blob_path(sha256).exists() {
            return Err(BlobError::MissingBlob);
        }
        let dir = create_dirs_durably(&self.thumbnails, &[&sha256[0..2], &sha256[2..4], sha256])?;
        // Synced before the rename: a crash must not leave a truncated thumbnail that would be served forever.
        let temp = write_temp(&self.tmp, "thumbnail", bytes)?;
        if let Err(error) = fs::rename(&temp, &path) {
            let _ = fs::remove_file(&temp);
            return Err(error.into());
        }
        sync_dir(&dir)?;
        Ok(())
    }
}

/// A blob being written to `tmp/`; see [`BlobWriter`].
struct FilesystemBlobWriter {
    /// None once the file has been closed by `finish`.
    file: Option<BufWriter<File>>,
    /// Set to an empty path once the temporary file no longer exists, so that `drop` leaves it alone.
    temp_path: PathBuf,
    blobs: PathBuf,
    hasher: Sha256,
    len: u64,
}

impl FilesystemBlobWriter {
    /// Syncs the content and moves it to its content address, returning the hash.
    fn commit(&mut self) -> Result<String, BlobError> {
        let file = self.file.take().ok_or_else(|| io::Error::other("blob writer already finished"))?;
        let file = file.into_inner().map_err(io::IntoInnerError::into_error)?;
        file.sync_all()?;
        drop(file);
        let sha256 = hex::encode(std::mem::take(&mut self.hasher).finalize());
        let dir = create_dirs_durably(&self.blobs, &[&sha256[0..2], &sha256[2..4]])?;
        let target = dir.join(&sha256);
        if target.exists() {
            // Identical content is already stored; the copy is dropped by `drop`.
            return Ok(sha256);
        }
        fs::rename(&self.temp_path, &target)?;
        self.temp_path = PathBuf::new();
        sync_dir(&dir)?;
        Ok(sha256)
    }
}

impl BlobWriter for FilesystemBlobWriter {
    fn write(&mut self, chunk: &[u8]) -> Result<(), BlobError> {
        let file = self.file.as_mut().ok_or_else(|| io::Error::other("blob writer already finished"))?;
        file.write_all(chunk)?;
        self.hasher.update(chunk);
        self.len += chunk.len() as u64;
        Ok(())
    }

    fn len(&self) -> u64 {
        self.len
    }

    fn finish(mut self: Box<Self>) -> Result<BlobInfo, BlobError> {
        let sha256 = self.commit()?;
        Ok(BlobInfo { sha256, size: self.len })
    }
}

impl Drop for FilesystemBlobWriter {
    fn drop(&mut self) {
        // Close before removing; a failure here only leaves a file that the next `open` removes.
        drop(self.file.take());
        if !self.temp_path.as_os_str().is_empty() {
            let _ = fs::remove_file(&self.temp_path);
        }
    }
}

#[cfg(test)]
mod tests;
