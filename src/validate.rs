//! Output checks: an answer is used only after it has been read back into exactly the
//! blocks that were sent, each non-empty and translated (structural checks: failing one,
//! the answer is unusable and asked again). The content checks — language, numbers,
//! length ratio, a summary's grounding — each have a configurable [`Action`].

use serde::{Deserialize, Serialize};

use crate::backend::Answer;
use crate::detect;
use crate::lang::LangTag;
use crate::marker::{self, MarkerError};
use crate::protect::{PlaceholderError, without_placeholders};

/// Below this many letters an unchanged block may be a name or a figure, not an echo.
const ECHO_MIN_LETTERS: usize = 20;
/// How models open an answer when they talk about it instead of giving it.
/// Only phrases no news sentence starts with: "Claro" is a Brazilian telecom company.
const OPENERS: &[&str] = &[
    "here is",
    "here's",
    "sure,",
    "certainly,",
    "summary:",
    "aqui está o resumo",
    "resumo:",
    "aquí está el resumen",
    "resumen:",
    "краткое содержание:",
    "以下是",
    "总结：",
    "opsomming:",
];
/// ... and how they close one.
const CLOSERS: &[&str] = &["note:", "word count", "nota:", "примечание:", "注："];

/// Below this many characters a block's length says little about its translation.
const RATIO_MIN_CHARS: usize = 80;
/// A translation this many times shorter or longer than expected was not translated.
const RATIO_BOUND: f64 = 3.0;

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum Problem {
    #[error(transparent)]
    Markers(#[from] MarkerError),
    #[error("{got} blocks in the answer, {expected} sent (blocks merged or split)")]
    BlockCount { expected: usize, got: usize },
    #[error("block {0} of the answer is empty")]
    EmptyBlock(usize),
    #[error("block {0} of the answer is the source text, untranslated")]
    Echo(usize),
    #[error("the summary is empty")]
    EmptySummary,
    #[error("the summary still holds block markers")]
    MarkersInSummary,
    #[error("the summary opens with a preamble ({0:?})")]
    SummaryPreamble(String),
    #[error("the summary ends with commentary ({0:?})")]
    SummaryCommentary(String),
    #[error("block {block} of the answer lacks the number {number}")]
    MissingNumber { block: usize, number: String },
    #[error("the answer is in {found}, not {expected}")]
    WrongLanguage { expected: String, found: String },
    #[error("block {block} of the answer is {ratio:.1} times the expected length")]
    LengthRatio { block: usize, ratio: f64 },
    #[error("the summary has the number {0}, which the article does not")]
    Ungrounded(String),
    #[error("block {block} of the answer lacks the glossary term '{expected}' for '{term}'")]
    GlossaryMiss {
        block: usize,
        term: String,
        expected: String,
    },
    #[error(transparent)]
    Placeholder(#[from] PlaceholderError),
}

impl Problem {
    /// The block of the answer (from 1) the problem is in, where it is in one.
    pub fn block(&self) -> Option<usize> {
        match self {
            Problem::EmptyBlock(b) | Problem::Echo(b) => Some(*b),
            Problem::MissingNumber { block, .. }
            | Problem::LengthRatio { block, .. }
            | Problem::GlossaryMiss { block, .. } => Some(*block),
            _ => None,
        }
    }
}

/// What to do when a content check fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Ask the same backend again (then the next one, after the attempts).
    Retry,
    /// Move to the next backend of the route at once.
    Next,
    /// Use the answer, with a warning in the output.
    Warn,
}

/// The action for each content check (config `[validation]`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Policy {
    pub language: Action,
    pub numbers: Action,
    pub length_ratio: Action,
    pub grounding: Action,
    /// A glossary term whose target term is missing from the translation.
    pub glossary: Action,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            language: Action::Retry,
            numbers: Action::Retry,
            length_ratio: Action::Warn,
            grounding: Action::Retry,
            glossary: Action::Retry,
        }
    }
}

impl Policy {
    /// The action a problem calls for: structural problems always retry.
    pub fn action(&self, problem: &Problem) -> Action {
        match problem {
            Problem::WrongLanguage { .. } => self.language,
            Problem::MissingNumber { .. } => self.numbers,
            Problem::LengthRatio { .. } => self.length_ratio,
            Problem::Ungrounded(_) => self.grounding,
            Problem::GlossaryMiss { .. } => self.glossary,
            _ => Action::Retry,
        }
    }

    /// The strongest action among `problems` (next, then retry, then warn) and its cause.
    pub fn verdict<'p>(&self, problems: &'p [Problem]) -> Option<(Action, &'p Problem)> {
        let rank = |a: Action| match a {
            Action::Next => 2,
            Action::Retry => 1,
            Action::Warn => 0,
        };
        problems
            .iter()
            .map(|p| (self.action(p), p))
            .max_by_key(|(a, _)| rank(*a))
    }
}

/// An answer read back, with the content problems found in it.
pub type Checked<T> = Result<(T, Vec<Problem>), Problem>;

/// Checks a translation answer for `pieces` and returns one text per piece.
pub fn translation(
    pieces: &[&str],
    answer: &Answer,
    source: &LangTag,
    target: &LangTag,
) -> Checked<Vec<String>> {
    let blocks = match answer {
        Answer::Marked(text) => marker::decode(text)?,
        Answer::Pieces(texts) => texts.iter().map(|t| t.trim().to_string()).collect(),
    };
    if blocks.len() != pieces.len() {
        return Err(Problem::BlockCount {
            expected: pieces.len(),
            got: blocks.len(),
        });
    }
    let mut problems = Vec::new();
    let expected_ratio = target.language().expansion() / source.language().expansion();
    for (i, (out, src)) in blocks.iter().zip(pieces).enumerate() {
        if out.trim().is_empty() {
            return Err(Problem::EmptyBlock(i + 1));
        }
        if source.primary() != target.primary() && is_echo(src, out) {
            return Err(Problem::Echo(i + 1));
        }
        if let Some(number) = missing_number(src, out) {
            problems.push(Problem::MissingNumber {
                block: i + 1,
                number,
            });
        }
        let src_chars = src.chars().count();
        if src_chars >= RATIO_MIN_CHARS {
            let ratio = out.chars().count() as f64 / (src_chars as f64 * expected_ratio);
            if !(1.0 / RATIO_BOUND..=RATIO_BOUND).contains(&ratio) {
                problems.push(Problem::LengthRatio {
                    block: i + 1,
                    ratio,
                });
            }
        }
    }
    problems.extend(in_language(&blocks.join("\n"), target));
    Ok((blocks, problems))
}

/// Checks a summary answer against the whole source text it summarizes.
pub fn summary(answer: &str, source: &str, target: &LangTag) -> Checked<String> {
    let text = answer.trim();
    if text.is_empty() {
        return Err(Problem::EmptySummary);
    }
    if text.contains("<<<") {
        return Err(Problem::MarkersInSummary);
    }
    let first = text.lines().next().unwrap_or_default().trim();
    let opener = first.to_lowercase();
    if first.ends_with([':', '：']) || OPENERS.iter().any(|o| opener.starts_with(o)) {
        return Err(Problem::SummaryPreamble(first.chars().take(60).collect()));
    }
    let last = text.lines().last().unwrap_or_default().trim();
    let closer = last.to_lowercase();
    if text.lines().count() > 1
        && (last.starts_with('(') || CLOSERS.iter().any(|c| closer.starts_with(c)))
    {
        return Err(Problem::SummaryCommentary(last.chars().take(60).collect()));
    }
    let mut problems: Vec<Problem> = missing_number(text, source)
        .map(Problem::Ungrounded)
        .into_iter()
        .collect();
    problems.extend(in_language(text, target));
    Ok((text.to_string(), problems))
}

/// The detector, where it knows the language and the text is long enough, must agree.
fn in_language(text: &str, target: &LangTag) -> Option<Problem> {
    if !detect::can_detect(target) {
        return None;
    }
    match detect::detect(text) {
        Some(found) if found.primary() != target.primary() => Some(Problem::WrongLanguage {
            expected: target.to_string(),
            found: found.to_string(),
        }),
        _ => None,
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
    // Placeholder ids are digits too, and placeholders are checked on their own.
    let (source, out) = (without_placeholders(source), without_placeholders(out));
    let mut have = digit_runs(&out);
    for run in digit_runs(&source) {
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

    /// `Ok(problems)` or the structural error.
    fn check(pieces: &[&str], answer: &str, expect: Result<Vec<Problem>, Problem>) {
        let en = LangTag::parse("en").unwrap();
        let pt = LangTag::parse("pt-BR").unwrap();
        let answer = Answer::Marked(answer.to_string());
        let got = translation(pieces, &answer, &en, &pt).map(|(_, problems)| problems);
        assert_eq!(got, expect, "{answer:?}");
    }

    const SRC: [&str; 2] = [
        "Prices rose 2.5% to 1,200 dollars in 2024.",
        "The council met on Tuesday evening.",
    ];
    const GOOD: &str = "<<<1>>>\nOs preços subiram 2,5% para 1.200 dólares em 2024.\n<<<2>>>\nA câmara reuniu-se na terça-feira à noite.\n<<<end>>>";

    #[test]
    fn structural_faults_make_an_answer_unusable() {
        check(&SRC, GOOD, Ok(vec![]));
        let merged = "<<<1>>>\nOs preços subiram 2,5% para 1.200 dólares em 2024. A câmara reuniu-se.\n<<<end>>>";
        check(
            &SRC,
            merged,
            Err(Problem::BlockCount {
                expected: 2,
                got: 1,
            }),
        );
        check(
            &SRC,
            &GOOD.replace("A câmara reuniu-se na terça-feira à noite.", " "),
            Err(Problem::EmptyBlock(2)),
        );
        check(
            &SRC,
            &GOOD.replace("A câmara reuniu-se na terça-feira à noite.", SRC[1]),
            Err(Problem::Echo(2)),
        );
        check(
            &SRC,
            &format!("Claro! {GOOD}"),
            Err(Problem::Markers(MarkerError::Preamble)),
        );
    }

    #[test]
    fn content_problems_are_listed() {
        check(
            &SRC,
            &GOOD.replace("2024", "2023"),
            Ok(vec![Problem::MissingNumber {
                block: 1,
                number: "2024".into(),
            }]),
        );
        let russian = "<<<1>>>\nЦены выросли на 2,5% до 1.200 долларов в 2024 году.\n<<<2>>>\nСовет собрался во вторник вечером.\n<<<end>>>";
        check(
            &SRC,
            russian,
            Ok(vec![Problem::WrongLanguage {
                expected: "pt-BR".into(),
                found: "ru".into(),
            }]),
        );
        let long =
            "The council met on Tuesday evening to discuss the budget for the next five years.";
        let answer = "<<<1>>>\nA câmara reuniu-se.\n<<<end>>>";
        let en = LangTag::parse("en").unwrap();
        let pt = LangTag::parse("pt").unwrap();
        let (_, problems) = translation(&[long], &Answer::Marked(answer.into()), &en, &pt).unwrap();
        assert!(
            matches!(problems[..], [Problem::LengthRatio { block: 1, ratio }] if ratio < 0.34),
            "{problems:?}"
        );
    }

    #[test]
    fn policy_picks_the_strongest_action() {
        let policy = Policy {
            numbers: Action::Warn,
            language: Action::Next,
            ..Policy::default()
        };
        let number = Problem::MissingNumber {
            block: 1,
            number: "7".into(),
        };
        let lang = Problem::WrongLanguage {
            expected: "pt".into(),
            found: "en".into(),
        };
        assert_eq!(
            policy.verdict(std::slice::from_ref(&number)),
            Some((Action::Warn, &number))
        );
        assert_eq!(
            policy.verdict(&[number.clone(), lang.clone()]),
            Some((Action::Next, &lang))
        );
        assert_eq!(policy.verdict(&[]), None);
        assert_eq!(policy.action(&Problem::EmptyBlock(1)), Action::Retry);
    }

    #[test]
    fn summaries_are_grounded_and_in_language() {
        let pt = LangTag::parse("pt").unwrap();
        let source = "Rain closed 12 roads and 3 schools on Monday in the north of the country.";
        let good = "A chuva fechou 12 estradas e 3 escolas na segunda-feira no norte do país.";
        assert_eq!(
            summary(&format!(" {good}\n"), source, &pt),
            Ok((good.to_string(), vec![]))
        );
        assert_eq!(summary("  ", source, &pt), Err(Problem::EmptySummary));
        assert_eq!(
            summary(&format!("<<<1>>>\n{good}"), source, &pt),
            Err(Problem::MarkersInSummary)
        );
        let (_, problems) = summary(&good.replace("12", "15"), source, &pt).unwrap();
        assert_eq!(problems, vec![Problem::Ungrounded("15".into())]);
        for talk in [
            "Aqui está o resumo:\nA chuva fechou 12 estradas.",
            "Sure, here it is. A chuva fechou 12 estradas.",
        ] {
            assert!(
                matches!(summary(talk, source, &pt), Err(Problem::SummaryPreamble(_))),
                "{talk}"
            );
        }
        let noted = format!("{good}\n(Word count: 14)");
        assert!(matches!(
            summary(&noted, source, &pt),
            Err(Problem::SummaryCommentary(_))
        ));
        let (_, problems) = summary(source, source, &pt).unwrap();
        assert!(matches!(problems[..], [Problem::WrongLanguage { .. }]));
    }
}
