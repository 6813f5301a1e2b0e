//! Reading how long a provider asks us to wait: `retry-after-ms`, or `Retry-After` as
//! seconds or as an HTTP date (RFC 9110 §10.2.3). Whatever the header says, the wait is
//! at most [`MAX_WAIT`]: a broken or hostile value (`1e30`, a date in the year 9999) must
//! neither overflow a clock nor set a backend aside for good.

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;

/// The longest wait a Retry-After may ask for; longer asks are cut to it.
pub(super) const MAX_WAIT: Duration = Duration::from_secs(3600);

pub(super) fn parse(headers: &HeaderMap) -> Option<Duration> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(ms) = text("retry-after-ms").and_then(|v| v.parse::<f64>().ok())
        && let Some(wait) = seconds(ms / 1000.0)
    {
        return Some(wait);
    }
    let value = text("retry-after")?;
    if let Ok(secs) = value.parse::<f64>() {
        return seconds(secs);
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO)
            .min(MAX_WAIT),
    )
}

/// A non-negative number of seconds as a wait of at most [`MAX_WAIT`].
fn seconds(secs: f64) -> Option<Duration> {
    if secs.is_nan() || secs < 0.0 {
        return None;
    }
    Some(Duration::try_from_secs_f64(secs).map_or(MAX_WAIT, |d| d.min(MAX_WAIT)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(pairs: &[(&'static str, &str)], expect: Option<Duration>) {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        let got = parse(&h);
        match (got, expect) {
            (Some(g), Some(e)) => assert!(g.abs_diff(e) < Duration::from_secs(2), "{g:?} vs {e:?}"),
            (g, e) => assert_eq!(g, e),
        }
    }

    #[test]
    fn seconds_ms_and_dates() {
        check(&[("retry-after", "2")], Some(Duration::from_secs(2)));
        check(
            &[("retry-after-ms", "1500"), ("retry-after", "9")],
            Some(Duration::from_millis(1500)),
        );
        let later = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(30));
        check(
            &[("retry-after", later.as_str())],
            Some(Duration::from_secs(30)),
        );
        check(
            &[("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")],
            Some(Duration::ZERO),
        );
        check(&[("retry-after", "soon")], None);
        check(&[], None);
    }

    /// What a broken or hostile server may send is cut to an hour, or ignored.
    #[test]
    fn huge_and_broken_values_are_bounded() {
        for huge in ["1e30", "1e309", "18446744073709551616", "inf"] {
            check(&[("retry-after", huge)], Some(MAX_WAIT));
        }
        check(&[("retry-after-ms", "1e300")], Some(MAX_WAIT));
        check(
            &[("retry-after", "Fri, 31 Dec 9999 23:59:59 GMT")],
            Some(MAX_WAIT),
        );
        for broken in ["-1", "NaN", "-inf", ""] {
            check(&[("retry-after", broken)], None);
        }
        check(
            &[("retry-after-ms", "NaN"), ("retry-after", "3")],
            Some(Duration::from_secs(3)),
        );
    }
}
