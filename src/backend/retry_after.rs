//! Reading how long a provider asks us to wait: `retry-after-ms`, or `Retry-After` as
//! seconds or as an HTTP date (RFC 9110 §10.2.3).

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;

pub fn parse(headers: &HeaderMap) -> Option<Duration> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(ms) = text("retry-after-ms").and_then(|v| v.parse::<f64>().ok())
        && ms.is_finite()
        && ms >= 0.0
    {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    let value = text("retry-after")?;
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
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
}
