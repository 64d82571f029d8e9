//! Where the examples' files go, and how they are written: atomically, so a
//! reader who interrupts an example never finds half a figure in the book.

use std::fs;
use std::io::Write;
use std::path::Path;

/// The root of the project (where `Cargo.toml` and `book.toml` are).
pub const PROJECT_ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Writes `bytes` to `path` so that `path` either keeps its old content or
/// has the new content in full, even if the process is killed mid-write:
/// write a temporary file, flush it to disk, then rename it over `path`
/// (a rename within one filesystem is atomic).
///
/// The temporary file is staged in `target/.staging/`, not beside `path`,
/// so a run killed while writing leaves no stray file in the book's folders.
/// When `path` is on another filesystem (a rename cannot cross), it falls
/// back to a hidden temporary file beside `path`, removed on error.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), crate::Error> {
    let name = path.file_name().ok_or_else(|| crate::Error::Io {
        path: path.to_path_buf(),
        message: "not a file path".to_string(),
    })?;
    let unique = format!(".{}.{}.tmp", name.to_string_lossy(), std::process::id());
    let write_then_rename = |tmp: &Path| -> std::io::Result<()> {
        let result = (|| {
            let mut f = fs::File::create(tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
            fs::rename(tmp, path)
        })();
        if result.is_err() {
            let _ = fs::remove_file(tmp);
        }
        result
    };
    let staging = Path::new(PROJECT_ROOT).join("target/.staging");
    if fs::create_dir_all(&staging).is_ok() && write_then_rename(&staging.join(&unique)).is_ok() {
        return Ok(());
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    write_then_rename(&dir.join(&unique)).map_err(|e| crate::Error::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}
