//! Interrupted runs lose nothing: kill an example at many moments while it
//! computes and writes, and check that every figure in its folder is either
//! the complete old file or the complete new one, and that no temporary file
//! is left beside them.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use common::{example_command, temp_dir};

fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

fn run(example: &str, out: &Path, seed: &str) {
    let status = example_command(example)
        .args(["--out", out.to_str().unwrap(), "--seed", seed])
        .output()
        .unwrap()
        .status;
    assert!(status.success());
}

#[test]
fn killing_a_run_never_leaves_half_a_figure_or_a_temporary_file() {
    let example = "gradients";
    // The old figures (seed 1) and what a complete new run writes (seed 2):
    // they differ, so a half-written file would match neither.
    let (old_dir, new_dir) = (temp_dir("kill-old"), temp_dir("kill-new"));
    run(example, &old_dir, "1");
    run(example, &new_dir, "2");
    let (old, new) = (snapshot(&old_dir), snapshot(&new_dir));
    assert_eq!(
        old.keys().collect::<Vec<_>>(),
        new.keys().collect::<Vec<_>>()
    );
    assert!(
        old.iter().any(|(k, v)| new[k] != *v),
        "seeds 1 and 2 must give different figures"
    );

    let mut saw_mixed = false;
    for delay_ms in (0..300).step_by(20) {
        let book = temp_dir("kill-book");
        for (name, bytes) in &old {
            std::fs::write(book.join(name), bytes).unwrap();
        }
        let mut child = example_command(example)
            .args(["--out", book.to_str().unwrap(), "--seed", "2"])
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL: no chance to clean up
        let _ = child.wait();
        let now = snapshot(&book);
        assert_eq!(
            now.keys().collect::<Vec<_>>(),
            old.keys().collect::<Vec<_>>(),
            "killed after {delay_ms} ms: stray or missing files"
        );
        for (name, bytes) in &now {
            assert!(
                *bytes == old[name] || *bytes == new[name],
                "killed after {delay_ms} ms: {name} is neither the old nor the new figure"
            );
        }
        saw_mixed |= now.iter().any(|(k, v)| *v == new[k])
            && now.iter().any(|(k, v)| *v == old[k] && old[k] != new[k]);
    }
    // Not required for correctness, but shows the kills landed mid-run.
    println!("some kill landed between two writes: {saw_mixed}");
}
