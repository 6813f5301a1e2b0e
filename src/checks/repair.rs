//! What real models write around an answer, taken off before the answer is checked:
//! a reasoning block (`<think>…</think>`, DeepSeek-R1 and Qwen3 style), a code fence
//! around the whole answer, a one-line preamble ("Sure! Here is the translation:"),
//! chatter after the end marker, `\r\n` line ends, and spaces inside block markers.
//!
//! Each is something the strict reading rejects, so taking it off can only turn a
//! rejected answer into one that is checked as usual: what remains must still pass every
//! check, and anything else is still rejected. Each repair is reported, so that operators
//! see which model needs which.

use super::{is_commentary, is_preamble};

/// One thing taken off an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Repair {
    Reasoning,
    Fence,
    Preamble,
    Commentary,
    LineEnds,
    MarkerSpacing,
}

impl Repair {
    /// A short stable label, for metrics.
    pub(crate) fn kind(self) -> &'static str {
        match self {
            Repair::Reasoning => "reasoning",
            Repair::Fence => "fence",
            Repair::Preamble => "preamble",
            Repair::Commentary => "commentary",
            Repair::LineEnds => "line_ends",
            Repair::MarkerSpacing => "marker_spacing",
        }
    }

    /// What was taken off, for warnings.
    pub(crate) fn what(self) -> &'static str {
        match self {
            Repair::Reasoning => "a reasoning block before it",
            Repair::Fence => "a code fence around it",
            Repair::Preamble => "a preamble line before it",
            Repair::Commentary => "commentary after it",
            Repair::LineEnds => "\\r\\n line ends",
            Repair::MarkerSpacing => "spaces inside block markers",
        }
    }
}

/// An answer with what was taken off it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Tidied {
    pub(crate) text: String,
    pub(crate) repairs: Vec<Repair>,
}

/// A reasoning block that never closes: the model ran out of room while it was thinking,
/// which is a cut-short answer, not a preamble.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the answer is a reasoning block that never ends (cut short while thinking)")]
pub struct UnfinishedReasoning;

/// An answer of marked blocks (`<<<n>>>` … `<<<end>>>`).
pub(crate) fn marked(text: &str) -> Result<Tidied, UnfinishedReasoning> {
    let mut t = common(text)?;
    let (spaced, changed) = markers_unspaced(&t.text);
    if changed {
        t.text = spaced;
        t.repairs.push(Repair::MarkerSpacing);
    }
    let parsed = crate::marker::parse(&t.text);
    let markers = marker_lines(&t.text);
    let (Some(first), true) = (markers.first(), !parsed.segments.is_empty()) else {
        return Ok(t);
    };
    let end = markers
        .iter()
        .find(|(_, label)| label == "end")
        .map(|(at, _)| *at);
    if parsed.terminated
        && !parsed.after.trim().is_empty()
        && let Some(end) = end
    {
        let line_end = t.text[end..].find('\n').map_or(t.text.len(), |n| end + n);
        let only_fence = t.text[line_end..]
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .all(is_fence);
        t.text.truncate(line_end);
        t.repairs.push(if only_fence {
            Repair::Fence
        } else {
            Repair::Commentary
        });
    }
    // Before the first marker: at most one line of prose and an opening fence.
    let before: Vec<bool> = t.text[..first.0]
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(is_fence)
        .collect();
    let fences = before.iter().filter(|f| **f).count();
    if !before.is_empty() && before.len() - fences <= 1 && fences <= 1 {
        t.text.replace_range(..first.0, "");
        if fences < before.len() {
            t.repairs.push(Repair::Preamble);
        }
        if fences > 0 && !t.repairs.contains(&Repair::Fence) {
            t.repairs.push(Repair::Fence);
        }
    }
    Ok(t)
}

/// A fence line: three backticks, with or without a language.
fn is_fence(line: &str) -> bool {
    line.strip_prefix("```")
        .is_some_and(|lang| !lang.contains('`') && !lang.trim().contains(' '))
}

/// The start of every marker line, with its label.
fn marker_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        if let Some(label) = strict_label(line) {
            out.push((at, label));
        }
        at += line.len();
    }
    out
}

/// The label of a marker line (`<<<3>>>`, `<<< end >>>`), lower-cased and trimmed.
fn strict_label(line: &str) -> Option<String> {
    let rest = line.trim_start().strip_prefix("<<<")?;
    let (label, _) = rest.split_once(">>>")?;
    let label = label.trim().to_ascii_lowercase();
    let ok = label == "end" || (!label.is_empty() && label.chars().all(|c| c.is_ascii_digit()));
    ok.then_some(label)
}

/// An answer of plain text (a summary).
pub(crate) fn plain(text: &str) -> Result<Tidied, UnfinishedReasoning> {
    let mut t = common(text)?;
    let lines: Vec<&str> = t.text.trim().lines().collect();
    let mut keep = 0..lines.len();
    let took = |r: Repair, repairs: &mut Vec<Repair>| {
        if !repairs.contains(&r) {
            repairs.push(r);
        }
    };
    // In front: one preamble line and a fence, in either order; behind: one line of
    // commentary and a fence. Some text always remains.
    for _ in 0..2 {
        let Some(line) = lines.get(keep.start).map(|l| l.trim()) else {
            break;
        };
        if keep.len() > 1 && is_fence(line) {
            keep.start += 1;
            took(Repair::Fence, &mut t.repairs);
        } else if keep.len() > 1 && is_preamble(line) && !t.repairs.contains(&Repair::Preamble) {
            keep.start += 1;
            took(Repair::Preamble, &mut t.repairs);
        }
    }
    for _ in 0..2 {
        let Some(line) = keep.end.checked_sub(1).and_then(|i| lines.get(i)) else {
            break;
        };
        let line = line.trim();
        if keep.len() > 1 && is_fence(line) {
            keep.end -= 1;
            took(Repair::Fence, &mut t.repairs);
        } else if keep.len() > 1 && is_commentary(line) && !t.repairs.contains(&Repair::Commentary)
        {
            keep.end -= 1;
            took(Repair::Commentary, &mut t.repairs);
        }
    }
    if keep.len() < lines.len() {
        t.text = lines[keep].join("\n");
    }
    Ok(t)
}

/// Line ends, a leading reasoning block, and a fence around the whole answer.
fn common(text: &str) -> Result<Tidied, UnfinishedReasoning> {
    let mut repairs = Vec::new();
    let mut text = if text.contains('\r') {
        repairs.push(Repair::LineEnds);
        text.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        text.to_string()
    };
    if let Some(rest) = without_reasoning(&text)? {
        text = rest;
        repairs.push(Repair::Reasoning);
    }
    if let Some(inner) = without_fence(&text) {
        text = inner;
        repairs.push(Repair::Fence);
    }
    Ok(Tidied { text, repairs })
}

/// The text after a leading `<think>`, `<thinking>` or `<reasoning>` block, if it opens
/// with one.
fn without_reasoning(text: &str) -> Result<Option<String>, UnfinishedReasoning> {
    let trimmed = text.trim_start();
    for tag in ["think", "thinking", "reasoning"] {
        let open = format!("<{tag}>");
        if trimmed
            .get(..open.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(&open))
        {
            let close = format!("</{tag}>");
            let lower = trimmed.to_ascii_lowercase();
            return match lower.find(&close) {
                // ASCII lower-casing keeps byte offsets, and the tag is ASCII.
                Some(at) => Ok(Some(trimmed[at + close.len()..].trim_start().to_string())),
                None => Err(UnfinishedReasoning),
            };
        }
    }
    Ok(None)
}

/// The inside of a fence (```, with or without a language) around the whole text.
fn without_fence(text: &str) -> Option<String> {
    let trimmed = text.trim();
    let rest = trimmed.strip_prefix("```")?;
    let (first, body) = rest.split_once('\n')?;
    if first.contains('`') || first.trim().contains(' ') {
        return None;
    }
    let inner = body.trim_end().strip_suffix("```")?;
    (!inner.contains("```")).then(|| inner.trim_end().to_string())
}

/// Markers written with spaces or in capitals (`<<< 1 >>>`, `<<<END>>>`), made strict.
fn markers_unspaced(text: &str) -> (String, bool) {
    let mut changed = false;
    let lines: Vec<String> = text
        .lines()
        .map(|line| {
            let fixed = strict_label(line).and_then(|label| {
                let (_, tail) = line.split_once(">>>")?;
                Some(format!("<<<{label}>>>{tail}"))
            });
            match fixed {
                Some(fixed) if fixed != line => {
                    changed = true;
                    fixed
                }
                _ => line.to_string(),
            }
        })
        .collect();
    (lines.join("\n"), changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "<<<1>>>\nUma frase.\n<<<2>>>\nOutra.\n<<<end>>>";

    fn marked_ok(text: &str, repairs: &[Repair]) {
        let t = marked(text).unwrap();
        assert_eq!(t.repairs, repairs, "{text:?}");
        assert_eq!(
            crate::marker::decode(&t.text).unwrap(),
            ["Uma frase.", "Outra."],
            "{text:?} became {:?}",
            t.text
        );
    }

    #[test]
    fn what_models_write_around_marked_answers() {
        marked_ok(GOOD, &[]);
        marked_ok(
            &format!("<think>\nThe user wants Portuguese. <<<1>>> is…\n</think>\n\n{GOOD}"),
            &[Repair::Reasoning],
        );
        marked_ok(&format!("```\n{GOOD}\n```"), &[Repair::Fence]);
        marked_ok(&format!("```text\n{GOOD}\n```\n"), &[Repair::Fence]);
        marked_ok(
            &format!("Sure! Here is the translation:\n{GOOD}"),
            &[Repair::Preamble],
        );
        marked_ok(
            &format!("{GOOD}\n\nLet me know if you need more."),
            &[Repair::Commentary],
        );
        marked_ok(&GOOD.replace('\n', "\r\n"), &[Repair::LineEnds]);
        marked_ok(
            &GOOD
                .replace("<<<1>>>", "<<< 1 >>>")
                .replace("<<<end>>>", "<<<END>>>"),
            &[Repair::MarkerSpacing],
        );
        marked_ok(
            &format!("<think>hm</think>\n```\nHere you go:\n{GOOD}\n```").replace('\n', "\r\n"),
            &[
                Repair::LineEnds,
                Repair::Reasoning,
                Repair::Fence,
                Repair::Preamble,
            ],
        );
        marked_ok(
            &format!("<think>hm</think>\n\nSure! Here is the translation:\n```\n{GOOD}\n```"),
            &[Repair::Reasoning, Repair::Fence, Repair::Preamble],
        );
    }

    #[test]
    fn what_is_not_repaired_stays_rejected() {
        let two_lines = format!("First I will explain.\nThen translate.\n{GOOD}");
        assert!(crate::marker::decode(&marked(&two_lines).unwrap().text).is_err());
        let unterminated = "<<<1>>>\nUma frase.\n<<<2>>>\nOutra.\nThat is all.";
        assert!(crate::marker::decode(&marked(unterminated).unwrap().text).is_err());
        let merged = "Sure:\n<<<1>>>\nUma frase. Outra.\n<<<end>>>";
        assert_eq!(
            crate::marker::decode(&marked(merged).unwrap().text)
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            marked("<think>\nStill thinking about <<<1>>>"),
            Err(UnfinishedReasoning)
        );
        assert_eq!(marked("just text").unwrap().repairs, []);
    }

    #[test]
    fn what_models_write_around_summaries() {
        let summary = "A chuva fechou 12 estradas na segunda-feira.";
        let t = plain(&format!(
            "<think>Short, in Portuguese.</think>\nAqui está o resumo:\n{summary}\n(48 palavras)"
        ))
        .unwrap();
        assert_eq!(t.text, summary);
        assert_eq!(
            t.repairs,
            [Repair::Reasoning, Repair::Preamble, Repair::Commentary]
        );
        assert_eq!(
            plain(summary).unwrap(),
            Tidied {
                text: summary.into(),
                repairs: vec![]
            }
        );
        let fenced = plain(&format!("Here is the summary:\n```\n{summary}\n```")).unwrap();
        assert_eq!(fenced.text, summary);
        assert_eq!(fenced.repairs, [Repair::Preamble, Repair::Fence]);
        let one_line = "Here is the summary: A chuva fechou 12 estradas.";
        assert_eq!(
            plain(one_line).unwrap().text,
            one_line,
            "one line is left to the checks"
        );
    }
}
