//! The one reader of Linux's `/proc`: a process's CPU time, memory, state and relatives, and
//! the machine's CPU time, memory and uptime.
//!
//! Used by the node's own load figures ([`crate::node::node_stats`]), the shell executor's memory
//! limit (the resident memory of a job's process group), and by the tests and benches, which
//! watch the real processes they start. Each function reads one file and returns typed fields;
//! an error names the file. A process that ends while it is read is `ErrorKind::NotFound`, a
//! file that does not parse is `ErrorKind::InvalidData`.
//!
//! Field numbers below are those of `proc(5)`.

use std::io;

/// Fields of `/proc/<pid>/stat` (`proc(5)`), those this crate's callers use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    /// Field 3: `R` running, `S` sleeping, `D` waiting on disk, `Z` zombie, `T` stopped,
    /// `X` dead, …
    pub state: char,
    /// Field 4: the parent's pid (0 for the first process of a pid namespace).
    pub ppid: i32,
    /// Field 5: the process group.
    pub pgrp: i32,
    /// Fields 14 and 15: CPU time in user and kernel mode, all threads, in clock ticks
    /// ([`clock_ticks_per_second`]).
    pub utime: u64,
    pub stime: u64,
    /// Fields 16 and 17: the same for the children this process has waited for.
    pub cutime: u64,
    pub cstime: u64,
    /// Field 19: the nice value, -20 (favoured) to 19.
    pub nice: i32,
    /// Field 20.
    pub threads: u64,
    /// Field 22: when the process started, in clock ticks after boot.
    pub start_time: u64,
    /// Field 24: resident pages ([`page_size`] bytes each).
    pub rss_pages: u64,
}

impl Stat {
    /// Parses the text of `/proc/<pid>/stat`. The command name (field 2) is in parentheses and
    /// may itself hold spaces and parentheses, so the fields are counted from the last `)`.
    pub fn parse(text: &str) -> Option<Stat> {
        let (_, rest) = text.rsplit_once(')')?;
        // [0] is field 3, so field n is [n - 3].
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let field = |n: usize| fields.get(n - 3).copied();
        let number = |n: usize| field(n)?.parse::<i64>().ok();
        // Counters the kernel prints as signed; a negative one would be a kernel bug.
        let count = |n: usize| number(n).map(|v| u64::try_from(v).unwrap_or(0));
        let mut state = field(3)?.chars();
        Some(Stat {
            state: state.next().filter(|_| state.next().is_none())?,
            ppid: i32::try_from(number(4)?).ok()?,
            pgrp: i32::try_from(number(5)?).ok()?,
            utime: count(14)?,
            stime: count(15)?,
            cutime: count(16)?,
            cstime: count(17)?,
            nice: i32::try_from(number(19)?).ok()?,
            threads: count(20)?,
            start_time: count(22)?,
            rss_pages: count(24)?,
        })
    }

    /// utime + stime: the process's own CPU time, all threads, in clock ticks.
    pub fn cpu_ticks(&self) -> u64 {
        self.utime + self.stime
    }

    /// cutime + cstime: CPU time of the children it has reaped, in clock ticks.
    pub fn children_cpu_ticks(&self) -> u64 {
        self.cutime + self.cstime
    }

    /// Gone, or a zombie waiting for its parent to reap it: either way no longer running.
    pub fn is_zombie_or_dead(&self) -> bool {
        matches!(self.state, 'Z' | 'X')
    }
}

/// Fields of `/proc/<pid>/status` (`proc(5)`), those this crate's callers use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    /// `VmRSS`: resident memory now, in KiB. `None` for a zombie or a kernel thread.
    pub rss_kib: Option<u64>,
    /// `VmHWM`: the most resident memory so far, in KiB. `None` as for `rss_kib`.
    pub peak_rss_kib: Option<u64>,
    /// `Threads`.
    pub threads: u64,
}

impl Status {
    /// Parses the text of `/proc/<pid>/status` (`Name:\tvalue` lines, sizes in `kB`).
    pub fn parse(text: &str) -> Option<Status> {
        let value = |key: &str| -> Option<u64> {
            text.lines()
                .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))?
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        };
        Some(Status {
            rss_kib: value("VmRSS"),
            peak_rss_kib: value("VmHWM"),
            threads: value("Threads")?,
        })
    }
}

/// `/proc/<pid>/stat`.
pub fn stat(pid: u32) -> io::Result<Stat> {
    let path = format!("/proc/{pid}/stat");
    parsed(&path, Stat::parse)
}

/// `/proc/<pid>/status`.
pub fn status(pid: u32) -> io::Result<Status> {
    let path = format!("/proc/{pid}/status");
    parsed(&path, Status::parse)
}

/// The pid of every process on the machine (of this pid namespace), in no particular order.
pub fn pids() -> io::Result<Vec<u32>> {
    let entries = std::fs::read_dir("/proc").map_err(|e| named("/proc", e))?;
    Ok(entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .collect())
}

/// The processes whose parent is `pid`. Processes that end while being read are skipped.
pub fn children(pid: u32) -> io::Result<Vec<u32>> {
    let parent = i32::try_from(pid).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    Ok(pids()?
        .into_iter()
        .filter(|p| stat(*p).is_ok_and(|s| s.ppid == parent))
        .collect())
}

/// The resident memory, in bytes, of every process in the process group `pgid`, added up
/// (memory the processes share counts once per process). Processes that end while being read
/// are skipped. Reads every process's `stat`: blocking, and not free on a busy machine.
pub fn group_rss_bytes(pgid: i32) -> io::Result<u64> {
    let page = page_size();
    let mut total = 0u64;
    for pid in pids()? {
        if let Ok(s) = stat(pid)
            && s.pgrp == pgid
        {
            total = total.saturating_add(s.rss_pages.saturating_mul(page));
        }
    }
    Ok(total)
}

/// The whole machine's CPU time since boot, all CPUs, from the first line of `/proc/stat`, in
/// clock ticks. CPU use over a span is the difference of two readings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MachineCpu {
    /// user + nice + system + irq + softirq + steal.
    pub busy: u64,
    /// busy + idle + iowait.
    pub total: u64,
}

impl MachineCpu {
    /// Parses the text of `/proc/stat`: `cpu  user nice system idle iowait irq softirq steal …`.
    pub fn parse(text: &str) -> Option<MachineCpu> {
        let line = text.lines().next()?.strip_prefix("cpu ")?;
        let v: Vec<u64> = line
            .split_whitespace()
            .take(8)
            .map(|x| x.parse().ok())
            .collect::<Option<_>>()?;
        let total: u64 = v.iter().sum();
        let idle = v.get(3)? + v.get(4)?;
        Some(MachineCpu {
            busy: total - idle,
            total,
        })
    }
}

/// `/proc/stat`.
pub fn machine_cpu() -> io::Result<MachineCpu> {
    parsed("/proc/stat", MachineCpu::parse)
}

/// `MemTotal` of `/proc/meminfo`: the machine's usable memory, in KiB.
pub fn mem_total_kib() -> io::Result<u64> {
    parsed("/proc/meminfo", |text| {
        text.lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))?
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    })
}

/// Seconds since boot (the first figure of `/proc/uptime`).
pub fn uptime_secs() -> io::Result<f64> {
    parsed("/proc/uptime", |text| {
        text.split_whitespace().next()?.parse().ok()
    })
}

/// The unit of [`Stat`]'s CPU times and start time (`_SC_CLK_TCK`; 100 on Linux).
pub fn clock_ticks_per_second() -> f64 {
    // SAFETY: sysconf reads a constant of the running system.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if hz > 0 { hz as f64 } else { 100.0 }
}

/// The unit of [`Stat::rss_pages`], in bytes.
pub fn page_size() -> u64 {
    // SAFETY: sysconf reads a constant of the running system.
    u64::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(4096)
}

/// Reads `path` and parses it; both errors name the file.
fn parsed<T>(path: &str, parse: impl FnOnce(&str) -> Option<T>) -> io::Result<T> {
    let text = std::fs::read_to_string(path).map_err(|e| named(path, e))?;
    parse(&text).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{path}: not in the expected format"),
        )
    })
}

fn named(path: &str, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{path}: {e}"))
}

#[cfg(test)]
mod tests {
    use std::process::{Command, Stdio};

    use super::*;

    #[test]
    fn this_process_reads_as_itself() {
        let me = std::process::id();
        let s = stat(me).unwrap();
        // The state is the main thread's, which may be waiting for this test's thread.
        assert!(matches!(s.state, 'R' | 'S' | 'D'), "{s:?}");
        // SAFETY: getppid, getpgrp and getpriority have no preconditions.
        let (ppid, pgrp, nice) = unsafe {
            (
                libc::getppid(),
                libc::getpgrp(),
                libc::getpriority(libc::PRIO_PROCESS, 0),
            )
        };
        assert_eq!((s.ppid, s.pgrp, s.nice), (ppid, pgrp, nice));
        assert!(s.threads >= 1 && s.rss_pages > 0, "{s:?}");
        // Started after boot, and not in the future.
        let started = s.start_time as f64 / clock_ticks_per_second();
        assert!(started > 0.0 && started <= uptime_secs().unwrap(), "{s:?}");

        let st = status(me).unwrap();
        let (rss, peak) = (st.rss_kib.unwrap(), st.peak_rss_kib.unwrap());
        assert!(rss > 1024 && peak >= rss, "{st:?}");
        assert_eq!(st.threads, s.threads);
        assert!(children(ppid as u32).unwrap().contains(&me));
    }

    #[test]
    fn cpu_time_grows_with_work() {
        let me = std::process::id();
        let before = stat(me).unwrap();
        // Spin until the user time has grown by two ticks (20 ms at 100 Hz): on a shared
        // machine this thread may get little CPU, hence the generous deadline.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        let mut x = 0u64;
        loop {
            for _ in 0..100_000 {
                x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
            }
            let now = stat(me).unwrap();
            if now.utime >= before.utime + 2 {
                assert!(now.cpu_ticks() >= before.cpu_ticks() + 2);
                break;
            }
            assert!(std::time::Instant::now() < deadline, "{before:?} → {now:?}");
        }
    }

    #[test]
    fn a_child_is_listed_until_reaped_and_then_is_gone() {
        let mut child = Command::new("sleep")
            .arg("30")
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let pid = child.id();
        assert!(children(std::process::id()).unwrap().contains(&pid));
        // SAFETY: a signal to our own child, not reaped yet.
        unsafe { libc::kill(pid as i32, libc::SIGKILL) };
        // Killed but not reaped: a zombie, still our child.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while !stat(pid).unwrap().is_zombie_or_dead() {
            assert!(std::time::Instant::now() < deadline, "{pid} not dead");
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert_eq!(status(pid).unwrap().rss_kib, None);
        child.wait().unwrap();
        assert_eq!(stat(pid).unwrap_err().kind(), io::ErrorKind::NotFound);
        assert!(!children(std::process::id()).unwrap().contains(&pid));
    }

    #[test]
    fn group_memory_adds_up_the_group() {
        // This test's own process group holds at least this test binary's memory.
        // SAFETY: getpgrp cannot fail.
        let own = unsafe { libc::getpgrp() };
        let used = group_rss_bytes(own).unwrap();
        assert!(used > 1 << 20, "{used}");
        // No process is in a group that cannot exist.
        assert_eq!(group_rss_bytes(i32::MAX).unwrap(), 0);
    }

    #[test]
    fn the_machine_reads_as_a_machine() {
        let a = machine_cpu().unwrap();
        assert!(a.total > 0 && a.busy <= a.total, "{a:?}");
        // Counters since boot only grow.
        let b = machine_cpu().unwrap();
        assert!(b.total >= a.total && b.busy >= a.busy, "{a:?} {b:?}");
        assert!(mem_total_kib().unwrap() > 16 * 1024);
        assert!(uptime_secs().unwrap() > 0.0);
        assert!(page_size() >= 4096);
    }

    #[test]
    fn stat_lines_are_parsed_after_the_command_name() {
        // Fields 3 to 24, with recognisable values where they are read.
        let mut fields = vec!["S", "1", "4242"]; // state, ppid, pgrp
        fields.extend(["0"; 8]); // 6–13
        fields.extend(["11", "12", "13", "14"]); // utime, stime, cutime, cstime
        fields.extend(["20", "-5", "3", "0", "777", "0", "1234"]); // 18–24
        fields.extend(["0"; 20]);
        let text = format!("77 (odd) name (x)) {}", fields.join(" "));
        let s = Stat::parse(&text).unwrap();
        assert_eq!(
            s,
            Stat {
                state: 'S',
                ppid: 1,
                pgrp: 4242,
                utime: 11,
                stime: 12,
                cutime: 13,
                cstime: 14,
                nice: -5,
                threads: 3,
                start_time: 777,
                rss_pages: 1234,
            }
        );
        assert_eq!((s.cpu_ticks(), s.children_cpu_ticks()), (23, 27));
        assert_eq!(Stat::parse("77 (truncated) S 1"), None);
        assert_eq!(Stat::parse("garbage"), None);
    }

    #[test]
    fn status_and_cpu_lines_parse_and_bad_ones_do_not() {
        let text = "Name:\tbelfry\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\nThreads:\t7\n";
        assert_eq!(
            Status::parse(text),
            Some(Status {
                rss_kib: Some(1024),
                peak_rss_kib: Some(2048),
                threads: 7
            })
        );
        assert_eq!(Status::parse("Name:\tx\n"), None);
        let cpu = "cpu  10 1 5 100 4 1 1 0 0 0\ncpu0 10 1 5 100 4 1 1 0 0 0\n";
        assert_eq!(
            MachineCpu::parse(cpu),
            Some(MachineCpu {
                busy: 18,
                total: 122
            })
        );
        assert_eq!(MachineCpu::parse("intr 1 2 3\n"), None);
    }
}
