//! Trains the parser's built-in model (src/understand/model.rs) on the corpus's train and dev
//! splits and writes its quantised weights where the parser embeds them, so start-up reads the
//! weights instead of training, whatever the corpus grows to. The training code is the
//! parser's own (src/understand/model/training.rs), so the weights are exactly those training
//! at start-up would give; a bad row stops the build with its file and line.

use std::path::PathBuf;

#[allow(dead_code)]
#[path = "src/domain/category.rs"]
mod category;
#[allow(dead_code)]
#[path = "src/understand/model/training.rs"]
mod training;

/// A labelled row of the corpus schema: the fields and types of the parser's own reader
/// (`Labelled` in src/understand/eval.rs), so the two accept the same rows.
#[derive(serde::Deserialize)]
#[allow(dead_code)]
struct Row {
    id: String,
    text: String,
    is_request: bool,
    #[serde(default)]
    categories: Option<Vec<category::Category>>,
    #[serde(default)]
    urgency: Option<String>,
    #[serde(default)]
    location: Option<String>,
}

/// The examples, in the parser's order (`BUILT_IN` in src/understand/model.rs).
const BUILT_IN: [&str; 2] = ["corpus/train.jsonl", "corpus/dev.jsonl"];

fn main() {
    for path in BUILT_IN
        .iter()
        .chain(&["src/understand/model/training.rs", "src/domain/category.rs"])
    {
        println!("cargo::rerun-if-changed={path}");
    }
    let mut examples = Vec::new();
    for name in BUILT_IN {
        let text = std::fs::read_to_string(name).unwrap_or_else(|e| fail(name, 0, &e.to_string()));
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let row: Row =
                serde_json::from_str(line).unwrap_or_else(|e| fail(name, i + 1, &e.to_string()));
            let categories: Option<Vec<usize>> = row
                .categories
                .map(|cs| cs.into_iter().map(|c| c as usize).collect());
            let example = training::example(
                &row.text,
                row.is_request,
                categories.as_deref(),
                row.urgency.as_deref(),
            )
            .unwrap_or_else(|e| fail(name, i + 1, &e));
            examples.push(example);
        }
    }
    let weights = training::train(&examples);
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out.join("model.bin"), weights.to_bytes())
        .unwrap_or_else(|e| fail("model.bin", 0, &e.to_string()));
}

fn fail(file: &str, line: usize, message: &str) -> ! {
    eprintln!("{file}:{line}: {message}");
    std::process::exit(1);
}
