# Everyday commands.
.PHONY: run test lint fmt bench
run:
	cargo run -- run
test:
	scripts/test
lint:
	cargo fmt --all -- --check
	cargo clippy --all-targets -- -D warnings
fmt:
	cargo fmt --all
bench:
	cargo run --release -- bench
