//! The one parser for every value a user types: on the command line (clap
//! calls these through `cli.rs`) and in the config file (`config.rs`).
//!
//! Each function takes the raw text and the accepted range and returns the
//! value or one line saying what is accepted. The caller adds who supplied
//! the value: clap prefixes "invalid value 'X' for '--opt'", the config file
//! prefixes file, line and key. Values that do not fit a type are out of
//! range, never a panic or a wrap-around, and every range is small enough
//! that `Instant + duration` cannot overflow.

use std::time::Duration;

/// An inclusive range of durations an option accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DurationRange {
    pub min: Duration,
    pub max: Duration,
}

impl DurationRange {
    pub const fn new(min: Duration, max: Duration) -> Self {
        Self { min, max }
    }

    /// `from 100ms to 1h`, as help text and errors write it.
    pub fn describe(&self) -> String {
        format!(
            "from {} to {}",
            humantime::format_duration(self.min),
            humantime::format_duration(self.max)
        )
    }
}

/// An inclusive range of whole numbers an option accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntRange {
    pub min: u64,
    pub max: u64,
}

impl IntRange {
    pub const fn new(min: u64, max: u64) -> Self {
        Self { min, max }
    }

    pub fn describe(&self) -> String {
        format!("from {} to {}", self.min, self.max)
    }
}

/// A range of real numbers; `min_exclusive` for "above zero".
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FloatRange {
    pub min: f64,
    pub min_exclusive: bool,
    pub max: f64,
}

impl FloatRange {
    pub const fn new(min: f64, min_exclusive: bool, max: f64) -> Self {
        Self {
            min,
            min_exclusive,
            max,
        }
    }

    pub fn describe(&self) -> String {
        if self.min_exclusive {
            format!("above {} up to {}", self.min, self.max)
        } else {
            format!("from {} to {}", self.min, self.max)
        }
    }

    fn contains(&self, x: f64) -> bool {
        let above = if self.min_exclusive {
            x > self.min
        } else {
            x >= self.min
        };
        x.is_finite() && above && x <= self.max
    }
}

const DURATION_FORM: &str = "a number with a unit, like 500ms, 30s, 10m or 1h";

/// A humantime duration (`500ms`, `30s`, `1h 30m`) within `range`.
pub fn duration(value: &str, range: DurationRange) -> Result<Duration, String> {
    let bad = || format!("expected a duration {}: {DURATION_FORM}", range.describe());
    let d = humantime::parse_duration(value.trim()).map_err(|_| bad())?;
    if d < range.min || d > range.max {
        return Err(bad());
    }
    Ok(d)
}

/// A whole number within `range` (digits only: no sign, no fraction).
pub fn integer(value: &str, range: IntRange) -> Result<u64, String> {
    let bad = || format!("expected a whole number {}", range.describe());
    let v = value.trim();
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    // Too many digits for u64 is simply out of range.
    let n: u64 = v.parse().map_err(|_| bad())?;
    if n < range.min || n > range.max {
        return Err(bad());
    }
    Ok(n)
}

/// [`integer`] for options stored as `u32`; `range.max` must fit `u32`.
pub fn integer_u32(value: &str, range: IntRange) -> Result<u32, String> {
    let n = integer(value, range)?;
    u32::try_from(n).map_err(|_| format!("expected a whole number {}", range.describe()))
}

/// A finite real number within `range`.
pub fn number(value: &str, range: FloatRange) -> Result<f64, String> {
    let bad = || format!("expected a number {}", range.describe());
    let x: f64 = value.trim().parse().map_err(|_| bad())?;
    if range.contains(x) {
        Ok(x)
    } else {
        Err(bad())
    }
}

/// A percentage, `90%` or `90` (a bare number is a percentage too, so
/// `0.5` means 0.5%, not half), within `range` (in percent). Returns the
/// percentage, not the fraction.
pub fn percent(value: &str, range: FloatRange) -> Result<f64, String> {
    let bad = || {
        let lo = if range.min_exclusive {
            format!("above {}%", range.min)
        } else {
            format!("from {}%", range.min)
        };
        format!(
            "expected a percentage {lo} to {}%, like 90% (a bare number is a percentage: 0.5 means 0.5%)",
            range.max
        )
    };
    let v = value.trim();
    let number = v.strip_suffix('%').unwrap_or(v).trim();
    let x: f64 = number.parse().map_err(|_| bad())?;
    if range.contains(x) {
        Ok(x)
    } else {
        Err(bad())
    }
}

/// Most parts a version may have (`535.104.05` has three).
const VERSION_PARTS: usize = 4;

/// A dotted version (`535.104.05`, `12.2`): 1 to 4 whole numbers, each of
/// which fits `u32`, so comparing versions never meets an unreadable part.
pub fn version(value: &str) -> Result<String, String> {
    let v = value.trim();
    let parts: Vec<&str> = v.split('.').collect();
    let ok = !v.is_empty()
        && parts.len() <= VERSION_PARTS
        && parts.iter().all(|p| {
            !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) && p.parse::<u32>().is_ok()
        });
    if ok {
        Ok(v.to_string())
    } else {
        Err(format!(
            "expected a version of 1 to {VERSION_PARTS} dot-separated whole numbers, each at most {}, like 535.104 or 12.2",
            u32::MAX
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECS: DurationRange =
        DurationRange::new(Duration::from_millis(100), Duration::from_secs(3600));

    #[test]
    fn durations_take_human_units_within_range() {
        assert_eq!(duration("10m", SECS).unwrap(), Duration::from_secs(600));
        assert_eq!(
            duration(" 500ms ", SECS).unwrap(),
            Duration::from_millis(500)
        );
        assert_eq!(duration("1h", SECS).unwrap(), Duration::from_secs(3600));
        for bad in [
            "10",
            "-1s",
            "0s",
            "99ms",
            "1h 1s",
            "18446744073709551615s",
            "18446744073709551616s",
            "",
            "soon",
        ] {
            let err = duration(bad, SECS).unwrap_err();
            assert!(err.contains("from 100ms to 1h"), "{bad}: {err}");
            assert!(!err.contains('\n'));
        }
    }

    #[test]
    fn integers_name_their_range_and_never_wrap() {
        let r = IntRange::new(0, 1000);
        assert_eq!(integer("7", r).unwrap(), 7);
        assert_eq!(integer("1000", r).unwrap(), 1000);
        for bad in [
            "1001",
            "-1",
            "+1",
            "1.5",
            "x",
            "",
            "18446744073709551616",
            "1e3",
        ] {
            let err = integer(bad, r).unwrap_err();
            assert_eq!(err, "expected a whole number from 0 to 1000", "{bad}");
        }
        let big = IntRange::new(0, u64::from(u32::MAX));
        assert_eq!(integer_u32("4294967295", big).unwrap(), u32::MAX);
        assert!(integer_u32("4294967296", big).is_err());
    }

    #[test]
    fn numbers_reject_non_finite_and_out_of_range() {
        let r = FloatRange::new(0.0, true, 1e6);
        assert_eq!(number("650", r).unwrap(), 650.0);
        for bad in ["0", "-5", "inf", "NaN", "1e7", "x"] {
            let err = number(bad, r).unwrap_err();
            assert!(err.contains("above 0 up to 1000000"), "{bad}: {err}");
        }
    }

    #[test]
    fn a_bare_number_is_a_percentage() {
        let r = FloatRange::new(5.0, false, 100.0);
        assert_eq!(percent("90%", r).unwrap(), 90.0);
        assert_eq!(percent("90", r).unwrap(), 90.0);
        assert_eq!(percent("5 %", r).unwrap(), 5.0);
        for bad in ["0.5", "-5%", "150%", "4.9", "lots", "%", "NaN%", "inf"] {
            let err = percent(bad, r).unwrap_err();
            assert!(err.contains("from 5% to 100%"), "{bad}: {err}");
            assert!(err.contains("0.5 means 0.5%"), "{bad}: {err}");
        }
    }

    #[test]
    fn version_parts_must_fit_u32() {
        assert_eq!(version("535.104.05").unwrap(), "535.104.05");
        assert_eq!(version("12").unwrap(), "12");
        assert_eq!(version("4294967295.1").unwrap(), "4294967295.1");
        for bad in [
            "99999999999999999999999.1",
            "18446744073709551616",
            "4294967296",
            "1..2",
            ".1",
            "1.",
            "v12",
            "1.2.3.4.5",
            "-1",
            "",
            "1.2a",
        ] {
            let err = version(bad).unwrap_err();
            assert!(err.contains("4294967295"), "{bad}: {err}");
        }
    }
}
