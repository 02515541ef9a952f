//! Wording shared by every command's messages: counts with the right
//! plural, and memory sizes in one unit (GiB; bandwidth stays GB/s).

/// `1 word`, `3 words`, `0 words`.
pub fn count(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Bytes as GiB with one decimal (`83.3`): the unit of every capacity
/// gpuctl prints, tables and messages alike.
pub fn gib(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / (1u64 << 30) as f64)
}

/// Why an unverified SKIP verified nothing, for the `coverage` message.
pub fn why_unverified(check: &super::Check) -> &'static str {
    if check.message.contains("no permission") {
        "no permission"
    } else {
        "its source failed"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular() {
        assert_eq!(count(1, "word"), "1 word");
        assert_eq!(count(0, "word"), "0 words");
        assert_eq!(count(3, "word"), "3 words");
    }

    #[test]
    fn gib_is_binary() {
        assert_eq!(gib(80 * (1 << 30)), "80.0");
        assert_eq!(gib(85_899_345_920 / 2), "40.0");
    }
}
