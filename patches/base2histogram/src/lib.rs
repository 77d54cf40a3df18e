//! Log-linear histograms with the API openraft 0.10 uses (`Histogram`, `PercentileStats`,
//! `AsciiChart`), written for Belfry in place of the published `base2histogram` crate, whose
//! first histogram allocates a 26.8 MiB table that stays resident (see this crate's
//! Cargo.toml). Each histogram here is one array of counters, nothing global.
//!
//! Buckets: values 0 to 7 each have their own; above that, every power of two is split into
//! four buckets of equal width, so a bucket is at most 25 % wide and 252 buckets cover `u64`.
//! A percentile is answered with the lower bound of the bucket it falls in.

use std::fmt;
use std::marker::PhantomData;

/// Buckets below this hold one value each.
const EXACT: usize = 8;
/// Buckets per power of two above [`EXACT`].
const PER_OCTAVE: usize = 4;
/// 8 exact buckets, then 4 for each of the 61 powers of two from 2^3 to 2^63.
const BUCKETS: usize = EXACT + (64 - 3) * PER_OCTAVE;

/// The bucket `value` is counted in.
fn bucket_of(value: u64) -> usize {
    if value < EXACT as u64 {
        return value as usize;
    }
    let octave = 63 - value.leading_zeros() as usize; // 3..=63
    let quarter = ((value >> (octave - 2)) & 3) as usize;
    EXACT + (octave - 3) * PER_OCTAVE + quarter
}

/// The smallest value counted in bucket `index`.
fn lower_bound(index: usize) -> u64 {
    if index < EXACT {
        return index as u64;
    }
    let octave = (index - EXACT) / PER_OCTAVE + 3;
    let quarter = ((index - EXACT) % PER_OCTAVE) as u64;
    (4 + quarter) << (octave - 2)
}

/// Counts of recorded values. `T` is the per-period data of the published crate's sliding
/// windows, which openraft never uses (it is always `()`); kept so the type's shape matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Histogram<T = ()> {
    counts: Box<[u64; BUCKETS]>,
    total: u64,
    _period: PhantomData<T>,
}

impl<T> Default for Histogram<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> Histogram<T> {
    pub fn new() -> Self {
        Histogram {
            counts: Box::new([0; BUCKETS]),
            total: 0,
            _period: PhantomData,
        }
    }

    pub fn record(&mut self, value: u64) {
        self.record_n(value, 1);
    }

    /// Records `value` `count` times.
    pub fn record_n(&mut self, value: u64, count: u64) {
        let slot = &mut self.counts[bucket_of(value)];
        *slot = slot.saturating_add(count);
        self.total = self.total.saturating_add(count);
    }

    /// How many values were recorded.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// The value below which a fraction `p` (0.0 to 1.0) of the recorded values fall, to the
    /// lower bound of its bucket; 0 when nothing was recorded.
    pub fn percentile(&self, p: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        // The rank of the value asked for, 1-based: p = 0.5 of 4 values is the 2nd.
        let rank = ((p.clamp(0.0, 1.0) * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0u64;
        for (index, count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return lower_bound(index);
            }
        }
        lower_bound(BUCKETS - 1)
    }

    pub fn percentile_stats(&self) -> PercentileStats {
        PercentileStats {
            samples: self.total,
            p0_1: self.percentile(0.001),
            p1: self.percentile(0.01),
            p5: self.percentile(0.05),
            p10: self.percentile(0.10),
            p50: self.percentile(0.50),
            p90: self.percentile(0.90),
            p99: self.percentile(0.99),
            p99_9: self.percentile(0.999),
        }
    }
}

/// A histogram's sample count and percentiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PercentileStats {
    pub samples: u64,
    pub p0_1: u64,
    pub p1: u64,
    pub p5: u64,
    pub p10: u64,
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub p99_9: u64,
}

impl fmt::Display for PercentileStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "[samples: {}, P0.1: {}, P1: {}, P5: {}, P10: {}, P50: {}, P90: {}, P99: {}, P99.9: {}]",
            self.samples,
            self.p0_1,
            self.p1,
            self.p5,
            self.p10,
            self.p50,
            self.p90,
            self.p99,
            self.p99_9
        )
    }
}

/// Named histograms shown one line each (openraft's runtime-statistics display).
#[derive(Debug, Clone)]
pub struct AsciiChart<T = ()> {
    series: Vec<(String, Histogram<T>)>,
}

impl<T> Default for AsciiChart<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> AsciiChart<T> {
    pub fn new() -> Self {
        AsciiChart { series: Vec::new() }
    }

    pub fn add(mut self, name: &str, hist: Histogram<T>) -> Self {
        self.series.push((name.to_string(), hist));
        self
    }

    /// One line per histogram with its percentiles.
    pub fn detailed(&self) -> &Self {
        self
    }

    /// As [`AsciiChart::detailed`].
    pub fn compact(&self) -> &Self {
        self
    }
}

impl<T> fmt::Display for AsciiChart<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self.series.iter().map(|(n, _)| n.len()).max().unwrap_or(0);
        for (name, hist) in &self.series {
            writeln!(f, "{name:>width$}: {}", hist.percentile_stats())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_lands_in_a_bucket_whose_bounds_hold_it() {
        let mut values: Vec<u64> = (0..4096).collect();
        values.extend((3..64).flat_map(|s| {
            let p = 1u64 << s;
            [p - 1, p, p + 1, p + p / 3]
        }));
        values.push(u64::MAX);
        for v in values {
            let b = bucket_of(v);
            assert!(b < BUCKETS, "{v}");
            assert!(lower_bound(b) <= v, "{v} below bucket {b}");
            if b + 1 < BUCKETS {
                assert!(v < lower_bound(b + 1), "{v} above bucket {b}");
            }
        }
        assert_eq!(bucket_of(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn buckets_are_at_most_a_quarter_wide() {
        for b in EXACT..BUCKETS - 1 {
            let (lo, hi) = (lower_bound(b), lower_bound(b + 1));
            assert!(hi > lo);
            assert!((hi - lo) * 4 <= lo, "bucket {b}: {lo}..{hi}");
        }
    }

    #[test]
    fn percentiles_follow_the_recorded_values() {
        let mut h: Histogram = Histogram::new();
        assert_eq!(h.percentile_stats(), PercentileStats::default());
        for v in 1..=1000u64 {
            h.record(v);
        }
        h.record_n(5, 0);
        let s = h.percentile_stats();
        assert_eq!(s.samples, 1000);
        assert_eq!(s.p0_1, 1);
        // Within a quarter below the true value.
        for (got, want) in [(s.p50, 500u64), (s.p90, 900), (s.p99, 990)] {
            assert!(got <= want && got * 4 >= want * 3, "{got} for {want}");
        }
        let text = format!("{}", AsciiChart::new().add("stage", h.clone()).detailed());
        assert!(
            text.starts_with("stage: [samples: 1000, P0.1: 1,"),
            "{text}"
        );
    }

    #[test]
    fn a_histogram_is_small_and_owns_its_buckets() {
        // Each histogram costs its own ~2 KiB; nothing shared is built behind it.
        assert_eq!(BUCKETS, 252);
        let h: Histogram = Histogram::default();
        assert_eq!(std::mem::size_of_val(&*h.counts), 252 * 8);
    }
}
