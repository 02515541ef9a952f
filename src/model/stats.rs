//! The one median and the one rounding of reported figures.
//!
//! `median` is the conventional one: the middle value of an odd count, the
//! mean of the two middle values of an even count, `None` for no values.
//! Every figure gpuctl reports as a median (burn's TFLOP/s, bench's
//! metrics, p2p's copy times) comes from it, so two commands never give
//! different answers for the same samples.

/// The median of `values` (in any order): the middle value, or the mean of
/// the two middle values for an even count; `None` when there are none.
pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// `x` rounded to `digits` decimal places (half away from zero).
pub fn round_to(x: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    (x * scale).round() / scale
}

/// `x` to one decimal place (TFLOP/s, GB/s, seconds, percentages).
pub fn round1(x: f64) -> f64 {
    round_to(x, 1)
}

/// `x` to two decimal places (bench's metrics, p2p's seconds).
pub fn round2(x: f64) -> f64 {
    round_to(x, 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_an_odd_count_is_the_middle_value() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[7.0]), Some(7.0));
    }

    #[test]
    fn median_of_an_even_count_is_the_mean_of_the_middle_two() {
        // The upper-middle value (3.0 here) was what burn and p2p reported.
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[4.0, 1.0]), Some(2.5));
    }

    #[test]
    fn median_of_nothing_is_none() {
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn rounding_keeps_the_asked_digits() {
        assert_eq!(round1(2.25), 2.3);
        assert_eq!(round1(-2.25), -2.3);
        assert_eq!(round2(1.005_1), 1.01);
        assert_eq!(round_to(1234.5, 0), 1235.0);
    }
}
