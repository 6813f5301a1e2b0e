//! Output checks: an answer is used only after it has been read back into exactly the
//! blocks that were sent, each non-empty, translated, in the target language, and carrying
//! every number of its source.

use crate::detect;
use crate::lang::LangTag;
use crate::marker::{self, MarkerError};

/// Below this many letters an unchanged block may be a name or a figure, not an echo.
const ECHO_MIN_LETTERS: usize = 20;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error(transparent)]
    Markers(#[from] MarkerError),
    #[error("{got} blocks in the answer, {expected} sent (blocks merged or split)")]
    BlockCount { expected: usize, got: usize },
    #[error("block {0} of the answer is empty")]
    EmptyBlock(usize),
    #[error("block {0} of the answer is the source text, untranslated")]
    Echo(usize),
    #[error("block {block} of the answer lacks the number {number}")]
    MissingNumber { block: usize, number: String },
    #[error("the answer is in {found}, not {expected}")]
    WrongLanguage { expected: String, found: String },
    #[error("the summary is empty")]
    EmptySummary,
    #[error("the summary still holds block markers")]
    MarkersInSummary,
    #[error("the summary has the number {0}, which the article does not")]
    Ungrounded(String),
}

/// Checks a translation answer for `pieces` and returns one text per piece.
pub fn translation(
    pieces: &[&str],
    answer: &str,
    source: &LangTag,
    target: &LangTag,
) -> Result<Vec<String>, Problem> {
    let blocks = marker::decode(answer)?;
    if blocks.len() != pieces.len() {
        return Err(Problem::BlockCount {
            expected: pieces.len(),
            got: blocks.len(),
        });
    }
    for (i, (out, src)) in blocks.iter().zip(pieces).enumerate() {
        if out.trim().is_empty() {
            return Err(Problem::EmptyBlock(i + 1));
        }
        if source.primary() != target.primary() && is_echo(src, out) {
            return Err(Problem::Echo(i + 1));
        }
        if let Some(number) = missing_number(src, out) {
            return Err(Problem::MissingNumber {
                block: i + 1,
                number,
            });
        }
    }
    in_language(&blocks.join("\n"), target)?;
    Ok(blocks)
}

/// Checks a summary answer against the whole source text it summarizes.
pub fn summary(answer: &str, source: &str, target: &LangTag) -> Result<String, Problem> {
    let text = answer.trim();
    if text.is_empty() {
        return Err(Problem::EmptySummary);
    }
    if text.contains("<<<") {
        return Err(Problem::MarkersInSummary);
    }
    if let Some(number) = missing_number(text, source) {
        return Err(Problem::Ungrounded(number));
    }
    in_language(text, target)?;
    Ok(text.to_string())
}

/// The detector, where it knows the language and the text is long enough, must agree.
fn in_language(text: &str, target: &LangTag) -> Result<(), Problem> {
    match detect::detect(text) {
        Some(found) if detect::can_detect(target) && found.primary() != target.primary() => {
            Err(Problem::WrongLanguage {
                expected: target.to_string(),
                found: found.to_string(),
            })
        }
        _ => Ok(()),
    }
}

fn is_echo(source: &str, out: &str) -> bool {
    let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    source.chars().filter(|c| c.is_alphabetic()).count() >= ECHO_MIN_LETTERS
        && norm(source) == norm(out)
}

/// Runs of ASCII digits: "1,200.5" gives 1, 200, 5, so grouping and decimal marks may
/// change with the locale ("1.200,5") without counting as a lost number.
fn digit_runs(text: &str) -> Vec<&str> {
    text.split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .collect()
}

/// The first digit run of `source` that `out` has fewer of. Read backwards, for a summary:
/// the first number of the summary that the article does not hold.
fn missing_number(source: &str, out: &str) -> Option<String> {
    let mut have = digit_runs(out);
    for run in digit_runs(source) {
        match have.iter().position(|h| *h == run) {
            Some(i) => {
                have.swap_remove(i);
            }
            None => return Some(run.to_string()),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(pieces: &[&str], answer: &str, expect: Result<usize, Problem>) {
        let en = LangTag::parse("en").unwrap();
        let pt = LangTag::parse("pt-BR").unwrap();
        let got = translation(pieces, answer, &en, &pt).map(|b| b.len());
        assert_eq!(got, expect, "{answer:?}");
    }

    #[test]
    fn accepts_good_answers_and_names_each_fault() {
        let src = [
            "Prices rose 2.5% to 1,200 dollars in 2024.",
            "The council met on Tuesday evening.",
        ];
        let good = "<<<1>>>\nOs preços subiram 2,5% para 1.200 dólares em 2024.\n<<<2>>>\nA câmara reuniu-se na terça-feira à noite.\n<<<end>>>";
        check(&src, good, Ok(2));
        check(
            &src,
            "<<<1>>>\nOs preços subiram 2,5% para 1.200 dólares em 2024. A câmara reuniu-se.\n<<<end>>>",
            Err(Problem::BlockCount {
                expected: 2,
                got: 1,
            }),
        );
        check(
            &src,
            &good.replace("A câmara reuniu-se na terça-feira à noite.", " "),
            Err(Problem::EmptyBlock(2)),
        );
        check(
            &src,
            &good.replace("A câmara reuniu-se na terça-feira à noite.", src[1]),
            Err(Problem::Echo(2)),
        );
        check(
            &src,
            &good.replace("2024", "2023"),
            Err(Problem::MissingNumber {
                block: 1,
                number: "2024".into(),
            }),
        );
        check(
            &src,
            &format!("Claro! {good}"),
            Err(Problem::Markers(MarkerError::Preamble)),
        );
        let russian = "<<<1>>>\nЦены выросли на 2,5% до 1.200 долларов в 2024 году.\n<<<2>>>\nСовет собрался во вторник вечером.\n<<<end>>>";
        check(
            &src,
            russian,
            Err(Problem::WrongLanguage {
                expected: "pt-BR".into(),
                found: "ru".into(),
            }),
        );
    }

    #[test]
    fn summaries_are_grounded_and_in_language() {
        let pt = LangTag::parse("pt").unwrap();
        let source = "Rain closed 12 roads and 3 schools on Monday in the north of the country.";
        let good = "A chuva fechou 12 estradas e 3 escolas na segunda-feira no norte do país.";
        assert_eq!(
            summary(&format!(" {good}\n"), source, &pt).as_deref(),
            Ok(good)
        );
        assert_eq!(summary("  ", source, &pt), Err(Problem::EmptySummary));
        assert_eq!(
            summary(&good.replace("12", "15"), source, &pt),
            Err(Problem::Ungrounded("15".into()))
        );
        assert_eq!(
            summary(&format!("<<<1>>>\n{good}"), source, &pt),
            Err(Problem::MarkersInSummary)
        );
        let english = "Rain closed 12 roads and 3 schools on Monday in the north of the country.";
        assert!(matches!(
            summary(english, source, &pt),
            Err(Problem::WrongLanguage { .. })
        ));
    }
}
