//! The book's live figures ([`stable_learning::book::live`]) as a WebAssembly
//! module with plain C exports, for `chapters/style/live.js`.
//!
//! `cargo book` builds it for `wasm32-wasip1` (no JavaScript glue, no
//! browser APIs: plotters draws its SVG with built-in text metrics, as in
//! the native build, so the page's figure equals the example's byte for
//! byte). The page asks for a figure in four steps:
//!
//! 1. `live_alloc(n)` returns room for an `n`-byte request;
//! 2. it writes the request there: the figure's name, then one `flag=value`
//!    per line (`he\ndepth=10\nseed=7`);
//! 3. `live_draw(n)` computes the figure, calling the imported
//!    `live.progress(done, total)` as it goes, and returns the length of its
//!    answer: JSON `{"svg", "table", "command"}`, or `{"error"}`;
//! 4. `live_answer()` points at the answer, which stays until the next draw.

use serde_json::json;

/// Draws the figure a request names; the answer as JSON.
pub fn answer(request: &str, progress: stable_learning::Progress) -> String {
    let mut lines = request.lines();
    let name = lines.next().unwrap_or("").trim();
    let mut settings = Vec::new();
    for line in lines.filter(|l| !l.trim().is_empty()) {
        match line.split_once('=') {
            Some((flag, value)) => {
                settings.push((flag.trim().to_string(), value.trim().to_string()))
            }
            None => return json!({ "error": format!("`{line}` is not flag=value") }).to_string(),
        }
    }
    match stable_learning::book::live::draw(name, &settings, progress) {
        Ok(drawn) => json!({
            "svg": drawn.svg,
            "table": drawn.table_html,
            "command": drawn.command,
        })
        .to_string(),
        Err(e) => json!({ "error": e.to_string() }).to_string(),
    }
}

#[cfg(target_family = "wasm")]
mod exports {
    use std::cell::RefCell;

    #[link(wasm_import_module = "live")]
    unsafe extern "C" {
        /// Tells the page how far the computation has got.
        fn progress(done: u32, total: u32);
    }

    thread_local! {
        static REQUEST: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
        static ANSWER: RefCell<String> = const { RefCell::new(String::new()) };
    }

    /// Room for a request of `len` bytes.
    #[unsafe(no_mangle)]
    pub extern "C" fn live_alloc(len: usize) -> *mut u8 {
        REQUEST.with(|r| {
            let mut r = r.borrow_mut();
            r.clear();
            r.resize(len, 0);
            r.as_mut_ptr()
        })
    }

    /// Draws the request written at `live_alloc`'s pointer; returns the
    /// answer's length in bytes.
    #[unsafe(no_mangle)]
    pub extern "C" fn live_draw(len: usize) -> usize {
        let request = REQUEST.with(|r| {
            let r = r.borrow();
            String::from_utf8_lossy(&r[..len.min(r.len())]).into_owned()
        });
        let mut report = |done: usize, total: usize| unsafe { progress(done as u32, total as u32) };
        let answer = super::answer(&request, &mut report);
        ANSWER.with(|a| {
            *a.borrow_mut() = answer;
            a.borrow().len()
        })
    }

    /// The last answer.
    #[unsafe(no_mangle)]
    pub extern "C" fn live_answer() -> *const u8 {
        ANSWER.with(|a| a.borrow().as_ptr())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_json_with_the_figure_or_the_error() {
        let v: serde_json::Value = serde_json::from_str(&answer(
            "gradients\nfactors=3\ntrials=10",
            &mut stable_learning::quiet,
        ))
        .unwrap();
        assert!(v["svg"].as_str().unwrap().starts_with("<svg"));
        assert_eq!(
            v["command"],
            "cargo run --example gradients -- --factors 3 --trials 10"
        );
        let v: serde_json::Value =
            serde_json::from_str(&answer("gradients\nfactors=0", &mut stable_learning::quiet))
                .unwrap();
        assert!(
            v["error"]
                .as_str()
                .unwrap()
                .contains("factors = 0 is out of range")
        );
        let v: serde_json::Value =
            serde_json::from_str(&answer("gradients\nfactors", &mut stable_learning::quiet))
                .unwrap();
        assert!(v["error"].as_str().unwrap().contains("not flag=value"));
    }
}
