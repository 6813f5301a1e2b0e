//! Protected spans: URLs, e-mail addresses, inline code, the do-not-translate list and
//! any [`Swap`]s the caller adds (glossary terms, for backends with no glossary support)
//! travel as placeholders `<x id="N"/>` and come back as they were, or as the swap's text.
//!
//! The placeholder is an empty XML element because it is what machine-translation APIs
//! keep through their tag handling (DeepL `tag_handling=xml`, LibreTranslate
//! `format=html`), and LLMs copy it reliably. Ids are unique across a chunk, so that a
//! placeholder moved into another block is caught, not silently restored.

use linkify::{LinkFinder, LinkKind};

/// What to protect besides URLs, e-mail addresses and inline code.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Rules {
    /// Words and names that stay as written (config `[protect] do_not_translate`).
    pub do_not_translate: Vec<String>,
}

/// A word or phrase to carry as a placeholder wherever it occurs as whole words, and
/// to give back as `restore` (a glossary's target term).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Swap<'a> {
    pub find: &'a str,
    pub restore: &'a str,
}

/// A chunk's pieces with their spans replaced, and what each placeholder stands for.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Protected {
    pub texts: Vec<String>,
    /// `restore[id - 1]` is what placeholder `id` comes back as.
    pub restore: Vec<String>,
    /// The placeholder ids in each piece, in order.
    pub ids: Vec<Vec<usize>>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PlaceholderError {
    #[error("placeholder {id} is missing from block {block} of the answer")]
    Missing { block: usize, id: usize },
    #[error("placeholder {id} appears more than once in block {block} of the answer")]
    Repeated { block: usize, id: usize },
    #[error("block {block} of the answer holds placeholder {id}, which belongs elsewhere")]
    Foreign { block: usize, id: usize },
}

/// A span of `text` to replace: its byte range and what comes back in its place.
struct Span {
    start: usize,
    end: usize,
    restore: String,
}

/// Replaces the protected spans of every piece, and the `swaps` wherever they occur.
pub(crate) fn protect(pieces: &[&str], rules: &Rules, swaps: &[Swap]) -> Protected {
    let mut out = Protected::default();
    for piece in pieces {
        let spans = spans(piece, rules, swaps);
        let mut text = String::with_capacity(piece.len());
        let mut ids = Vec::new();
        let mut at = 0;
        for span in spans {
            text.push_str(&piece[at..span.start]);
            out.restore.push(span.restore);
            let id = out.restore.len();
            text.push_str(&placeholder(id));
            ids.push(id);
            at = span.end;
        }
        text.push_str(&piece[at..]);
        out.texts.push(text);
        out.ids.push(ids);
    }
    out
}

pub(crate) fn placeholder(id: usize) -> String {
    format!("<x id=\"{id}\"/>")
}

impl Protected {
    /// Checks that each answer block holds exactly its own placeholders, once each.
    pub(crate) fn check(&self, answers: &[String]) -> Result<(), PlaceholderError> {
        for (i, (answer, ids)) in answers.iter().zip(&self.ids).enumerate() {
            let block = i + 1;
            let found: Vec<usize> = find(answer).into_iter().map(|(_, _, id)| id).collect();
            for id in ids {
                match found.iter().filter(|f| *f == id).count() {
                    0 => return Err(PlaceholderError::Missing { block, id: *id }),
                    1 => {}
                    _ => return Err(PlaceholderError::Repeated { block, id: *id }),
                }
            }
            if let Some(id) = found.iter().find(|f| !ids.contains(f)) {
                return Err(PlaceholderError::Foreign { block, id: *id });
            }
        }
        Ok(())
    }

    /// Puts back what each placeholder stands for; call after [`Protected::check`].
    pub(crate) fn restore(&self, answer: &str) -> String {
        let mut out = String::with_capacity(answer.len());
        let mut at = 0;
        for (start, end, id) in find(answer) {
            out.push_str(&answer[at..start]);
            match self.restore.get(id.wrapping_sub(1)) {
                Some(value) => out.push_str(value),
                None => out.push_str(&answer[start..end]),
            }
            at = end;
        }
        out.push_str(&answer[at..]);
        out
    }
}

/// Text with its placeholders taken out, for checks that must not count their digits.
pub(crate) fn without_placeholders(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (start, end, _) in find(text) {
        out.push_str(&text[at..start]);
        out.push(' ');
        at = end;
    }
    out.push_str(&text[at..]);
    out
}

/// Every placeholder in `text` as (start, end, id), tolerant of the spacing variants
/// (`<x id="3" />`, `<x id='3'/>`) that engines write back.
pub(crate) fn find(text: &str) -> Vec<(usize, usize, usize)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(offset) = text[from..].find("<x") {
        let start = from + offset;
        from = start + 2;
        if let Some((end, id)) = read_placeholder(&text[start..]) {
            found.push((start, start + end, id));
            from = start + end;
        }
    }
    found
}

/// Reads `<x id="N"/>` at the start of `s`: its length and N.
fn read_placeholder(s: &str) -> Option<(usize, usize)> {
    let rest = s.strip_prefix("<x")?;
    let after_space = rest.trim_start();
    if after_space.len() == rest.len() {
        return None;
    }
    let rest = after_space.strip_prefix("id")?.trim_start();
    let rest = rest.strip_prefix('=')?.trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let rest = &rest[1..];
    let digits = rest.find(|c: char| !c.is_ascii_digit())?;
    let id = rest[..digits].parse().ok()?;
    let rest = rest[digits..].strip_prefix(quote)?.trim_start();
    let rest = rest.strip_prefix("/>")?;
    Some((s.len() - rest.len(), id))
}

fn spans(text: &str, rules: &Rules, swaps: &[Swap]) -> Vec<Span> {
    let mut found: Vec<Span> = Vec::new();
    let keep = |start, end| Span {
        start,
        end,
        restore: text[start..end].to_string(),
    };
    // Placeholder-like text already in the article travels protected itself.
    found.extend(find(text).into_iter().map(|(s, e, _)| keep(s, e)));
    found.extend(inline_code(text).into_iter().map(|(s, e)| keep(s, e)));
    let mut finder = LinkFinder::new();
    finder.kinds(&[LinkKind::Url, LinkKind::Email]);
    found.extend(finder.links(text).map(|l| keep(l.start(), l.end())));
    for word in &rules.do_not_translate {
        found.extend(whole_words(text, word).map(|(s, e)| keep(s, e)));
    }
    for swap in swaps {
        found.extend(whole_words(text, swap.find).map(|(start, end)| Span {
            start,
            end,
            restore: swap.restore.to_string(),
        }));
    }
    // Earliest first, the longest of those starting together; drop what overlaps.
    found.sort_by_key(|s| (s.start, std::cmp::Reverse(s.end)));
    let mut kept: Vec<Span> = Vec::new();
    for span in found {
        if kept.last().is_none_or(|k| span.start >= k.end) {
            kept.push(span);
        }
    }
    kept
}

/// Markdown inline code: a run of backticks, text, the same run again.
fn inline_code(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'`' {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i] == b'`' {
            i += 1;
        }
        let fence = &text[start..i];
        match text[i..].find(fence) {
            Some(n) => {
                let end = i + n + fence.len();
                out.push((start, end));
                i = end;
            }
            None => break,
        }
    }
    out
}

/// Occurrences of `word` in `text` that are not part of a longer word.
pub(crate) fn whole_words<'a>(
    text: &'a str,
    word: &'a str,
) -> impl Iterator<Item = (usize, usize)> + 'a {
    let word = word.trim();
    text.match_indices(word)
        .filter(move |_| !word.is_empty())
        .filter(move |(start, _)| {
            let end = start + word.len();
            let before = text[..*start].chars().next_back();
            let after = text[end..].chars().next();
            !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
        })
        .map(move |(start, _)| (start, start + word.len()))
}

/// Escapes text for an XML- or HTML-handling engine, keeping placeholders as elements.
pub(crate) fn to_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (start, end, _) in find(text) {
        escape_into(&text[at..start], &mut out);
        out.push_str(&text[start..end]);
        at = end;
    }
    escape_into(&text[at..], &mut out);
    out
}

fn escape_into(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
}

/// The inverse of [`to_markup`] for what engines send back (they may also write quotes
/// and apostrophes as entities).
pub(crate) fn from_markup(text: &str) -> String {
    const ENTITIES: &[(&str, &str)] = &[
        ("&lt;", "<"),
        ("&gt;", ">"),
        ("&quot;", "\""),
        ("&apos;", "'"),
        ("&#39;", "'"),
        ("&#x27;", "'"),
        ("&#34;", "\""),
        ("&amp;", "&"),
    ];
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        match ENTITIES.iter().find(|(e, _)| rest.starts_with(e)) {
            Some((e, c)) => {
                out.push_str(c);
                rest = &rest[e.len()..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Text with the pieces that trip byte arithmetic: backticks, placeholder look-alikes,
    /// URLs, entities and characters of several bytes.
    const TRICKY: &str = "(\\PC|`|``|<x|<x id=\"[0-9]{1,2}\"/>|<x id='3' />|https://a\\.example/b?c=1|a@b\\.org|&amp;|&lt;|Sabesp|中文|ह|\\n)*";

    proptest! {
        /// Whatever the text, protecting it and restoring the untouched placeholders
        /// gives it back, and markup escaping is undone exactly.
        #[test]
        fn any_text_round_trips(pieces in prop::collection::vec(TRICKY, 1..4)) {
            let refs: Vec<&str> = pieces.iter().map(String::as_str).collect();
            let rules = Rules { do_not_translate: vec!["Sabesp".into()] };
            let p = protect(&refs, &rules, &[]);
            prop_assert_eq!(p.check(&p.texts), Ok(()));
            for (text, piece) in p.texts.iter().zip(&pieces) {
                prop_assert_eq!(&p.restore(text), piece);
                prop_assert_eq!(&from_markup(&to_markup(piece)), piece);
            }
            let swapped = protect(&refs, &rules, &[Swap { find: "中文", restore: "chinês" }]);
            prop_assert_eq!(swapped.check(&swapped.texts), Ok(()));
        }
    }

    #[test]
    fn urls_mail_code_and_names_round_trip() {
        let rules = Rules {
            do_not_translate: vec!["Sabesp".into()],
        };
        let term = Swap {
            find: "water utility",
            restore: "companhia de saneamento",
        };
        let pieces = [
            "See https://example.org/a?b=1 or mail desk@example.org.",
            "Run `cargo test` at Sabesp, the water utility; not Sabespx.",
        ];
        let p = protect(&pieces, &rules, &[term]);
        assert_eq!(p.texts[0], "See <x id=\"1\"/> or mail <x id=\"2\"/>.");
        assert_eq!(
            p.texts[1],
            "Run <x id=\"3\"/> at <x id=\"4\"/>, the <x id=\"5\"/>; not Sabespx."
        );
        assert_eq!(p.ids, vec![vec![1, 2], vec![3, 4, 5]]);
        let answer = vec![
            "Veja <x id=\"1\" /> ou <x id='2'/>.".to_string(),
            "Rode <x id=\"3\"/> na <x id=\"4\"/>, a <x id=\"5\"/>.".to_string(),
        ];
        assert_eq!(p.check(&answer), Ok(()));
        assert_eq!(
            p.restore(&answer[0]),
            "Veja https://example.org/a?b=1 ou desk@example.org."
        );
        assert_eq!(
            p.restore(&answer[1]),
            "Rode `cargo test` na Sabesp, a companhia de saneamento."
        );
    }

    #[test]
    fn lost_moved_and_doubled_placeholders_are_caught() {
        let p = protect(
            &["a https://a.org", "b https://b.org"],
            &Rules::default(),
            &[],
        );
        let check = |a: &str, b: &str| p.check(&[a.to_string(), b.to_string()]);
        assert_eq!(
            check("a", "b <x id=\"2\"/>"),
            Err(PlaceholderError::Missing { block: 1, id: 1 })
        );
        assert_eq!(
            check("a <x id=\"1\"/> <x id=\"1\"/>", "b <x id=\"2\"/>"),
            Err(PlaceholderError::Repeated { block: 1, id: 1 })
        );
        assert_eq!(
            check("a <x id=\"1\"/> <x id=\"2\"/>", "b <x id=\"2\"/>"),
            Err(PlaceholderError::Foreign { block: 1, id: 2 })
        );
    }

    #[test]
    fn markup_escapes_text_but_not_placeholders() {
        let text = "AT&T <b> <x id=\"1\"/>";
        let markup = to_markup(text);
        assert_eq!(markup, "AT&amp;T &lt;b&gt; <x id=\"1\"/>");
        assert_eq!(from_markup(&markup), text);
        assert_eq!(without_placeholders("n <x id=\"12\"/> 3"), "n   3");
    }
}
