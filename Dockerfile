# Builds the gridline binary and ships it on a slim Debian image.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin gridline

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/gridline /usr/local/bin/gridline
WORKDIR /var/lib/gridline
EXPOSE 8080
ENTRYPOINT ["gridline"]
CMD ["run"]
