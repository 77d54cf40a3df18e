//! Tests of [`Schedule::next_fire`], the one answer to "when does this job fire next" that the
//! scheduler (its next launch) and the API (the job's `next` field) share: the first fire after
//! the tick ledger, inside the job's `starts_at`..=`expires_at` window.

use chrono::{DateTime, TimeDelta, Utc};
use proptest::prelude::*;

use super::Schedule;

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn every(expr: &str) -> Schedule {
    Schedule::parse(expr, None, "job").unwrap()
}

/// The cursor of a job whose schedule was set at `anchor` and that never launched a tick.
fn fresh(anchor: DateTime<Utc>) -> DateTime<Utc> {
    anchor - TimeDelta::nanoseconds(1)
}

#[test]
fn with_no_window_it_is_the_next_fire_after_the_ledger() {
    let s = every("@every 10s");
    let anchor = utc("2026-01-01T00:00:00Z");
    assert_eq!(
        s.next_fire(fresh(anchor), anchor, None, None),
        Some(utc("2026-01-01T00:00:10Z"))
    );
    // The newest launched tick is never offered again.
    let launched = utc("2026-01-01T00:00:30Z");
    assert_eq!(
        s.next_fire(launched, anchor, None, None),
        Some(utc("2026-01-01T00:00:40Z"))
    );
}

#[test]
fn a_fire_exactly_at_starts_at_counts_and_earlier_ones_are_skipped() {
    let s = every("@every 10s");
    let anchor = utc("2026-01-01T00:00:00Z");
    let starts = utc("2026-01-01T00:01:00Z");
    assert_eq!(
        s.next_fire(fresh(anchor), anchor, Some(starts), None),
        Some(starts)
    );
    let between = utc("2026-01-01T00:01:05Z");
    assert_eq!(
        s.next_fire(fresh(anchor), anchor, Some(between), None),
        Some(utc("2026-01-01T00:01:10Z"))
    );
    // A ledger already past `starts_at` wins over it.
    let launched = utc("2026-01-01T00:02:00Z");
    assert_eq!(
        s.next_fire(launched, anchor, Some(starts), None),
        Some(utc("2026-01-01T00:02:10Z"))
    );
}

#[test]
fn a_fire_exactly_at_expires_at_counts_and_later_ones_do_not() {
    let s = every("@every 10s");
    let anchor = utc("2026-01-01T00:00:00Z");
    let expires = utc("2026-01-01T00:00:20Z");
    assert_eq!(
        s.next_fire(utc("2026-01-01T00:00:10Z"), anchor, None, Some(expires)),
        Some(expires)
    );
    assert_eq!(s.next_fire(expires, anchor, None, Some(expires)), None);
    // A window that closes before it opens has no fire at all.
    assert_eq!(
        s.next_fire(
            fresh(anchor),
            anchor,
            Some(utc("2026-01-01T00:01:00Z")),
            Some(utc("2026-01-01T00:00:30Z"))
        ),
        None
    );
}

#[test]
fn cron_in_a_zone_and_one_shot_schedules_keep_their_own_rules() {
    let anchor = utc("2026-03-01T00:00:00Z");
    let daily = Schedule::parse("0 30 9 * * *", Some("Europe/Paris"), "job").unwrap();
    assert_eq!(
        daily.next_fire(fresh(anchor), anchor, None, None),
        Some(utc("2026-03-01T08:30:00Z"))
    );
    let once = every("@at 2026-03-02T00:00:00Z");
    assert_eq!(
        once.next_fire(fresh(anchor), anchor, None, None),
        Some(utc("2026-03-02T00:00:00Z"))
    );
    assert_eq!(
        once.next_fire(utc("2026-03-02T00:00:00Z"), anchor, None, None),
        None
    );
    assert_eq!(
        every("@manually").next_fire(fresh(anchor), anchor, None, None),
        None
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// `next_fire` is the first fire after the ledger that lies inside the window, as found by
    /// walking `next_after` one fire at a time.
    #[test]
    fn next_fire_is_the_first_fire_inside_the_window(
        secs in 1i64..120,
        anchor_ms in 0i64..1_000_000,
        after_ms in -10_000i64..2_000_000,
        starts_ms in proptest::option::of(-10_000i64..2_000_000),
        expires_ms in proptest::option::of(-10_000i64..3_000_000),
    ) {
        let base = utc("2026-01-01T00:00:00Z");
        let ms = TimeDelta::milliseconds;
        let s = every(&format!("@every {secs}s"));
        let anchor = base + ms(anchor_ms);
        let after = base + ms(after_ms);
        let starts = starts_ms.map(|m| base + ms(m));
        let expires = expires_ms.map(|m| base + ms(m));
        let got = s.next_fire(after, anchor, starts, expires);

        let mut walked = s.next_after(after, anchor);
        while let Some(t) = walked {
            if starts.is_none_or(|st| t >= st) {
                break;
            }
            walked = s.next_after(t, anchor);
        }
        let expected = walked.filter(|t| expires.is_none_or(|e| *t <= e));
        prop_assert_eq!(got, expected);
        if let Some(t) = got {
            prop_assert!(t > after);
        }
    }
}
