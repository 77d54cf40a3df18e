//! Job schedules: parses Dkron's schedule syntax and works out when a job fires next.
//!
//! The syntax is Dkron's (robfig/cron v3 plus Dkron's extensions), checked here with our own
//! error messages:
//!
//! - A cron expression with 6 fields and mandatory seconds, `sec min hour dom month dow`, with
//!   `* / , - ?`, month and day names (case-insensitive, three letters), and day-of-week 0–6
//!   with SUN = 0 (7 is also taken as Sunday). `N/step` means `N-max/step`. 5- and 7-field
//!   expressions are refused, and so are croner's extensions (`L`, `W`, `#`, `+`), which robfig
//!   does not have. Day-of-month and day-of-week combine as in robfig: if either field is a star
//!   (`*` or `?`, or a star with step 1), a day must match both. Otherwise a day that matches
//!   either one is enough, as in Vixie cron.
//! - `~` in a field is replaced with Dkron's hash of the job name (`Job.scheduleHash`): the sum
//!   of the name's Unicode scalar values, modulo 60 (seconds and minutes), 24 (hours), 28 + 1
//!   (day-of-month), 12 + 1 (month) or 7 (day-of-week).
//! - `@yearly`/`@annually`, `@monthly`, `@weekly`, `@daily`/`@midnight`, `@hourly`, and
//!   `@minutely` (= `0 * * * * *`).
//! - `@every <Go duration>` fires at `anchor + k·d` for k ≥ 1. The interval is rounded down
//!   to whole seconds, and anything under a second becomes one second, as in robfig.
//! - `@at <RFC 3339>` fires once, at that instant.
//! - `@after <RFC 3339> <<ISO 8601 duration>`: with time T and grace g, a job whose schedule
//!   was set (its `anchor`) at or before T fires once at T. If the anchor falls in (T, T+g], it
//!   fires once at the anchor, rounded up to the second. After T+g it never fires.
//! - `@manually` never fires by itself.
//! - A `TZ=Zone ` or `CRON_TZ=Zone ` prefix sets the zone and overrides the job's `timezone`.
//!
//! Descriptor names are case-insensitive (robfig's are not). Apart from the zone and
//! daylight-saving decisions below, a schedule Dkron accepts means the same here, except for
//! robfig oddities: `*-5` is refused rather than read as `*`, and a match more than five years
//! away (29 February around 2100) is still found.
//!
//! **Time zones.** A cron expression or descriptor runs on the wall clock of its zone: the
//! prefix zone, or else the job's `timezone`, or else UTC (Dkron would use the server's local
//! zone). Unlike Dkron, which ignores the job zone for `@` descriptors, `@daily` and the other
//! descriptors also run in the job's zone. `@every`, `@at` and `@after` name absolute instants,
//! so zones do not affect them. Every fire instant is a whole second.
//!
//! **Daylight saving.** An expression whose hour field contains no star (`*`, `?`, `*/n`), for
//! example `0 30 2 * * *`, `0 0,30 1 * * *`, `@daily` or `0 * 9-17 * * *`, is a *fixed-hour*
//! expression. Any other expression is a *wildcard-hour* expression.
//! - Spring forward: if a wall-clock time that a fixed-hour expression matches is skipped, the
//!   job runs once, at the first instant after the gap (02:30 on the New York spring-forward
//!   day runs at 03:00 EDT). All the matches inside one gap become that single run. For a
//!   wildcard-hour expression, the skipped times do not exist and are not run (`0 */15 * * * *`
//!   goes from 01:45 EST to 03:00 EDT).
//! - Fall back: a fixed-hour expression runs only at the first occurrence of a repeated
//!   wall-clock time (`0 30 1 * * *` runs once, at 01:30 EDT). A wildcard-hour expression runs
//!   at every real instant whose wall-clock time matches, in both passes of the repeated hour
//!   (as croner documents and as robfig does), so `0 0 * * * *` runs 25 times that day.
//!
//! croner classifies patterns differently. It treats a pattern as *fixed-time* only when its
//! second, minute and hour are each one single value. A fixed-time pattern runs after the gap
//! and only on the first pass. Every other pattern skips the gap and runs on both passes. So
//! with croner, `0 0,30 2 * * *` would not run at all on a spring-forward day, and
//! `0 0,30 1 * * *` would run four times on a fall-back day. So croner only does the
//! calendar search here, on naive wall-clock time, with `Seconds::Required`. This module maps
//! wall-clock times to instants itself, one constant-offset span at a time. The two rule sets
//! agree on croner's fixed-time patterns and on wildcard-hour patterns.

use std::fmt::Write as _;

use chrono::{DateTime, LocalResult, Offset, TimeDelta, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use croner::Cron;
use croner::parser::{CronParser, Seconds};

use crate::duration::{parse_go_duration, parse_iso8601_duration};

/// A parsed job schedule. See the module documentation for the syntax and the rules.
#[derive(Clone, Debug)]
pub struct Schedule {
    kind: Kind,
}

#[derive(Clone, Debug)]
enum Kind {
    Cron(Box<CronSchedule>),
    /// `@every`: the interval in whole seconds (at least 1).
    Every(i64),
    /// `@at`: the instant, rounded down to the second.
    At(DateTime<Utc>),
    /// `@after T <g`: T rounded down to the second, and the grace period.
    After {
        at: DateTime<Utc>,
        grace: TimeDelta,
    },
    Manual,
}

#[derive(Clone, Debug)]
struct CronSchedule {
    /// The normalised 6-field pattern. croner searches it on naive wall-clock time only.
    cron: Cron,
    tz: Tz,
    /// The hour field has no star. This selects the daylight-saving rules (module docs).
    fixed_hour: bool,
    /// False when no calendar day can ever match (e.g. `0 0 0 30 2 *`).
    satisfiable: bool,
}

/// Why a schedule or time zone was refused. Each message is one line naming the bad part.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum ScheduleError {
    #[error("empty schedule")]
    Empty,
    #[error(
        "expected 6 fields (second minute hour day-of-month month day-of-week), got {got} in {expr:?}"
    )]
    FieldCount { got: usize, expr: String },
    #[error("invalid {field} field {value:?} in {expr:?}: {reason}")]
    Field {
        field: &'static str,
        value: String,
        expr: String,
        reason: String,
    },
    #[error(
        "unknown schedule descriptor {0:?} (expected @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly, @minutely, @every, @at, @after or @manually)"
    )]
    UnknownDescriptor(String),
    #[error("{descriptor} takes no argument, got {extra:?}")]
    UnexpectedArgument { descriptor: String, extra: String },
    #[error("invalid @every schedule {expr:?}: {reason}")]
    Every { expr: String, reason: String },
    #[error("invalid @at time {value:?}: expected RFC 3339, e.g. 2024-01-01T09:00:00Z")]
    At { value: String },
    #[error("invalid @after schedule {expr:?}: {reason}")]
    After { expr: String, reason: String },
    #[error("unknown time zone {0:?} (expected an IANA name such as Europe/London)")]
    UnknownTimezone(String),
    #[error("no schedule after the time zone prefix in {0:?}")]
    MissingAfterPrefix(String),
    #[error("invalid cron expression {expr:?}: {reason}")]
    Cron { expr: String, reason: String },
}

/// Validates a time zone name (the job `timezone` field). The error names it. An empty name
/// means UTC, as in [`Schedule::parse`].
pub fn parse_timezone(name: &str) -> Result<Tz, ScheduleError> {
    if name.is_empty() {
        return Ok(Tz::UTC);
    }
    name.parse::<Tz>()
        .map_err(|_| ScheduleError::UnknownTimezone(name.to_string()))
}

impl Schedule {
    /// Parse `expr` for the job named `job_name` (used by the `~` hash) with the job's
    /// `timezone` field (None or "" = UTC; otherwise an IANA name, error if unknown).
    pub fn parse(
        expr: &str,
        timezone: Option<&str>,
        job_name: &str,
    ) -> Result<Schedule, ScheduleError> {
        let job_tz = parse_timezone(timezone.unwrap_or(""))?;
        let full = expr.trim();
        if full.is_empty() {
            return Err(ScheduleError::Empty);
        }
        let (tz, spec) = split_tz_prefix(full)?.unwrap_or((job_tz, full));
        let kind = if spec.starts_with('@') {
            parse_descriptor(spec, tz)?
        } else {
            Kind::Cron(Box::new(parse_cron(spec, full, tz, job_name)?))
        };
        Ok(Schedule { kind })
    }

    /// The earliest fire instant strictly after `after`, or None if the schedule never fires again.
    /// `anchor` is the instant the job's schedule was set (creation / last schedule change):
    /// `@every d` fires at anchor + k*d for k >= 1; `@after` uses it as the "created at" time.
    pub fn next_after(&self, after: DateTime<Utc>, anchor: DateTime<Utc>) -> Option<DateTime<Utc>> {
        // Every fire instant is a whole second, so "strictly after `after`" is the same as
        // "strictly after `after` rounded down".
        let after = floor_second(after);
        match &self.kind {
            Kind::Cron(cron) => cron.next_after(after),
            Kind::Every(secs) => {
                let base = floor_second(anchor);
                let elapsed = (after - base).num_seconds();
                let k = if elapsed < 0 { 1 } else { elapsed / secs + 1 };
                base.checked_add_signed(TimeDelta::try_seconds(k.checked_mul(*secs)?)?)
            }
            Kind::At(at) => (*at > after).then_some(*at),
            Kind::After { at, grace } => {
                let fire = if anchor <= *at {
                    *at
                } else if anchor <= at.checked_add_signed(*grace)? {
                    ceil_second(anchor)?
                } else {
                    return None;
                };
                (fire > after).then_some(fire)
            }
            Kind::Manual => None,
        }
    }

    /// When a job on this schedule fires next: the first fire strictly after `after` (the
    /// job's tick ledger, see `state::JobRecord::cursor`), not before the job's `starts_at`,
    /// and none past its `expires_at`. The one rule behind both the scheduler's next launch
    /// and the `next` field the API shows, so the two cannot drift apart.
    pub fn next_fire(
        &self,
        after: DateTime<Utc>,
        anchor: DateTime<Utc>,
        starts_at: Option<DateTime<Utc>>,
        expires_at: Option<DateTime<Utc>>,
    ) -> Option<DateTime<Utc>> {
        // A tick before `starts_at` would only be refused by the state machine.
        let after = match starts_at {
            Some(starts) => after.max(starts - TimeDelta::nanoseconds(1)),
            None => after,
        };
        self.next_after(after, anchor)
            .filter(|t| expires_at.is_none_or(|e| *t <= e))
    }

    #[cfg(test)]
    /// True for `@manually` (never fires by itself).
    pub fn is_manual(&self) -> bool {
        matches!(self.kind, Kind::Manual)
    }
}

/// Splits a `TZ=Zone ` / `CRON_TZ=Zone ` prefix off `expr`. Returns None if there is none.
fn split_tz_prefix(expr: &str) -> Result<Option<(Tz, &str)>, ScheduleError> {
    let Some(rest) = expr
        .strip_prefix("CRON_TZ=")
        .or_else(|| expr.strip_prefix("TZ="))
    else {
        return Ok(None);
    };
    let (zone, spec) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    if zone.is_empty() {
        return Err(ScheduleError::UnknownTimezone(String::new()));
    }
    let tz = parse_timezone(zone)?;
    let spec = spec.trim();
    if spec.is_empty() {
        return Err(ScheduleError::MissingAfterPrefix(expr.to_string()));
    }
    Ok(Some((tz, spec)))
}

fn parse_descriptor(spec: &str, tz: Tz) -> Result<Kind, ScheduleError> {
    let (word, arg) = spec.split_once(char::is_whitespace).unwrap_or((spec, ""));
    let arg = arg.trim();
    let lower = word.to_ascii_lowercase();
    let cron_text = match lower.as_str() {
        "@every" => {
            let every = |reason: String| ScheduleError::Every {
                expr: spec.to_string(),
                reason,
            };
            let d = parse_go_duration(arg).map_err(every)?;
            let secs = i64::try_from(d.as_secs())
                .ok()
                .filter(|s| TimeDelta::try_seconds(*s).is_some())
                .ok_or_else(|| every("interval too large".to_string()))?;
            return Ok(Kind::Every(secs.max(1)));
        }
        "@at" => {
            let at = DateTime::parse_from_rfc3339(arg).map_err(|_| ScheduleError::At {
                value: arg.to_string(),
            })?;
            return Ok(Kind::At(floor_second(at.with_timezone(&Utc))));
        }
        "@after" => return parse_after(spec, arg),
        "@manually" => None,
        "@yearly" | "@annually" => Some("0 0 0 1 1 *"),
        "@monthly" => Some("0 0 0 1 * *"),
        "@weekly" => Some("0 0 0 * * 0"),
        "@daily" | "@midnight" => Some("0 0 0 * * *"),
        "@hourly" => Some("0 0 * * * *"),
        "@minutely" => Some("0 * * * * *"),
        _ => return Err(ScheduleError::UnknownDescriptor(word.to_string())),
    };
    if !arg.is_empty() {
        return Err(ScheduleError::UnexpectedArgument {
            descriptor: word.to_string(),
            extra: arg.to_string(),
        });
    }
    match cron_text {
        None => Ok(Kind::Manual),
        Some(text) => Ok(Kind::Cron(Box::new(parse_cron(text, spec, tz, "")?))),
    }
}

fn parse_after(spec: &str, arg: &str) -> Result<Kind, ScheduleError> {
    let fail = |reason: String| ScheduleError::After {
        expr: spec.to_string(),
        reason,
    };
    let mut words = arg.split_whitespace();
    let time = words
        .next()
        .ok_or_else(|| fail("missing time, e.g. @after 2024-01-01T09:00:00Z <PT30M".into()))?;
    let at = DateTime::parse_from_rfc3339(time)
        .map_err(|_| fail(format!("time {time:?} is not RFC 3339")))?;
    let grace = match words.next() {
        None => TimeDelta::zero(),
        Some(word) => {
            let text = word
                .strip_prefix('<')
                .ok_or_else(|| fail(format!("expected <grace period, got {word:?}")))?;
            let d = parse_iso8601_duration(text).map_err(fail)?;
            TimeDelta::from_std(d).map_err(|_| fail("grace period too large".into()))?
        }
    };
    if let Some(extra) = words.next() {
        return Err(fail(format!("unexpected {extra:?}")));
    }
    Ok(Kind::After {
        at: floor_second(at.with_timezone(&Utc)),
        grace,
    })
}

/// One cron field: its name, range and names, and how Dkron's `~` hash reduces into it.
struct FieldDef {
    name: &'static str,
    min: u32,
    /// The end of `*` and of `N/step`.
    max: u32,
    /// The largest value written literally (7 = Sunday for day-of-week).
    max_literal: u32,
    /// Three-letter names. The first one has the value `min`.
    names: &'static [&'static str],
    hash_mod: u64,
    hash_add: u64,
}

const MONTHS: &[&str] = &[
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const WEEKDAYS: &[&str] = &["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

const FIELDS: [FieldDef; 6] = [
    FieldDef {
        name: "second",
        min: 0,
        max: 59,
        max_literal: 59,
        names: &[],
        hash_mod: 60,
        hash_add: 0,
    },
    FieldDef {
        name: "minute",
        min: 0,
        max: 59,
        max_literal: 59,
        names: &[],
        hash_mod: 60,
        hash_add: 0,
    },
    FieldDef {
        name: "hour",
        min: 0,
        max: 23,
        max_literal: 23,
        names: &[],
        hash_mod: 24,
        hash_add: 0,
    },
    FieldDef {
        name: "day-of-month",
        min: 1,
        max: 31,
        max_literal: 31,
        names: &[],
        hash_mod: 28,
        hash_add: 1,
    },
    FieldDef {
        name: "month",
        min: 1,
        max: 12,
        max_literal: 12,
        names: MONTHS,
        hash_mod: 12,
        hash_add: 1,
    },
    FieldDef {
        name: "day-of-week",
        min: 0,
        max: 6,
        max_literal: 7,
        names: WEEKDAYS,
        hash_mod: 7,
        hash_add: 0,
    },
];

/// The values of one field as a bit set, and whether robfig would count it as a star.
#[derive(Clone, Copy)]
struct FieldSet {
    bits: u64,
    star: bool,
}

fn parse_cron(
    spec: &str,
    full: &str,
    tz: Tz,
    job_name: &str,
) -> Result<CronSchedule, ScheduleError> {
    let fields: Vec<&str> = spec.split_whitespace().collect();
    if fields.len() != FIELDS.len() {
        return Err(ScheduleError::FieldCount {
            got: fields.len(),
            expr: full.to_string(),
        });
    }
    let name_sum: u64 = job_name.chars().map(|c| u64::from(u32::from(c))).sum();
    let mut sets = [FieldSet {
        bits: 0,
        star: false,
    }; 6];
    for (i, (def, text)) in FIELDS.iter().zip(&fields).enumerate() {
        let hashed = text.replace('~', &(name_sum % def.hash_mod + def.hash_add).to_string());
        sets[i] = parse_field(def, &hashed).map_err(|reason| ScheduleError::Field {
            field: def.name,
            value: (*text).to_string(),
            expr: full.to_string(),
            reason,
        })?;
    }

    let mut pattern = String::new();
    for set in &sets {
        if !pattern.is_empty() {
            pattern.push(' ');
        }
        if set.star {
            pattern.push('*');
        } else {
            let mut first = true;
            for v in (0..64).filter(|v| set.bits & (1u64 << v) != 0) {
                if !first {
                    pattern.push(',');
                }
                first = false;
                let _ = write!(pattern, "{v}");
            }
        }
    }
    let cron = CronParser::builder()
        .seconds(Seconds::Required)
        .build()
        .parse(&pattern)
        .map_err(|e| ScheduleError::Cron {
            expr: full.to_string(),
            reason: e.to_string(),
        })?;

    let [_, _, _, dom, month, dow] = sets;
    // When day-of-week is a star and day-of-month is not, a day must match day-of-month,
    // so some (month, day) pair must exist. Otherwise the weekdays give a day in every month.
    let satisfiable = !dow.star
        || dom.star
        || (1..=12u32).any(|m| {
            let days = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m as usize - 1];
            month.bits & (1 << m) != 0 && (1..=days).any(|d| dom.bits & (1 << d) != 0)
        });
    Ok(CronSchedule {
        cron,
        tz,
        fixed_hour: !fields[2].contains(['*', '?']),
        satisfiable,
    })
}

/// Parses one field with robfig's rules. The error is the reason only.
fn parse_field(def: &FieldDef, text: &str) -> Result<FieldSet, String> {
    let mut set = FieldSet {
        bits: 0,
        star: false,
    };
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            None => (part, None),
            Some((range, step)) => {
                if !step.bytes().all(|b| b.is_ascii_digit()) || step.is_empty() {
                    return Err(format!(
                        "step {step:?} in {part:?} is not a positive number"
                    ));
                }
                let step: u32 = step
                    .parse()
                    .map_err(|_| format!("step {step:?} in {part:?} is too large"))?;
                if step == 0 {
                    return Err(format!("step in {part:?} must be positive"));
                }
                (range, Some(step))
            }
        };
        let (low, high) = if range == "*" || range == "?" {
            if step.unwrap_or(1) == 1 {
                set.star = true;
            }
            (def.min, def.max)
        } else {
            match range.split_once('-') {
                None => {
                    let v = parse_value(def, range, part)?;
                    // `N/step` means `N-max/step`.
                    (v, if step.is_some() { def.max } else { v })
                }
                Some((a, b)) => (parse_value(def, a, part)?, parse_value(def, b, part)?),
            }
        };
        if low > high {
            return Err(format!(
                "range start {low} is beyond its end {high} in {part:?}"
            ));
        }
        for v in (low..=high).step_by(step.unwrap_or(1) as usize) {
            set.bits |= 1u64 << v;
        }
    }
    if def.max_literal > def.max && set.bits & (1u64 << 7) != 0 {
        // Day-of-week 7 is Sunday.
        set.bits = (set.bits & !(1u64 << 7)) | 1;
    }
    Ok(set)
}

fn parse_value(def: &FieldDef, text: &str, part: &str) -> Result<u32, String> {
    if text.is_empty() {
        return Err(format!("missing value in {part:?}"));
    }
    let value = if text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse::<u32>().unwrap_or(u32::MAX)
    } else if let Some(i) = def.names.iter().position(|n| n.eq_ignore_ascii_case(text)) {
        def.min + i as u32
    } else if def.names.is_empty() {
        return Err(format!("{text:?} is not a number"));
    } else {
        return Err(format!(
            "{text:?} is not a number or a name ({})",
            def.names.join(", ")
        ));
    };
    if value < def.min {
        return Err(format!("{value} is below the minimum {}", def.min));
    }
    if value > def.max_literal {
        return Err(format!("{text} is above the maximum {}", def.max_literal));
    }
    Ok(value)
}

impl CronSchedule {
    /// Walks forward through spans of constant UTC offset (module docs, "Daylight saving").
    fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if !self.satisfiable {
            return None;
        }
        let tz = self.tz;
        let mut t = after.checked_add_signed(TimeDelta::seconds(1))?;
        if self.fixed_hour {
            // `t` may itself be the first instant after a gap, which the loop below only
            // checks for the changes it crosses.
            let before = offset_at(tz, after);
            let off = offset_at(tz, t);
            if off > before {
                let gap_start = t
                    .naive_utc()
                    .checked_add_signed(TimeDelta::seconds(before))?;
                let gap_end = t.naive_utc().checked_add_signed(TimeDelta::seconds(off))?;
                if let Ok(w) = self.cron.find_next_occurrence(&gap_start, true)
                    && w < gap_end
                {
                    return Some(t);
                }
            }
        }
        // Each turn either returns, or moves `t` past an offset change or a repeated span,
        // so this bound is never reached in a real zone.
        for _ in 0..10_000 {
            let off = offset_at(tz, t);
            let wall = t.naive_utc().checked_add_signed(TimeDelta::seconds(off))?;
            let w = self.cron.find_next_occurrence(&wall, true).ok()?;
            // Where `w` would be if the offset stayed `off`.
            let fire = w.checked_sub_signed(TimeDelta::seconds(off))?.and_utc();
            match first_change(tz, t, fire, off) {
                None => {
                    if self.fixed_hour
                        && let LocalResult::Ambiguous(first, second) = tz.from_local_datetime(&w)
                        && second.with_timezone(&Utc) == fire
                    {
                        // The repeated pass of a wall-clock time that already ran:
                        // skip to the end of the repeated span.
                        let first = first.with_timezone(&Utc);
                        let fold = first_change(tz, first, fire, offset_at(tz, first))?;
                        t = fold + (fire - first);
                        continue;
                    }
                    return Some(fire);
                }
                Some(change) => {
                    // No match in [t, change) on this offset's wall clock.
                    let new_off = offset_at(tz, change);
                    if self.fixed_hour
                        && new_off > off
                        && w < change.naive_utc() + TimeDelta::seconds(new_off)
                    {
                        // A matching wall-clock time was skipped by this gap: run once now.
                        return Some(change);
                    }
                    t = change;
                }
            }
        }
        None
    }
}

/// The UTC offset of `tz` at `t`, in seconds.
fn offset_at(tz: Tz, t: DateTime<Utc>) -> i64 {
    i64::from(
        tz.offset_from_utc_datetime(&t.naive_utc())
            .fix()
            .local_minus_utc(),
    )
}

/// The first instant in `(from, to]` whose offset differs from `off` (the offset at `from`).
///
/// It samples once a day and bisects the first day that differs. Since 1970, transitions in
/// the tz database are at least six days apart, so no change is missed.
fn first_change(tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>, off: i64) -> Option<DateTime<Utc>> {
    const STEP: i64 = 86_400;
    let (mut lo, end) = (from.timestamp(), to.timestamp());
    let at = |secs: i64| DateTime::from_timestamp(secs, 0).map(|t| offset_at(tz, t));
    while lo < end {
        let hi = lo.saturating_add(STEP).min(end);
        if at(hi)? != off {
            let (mut a, mut b) = (lo, hi);
            while b - a > 1 {
                let mid = a + (b - a) / 2;
                if at(mid)? == off {
                    a = mid;
                } else {
                    b = mid;
                }
            }
            return DateTime::from_timestamp(b, 0);
        }
        lo = hi;
    }
    None
}

fn floor_second(t: DateTime<Utc>) -> DateTime<Utc> {
    t.with_nanosecond(0).unwrap_or(t)
}

fn ceil_second(t: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let floor = floor_second(t);
    if floor == t {
        Some(t)
    } else {
        floor.checked_add_signed(TimeDelta::seconds(1))
    }
}

#[cfg(test)]
mod next_fire_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, NaiveDate, NaiveDateTime};
    use proptest::prelude::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn sched(expr: &str) -> Schedule {
        Schedule::parse(expr, None, "job").unwrap()
    }

    fn err(expr: &str) -> String {
        Schedule::parse(expr, None, "job").unwrap_err().to_string()
    }

    /// The next `n` fire instants after `from`, as RFC 3339 strings.
    fn fires(s: &Schedule, from: &str, n: usize) -> Vec<String> {
        let anchor = utc(from);
        let mut t = anchor;
        let mut out = Vec::new();
        for _ in 0..n {
            match s.next_after(t, anchor) {
                Some(next) => {
                    out.push(next.to_rfc3339());
                    t = next;
                }
                None => break,
            }
        }
        out
    }

    #[test]
    fn plain_cron_in_utc() {
        let s = sched("0 30 2 * * *");
        assert_eq!(
            fires(&s, "2024-01-01T00:00:00Z", 2),
            ["2024-01-01T02:30:00+00:00", "2024-01-02T02:30:00+00:00"]
        );
        // Strictly after: a fire instant itself is not returned again.
        let at = utc("2024-01-01T02:30:00Z");
        assert_eq!(s.next_after(at, at), Some(utc("2024-01-02T02:30:00Z")));
        // Sub-second `after` values are fine and results are whole seconds.
        let s = sched("* * * * * *");
        let t = utc("2024-01-01T00:00:00.999Z");
        assert_eq!(s.next_after(t, t), Some(utc("2024-01-01T00:00:01Z")));
    }

    #[test]
    fn lists_ranges_steps_and_question_mark() {
        let s = sched("5/20 0-1 10,12 ? * ?");
        assert_eq!(
            fires(&s, "2024-01-01T00:00:00Z", 7),
            [
                "2024-01-01T10:00:05+00:00",
                "2024-01-01T10:00:25+00:00",
                "2024-01-01T10:00:45+00:00",
                "2024-01-01T10:01:05+00:00",
                "2024-01-01T10:01:25+00:00",
                "2024-01-01T10:01:45+00:00",
                "2024-01-01T12:00:05+00:00",
            ]
        );
        let s = sched("0 10-40/15 * * * *");
        assert_eq!(
            fires(&s, "2024-01-01T00:00:00Z", 3),
            [
                "2024-01-01T00:10:00+00:00",
                "2024-01-01T00:25:00+00:00",
                "2024-01-01T00:40:00+00:00",
            ]
        );
    }

    #[test]
    fn names_are_case_insensitive_and_seven_is_sunday() {
        // 2024-01-01 is a Monday.
        let s = sched("0 0 12 * jan-Feb Mon-fri");
        assert_eq!(
            fires(&s, "2024-01-05T13:00:00Z", 1),
            ["2024-01-08T12:00:00+00:00"]
        );
        let s = sched("0 0 12 * DEC sat");
        assert_eq!(
            fires(&s, "2024-01-01T00:00:00Z", 1),
            ["2024-12-07T12:00:00+00:00"]
        );
        for expr in ["0 0 0 * * 7", "0 0 0 * * SUN", "0 0 0 * * 0"] {
            assert_eq!(
                fires(&sched(expr), "2024-01-01T00:00:00Z", 1),
                ["2024-01-07T00:00:00+00:00"],
                "{expr}"
            );
        }
        // 5-7 is Friday, Saturday and Sunday.
        assert_eq!(
            fires(&sched("0 0 0 * * 5-7"), "2024-01-01T00:00:00Z", 4),
            [
                "2024-01-05T00:00:00+00:00",
                "2024-01-06T00:00:00+00:00",
                "2024-01-07T00:00:00+00:00",
                "2024-01-12T00:00:00+00:00",
            ]
        );
    }

    #[test]
    fn day_of_month_and_day_of_week_combine_like_robfig() {
        // Both restricted: either one matches (13th of the month, or a Friday).
        assert_eq!(
            fires(&sched("0 0 0 13 * 5"), "2024-01-01T00:00:00Z", 3),
            [
                "2024-01-05T00:00:00+00:00",
                "2024-01-12T00:00:00+00:00",
                "2024-01-13T00:00:00+00:00",
            ]
        );
        // A star (also `?` and `*/1`) in either field means both must match.
        for expr in ["0 0 0 * * 5", "0 0 0 ? * 5", "0 0 0 */1 * 5"] {
            assert_eq!(
                fires(&sched(expr), "2024-01-01T00:00:00Z", 2),
                ["2024-01-05T00:00:00+00:00", "2024-01-12T00:00:00+00:00"],
                "{expr}"
            );
        }
        assert_eq!(
            fires(&sched("0 0 0 13 * */1"), "2024-01-01T00:00:00Z", 1),
            ["2024-01-13T00:00:00+00:00"]
        );
        // A stepped star is not a star (robfig), so this is "odd days or Mondays".
        assert_eq!(
            fires(&sched("0 0 0 */2 * 1"), "2024-01-01T12:00:00Z", 3),
            [
                "2024-01-03T00:00:00+00:00",
                "2024-01-05T00:00:00+00:00",
                "2024-01-07T00:00:00+00:00",
            ]
        );
    }

    #[test]
    fn impossible_dates_never_fire_and_leap_days_do() {
        let s = sched("0 0 0 30 2 *");
        let t = utc("2024-01-01T00:00:00Z");
        assert_eq!(s.next_after(t, t), None);
        assert_eq!(sched("0 0 0 31 4,6 *").next_after(t, t), None);
        // With a restricted day-of-week the days are OR-ed, so Fridays in February fire.
        assert_eq!(
            fires(&sched("0 0 0 30 2 5"), "2024-01-01T00:00:00Z", 1),
            ["2024-02-02T00:00:00+00:00"]
        );
        assert_eq!(
            fires(&sched("0 0 0 29 2 *"), "2097-01-01T00:00:00Z", 1),
            ["2104-02-29T00:00:00+00:00"]
        );
    }

    #[test]
    fn descriptors() {
        let from = "2024-01-03T10:20:30Z";
        let cases = [
            ("@yearly", "2025-01-01T00:00:00+00:00"),
            ("@annually", "2025-01-01T00:00:00+00:00"),
            ("@monthly", "2024-02-01T00:00:00+00:00"),
            ("@weekly", "2024-01-07T00:00:00+00:00"),
            ("@daily", "2024-01-04T00:00:00+00:00"),
            ("@midnight", "2024-01-04T00:00:00+00:00"),
            ("@hourly", "2024-01-03T11:00:00+00:00"),
            ("@minutely", "2024-01-03T10:21:00+00:00"),
            ("@DAILY", "2024-01-04T00:00:00+00:00"),
        ];
        for (expr, want) in cases {
            assert_eq!(fires(&sched(expr), from, 1), [want], "{expr}");
        }
        // Decision: descriptors run in the job's zone.
        let s = Schedule::parse("@daily", Some("America/New_York"), "job").unwrap();
        assert_eq!(fires(&s, from, 1), ["2024-01-04T05:00:00+00:00"]);
    }

    #[test]
    fn manually_never_fires() {
        let s = sched("@manually");
        assert!(s.is_manual());
        let t = utc("2024-01-01T00:00:00Z");
        assert_eq!(s.next_after(t, t), None);
        assert!(!sched("@daily").is_manual());
        assert!(!sched("@every 1s").is_manual());
    }

    #[test]
    fn every_is_anchored() {
        let s = sched("@every 1h30m");
        let anchor = utc("2024-01-01T10:00:00.700Z");
        let at = |t: &str| s.next_after(utc(t), anchor).map(|t| t.to_rfc3339());
        assert_eq!(
            at("2024-01-01T10:00:00.700Z").unwrap(),
            "2024-01-01T11:30:00+00:00"
        );
        assert_eq!(
            at("2024-01-01T11:29:59.999Z").unwrap(),
            "2024-01-01T11:30:00+00:00"
        );
        assert_eq!(
            at("2024-01-01T11:30:00Z").unwrap(),
            "2024-01-01T13:00:00+00:00"
        );
        assert_eq!(
            at("2024-01-02T10:00:00Z").unwrap(),
            "2024-01-02T11:30:00+00:00"
        );
        // Before the anchor, the first tick is anchor + d.
        assert_eq!(
            at("2023-06-01T00:00:00Z").unwrap(),
            "2024-01-01T11:30:00+00:00"
        );
        // Rounded down to whole seconds, and at least one second.
        for (expr, want) in [
            ("@every 1500ms", "2024-01-01T10:00:01+00:00"),
            ("@every 500ms", "2024-01-01T10:00:01+00:00"),
            ("@every 0", "2024-01-01T10:00:01+00:00"),
            ("@every 2.9s", "2024-01-01T10:00:02+00:00"),
        ] {
            let s = sched(expr);
            let got = s.next_after(anchor, anchor).unwrap().to_rfc3339();
            assert_eq!(got, want, "{expr}");
        }
        // The job zone does not matter.
        let s = Schedule::parse("@every 1h", Some("Asia/Kolkata"), "job").unwrap();
        assert_eq!(
            s.next_after(anchor, anchor).unwrap().to_rfc3339(),
            "2024-01-01T11:00:00+00:00"
        );
    }

    #[test]
    fn at_fires_once() {
        let s = sched("@at 2024-06-01T12:00:00.250+02:00");
        let fire = utc("2024-06-01T10:00:00Z");
        let before = utc("2024-05-01T00:00:00Z");
        assert_eq!(s.next_after(before, before), Some(fire));
        assert_eq!(
            s.next_after(utc("2024-06-01T09:59:59.900Z"), before),
            Some(fire)
        );
        assert_eq!(s.next_after(fire, before), None);
        assert_eq!(s.next_after(utc("2025-01-01T00:00:00Z"), before), None);
    }

    #[test]
    fn after_has_three_cases() {
        let s = sched("@after 2024-01-01T09:00:00Z <PT30M");
        let t = utc("2024-01-01T09:00:00Z");
        let early = utc("2023-12-31T00:00:00Z");
        // Set before T: fires at T.
        assert_eq!(s.next_after(early, early), Some(t));
        assert_eq!(s.next_after(t, early), None);
        // Set at T: fires at T (if that is still ahead).
        assert_eq!(s.next_after(early, t), Some(t));
        // Set within the grace period: fires once at the anchor, rounded up to the second.
        let anchor = utc("2024-01-01T09:10:00.200Z");
        let fire = utc("2024-01-01T09:10:01Z");
        assert_eq!(s.next_after(anchor, anchor), Some(fire));
        assert_eq!(s.next_after(fire, anchor), None);
        let edge = utc("2024-01-01T09:30:00Z");
        assert_eq!(s.next_after(t, edge), Some(edge));
        // Set after the grace period: never fires.
        let late = utc("2024-01-01T09:30:00.001Z");
        assert_eq!(s.next_after(late, late), None);
        assert_eq!(s.next_after(early, late), None);
        // Without a grace period it behaves like @at, from the anchor's point of view.
        let s = sched("@after 2024-01-01T09:00:00Z");
        assert_eq!(s.next_after(early, early), Some(t));
        assert_eq!(s.next_after(early, anchor), None);
    }

    #[test]
    fn timezone_prefixes_and_job_zone() {
        let from = "2024-01-10T00:00:00Z";
        let london = Schedule::parse("0 0 9 * * *", Some("Europe/London"), "j").unwrap();
        assert_eq!(
            fires(&london, "2024-07-10T00:00:00Z", 1),
            ["2024-07-10T08:00:00+00:00"]
        );
        for expr in [
            "TZ=Asia/Kolkata 0 0 9 * * *",
            "CRON_TZ=Asia/Kolkata 0 0 9 * * *",
        ] {
            // The prefix overrides the job zone.
            let s = Schedule::parse(expr, Some("Europe/London"), "j").unwrap();
            assert_eq!(fires(&s, from, 1), ["2024-01-10T03:30:00+00:00"], "{expr}");
        }
        let s = sched("CRON_TZ=America/New_York @daily");
        assert_eq!(fires(&s, from, 1), ["2024-01-10T05:00:00+00:00"]);
        let s = Schedule::parse("0 0 9 * * *", Some(""), "j").unwrap();
        assert_eq!(fires(&s, from, 1), ["2024-01-10T09:00:00+00:00"]);
        assert_eq!(parse_timezone("Europe/Paris"), Ok(chrono_tz::Europe::Paris));
        assert_eq!(parse_timezone(""), Ok(Tz::UTC));
    }

    #[test]
    fn hash_uses_the_job_name() {
        // sum("test_job") = 858: 858 % 24 = 18, 858 % 60 = 18, 858 % 28 + 1 = 19,
        // 858 % 12 + 1 = 7, 858 % 7 = 4 (Thursday).
        let hashed = Schedule::parse("0 0 ~ * * *", None, "test_job").unwrap();
        assert_eq!(
            fires(&hashed, "2024-01-01T00:00:00Z", 3),
            fires(&sched("0 0 18 * * *"), "2024-01-01T00:00:00Z", 3)
        );
        let s = Schedule::parse("0 ~/15 * * * *", None, "test_job").unwrap();
        assert_eq!(
            fires(&s, "2024-01-01T00:00:00Z", 4),
            [
                "2024-01-01T00:18:00+00:00",
                "2024-01-01T00:33:00+00:00",
                "2024-01-01T00:48:00+00:00",
                "2024-01-01T01:18:00+00:00",
            ]
        );
        let s = Schedule::parse("~ 0 0 ~ ~ *", None, "test_job").unwrap();
        assert_eq!(
            fires(&s, "2024-01-01T00:00:00Z", 1),
            ["2024-07-19T00:00:18+00:00"]
        );
        let s = Schedule::parse("0 0 0 * * ~", None, "test_job").unwrap();
        assert_eq!(
            fires(&s, "2024-01-01T00:00:00Z", 1),
            ["2024-01-04T00:00:00+00:00"]
        );
    }

    #[test]
    fn error_messages_name_the_problem() {
        assert_eq!(
            err("30 2 * * *"),
            "expected 6 fields (second minute hour day-of-month month day-of-week), got 5 in \"30 2 * * *\""
        );
        assert!(
            err("0 30 2 * * * 2024").contains("got 7"),
            "{}",
            err("0 30 2 * * * 2024")
        );
        assert_eq!(
            err("0 61 * * * *"),
            "invalid minute field \"61\" in \"0 61 * * * *\": 61 is above the maximum 59"
        );
        assert!(err("0 0 24 * * *").contains("hour field \"24\""));
        assert!(err("0 0 0 0 * *").contains("0 is below the minimum 1"));
        assert!(err("0 0 0 * 13 *").contains("month field"));
        assert!(err("0 0 0 * * 8").contains("above the maximum 7"));
        assert!(err("0 0 0 * foo *").contains("\"foo\" is not a number or a name"));
        assert!(err("0 0 0 * * MON-FOO").contains("day-of-week field"));
        assert!(err("0 0 JAN * * *").contains("\"JAN\" is not a number"));
        assert!(err("0 */0 * * * *").contains("must be positive"));
        assert!(err("0 */x * * * *").contains("not a positive number"));
        assert!(err("0 1/2/3 * * * *").contains("not a positive number"));
        assert!(err("0 30-10 * * * *").contains("range start 30 is beyond its end 10"));
        assert!(err("0 1,,2 * * * *").contains("missing value"));
        assert!(err("0 1-2-3 * * * *").contains("minute field"));
        for croner_only in [
            "0 0 0 L * *",
            "0 0 0 15W * *",
            "0 0 0 * * 5#2",
            "0 0 0 1 * +MON",
        ] {
            assert!(
                err(croner_only).starts_with("invalid day-of-"),
                "{croner_only}"
            );
        }
        assert_eq!(err(""), "empty schedule");
        assert_eq!(err("   "), "empty schedule");
        assert!(err("@fortnightly").starts_with("unknown schedule descriptor \"@fortnightly\""));
        assert_eq!(err("@daily 5"), "@daily takes no argument, got \"5\"");
        assert!(err("@every 1x").contains("\"1x\""), "{}", err("@every 1x"));
        assert!(err("@every").starts_with("invalid @every schedule"));
        assert!(err("@every -5s").contains("-5s"));
        assert!(err("@at tomorrow").starts_with("invalid @at time \"tomorrow\""));
        assert!(err("@after 2024-01-01T09:00:00Z PT30M").contains("expected <grace period"));
        assert!(err("@after 2024-01-01T09:00:00Z <P2H").contains("P2H"));
        assert!(err("@after yesterday <PT1M").contains("\"yesterday\" is not RFC 3339"));
        assert!(err("@after").contains("missing time"));
        assert_eq!(
            err("TZ=Mars/Olympus 0 0 0 * * *"),
            "unknown time zone \"Mars/Olympus\" (expected an IANA name such as Europe/London)"
        );
        assert!(err("CRON_TZ=Europe/London").starts_with("no schedule after"));
        assert_eq!(
            Schedule::parse("@daily", Some("Europe/Lundon"), "j").unwrap_err(),
            ScheduleError::UnknownTimezone("Europe/Lundon".into())
        );
        assert!(parse_timezone("europe/london").is_err());
    }

    // ---- Daylight saving -------------------------------------------------------------------

    /// All fire instants during one local calendar day.
    fn fires_on_day(expr: &str, zone: &str, day: &str) -> Vec<DateTime<Utc>> {
        let tz: Tz = zone.parse().unwrap();
        let date: NaiveDate = day.parse().unwrap();
        // The first instant of the day (midnight itself may be skipped).
        let start_of = |d: NaiveDate| {
            let midnight = d.and_hms_opt(0, 0, 0).unwrap();
            (0..180)
                .find_map(|m| {
                    tz.from_local_datetime(&(midnight + TimeDelta::minutes(m)))
                        .earliest()
                })
                .unwrap()
                .with_timezone(&Utc)
        };
        let (start, end) = (start_of(date), start_of(date.succ_opt().unwrap()));
        let s = Schedule::parse(expr, Some(zone), "job").unwrap();
        let mut t = start - TimeDelta::seconds(1);
        let mut out = Vec::new();
        while let Some(next) = s.next_after(t, start) {
            if next >= end {
                break;
            }
            assert!(next > t);
            out.push(next);
            t = next;
        }
        out
    }

    fn utcs(list: &[&str]) -> Vec<DateTime<Utc>> {
        list.iter().map(|s| utc(s)).collect()
    }

    #[test]
    fn new_york_spring_forward() {
        // 2024-03-10: 02:00 EST becomes 03:00 EDT at 07:00 UTC.
        let day = "2024-03-10";
        let zone = "America/New_York";
        // 02:30 does not exist: runs once, at the first instant after the gap (03:00 EDT).
        assert_eq!(
            fires_on_day("0 30 2 * * *", zone, day),
            utcs(&["2024-03-10T07:00:00Z"])
        );
        assert_eq!(
            fires_on_day("0 30 1 * * *", zone, day),
            utcs(&["2024-03-10T06:30:00Z"])
        );
        assert_eq!(
            fires_on_day("0 30 3 * * *", zone, day),
            utcs(&["2024-03-10T07:30:00Z"])
        );
        // Several skipped times of one fixed-hour job become one run.
        assert_eq!(
            fires_on_day("0 0,30 2 * * *", zone, day),
            utcs(&["2024-03-10T07:00:00Z"])
        );
        assert_eq!(
            fires_on_day("0 0 2,3 * * *", zone, day),
            utcs(&["2024-03-10T07:00:00Z"])
        );
        // Wildcard hours: the skipped hour simply does not exist.
        assert_eq!(fires_on_day("0 0 * * * *", zone, day).len(), 23);
        let quarter = fires_on_day("0 */15 * * * *", zone, day);
        assert_eq!(quarter.len(), 92);
        assert!(quarter.contains(&utc("2024-03-10T06:45:00Z")));
        assert!(quarter.contains(&utc("2024-03-10T07:00:00Z")));
        // Asked from the last second before the gap (or a fraction into it).
        let s = Schedule::parse("0 30 2 * * *", Some(zone), "job").unwrap();
        for t in ["2024-03-10T06:59:59Z", "2024-03-10T06:59:59.500Z"] {
            assert_eq!(
                s.next_after(utc(t), utc(t)),
                Some(utc("2024-03-10T07:00:00Z")),
                "{t}"
            );
        }
        let t = utc("2024-03-10T07:00:00Z");
        assert_eq!(s.next_after(t, t), Some(utc("2024-03-11T06:30:00Z")));
        // The day before and after are normal.
        assert_eq!(
            fires_on_day("0 30 2 * * *", zone, "2024-03-09"),
            utcs(&["2024-03-09T07:30:00Z"])
        );
        assert_eq!(
            fires_on_day("0 30 2 * * *", zone, "2024-03-11"),
            utcs(&["2024-03-11T06:30:00Z"])
        );
    }

    #[test]
    fn new_york_fall_back() {
        // 2024-11-03: 02:00 EDT becomes 01:00 EST at 06:00 UTC; 01:00-01:59 happens twice.
        let day = "2024-11-03";
        let zone = "America/New_York";
        // Fixed hour in the repeated hour: first occurrence only (01:30 EDT).
        assert_eq!(
            fires_on_day("0 30 1 * * *", zone, day),
            utcs(&["2024-11-03T05:30:00Z"])
        );
        assert_eq!(
            fires_on_day("0 30 2 * * *", zone, day),
            utcs(&["2024-11-03T07:30:00Z"])
        );
        assert_eq!(
            fires_on_day("0 0,30 1 * * *", zone, day),
            utcs(&["2024-11-03T05:00:00Z", "2024-11-03T05:30:00Z"])
        );
        assert_eq!(fires_on_day("0 * 1 * * *", zone, day).len(), 60);
        // Wildcard hours run in both passes.
        let hourly = fires_on_day("0 0 * * * *", zone, day);
        assert_eq!(hourly.len(), 25);
        assert!(hourly.contains(&utc("2024-11-03T05:00:00Z")));
        assert!(hourly.contains(&utc("2024-11-03T06:00:00Z")));
        assert_eq!(fires_on_day("0 */15 * * * *", zone, day).len(), 100);
        assert_eq!(fires_on_day("@hourly", zone, day).len(), 25);
        assert_eq!(
            fires_on_day("@daily", zone, day),
            utcs(&["2024-11-03T04:00:00Z"])
        );
    }

    #[test]
    fn london_spring_forward() {
        // 2024-03-31: 01:00 GMT becomes 02:00 BST at 01:00 UTC; 01:00-01:59 is skipped.
        let day = "2024-03-31";
        let zone = "Europe/London";
        assert_eq!(
            fires_on_day("0 30 1 * * *", zone, day),
            utcs(&["2024-03-31T01:00:00Z"])
        );
        assert_eq!(
            fires_on_day("0 30 2 * * *", zone, day),
            utcs(&["2024-03-31T01:30:00Z"])
        );
        assert_eq!(fires_on_day("0 0 * * * *", zone, day).len(), 23);
    }

    #[test]
    fn london_fall_back() {
        // 2024-10-27: 02:00 BST becomes 01:00 GMT at 01:00 UTC; 01:00-01:59 happens twice.
        let day = "2024-10-27";
        let zone = "Europe/London";
        assert_eq!(
            fires_on_day("0 30 1 * * *", zone, day),
            utcs(&["2024-10-27T00:30:00Z"])
        );
        assert_eq!(
            fires_on_day("0 30 2 * * *", zone, day),
            utcs(&["2024-10-27T02:30:00Z"])
        );
        assert_eq!(fires_on_day("0 0 * * * *", zone, day).len(), 25);
        // Asking from inside the second pass does not bring the first-pass time back.
        let s = Schedule::parse("0 30 1 * * *", Some(zone), "job").unwrap();
        let t = utc("2024-10-27T01:10:00Z");
        assert_eq!(s.next_after(t, t), Some(utc("2024-10-28T01:30:00Z")));
    }

    #[test]
    fn lord_howe_half_hour_shifts() {
        // 2024-10-06: 02:00 +10:30 becomes 02:30 +11:00 (15:30 UTC the day before).
        let zone = "Australia/Lord_Howe";
        assert_eq!(
            fires_on_day("0 15 2 * * *", zone, "2024-10-06"),
            utcs(&["2024-10-05T15:30:00Z"])
        );
        assert_eq!(fires_on_day("0 0 * * * *", zone, "2024-10-06").len(), 23);
        // 2024-04-07: 02:00 +11:00 becomes 01:30 +10:30; 01:30-01:59 happens twice.
        assert_eq!(
            fires_on_day("0 45 1 * * *", zone, "2024-04-07"),
            utcs(&["2024-04-06T14:45:00Z"])
        );
        assert_eq!(fires_on_day("0 */15 * * * *", zone, "2024-04-07").len(), 98);
    }

    #[test]
    fn midnight_gap_in_sao_paulo() {
        // 2018-11-04: 00:00 -03 became 01:00 -02, so that day had no midnight.
        let zone = "America/Sao_Paulo";
        assert_eq!(
            fires_on_day("@daily", zone, "2018-11-04"),
            utcs(&["2018-11-04T03:00:00Z"])
        );
    }

    // ---- Properties against an independent brute force ------------------------------------

    const ZONES: [&str; 6] = [
        "UTC",
        "Europe/London",
        "America/New_York",
        "Australia/Lord_Howe",
        "Asia/Kolkata",
        "America/Sao_Paulo",
    ];

    #[derive(Clone, Debug)]
    enum Part {
        Star { question: bool },
        StarStep(u32),
        Value(u32),
        Range(u32, u32),
        RangeStep(u32, u32, u32),
        ValueStep(u32, u32),
    }

    #[derive(Clone, Debug)]
    struct GenField {
        parts: Vec<Part>,
        use_names: bool,
    }

    /// Field bounds: min, max for `*`, max literal.
    const BOUNDS: [(u32, u32, u32); 6] = [
        (0, 59, 59),
        (0, 59, 59),
        (0, 23, 23),
        (1, 31, 31),
        (1, 12, 12),
        (0, 6, 7),
    ];

    impl GenField {
        fn render(&self, idx: usize) -> String {
            let name = |v: u32| -> String {
                match idx {
                    4 if self.use_names => MONTHS[v as usize - 1].to_uppercase(),
                    5 if self.use_names && v < 7 => WEEKDAYS[v as usize].to_string(),
                    _ => v.to_string(),
                }
            };
            let parts: Vec<String> = self
                .parts
                .iter()
                .map(|p| match *p {
                    Part::Star { question } => if question { "?" } else { "*" }.to_string(),
                    Part::StarStep(s) => format!("*/{s}"),
                    Part::Value(v) => name(v),
                    Part::Range(a, b) => format!("{}-{}", name(a), name(b)),
                    Part::RangeStep(a, b, s) => format!("{}-{}/{s}", name(a), name(b)),
                    Part::ValueStep(a, s) => format!("{}/{s}", name(a)),
                })
                .collect();
            parts.join(",")
        }

        fn matches(&self, idx: usize, v: u32) -> bool {
            let (min, max, _) = BOUNDS[idx];
            let one = |v: u32| {
                self.parts.iter().any(|p| match *p {
                    Part::Star { .. } => true,
                    Part::StarStep(s) => (v - min).is_multiple_of(s) && v <= max,
                    Part::Value(a) => v == a,
                    Part::Range(a, b) => a <= v && v <= b,
                    Part::RangeStep(a, b, s) => a <= v && v <= b && (v - a).is_multiple_of(s),
                    Part::ValueStep(a, s) => a <= v && v <= max && (v - a).is_multiple_of(s),
                })
            };
            // Day-of-week 7 is Sunday.
            one(v) || (idx == 5 && v == 0 && one(7))
        }

        fn is_star(&self) -> bool {
            self.parts
                .iter()
                .any(|p| matches!(p, Part::Star { .. } | Part::StarStep(1)))
        }
    }

    #[derive(Clone, Debug)]
    struct GenSpec {
        fields: Vec<GenField>,
    }

    impl GenSpec {
        fn render(&self) -> String {
            let f: Vec<String> = self
                .fields
                .iter()
                .enumerate()
                .map(|(i, f)| f.render(i))
                .collect();
            f.join(" ")
        }

        fn fixed_hour(&self) -> bool {
            !self.fields[2]
                .parts
                .iter()
                .any(|p| matches!(p, Part::Star { .. } | Part::StarStep(_)))
        }

        /// Hour, minute and calendar day match (the seconds are checked separately).
        fn matches_minute(&self, wall: NaiveDateTime) -> bool {
            let f = &self.fields;
            let dom = f[3].matches(3, wall.day());
            let dow = f[5].matches(5, wall.weekday().num_days_from_sunday());
            let day = if f[3].is_star() || f[5].is_star() {
                dom && dow
            } else {
                dom || dow
            };
            day && f[4].matches(4, wall.month())
                && f[2].matches(2, wall.hour())
                && f[1].matches(1, wall.minute())
        }
    }

    /// Every fire instant in `(after, end]`, at most `limit` of them, by walking UTC minutes.
    /// The rules are the documented ones, written down independently of the implementation.
    fn brute_force(
        spec: &GenSpec,
        tz: Tz,
        after: DateTime<Utc>,
        end: DateTime<Utc>,
        limit: usize,
    ) -> Vec<DateTime<Utc>> {
        let offset = |t: DateTime<Utc>| {
            TimeDelta::seconds(i64::from(
                tz.offset_from_utc_datetime(&t.naive_utc())
                    .fix()
                    .local_minus_utc(),
            ))
        };
        let any_second = (0..60).any(|s| spec.fields[0].matches(0, s));
        let fixed = spec.fixed_hour();
        let mut out = Vec::new();
        let mut minute = after.with_second(0).unwrap().with_nanosecond(0).unwrap();
        while minute <= end && out.len() < limit {
            let off = offset(minute);
            let prev_off = offset(minute - TimeDelta::minutes(1));
            let wall_minute = minute.naive_utc() + off;
            // A gap starts at this minute: did a fixed-hour job lose a time inside it?
            let mut gap_fire = false;
            if fixed && off > prev_off && any_second {
                let mut w = minute.naive_utc() + prev_off;
                while w < wall_minute {
                    gap_fire |= spec.matches_minute(w);
                    w += TimeDelta::minutes(1);
                }
            }
            let minute_matches = spec.matches_minute(wall_minute);
            for sec in 0..60 {
                let instant = minute + TimeDelta::seconds(sec);
                if instant <= after || instant > end {
                    continue;
                }
                let wall = wall_minute + TimeDelta::seconds(sec);
                let mut fire = minute_matches && spec.fields[0].matches(0, sec as u32);
                if fire && fixed {
                    // Repeated wall-clock time: only the first occurrence runs.
                    if let LocalResult::Ambiguous(_, later) = tz.from_local_datetime(&wall) {
                        fire = later.with_timezone(&Utc) != instant;
                    }
                }
                if (fire || (sec == 0 && gap_fire)) && out.len() < limit {
                    out.push(instant);
                }
            }
            minute += TimeDelta::minutes(1);
        }
        out
    }

    /// Instants where each zone's offset changes in 2015-2030 (searches start near them).
    /// Found by an hourly scan, computed once.
    fn transitions(zone: usize) -> &'static [i64] {
        static ALL: std::sync::OnceLock<Vec<Vec<i64>>> = std::sync::OnceLock::new();
        let all = ALL.get_or_init(|| {
            ZONES
                .iter()
                .map(|name| {
                    let tz: Tz = name.parse().unwrap();
                    let off = |s: i64| {
                        let t = DateTime::from_timestamp(s, 0).unwrap().naive_utc();
                        tz.offset_from_utc_datetime(&t).fix().local_minus_utc()
                    };
                    let start = utc("2015-01-01T00:00:00Z").timestamp();
                    let end = utc("2030-12-31T00:00:00Z").timestamp();
                    (start..end)
                        .step_by(3600)
                        .filter(|s| off(*s) != off(s + 3600))
                        .map(|s| s + 3600)
                        .collect()
                })
                .collect()
        });
        &all[zone]
    }

    /// One part of field `idx`. `dst` draws hours near the usual transition times (00:00 to
    /// 03:59) and makes the calendar fields mostly stars, so most runs meet a transition.
    fn part_strategy(idx: usize, dst: bool) -> BoxedStrategy<Part> {
        let (min, max, lit) = BOUNDS[idx];
        let value = match (idx, dst) {
            (2, true) => (0u32..=3).boxed(),
            (2, false) => prop_oneof![0u32..=3, 0u32..=23].boxed(),
            _ => (min..=lit).boxed(),
        };
        let star_weight = match (idx, dst) {
            (3..=5, true) => 40,
            (0, true) => 1,
            (3 | 5, false) => 6,
            (4, false) => 12,
            _ => 3,
        };
        prop_oneof![
            star_weight => any::<bool>().prop_map(|question| Part::Star { question }),
            1 => (1..=max - min + 1).prop_map(Part::StarStep),
            3 => value.clone().prop_map(Part::Value),
            2 => (value.clone(), value.clone()).prop_map(|(a, b)| Part::Range(a.min(b), a.max(b))),
            1 => (value.clone(), value, 1..=max)
                .prop_map(|(a, b, s)| Part::RangeStep(a.min(b), a.max(b), s)),
            1 => (min..=max, 1..=max).prop_map(|(a, s)| Part::ValueStep(a, s)),
        ]
        .boxed()
    }

    fn spec_strategy(dst: bool) -> impl Strategy<Value = GenSpec> {
        let field = move |idx: usize| {
            (
                prop::collection::vec(part_strategy(idx, dst), 1..=3),
                any::<bool>(),
            )
                .prop_map(|(parts, use_names)| GenField { parts, use_names })
        };
        (field(0), field(1), field(2), field(3), field(4), field(5)).prop_map(
            |(a, b, c, d, e, f)| GenSpec {
                fields: vec![a, b, c, d, e, f],
            },
        )
    }

    /// A zone and a start instant with random nanoseconds. Mostly within a day and a half
    /// before one of the zone's transitions (sometimes a second or two before it), otherwise
    /// anywhere in 2016-2027. `dst` picks only zones with transitions and starts at most four
    /// hours before one.
    fn start_strategy(dst: bool) -> impl Strategy<Value = (Tz, DateTime<Utc>)> {
        let shift = if dst {
            prop_oneof![4 => -4 * 3600i64..600, 1 => -3i64..=1].boxed()
        } else {
            prop_oneof![3 => -36 * 3600i64..0, 1 => -2 * 86_400i64..86_400, 1 => -3i64..=1].boxed()
        };
        let zones: &[usize] = if dst {
            &[1, 2, 3, 5]
        } else {
            &[0, 1, 2, 3, 4, 5]
        };
        let uniform = prop::bool::weighted(if dst { 0.0 } else { 0.25 });
        (
            prop::sample::select(zones),
            any::<prop::sample::Index>(),
            uniform,
            shift,
            0u32..1_000_000_000,
        )
            .prop_map(|(zone, pick, uniform, shift, nanos)| {
                let tz: Tz = ZONES[zone].parse().unwrap();
                let list = transitions(zone);
                let base = if uniform || list.is_empty() {
                    utc("2016-01-01T00:00:00Z").timestamp() + (pick.index(12 * 365) as i64) * 86_400
                } else {
                    list[pick.index(list.len())]
                };
                (tz, DateTime::from_timestamp(base + shift, nanos).unwrap())
            })
    }

    /// `next_after` equals the brute force's first fire in the next three days (or, if there
    /// is none, lies beyond them).
    fn check_next(spec: &GenSpec, (tz, after): (Tz, DateTime<Utc>)) -> Result<(), TestCaseError> {
        let text = spec.render();
        let s = Schedule::parse(&text, Some(tz.name()), "job").unwrap();
        let end = after + TimeDelta::days(3);
        let want = brute_force(spec, tz, after, end, 1).first().copied();
        let got = s.next_after(after, after);
        match want {
            Some(w) => prop_assert_eq!(got, Some(w), "{} in {} after {}", text, tz, after),
            None => prop_assert!(got.is_none_or(|g| g > end), "{} in {}: {:?}", text, tz, got),
        }
        Ok(())
    }

    /// Iterating `next_after` gives strictly increasing whole seconds, the same as the brute
    /// force's list over two days (up to 400 fires).
    fn check_sequence(
        spec: &GenSpec,
        (tz, after): (Tz, DateTime<Utc>),
    ) -> Result<(), TestCaseError> {
        let text = spec.render();
        let s = Schedule::parse(&text, Some(tz.name()), "job").unwrap();
        let end = after + TimeDelta::days(2);
        let want = brute_force(spec, tz, after, end, 400);
        let mut got = Vec::new();
        let mut t = after;
        while got.len() < want.len().max(1) {
            match s.next_after(t, after) {
                Some(next) if next <= end => {
                    prop_assert!(next > t, "{} in {}: {} after {}", text, tz, next, t);
                    prop_assert_eq!(next.nanosecond(), 0);
                    got.push(next);
                    t = next;
                }
                _ => break,
            }
        }
        prop_assert_eq!(got, want, "{} in {} after {}", text, tz, after);
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        #[test]
        fn next_after_matches_brute_force(spec in spec_strategy(false), start in start_strategy(false)) {
            check_next(&spec, start)?;
        }

        #[test]
        fn next_after_matches_brute_force_across_dst(spec in spec_strategy(true), start in start_strategy(true)) {
            check_next(&spec, start)?;
        }

        #[test]
        fn iterated_fires_are_increasing_and_match_brute_force(
            spec in spec_strategy(false),
            start in start_strategy(false),
        ) {
            check_sequence(&spec, start)?;
        }

        #[test]
        fn iterated_fires_match_brute_force_across_dst(
            spec in spec_strategy(true),
            start in start_strategy(true),
        ) {
            check_sequence(&spec, start)?;
        }

        #[test]
        fn every_is_the_smallest_tick_after(
            secs in 1i64..200_000,
            anchor in 1_600_000_000i64..1_700_000_000,
            delta in -1_000_000i64..10_000_000,
            nanos in 0u32..1_000_000_000,
        ) {
            let s = Schedule::parse(&format!("@every {secs}s"), None, "j").unwrap();
            let anchor = DateTime::from_timestamp(anchor, 0).unwrap();
            let after = DateTime::from_timestamp(anchor.timestamp() + delta, nanos).unwrap();
            let next = s.next_after(after, anchor).unwrap();
            let k = (next - anchor).num_seconds();
            prop_assert!(k > 0 && k % secs == 0);
            prop_assert!(next > after);
            prop_assert!(k == secs || next - TimeDelta::seconds(secs) <= after);
        }
    }
}
