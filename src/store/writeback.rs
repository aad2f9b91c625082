//! SQLite: making the pages a checkpoint copied into the database file durable without
//! holding up the commits beside it.
//!
//! A checkpoint round that lets the log start over first syncs the database file
//! ([`super::sync_database_file`]). On a large database that is the pages of every new ticket's
//! index entries and rollup rows, scattered over the file: a few megabytes a round at 1,000
//! messages/s. Handed to the disk all at once by one `fdatasync`, they queue ahead of the
//! log's writes and flush that every commit waits for, and the commits that come during the
//! sync wait as long as it takes (p50 37 ms a round on a freshly loaded 1,000,000-ticket
//! file). Written back a range of the file at a time, each range waited for before the next
//! starts, at most one range's pages stand before a commit's own; the `fdatasync` that
//! follows then has nothing left to write but still makes the file durable, so nothing about
//! durability changes (docs/benchmarks.md, "Writing the database file back in pieces").

use std::fs::File;

/// How much of the file one step of [`sync_in_pieces`] writes back (its dirty pages only; a
/// range without any costs a system call and nothing else). 4 and 16 MiB measured alike
/// (docs/benchmarks.md); the whole file at once is what this replaces.
pub(crate) const PIECE: u64 = 8 << 20;

/// Writes `file`'s dirty pages back `piece` bytes of the file at a time, waiting for each
/// range, then `fdatasync`s it; returns how many ranges were written back on their own. Where
/// ranges cannot be (not Linux, or a file system that refuses), the `fdatasync` alone writes
/// everything, as before.
pub(crate) fn sync_in_pieces(file: &File, piece: u64) -> std::io::Result<usize> {
    let len = file.metadata()?.len();
    let piece = piece.max(1);
    let (mut offset, mut ranges) = (0, 0);
    while offset < len {
        if !write_back_range(file, offset, piece.min(len - offset)) {
            break;
        }
        ranges += 1;
        offset += piece;
    }
    file.sync_data()?;
    Ok(ranges)
}

/// Starts writeback of the dirty pages in `offset..offset + len` and waits for it (without
/// flushing the disk's cache or the file's metadata: that is the `fdatasync`'s). False when
/// the range could not be written back on its own.
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn write_back_range(file: &File, offset: u64, len: u64) -> bool {
    use std::os::fd::AsRawFd;
    let (Ok(offset), Ok(len)) = (
        libc::off64_t::try_from(offset),
        libc::off64_t::try_from(len),
    ) else {
        return false;
    };
    let flags = libc::SYNC_FILE_RANGE_WAIT_BEFORE
        | libc::SYNC_FILE_RANGE_WRITE
        | libc::SYNC_FILE_RANGE_WAIT_AFTER;
    // SAFETY: `sync_file_range` takes a descriptor, two integers and flags and touches no
    // memory of ours; the descriptor is `file`'s, open for the whole call.
    let rc = unsafe { libc::sync_file_range(file.as_raw_fd(), offset, len, flags) };
    rc == 0
}

#[cfg(not(target_os = "linux"))]
fn write_back_range(_file: &File, _offset: u64, _len: u64) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Seek, SeekFrom, Write};

    /// A file whose length is not a whole number of pieces, dirtied at its start, across a
    /// piece boundary and in its last, short piece.
    fn dirtied(dir: &std::path::Path) -> File {
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(dir.join("db"))
            .expect("open");
        file.write_all(&vec![0u8; 10_000]).expect("fill");
        for (at, byte) in [(0u64, 1u8), (4_090, 2), (9_992, 3)] {
            file.seek(SeekFrom::Start(at)).expect("seek");
            file.write_all(&[byte; 8]).expect("write");
        }
        file
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn every_piece_is_written_back_then_the_file_synced() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dirtied(dir.path());
        // 10,000 bytes in pieces of 4,096: two whole ones and a short last one.
        assert_eq!(sync_in_pieces(&file, 4_096).expect("sync"), 3);
        assert_eq!(sync_in_pieces(&file, PIECE).expect("sync"), 1);
        let mut back = Vec::new();
        File::open(dir.path().join("db"))
            .expect("reopen")
            .read_to_end(&mut back)
            .expect("read");
        assert_eq!(back.len(), 10_000);
        assert_eq!(
            (back[0], back[4_095], back[4_096], back[9_999]),
            (1, 2, 2, 3)
        );
    }

    #[test]
    fn an_empty_file_is_synced_without_ranges() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = File::create(dir.path().join("empty")).expect("create");
        assert_eq!(sync_in_pieces(&file, PIECE).expect("sync"), 0);
    }

    #[cfg(not(target_os = "linux"))]
    #[test]
    fn elsewhere_the_sync_alone_writes_everything() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(
            sync_in_pieces(&dirtied(dir.path()), 4_096).expect("sync"),
            0
        );
    }
}
