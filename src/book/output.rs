//! Where the examples' files go, and how they are written: atomically, so a
//! reader who interrupts an example never finds half a figure in the book.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// The root of the project (where `Cargo.toml` and `book.toml` are).
pub const PROJECT_ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The folder [`write_atomic`] stages its temporary files in.
pub fn staging_dir() -> PathBuf {
    Path::new(PROJECT_ROOT).join("target/.staging")
}

/// Age after which a temporary file is stale whatever its process: no
/// single write takes this long.
const STALE_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

/// Removes from `dir` the temporary files of [`write_atomic`]
/// (`.NAME.PID.tmp`) that a run killed mid-write (`kill -9`, a power cut)
/// left behind: those whose process is no longer running (where the system
/// says, as Linux does in `/proc`) and those older than a day. A running
/// example's own files are never touched. Returns how many it removed;
/// failures are ignored (the next run tries again).
pub fn clean_stale_temp_files(dir: &Path) -> usize {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    let me = std::process::id();
    let proc_dir = Path::new("/proc/self");
    let can_tell_alive = proc_dir.exists();
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = temp_file_pid(&name.to_string_lossy()) else {
            continue;
        };
        if pid == me {
            continue;
        }
        let dead = can_tell_alive && !Path::new("/proc").join(pid.to_string()).exists();
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| SystemTime::now().duration_since(t).ok())
            .is_some_and(|age| age > STALE_AFTER);
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        if is_file && (dead || old) && fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// The process id in a temporary file name of [`write_atomic`]
/// (`.NAME.PID.tmp`), or `None` for any other name.
fn temp_file_pid(name: &str) -> Option<u32> {
    let stem = name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let (file, pid) = stem.rsplit_once('.')?;
    if file.is_empty() || pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    pid.parse().ok()
}

/// Writes `bytes` to `path` so that `path` either keeps its old content or
/// has the new content in full, even if the process is killed mid-write:
/// write a temporary file, flush it to disk, then rename it over `path`
/// (a rename within one filesystem is atomic).
///
/// The temporary file (`.NAME.PID.tmp`) is staged in `target/.staging/`,
/// not beside `path`,
/// so a run killed while writing leaves no stray file in the book's folders.
/// When `path` is on another filesystem (a rename cannot cross), it falls
/// back to a hidden temporary file beside `path`, removed on error. A file
/// left by a killed run is removed by the next run
/// ([`clean_stale_temp_files`]).
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
    let staging = staging_dir();
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

#[cfg(test)]
mod tests {
    use super::temp_file_pid;

    #[test]
    fn only_temporary_file_names_carry_a_pid() {
        assert_eq!(temp_file_pid(".deep_mlp.svg.1234.tmp"), Some(1234));
        assert_eq!(temp_file_pid(".a.b.7.tmp"), Some(7));
        for other in [
            "deep_mlp.svg",
            ".1234.tmp",
            ".x.12a.tmp",
            ".x..tmp",
            "x.12.tmp",
            ".x.12.tmpx",
        ] {
            assert_eq!(temp_file_pid(other), None, "{other}");
        }
    }
}
