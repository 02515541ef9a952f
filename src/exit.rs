//! The exit-code contract, shared by every command.
//!
//! Scripts and CI gate on these numbers, so they are named here once and
//! documented in README and the man page. `probe` is the exception: Docker
//! reserves 2, so it folds everything into [`SUCCESS`] or [`CHECK_FAILED`].

/// Every check passed (warnings allowed unless `--fail-on warn`).
pub const SUCCESS: i32 = 0;
/// A check failed: unhealthy GPU, below threshold, corrupted result.
pub const CHECK_FAILED: i32 = 1;
/// Bad arguments, selector, duration, config file or flag combination.
pub const USAGE: i32 = 2;
/// The environment stopped us: no driver library, no GPU matched, no
/// permission, or an internal error of the tool itself.
pub const ENVIRONMENT: i32 = 3;
/// Stopped by SIGINT/SIGTERM after printing the partial report (128 + 2).
pub const INTERRUPTED: i32 = 130;

/// `probe` may only ever exit 0 or 1; map any other code onto those two.
pub fn for_probe(code: i32) -> i32 {
    if code == SUCCESS {
        SUCCESS
    } else {
        CHECK_FAILED
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_the_documented_numbers() {
        assert_eq!(SUCCESS, 0);
        assert_eq!(CHECK_FAILED, 1);
        assert_eq!(USAGE, 2);
        assert_eq!(ENVIRONMENT, 3);
        assert_eq!(INTERRUPTED, 130);
    }

    #[test]
    fn probe_never_exits_with_anything_but_zero_or_one() {
        for code in [
            SUCCESS,
            CHECK_FAILED,
            USAGE,
            ENVIRONMENT,
            INTERRUPTED,
            101,
            -1,
        ] {
            let mapped = for_probe(code);
            assert!(mapped == 0 || mapped == 1, "{code} mapped to {mapped}");
        }
        assert_eq!(for_probe(SUCCESS), 0);
        assert_eq!(for_probe(USAGE), 1);
        assert_eq!(for_probe(ENVIRONMENT), 1);
    }
}
