//! Duration syntaxes that Dkron users already write: Go's `time.ParseDuration` form
//! (`1h30m10s`, `500ms`, `2.5s`), used by `@every`, shell `timeout` and the agent's interval
//! flags, and the ISO 8601 form (`PT30M`) used by `@after`.

use std::time::Duration;

/// Parses a Go duration string: a sequence of decimal numbers, each with an optional fraction
/// and a unit suffix (`ns`, `us`/`µs`, `ms`, `s`, `m`, `h`). A bare `0` is accepted; negative
/// durations are refused because nothing in Belfry can use one.
pub fn parse_go_duration(text: &str) -> Result<Duration, String> {
    let s = text.trim();
    if s.is_empty() {
        return Err("empty duration".into());
    }
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    if s.starts_with('-') {
        return Err(format!("negative duration {text:?}"));
    }
    let s = s.strip_prefix('+').unwrap_or(s);
    let mut total_nanos: f64 = 0.0;
    let mut rest = s;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num_len == 0 {
            return Err(format!("invalid duration {text:?}: expected a number"));
        }
        let number: f64 = rest[..num_len].parse().map_err(|_| {
            format!(
                "invalid duration {text:?}: bad number {:?}",
                &rest[..num_len]
            )
        })?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let scale = match unit {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            "" => {
                return Err(format!(
                    "invalid duration {text:?}: missing unit (ns, us, ms, s, m, h)"
                ));
            }
            other => return Err(format!("invalid duration {text:?}: unknown unit {other:?}")),
        };
        total_nanos += number * scale;
    }
    if !total_nanos.is_finite() || total_nanos > u64::MAX as f64 {
        return Err(format!("invalid duration {text:?}: too large"));
    }
    Ok(Duration::from_nanos(total_nanos.round() as u64))
}

/// Parses the ISO 8601 duration subset Dkron's `@after` accepts: `P[nY][nM][nW][nD][T[nH][nM][nS]]`
/// with whole numbers, a year counted as 365 days and a month as 30 days. Hours, minutes and
/// seconds need the `T` (so `P2H` is refused, as in Dkron).
pub fn parse_iso8601_duration(text: &str) -> Result<Duration, String> {
    let bad = |why: &str| format!("invalid ISO 8601 duration {text:?}: {why}");
    let body = text
        .strip_prefix('P')
        .ok_or_else(|| bad("must start with 'P'"))?;
    if body.is_empty() {
        return Err(bad("no components"));
    }
    let (date_part, time_part) = match body.split_once('T') {
        Some((d, t)) => {
            if t.is_empty() {
                return Err(bad("'T' must be followed by hours, minutes or seconds"));
            }
            (d, Some(t))
        }
        None => (body, None),
    };
    let mut secs: u64 = 0;
    let mut add = |part: &str, units: &[(char, u64)]| -> Result<(), String> {
        let mut rest = part;
        let mut last_unit = 0usize;
        while !rest.is_empty() {
            let n_len = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            if n_len == 0 {
                return Err(bad("expected a number"));
            }
            let n: u64 = rest[..n_len].parse().map_err(|_| bad("number too large"))?;
            let unit = rest[n_len..]
                .chars()
                .next()
                .ok_or_else(|| bad("missing unit"))?;
            let pos = units
                .iter()
                .position(|(u, _)| *u == unit)
                .ok_or_else(|| bad(&format!("unexpected unit {unit:?}")))?;
            if pos < last_unit {
                return Err(bad("units out of order"));
            }
            last_unit = pos + 1;
            secs = n
                .checked_mul(units[pos].1)
                .and_then(|v| secs.checked_add(v))
                .ok_or_else(|| bad("too large"))?;
            rest = &rest[n_len + unit.len_utf8()..];
        }
        Ok(())
    };
    add(
        date_part,
        &[
            ('Y', 365 * 86400),
            ('M', 30 * 86400),
            ('W', 7 * 86400),
            ('D', 86400),
        ],
    )?;
    if let Some(t) = time_part {
        add(t, &[('H', 3600), ('M', 60), ('S', 1)])?;
    }
    Ok(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        assert_eq!(
            parse_go_duration("1h30m10s").unwrap(),
            Duration::from_secs(5410)
        );
        assert_eq!(
            parse_go_duration("500ms").unwrap(),
            Duration::from_millis(500)
        );
        assert_eq!(
            parse_go_duration("1.5s").unwrap(),
            Duration::from_millis(1500)
        );
        assert_eq!(parse_go_duration("0").unwrap(), Duration::ZERO);
        assert!(
            parse_go_duration("10")
                .unwrap_err()
                .contains("missing unit")
        );
        assert!(
            parse_go_duration("5d")
                .unwrap_err()
                .contains("unknown unit")
        );
        assert!(parse_go_duration("-1s").is_err());
        assert!(parse_go_duration("").is_err());
        assert!(parse_go_duration("s").is_err());
    }

    #[test]
    fn iso_durations() {
        assert_eq!(
            parse_iso8601_duration("PT30M").unwrap(),
            Duration::from_secs(1800)
        );
        assert_eq!(
            parse_iso8601_duration("P1DT1H").unwrap(),
            Duration::from_secs(90000)
        );
        assert_eq!(
            parse_iso8601_duration("P1Y").unwrap(),
            Duration::from_secs(365 * 86400)
        );
        assert!(parse_iso8601_duration("P2H").is_err());
        assert!(parse_iso8601_duration("PT").is_err());
        assert!(parse_iso8601_duration("30M").is_err());
        assert!(parse_iso8601_duration("PT1S1M").is_err());
    }
}
