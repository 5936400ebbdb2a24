use std::fs;
use std::path::Path;

use super::{BlobError, BlobStore, FilesystemBlobStore, is_valid_sha256, is_valid_thumbnail_key};

/// SHA-256 of "hello world".
const HELLO_SHA256: &str = "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9";

fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

fn store_hello(store: &FilesystemBlobStore) -> String {
    let mut writer = store.begin().unwrap();
    writer.write(b"hello").unwrap();
    writer.write(b" world").unwrap();
    assert_eq!(writer.len(), 11);
    let info = writer.finish().unwrap();
    assert_eq!(info.size, 11);
    info.sha256
}

#[test]
fn round_trip() {
    let root = tempfile::tempdir().unwrap();
    let store = FilesystemBlobStore::open(root.path()).unwrap();
    let writer = store.begin().unwrap();
    assert!(writer.is_empty());
    drop(writer);
    assert_eq!(store_hello(&store), HELLO_SHA256);
    assert_eq!(store.read(HELLO_SHA256).unwrap().as_deref(), Some(&b"hello world"[..]));
    let path = root.path().join("blobs/b9/4d").join(HELLO_SHA256);
    assert_eq!(fs::read(path).unwrap(), b"hello world");
    assert!(files_under(&root.path().join("tmp")).is_empty());
}

#[test]
fn empty_blob() {
    let root = tempfile::tempdir().unwrap();
    let store = FilesystemBlobStore::open(root.path()).unwrap();
    let info = store.begin().unwrap().finish().unwrap();
    assert_eq!(info.sha256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_eq!(info.size, 0);
    assert_eq!(store.read(&info.sha256).unwrap(), Some(Vec::new()));
}

#[test]
fn missing_blob_reads_as_none() {
    let root = tempfile::tempdir().unwrap();
    let store = FilesystemBlobStore::open(root.path()).unwrap();
    assert_eq!(store.read(HELLO_SHA256).unwrap(), None);
    assert_eq!(store.read_thumbnail(HELLO_SHA256, "32x32-crop").unwrap(), None);
}

#[test]
fn identical_content_is_stored_once() {
    let root = tempfile::tempdir().unwrap();
    let store = FilesystemBlobStore::open(root.path()).unwrap();
    assert_eq!(store_hello(&store), HELLO_SHA256);
    assert_eq!(store_hello(&store), HELLO_SHA256);
    assert_eq!(files_under(&root.path().join("blobs")).len(), 1);
    assert!(files_under(&root.path().join("tmp")).is_empty());
}

#[test]
fn dropped_writer_leaves_nothing() {
    let root = tempfile::tempdir().unwrap();
    let store = FilesystemBlobStore::open(root.path()).unwrap();
    let mut writer = store.begin().unwrap();
    writer.write(&[7; 100_000]).unwrap();
    assert_eq!(files_under(&root.path().join("tmp")).len(), 1);
    drop(writer);
    assert!(files_under(&root.path().join("tmp")).is_empty());
    assert!(files_under(&root.path().join("blobs")).is_empty());
}

#[test]
fn open_removes_leftovers_from_a_crash() {
    let root = tempfile::tempdir().unwrap();
    let store = FilesystemBlobStore::open(root.path()).unwrap();
    let mut writer = store.begin().unwrap();
    writer.write(b"half an upload").unwrap();
    // A crash: the writer never runs its destructor.
    std::mem::forget(writer);
    fs::create_dir(root.path().join("tmp/stray-dir")).unwrap();
    fs::write(root.path().join("tmp/stray-dir/file"), b"x").unwrap();
    assert_eq!(files_under(&root.path().join("tmp")).len(), 2);
    assert_eq!(store_hello(&store), HELLO_SHA256);

    let store = FilesystemBlobStore::open(root.path()).unwrap();
    assert_eq!(fs::read_dir(root.path().join("tmp")).unwrap().count(), 0);
    assert_eq!(store.read(HELLO_SHA256).unwrap().as_deref(), Some(&b"hello world"[..]));
}

#[test]
fn invalid_hashes_are_rejected() {
    let root = tempfile::tempdir().unwrap();
    let store = FilesystemBlobStore::open(root.path()).unwrap();
    let upper = HELLO_SHA256.to_uppercase();
    let traversal = format!("../../{}", &HELLO_SHA256[6..]);
    for bad in ["", "abc", &upper, &traversal, &HELLO_SHA256[1..], &format!("{HELLO_SHA256}0"), &"g".repeat(64)] {
        assert!(!is_valid_sha256(bad), "{bad}");
        assert!(matches!(store.read(bad), Err(BlobError::InvalidHash)), "{bad}");
        assert!(matches!(store.delete(bad), Err(BlobError::InvalidHash)), "{bad}");
        assert!(matches!(store.read_thumbnail(bad, "32x32-crop"), Err(BlobError::InvalidHash)), "{bad}");
        assert!(matches!(store.write_thumbnail(bad, "32x32-crop", b"x"), Err(BlobError::InvalidHash)), "{bad}");
    }
    assert!(is_valid_sha256(HELLO_SHA256));
}

#[test]
fn invalid_keys_are_rejected() {
    let root = tempfile::tempdir().unwrap();
    let store = FilesystemBlobStore::open(root.path()).unwrap();
    store_hello(&store);
    for bad in ["", ".", "..", "../x", "a/b", "32X32-crop", "a.png", "a\0", &"a".repeat(65)] {
        assert!(!is_valid_thumbnail_key(bad), "{bad:?}");
        assert!(matches!(store.read_thumbnail(HELLO_SHA256, bad), Err(BlobError::InvalidKey)), "{bad:?}");
        assert!(matches!(store.write_thumbnail(HELLO_SHA256, bad, b"x"), Err(BlobError::InvalidKey)), "{bad:?}");
    }
    assert!(is_valid_thumbnail_key("800x600-scale"));
}

#[test]
fn thumbnails_round_trip_and_are_replaced_atomically() {
    let root = tempfile::tempdir().unwrap();
    let store = FilesystemBlobStore::open(root.path()).unwrap();
    store_hello(&store);
    store.write_thumbnail(HELLO_SHA256, "32x32-crop", b"first").unwrap();
    store.write_thumbnail(HELLO_SHA256, "32x32-crop", b"second").unwrap();
    store.write_thumbnail(HELLO_SHA256, "320x240-scale", b"other").unwrap();
    assert_eq!(store.read_thumbnail(HELLO_SHA256, "32x32-crop").unwrap().as_deref(), Some(&b"second"[..]));
    assert_eq!(store.read_thumbnail(HELLO_SHA256, "320x240-scale").unwrap().as_deref(), Some(&b"other"[..]));
    let path = root.path().join("thumbnails/b9/4d").join(HELLO_SHA256).join("32x32-crop");
    assert_eq!(fs::read(path).unwrap(), b"second");
    assert!(files_under(&root.path().join("tmp")).is_empty());
}

#[test]
fn thumbnails_need_their_blob() {
    let root = tempfile::tempdir().unwrap();
    let store = FilesystemBlobStore::open(root.path()).unwrap();
    assert!(matches!(store.write_thumbnail(HELLO_SHA256, "32x32-crop", b"x"), Err(BlobError::MissingBlob)));
    assert!(files_under(&root.path().join("thumbnails")).is_empty());
}

#[test]
fn delete_removes_the_blob_and_its_thumbnails() {
    let root = tempfile::tempdir().unwrap();
    let store = FilesystemBlobStore::open(root.path()).unwrap();
    store_hello(&store);
    let mut writer = store.begin().unwrap();
    writer.write(b"another").unwrap();
    let other = writer.finish().unwrap().sha256;
    store.write_thumbnail(HELLO_SHA256, "32x32-crop", b"thumb").unwrap();
    store.write_thumbnail(&other, "32x32-crop", b"thumb").unwrap();

    store.delete(HELLO_SHA256).unwrap();
    assert_eq!(store.read(HELLO_SHA256).unwrap(), None);
    assert_eq!(store.read_thumbnail(HELLO_SHA256, "32x32-crop").unwrap(), None);
    assert!(!root.path().join("thumbnails/b9/4d").join(HELLO_SHA256).exists());
    // Deleting again is fine, and other blobs are untouched.
    store.delete(HELLO_SHA256).unwrap();
    assert_eq!(store.read(&other).unwrap().as_deref(), Some(&b"another"[..]));
    assert_eq!(store.read_thumbnail(&other, "32x32-crop").unwrap().as_deref(), Some(&b"thumb"[..]));
}

#[test]
fn usable_as_a_trait_object() {
    let root = tempfile::tempdir().unwrap();
    let store: std::sync::Arc<dyn BlobStore> = std::sync::Arc::new(FilesystemBlobStore::open(root.path()).unwrap());
    let handle = std::thread::spawn(move || {
        let mut writer = store.begin().unwrap();
        writer.write(b"hello world").unwrap();
        writer.finish().unwrap()
    });
    assert_eq!(handle.join().unwrap().sha256, HELLO_SHA256);
}
