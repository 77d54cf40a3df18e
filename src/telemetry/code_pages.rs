//! Gives back the pages of the node's own program that only its start needed.
//!
//! Starting a node runs code an idle node never runs again: parsing flags and the config file,
//! opening and checking its stores, setting up Raft, gossip and TLS. The kernel maps program
//! pages in around every page touched (fault-around), so after the start about 14 MiB of the
//! binary stayed resident in an idle agent whose steady work touches about 5 MiB of it: three
//! quarters of its resident memory (docs/benchmarks.md, "Idle memory").
//!
//! Once the node is up, [`release_startup_pages`] drops the program file's read-only mappings
//! from the process's page tables (`madvise(MADV_DONTNEED)`). The pages stay in the page cache,
//! shared and reclaimable as the kernel sees fit; what the node still runs comes back on first
//! use as a minor fault, without reading the disk unless memory pressure evicted it meanwhile.
//!
//! Only mappings of the executable that are not writable and hold no private copy of a page
//! are touched: for those, dropping a page and faulting it back gives the same bytes. The
//! writable and relocated (RELRO) mappings hold private copies and are left alone; so is a
//! mapping a debugger has patched (a breakpoint is a private copy too).

use std::io;
use std::path::Path;

/// One mapping of the program file that can be dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Droppable {
    start: usize,
    end: usize,
    /// Resident now, in KiB.
    rss_kib: u64,
}

/// What is known of one mapping while its smaps lines are read.
struct Candidate {
    mapping: Droppable,
    /// Private, read-only, of the program file, and no line has shown a private page yet.
    eligible: bool,
    /// `Anonymous: 0 kB` was seen: without that line nothing proves the mapping holds no
    /// private copy, so it is left alone.
    no_copies_seen: bool,
}

/// The mappings of `exe` in `smaps` (the text of `/proc/self/smaps`) that are private,
/// read-only and hold no anonymous (copied) page, resident or swapped out.
fn droppable(smaps: &str, exe: &str) -> Vec<Droppable> {
    let mut out = Vec::new();
    let mut current: Option<Candidate> = None;
    let finish = |m: Option<Candidate>, out: &mut Vec<Droppable>| {
        if let Some(c) = m
            && c.eligible
            && c.no_copies_seen
        {
            out.push(c.mapping);
        }
    };
    for line in smaps.lines() {
        let mut words = line.split_whitespace();
        let Some(first) = words.next() else { continue };
        if let Some((start, end)) = first.split_once('-')
            && let (Ok(start), Ok(end)) = (
                usize::from_str_radix(start, 16),
                usize::from_str_radix(end, 16),
            )
        {
            finish(current.take(), &mut out);
            let perms = words.next().unwrap_or("");
            // offset, device, inode, then the path (which may hold spaces).
            let path = line
                .splitn(6, char::is_whitespace)
                .nth(5)
                .unwrap_or("")
                .trim();
            let readonly_private = perms.starts_with('r')
                && perms.as_bytes().get(1) == Some(&b'-')
                && perms.ends_with('p');
            current = Some(Candidate {
                mapping: Droppable {
                    start,
                    end,
                    rss_kib: 0,
                },
                eligible: readonly_private && path == exe,
                no_copies_seen: false,
            });
            continue;
        }
        let Some(c) = current.as_mut() else {
            continue;
        };
        let mut kib = || words.next().and_then(|v| v.parse::<u64>().ok());
        match first {
            "Rss:" => c.mapping.rss_kib = kib().unwrap_or(0),
            // A private copy of a page would be lost: leave the whole mapping.
            "Anonymous:" => {
                let zero = kib() == Some(0);
                c.eligible &= zero;
                c.no_copies_seen |= zero;
            }
            // A private copy swapped out is no longer counted as Anonymous, and dropping the
            // mapping would discard it just the same.
            "Swap:" | "SwapPss:" => c.eligible &= kib() == Some(0),
            _ => {}
        }
    }
    finish(current.take(), &mut out);
    out
}

/// Drops the resident pages of the program's read-only mappings (see the module docs);
/// returns how many KiB were resident in them.
pub fn release_startup_pages() -> io::Result<u64> {
    let exe = std::fs::read_link("/proc/self/exe")?;
    let smaps = std::fs::read_to_string("/proc/self/smaps")?;
    release_in(&smaps, &exe)
}

fn release_in(smaps: &str, exe: &Path) -> io::Result<u64> {
    let exe = exe.to_string_lossy();
    let mut released = 0;
    for m in droppable(smaps, &exe) {
        // SAFETY: the range is a whole private, read-only file mapping of this program with
        // no private page (checked above): MADV_DONTNEED only unmaps its pages, and the next
        // access maps the same file bytes again. No Rust reference is invalidated: the bytes
        // read back are identical.
        let rc = unsafe {
            libc::madvise(
                m.start as *mut libc::c_void,
                m.end - m.start,
                libc::MADV_DONTNEED,
            )
        };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        released += m.rss_kib;
    }
    Ok(released)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMAPS: &str = "\
55aac755b000-55aac7bb2000 r--p 00000000 fe:00 1234 /opt/belfry/bin/belfry
Size:               6492 kB
Rss:                2580 kB
Anonymous:             0 kB
VmFlags: rd mr mw me sd
55aac7bb2000-55aac8d48000 r-xp 00656000 fe:00 1234 /opt/belfry/bin/belfry
Size:              18008 kB
Rss:               10144 kB
Anonymous:             0 kB
VmFlags: rd ex mr mw me sd
55aac8d48000-55aac8ef7000 r--p 017eb000 fe:00 1234 /opt/belfry/bin/belfry
Size:               1724 kB
Rss:                1704 kB
Anonymous:          1704 kB
VmFlags: rd mr mw me ac sd
55aac8ef7000-55aac8efe000 rw-p 0199a000 fe:00 1234 /opt/belfry/bin/belfry
Size:                 28 kB
Rss:                  28 kB
Anonymous:             0 kB
VmFlags: rd wr mr mw me ac sd
7f0000000000-7f0000100000 r-xp 00000000 fe:00 99 /usr/lib/x86_64-linux-gnu/libc.so.6
Size:               1024 kB
Rss:                1000 kB
Anonymous:             0 kB
7f0000200000-7f0000300000 r--p 00000000 fe:00 77 /opt/belfry/bin/belfry (copy)
Size:               1024 kB
Rss:                 100 kB
Anonymous:             0 kB
7f0000400000-7f0000500000 r--p 01000000 fe:00 1234 /opt/belfry/bin/belfry
Size:               1024 kB
Rss:                   0 kB
Anonymous:             0 kB
Swap:                 64 kB
SwapPss:              64 kB
7f0000600000-7f0000700000 r--p 01100000 fe:00 1234 /opt/belfry/bin/belfry
Size:               1024 kB
Rss:                 200 kB
";

    #[test]
    fn only_read_only_mappings_of_the_program_without_private_pages_are_dropped() {
        let found = droppable(SMAPS, "/opt/belfry/bin/belfry");
        assert_eq!(
            found,
            vec![
                Droppable {
                    start: 0x55aac755b000,
                    end: 0x55aac7bb2000,
                    rss_kib: 2580
                },
                Droppable {
                    start: 0x55aac7bb2000,
                    end: 0x55aac8d48000,
                    rss_kib: 10144
                },
            ],
            "the relocated (anonymous) and writable mappings, other files, a path that only \
             starts the same, a mapping with swapped-out copies and one whose smaps never \
             said it holds no copies are left alone"
        );
        assert!(droppable(SMAPS, "/usr/bin/other").is_empty());
        assert!(droppable("", "/opt/belfry/bin/belfry").is_empty());
    }

    #[test]
    fn releasing_lowers_the_resident_code_and_the_program_still_runs() {
        fn rss_file_kib() -> u64 {
            let status = std::fs::read_to_string("/proc/self/status").unwrap();
            status
                .lines()
                .find_map(|l| l.strip_prefix("RssFile:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                .unwrap()
        }
        let before = rss_file_kib();
        let released = release_startup_pages().unwrap();
        let after = rss_file_kib();
        assert!(released > 0, "the test binary's code was resident");
        assert!(after < before, "RssFile {before} kB -> {after} kB");
        // Code dropped is code that still runs: parse, format and allocate again.
        let again = droppable(SMAPS, "/opt/belfry/bin/belfry");
        assert_eq!(again.len(), 2);
        assert_eq!(format!("{:?}", again[0].rss_kib), "2580");
    }
}
