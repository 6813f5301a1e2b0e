//! Block markers: how a chunk's pieces travel inside one prompt and come back apart.
//!
//! Each piece follows a line `<<<n>>>` (n from 1) and the data ends with `<<<end>>>`. The
//! markers are plain ASCII that models copy reliably, and they are unlikely in news text.
//! The strict reading ([`decode`]) is what validation uses: anything before the first
//! marker is a preamble, anything after the end marker is commentary.

const END: &str = "end";

pub(crate) fn encode<'a>(pieces: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for (i, piece) in pieces.into_iter().enumerate() {
        out.push_str(&format!("<<<{}>>>\n{}\n", i + 1, piece.trim()));
    }
    out.push_str(&format!("<<<{END}>>>\n"));
    out
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MarkerError {
    #[error("no block markers in the answer")]
    NoMarkers,
    #[error("text before the first block marker (a preamble)")]
    Preamble,
    #[error("text after the end marker (commentary)")]
    Commentary,
    #[error("the end marker is missing (the answer was cut short or rewritten)")]
    Unterminated,
    #[error("block markers out of order: expected <<<{expected}>>>, found <<<{found}>>>")]
    OutOfOrder { expected: usize, found: String },
}

/// The layout of marked text, before any judgement.
#[derive(Debug, Default)]
pub(crate) struct Parsed {
    pub before: String,
    pub segments: Vec<(String, String)>,
    pub terminated: bool,
    pub after: String,
}

/// A marker at the start of `line`: its label and the text following it on that line.
fn marker(line: &str) -> Option<(&str, &str)> {
    let rest = line.trim_start().strip_prefix("<<<")?;
    let (label, tail) = rest.split_once(">>>")?;
    let ok = label == END || (!label.is_empty() && label.chars().all(|c| c.is_ascii_digit()));
    ok.then_some((label, tail))
}

pub(crate) fn parse(text: &str) -> Parsed {
    let mut p = Parsed::default();
    for line in text.lines() {
        match marker(line) {
            Some((label, tail)) if !p.terminated => {
                if label == END {
                    p.terminated = true;
                    p.after.push_str(tail);
                } else {
                    p.segments.push((label.to_string(), tail.to_string()));
                }
            }
            _ => {
                let target = if p.terminated {
                    &mut p.after
                } else if let Some((_, body)) = p.segments.last_mut() {
                    body
                } else {
                    &mut p.before
                };
                target.push('\n');
                target.push_str(line);
            }
        }
    }
    p
}

/// Reads an answer strictly: markers 1..n in order, nothing around them.
pub(crate) fn decode(text: &str) -> Result<Vec<String>, MarkerError> {
    let p = parse(text);
    if p.segments.is_empty() {
        return Err(MarkerError::NoMarkers);
    }
    if !p.before.trim().is_empty() {
        return Err(MarkerError::Preamble);
    }
    if !p.terminated {
        return Err(MarkerError::Unterminated);
    }
    if !p.after.trim().is_empty() {
        return Err(MarkerError::Commentary);
    }
    p.segments
        .into_iter()
        .enumerate()
        .map(|(i, (label, body))| {
            if label == (i + 1).to_string() {
                Ok(body.trim().to_string())
            } else {
                Err(MarkerError::OutOfOrder {
                    expected: i + 1,
                    found: label,
                })
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expect: Result<Vec<&str>, MarkerError>) {
        let expect = expect.map(|v| v.into_iter().map(String::from).collect());
        assert_eq!(decode(text), expect, "{text:?}");
    }

    #[test]
    fn round_trip_and_faults() {
        let encoded = encode(["Uma frase.", "Linha um\nlinha dois"]);
        check(&encoded, Ok(vec!["Uma frase.", "Linha um\nlinha dois"]));
        check("<<<1>>> inline\n<<<end>>>", Ok(vec!["inline"]));
        check(
            "Sure! Here it is:\n<<<1>>>\nx\n<<<end>>>",
            Err(MarkerError::Preamble),
        );
        check(
            "<<<1>>>\nx\n<<<end>>>\nHope this helps.",
            Err(MarkerError::Commentary),
        );
        check("<<<1>>>\nx\n<<<2>>>\ny", Err(MarkerError::Unterminated));
        check("just text", Err(MarkerError::NoMarkers));
        check(
            "<<<1>>>\nx\n<<<3>>>\ny\n<<<end>>>",
            Err(MarkerError::OutOfOrder {
                expected: 2,
                found: "3".into(),
            }),
        );
    }
}
