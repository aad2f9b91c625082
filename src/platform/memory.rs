//! An in-process adapter: what tests and the benchmark use in place of a chat platform.
