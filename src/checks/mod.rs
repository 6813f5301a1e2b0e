//! Output checks: an answer is used only after it has been read back into exactly the
//! blocks that were sent, each non-empty and translated (structural checks: failing one,
//! the answer is unusable and asked again). The content checks — language, numbers,
//! length ratio, a summary's grounding — each have a configurable [`Action`].

mod policy;
pub(crate) mod repair;

use crate::detect;
use crate::lang::LangTag;
use crate::marker::{self, MarkerError};
use crate::protect::{PlaceholderError, without_placeholders};
use crate::protocol::Answer;

pub(crate) use policy::{Action, Policy};

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
pub enum Finding {
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
    #[error(transparent)]
    UnfinishedReasoning(#[from] repair::UnfinishedReasoning),
}

impl Finding {
    /// The block of the answer (from 1) the finding is in, where it is in one.
    pub fn block(&self) -> Option<usize> {
        match self {
            Finding::EmptyBlock(b) | Finding::Echo(b) => Some(*b),
            Finding::MissingNumber { block, .. }
            | Finding::LengthRatio { block, .. }
            | Finding::GlossaryMiss { block, .. } => Some(*block),
            _ => None,
        }
    }
}

/// An answer read back, with what its content checks found.
pub(crate) type Checked<T> = Result<(T, Vec<Finding>), Finding>;

/// Checks a translation answer for `pieces` and returns one text per piece.
pub(crate) fn translation(
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
        return Err(Finding::BlockCount {
            expected: pieces.len(),
            got: blocks.len(),
        });
    }
    let mut findings = Vec::new();
    let expected_ratio = target.language().expansion() / source.language().expansion();
    for (i, (out, src)) in blocks.iter().zip(pieces).enumerate() {
        if out.trim().is_empty() {
            return Err(Finding::EmptyBlock(i + 1));
        }
        if source.primary() != target.primary() && is_echo(src, out) {
            return Err(Finding::Echo(i + 1));
        }
        if let Some(number) = missing_number(src, out) {
            findings.push(Finding::MissingNumber {
                block: i + 1,
                number,
            });
        }
        let src_chars = src.chars().count();
        if src_chars >= RATIO_MIN_CHARS {
            let ratio = out.chars().count() as f64 / (src_chars as f64 * expected_ratio);
            if !(1.0 / RATIO_BOUND..=RATIO_BOUND).contains(&ratio) {
                findings.push(Finding::LengthRatio {
                    block: i + 1,
                    ratio,
                });
            }
        }
    }
    findings.extend(in_language(&blocks.join("\n"), target));
    Ok((blocks, findings))
}

/// Checks a summary answer against the whole source text it summarizes.
pub(crate) fn summary(answer: &str, source: &str, target: &LangTag) -> Checked<String> {
    let text = answer.trim();
    if text.is_empty() {
        return Err(Finding::EmptySummary);
    }
    if text.contains("<<<") {
        return Err(Finding::MarkersInSummary);
    }
    let first = text.lines().next().unwrap_or_default().trim();
    if is_preamble(first) {
        return Err(Finding::SummaryPreamble(first.chars().take(60).collect()));
    }
    let last = text.lines().last().unwrap_or_default().trim();
    if text.lines().count() > 1 && is_commentary(last) {
        return Err(Finding::SummaryCommentary(last.chars().take(60).collect()));
    }
    let mut findings: Vec<Finding> = missing_number(text, source)
        .map(Finding::Ungrounded)
        .into_iter()
        .collect();
    findings.extend(in_language(text, target));
    Ok((text.to_string(), findings))
}

/// A line in which a model talks about its answer instead of giving it: one that ends
/// like an introduction, or opens as models introduce.
fn is_preamble(line: &str) -> bool {
    let opener = line.to_lowercase();
    line.ends_with([':', '：']) || OPENERS.iter().any(|o| opener.starts_with(o))
}

/// A closing line of remarks on the answer: an aside in brackets or a note.
fn is_commentary(line: &str) -> bool {
    let closer = line.to_lowercase();
    line.starts_with('(') || CLOSERS.iter().any(|c| closer.starts_with(c))
}

/// The detector must not be sure the text is in another language. An unsure reading
/// (short text, names, a neighbour language, a language it lacks) passes.
fn in_language(text: &str, target: &LangTag) -> Option<Finding> {
    match detect::verdict(text, target) {
        detect::Verdict::Differs(found) => Some(Finding::WrongLanguage {
            expected: target.to_string(),
            found: found.to_string(),
        }),
        detect::Verdict::Unsure => {
            tracing::debug!(%target, "language unsure: the block passes unjudged");
            None
        }
        detect::Verdict::Agrees => None,
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
mod tests;
