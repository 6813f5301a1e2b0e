//! What the mock writes, whatever the protocol: one "translation" per source text, with
//! the content faults applied, and for LLM protocols the whole answer read from lingo's
//! hint headers and the block markers of the user message, never from prompt wording.

use axum::http::HeaderMap;

use super::MockState;
use super::faults::Fault;
use super::gate::header;
use super::phrases;
use crate::lang::LangTag;
use crate::length::{Contract, Unit};
use crate::marker;
use crate::protect::whole_words;
use crate::protocol::hints;

/// Each source written in `to`. Glossary target terms are kept for the entries whose
/// source term occurs (unless `--ignore-glossary`). A merge fault joins the first two
/// texts, a drop-number fault loses the first number of the answer.
pub(super) fn translations(
    state: &MockState,
    sources: &[&str],
    from: &str,
    to: &str,
    fault: Option<Fault>,
    glossary: &[(String, String)],
) -> Option<Vec<String>> {
    let mut texts = sources
        .iter()
        .map(|s| {
            let keep: Vec<&str> = glossary
                .iter()
                .filter(|_| !state.options.ignore_glossary)
                .filter(|(src, _)| whole_words(s, src).next().is_some())
                .map(|(_, tgt)| tgt.as_str())
                .collect();
            phrases::render(s, from, to, &keep)
        })
        .collect::<Option<Vec<String>>>()?;
    if fault == Some(Fault::Merge) && texts.len() >= 2 {
        let second = texts.remove(1);
        texts[0] = format!("{} {second}", texts[0]);
    }
    if fault == Some(Fault::DropNumber)
        && let Some(text) = texts
            .iter_mut()
            .find(|t| t.chars().any(|c| c.is_ascii_digit()))
    {
        let start = text.find(|c: char| c.is_ascii_digit()).unwrap_or(0);
        let end = text[start..]
            .find(|c: char| !c.is_ascii_digit())
            .map_or(text.len(), |n| start + n);
        text.replace_range(start..end, "");
    }
    Some(texts)
}

/// The language a wrong-language fault writes instead of `target`.
pub(super) fn written_in(target: &str, fault: Option<Fault>) -> &str {
    match fault {
        Some(Fault::WrongLang) if target == "en" => "de",
        Some(Fault::WrongLang) => "en",
        _ => target,
    }
}

/// An LLM's answer: its text, and whether it stopped at the length limit.
pub(super) struct LlmAnswer {
    pub text: String,
    pub truncated: bool,
    /// Reasoning sent beside the answer (`--reasoning-field`), where the protocol has a
    /// place for it.
    pub reasoning: Option<String>,
}

/// The answer to an LLM request whose user message is `user`; `Err` is the reason for a 400.
pub(super) fn llm_answer(
    state: &MockState,
    headers: &HeaderMap,
    user: &str,
    fault: Option<Fault>,
) -> Result<LlmAnswer, String> {
    let task = header(headers, hints::TASK);
    if !matches!(task, Some("translate" | "summarize")) {
        return Err("mock: send x-lingo-task: translate or summarize".into());
    }
    let lang = |name| {
        header(headers, name)
            .and_then(|t| LangTag::parse(t).ok())
            .map(|t| t.primary())
    };
    let target =
        lang(hints::TARGET_LANG).ok_or("mock: send x-lingo-target-lang with a language tag")?;
    let source = lang(hints::SOURCE_LANG).unwrap_or("en");
    let segments = marker::parse(user).segments;
    if segments.is_empty() {
        return Err("mock: no <<<n>>> block markers in the user message".into());
    }
    let written = written_in(target, fault);
    let sources: Vec<&str> = segments.iter().map(|(_, text)| text.trim()).collect();
    let text = if task == Some("summarize") {
        let length = header(headers, hints::LENGTH)
            .and_then(|l| l.parse().ok())
            .unwrap_or(Contract {
                unit: Unit::Words,
                limit: 60,
            });
        let overlong = if header(headers, hints::STEP) == Some("shorten") {
            state.options.ignore_shorten
        } else {
            fault == Some(Fault::Overlong)
        };
        phrases::summary(&sources, written, length, overlong)
    } else {
        let glossary: Vec<(String, String)> = header(headers, hints::GLOSSARY)
            .map(|g| {
                url::form_urlencoded::parse(g.as_bytes())
                    .map(|(s, t)| (s.into_owned(), t.into_owned()))
                    .collect()
            })
            .unwrap_or_default();
        translations(state, &sources, source, written, fault, &glossary)
            .map(|texts| marker::encode(texts.iter().map(String::as_str)))
    };
    let Some(mut text) = text else {
        let known = phrases::languages().join(", ");
        return Err(format!(
            "mock: no phrase bank for '{target}'; it writes {known}"
        ));
    };
    let reasoning = dress(state, &mut text, task == Some("summarize"), target);
    let truncated = fault == Some(Fault::Truncate);
    if truncated {
        text = text.chars().take(text.chars().count() / 2).collect();
    }
    Ok(LlmAnswer {
        text,
        truncated,
        reasoning,
    })
}

/// Dresses `text` as real models do, as far as the draw says: reasoning first, then a
/// line of preamble, then the answer in a fence, with `\r\n` line ends. Reasoning goes
/// beside the answer instead with `--reasoning-field`; it is returned then.
fn dress(state: &MockState, text: &mut String, summary: bool, target: &str) -> Option<String> {
    let dress = state.faults.dress(&state.options);
    if dress.fence {
        *text = format!("```\n{text}\n```");
    }
    if dress.preamble {
        let line = if summary {
            "Here is the summary:"
        } else {
            "Sure! Here is the translation:"
        };
        *text = format!("{line}\n{text}");
    }
    let mut beside = None;
    if dress.think {
        let thought =
            format!("The desk wants this in {target}. I keep every number and every block marker.");
        if state.options.reasoning_field {
            beside = Some(thought);
        } else {
            *text = format!("<think>\n{thought}\n</think>\n\n{text}");
        }
    }
    if dress.crlf {
        *text = text.replace('\n', "\r\n");
    }
    beside
}

/// Rough token counts for usage fields: four characters a token.
pub(super) fn tokens(text: &str) -> usize {
    text.chars().count() / 4 + 1
}
