//! Test helper: a fresh directory under `/tmp` for socket files, removed
//! with everything in it when dropped, also when a test panics (so a failing
//! test or mutant leaves nothing behind).

use std::sync::atomic::{AtomicU32, Ordering};

/// A directory of its own under `/tmp`.
pub struct TempDir(std::path::PathBuf);

impl TempDir {
    /// Creates `/tmp/dm-<tag>-<pid>-<n>-<nanos>`.
    pub fn new(tag: &str) -> TempDir {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let id = std::process::id();
        let dir = std::path::PathBuf::from(format!("/tmp/dm-{tag}-{id}-{n}-{nanos}"));
        std::fs::create_dir(&dir).unwrap();
        TempDir(dir)
    }

    /// The path of `name` in this directory, as bytes.
    pub fn path(&self, name: &str) -> Vec<u8> {
        self.0.join(name).into_os_string().into_encoded_bytes()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
