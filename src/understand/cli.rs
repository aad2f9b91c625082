//! `gridline classify` and `gridline eval`: the parser on the command line.

use std::io::{BufRead, Write};
use std::path::Path;

use super::Parser;

/// Reads JSON Lines `{"id": …, "text": …}` and writes one result object per line, in order
/// (the contract in DESIGN.md). Returns how many lines were classified.
pub fn classify(
    parser: &Parser,
    input: impl BufRead,
    mut output: impl Write,
) -> anyhow::Result<usize> {
    let _ = (parser, input);
    output.flush()?;
    anyhow::bail!("classify is not built yet")
}

/// Scores the parser on a labelled corpus file and prints the metrics (every miss with
/// `verbose`).
pub fn eval(
    parser: &Parser,
    path: &Path,
    verbose: bool,
    mut output: impl Write,
) -> anyhow::Result<()> {
    let _ = (parser, path, verbose);
    output.flush()?;
    anyhow::bail!("eval is not built yet")
}
