//! Job executors: the code that actually runs a job's work on an agent.
//!
//! Each executor takes the job's Dkron-style `executor_config` string map, validates it into a
//! typed spec (so a bad config is refused when the job is saved, not when it fires), and runs it
//! to a self-contained [`Outcome`] (timestamps, success, output tail, error). The built-in
//! executors are Dkron's two: [`shell`] runs a command, [`http`] sends a request. What they
//! share lives here: the outcome, the bounded output buffer, sizes and Go-style durations in
//! messages.

use std::collections::VecDeque;
use std::time::Duration;

use chrono::{DateTime, Utc};

pub mod http;
pub mod shell;

pub use crate::config::DEFAULT_OUTPUT_LIMIT;

/// The result of one execution, whatever the executor.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Just after the work started (the spawn, the request), or the attempt time if it never did.
    pub started_at: DateTime<Utc>,
    /// When the run was over: for a command, child reaped, output drained, process group killed.
    pub finished_at: DateTime<Utc>,
    /// The command's exit code; `None` if killed by a signal, never started, or not a command.
    pub exit_code: Option<i32>,
    /// The executor's success rule held (an allowed exit code, an expected HTTP status and body),
    /// and nothing was cut short (timeout, memory limit, shutdown).
    pub success: bool,
    /// What the work printed or answered, only the last `output_limit` bytes (lossy UTF-8,
    /// starting on a char boundary), followed by `[belfry] ...` notes saying what went wrong.
    pub output: String,
    /// Bytes were dropped from the output.
    pub output_truncated: bool,
    /// Short reason when `!success`: `exit code 3`, `timed out after 2s`, `killed by signal 9`,
    /// `killed: agent shutting down`, `failed to start: ...`, `status 500, expected 200`.
    pub error: Option<String>,
}

impl Outcome {
    /// An execution that failed before any work started.
    pub(crate) fn not_started(attempt_at: DateTime<Utc>, reason: String, note: String) -> Outcome {
        Outcome {
            started_at: attempt_at,
            finished_at: Utc::now(),
            exit_code: None,
            success: false,
            output: note,
            output_truncated: false,
            error: Some(format!("failed to start: {reason}")),
        }
    }
}

/// Appends `[belfry]` notes to an output, each on its own line.
pub(crate) fn append_notes(output: &mut String, notes: impl IntoIterator<Item = String>) {
    for note in notes {
        if !output.is_empty() && !output.ends_with('\n') {
            output.push('\n');
        }
        output.push_str(&note);
    }
}

/// The last `limit` bytes written. Its length never exceeds `limit`, and neither does its
/// capacity.
pub(crate) struct Tail {
    buf: VecDeque<u8>,
    limit: usize,
    truncated: bool,
}

impl Tail {
    pub(crate) fn new(limit: usize) -> Tail {
        Tail {
            buf: VecDeque::new(),
            limit,
            truncated: false,
        }
    }

    pub(crate) fn push(&mut self, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        if data.len() >= self.limit {
            if data.len() > self.limit || !self.buf.is_empty() {
                self.truncated = true;
            }
            self.buf.clear();
            let keep = &data[data.len() - self.limit..];
            self.reserve(keep.len());
            self.buf.extend(keep);
            return;
        }
        let overflow = (self.buf.len() + data.len()).saturating_sub(self.limit);
        if overflow > 0 {
            self.buf.drain(..overflow);
            self.truncated = true;
        }
        self.reserve(data.len());
        self.buf.extend(data);
    }

    /// Grows geometrically, but never past `limit`.
    fn reserve(&mut self, additional: usize) {
        let needed = self.buf.len() + additional;
        if needed > self.buf.capacity() {
            let target = needed
                .max(self.buf.capacity().saturating_mul(2))
                .min(self.limit);
            self.buf.reserve_exact(target - self.buf.len());
        }
    }

    /// The kept bytes as text (at most `limit` bytes), and whether anything was dropped.
    pub(crate) fn into_output(mut self) -> (String, bool) {
        let limit = self.limit;
        let mut truncated = self.truncated;
        let bytes = self.buf.make_contiguous();
        let mut start = 0;
        if truncated {
            // The cut may have split a UTF-8 sequence: skip its continuation bytes.
            while start < bytes.len().min(3) && bytes[start] & 0xC0 == 0x80 {
                start += 1;
            }
        }
        let mut text = String::from_utf8_lossy(&bytes[start..]).into_owned();
        if text.len() > limit {
            // Replacement characters made it longer than the limit.
            let mut cut = text.len() - limit;
            while !text.is_char_boundary(cut) {
                cut += 1;
            }
            text.drain(..cut);
            truncated = true;
        }
        (text, truncated)
    }
}

/// Formats a byte count for messages: `100MiB`, `143.2MiB`, `512B`.
pub(crate) fn format_size(bytes: u64) -> String {
    const UNITS: [(&str, u64); 4] = [
        ("TiB", 1 << 40),
        ("GiB", 1 << 30),
        ("MiB", 1 << 20),
        ("KiB", 1 << 10),
    ];
    for (name, size) in UNITS {
        if bytes >= size {
            return if bytes.is_multiple_of(size) {
                format!("{}{name}", bytes / size)
            } else {
                format!("{:.1}{name}", bytes as f64 / size as f64)
            };
        }
    }
    format!("{bytes}B")
}

/// Formats a duration the way Go's `time.Duration.String` does: `2s`, `1m30s`, `1h0m0s`,
/// `1.5s`, `200ms`.
pub(crate) fn format_go_duration(d: Duration) -> String {
    fn with_fraction(n: u128, unit: u128) -> String {
        let whole = n / unit;
        let rem = n % unit;
        if rem == 0 {
            return whole.to_string();
        }
        let width = unit.ilog10() as usize;
        let digits = format!("{rem:0width$}");
        format!("{whole}.{}", digits.trim_end_matches('0'))
    }
    let nanos = d.as_nanos();
    if nanos == 0 {
        return "0s".to_string();
    }
    if nanos < 1_000 {
        return format!("{nanos}ns");
    }
    if nanos < 1_000_000 {
        return format!("{}µs", with_fraction(nanos, 1_000));
    }
    if nanos < 1_000_000_000 {
        return format!("{}ms", with_fraction(nanos, 1_000_000));
    }
    let secs = d.as_secs();
    let (h, m) = (secs / 3600, (secs / 60) % 60);
    let s = with_fraction(nanos % 60_000_000_000, 1_000_000_000);
    if h > 0 {
        format!("{h}h{m}m{s}s")
    } else if m > 0 {
        format!("{m}m{s}s")
    } else {
        format!("{s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_duration_format() {
        let cases = [
            (Duration::ZERO, "0s"),
            (Duration::from_nanos(5), "5ns"),
            (Duration::from_micros(1500), "1.5ms"),
            (Duration::from_micros(20), "20µs"),
            (Duration::from_millis(200), "200ms"),
            (Duration::from_secs(2), "2s"),
            (Duration::from_millis(1500), "1.5s"),
            (Duration::from_secs(90), "1m30s"),
            (Duration::from_secs(3600), "1h0m0s"),
            (Duration::from_secs(5400), "1h30m0s"),
        ];
        for (d, want) in cases {
            assert_eq!(format_go_duration(d), want);
        }
    }

    #[test]
    fn tail_never_grows_past_the_limit() {
        let limit = 1000;
        let mut tail = Tail::new(limit);
        for i in 0..10_000u32 {
            let byte = b'a' + (i % 26) as u8;
            tail.push(&vec![byte; (i as usize * 7) % 300 + 1]);
            assert!(tail.buf.len() <= limit);
            assert!(
                tail.buf.capacity() <= limit,
                "capacity {}",
                tail.buf.capacity()
            );
        }
        tail.push(&[b'!'; 5000]);
        assert_eq!(tail.buf.capacity(), limit);
        let (text, truncated) = tail.into_output();
        assert!(truncated);
        assert_eq!(text, "!".repeat(limit));
    }

    #[test]
    fn tail_replacement_chars_stay_within_the_limit() {
        let mut tail = Tail::new(4);
        tail.push(&[0xff, 0xfe, 0xfd, 0xfc]);
        let (text, truncated) = tail.into_output();
        assert!(text.len() <= 4, "{text:?}");
        assert_eq!(text, "\u{fffd}");
        assert!(truncated);
    }
}
