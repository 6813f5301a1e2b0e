//! Deterministic "translations" for the mock: sentences from a per-language phrase bank,
//! chosen by a hash of the source text, long enough to be plausible for the target
//! language, and carrying every number of the source so that number checks can pass.
//! Summaries carry only numbers of the source, and keep to the length asked for.

use crate::lang::LangTag;
use crate::length::Contract;
use crate::protect;

use super::banks::{BANKS, Bank};

/// Language codes the mock can write in.
pub fn languages() -> Vec<&'static str> {
    BANKS.iter().map(|b| b.code).collect()
}

fn bank(code: &str) -> Option<&'static Bank> {
    BANKS.iter().find(|b| b.code == code)
}

/// FNV-1a: stable across builds and platforms, unlike `DefaultHasher`.
pub fn fnv1a(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain([0xff]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// Numbers of `text` as written: digit runs with inner `.` `,` `:` separators.
pub fn numbers(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len()
            && (chars[i].is_ascii_digit()
                || (matches!(chars[i], '.' | ',' | ':')
                    && chars.get(i + 1).is_some_and(char::is_ascii_digit)))
        {
            i += 1;
        }
        out.push(chars[start..i].iter().collect());
    }
    out
}

/// Writes `source` (in language `from`) "in" language `to`: `None` when `to` has no bank.
/// Its placeholders and numbers, and the `keep` terms (a glossary's), each get a
/// sentence of their own, so that they come back as a real engine would keep them.
pub fn render(source: &str, from: &str, to: &str, keep: &[&str]) -> Option<String> {
    let target = bank(to)?;
    let expansion = |code: &str| LangTag::parse(code).map_or(1.0, |t| t.language().expansion());
    let wanted = (source.chars().count() as f64 * expansion(to) / expansion(from)) as usize;
    let seed = fnv1a(&[source, to]) as usize;
    let mut sentences: Vec<String> = Vec::new();
    let mut length = 0;
    let placeholders = protect::find(source)
        .into_iter()
        .map(|(start, end, _)| source[start..end].to_string());
    let kept = placeholders
        .chain(numbers(&protect::without_placeholders(source)))
        .chain(keep.iter().map(|k| k.to_string()));
    for (k, n) in kept.enumerate() {
        let template = target.numbered[(seed + k) % target.numbered.len()];
        let s = template.replace("{n}", &n);
        length += s.chars().count();
        sentences.push(s);
    }
    let mut k = 0;
    while sentences.is_empty() || length < wanted {
        let s = target.plain[(seed / 7 + k) % target.plain.len()];
        length += s.chars().count();
        sentences.push(s.to_string());
        k += 1;
    }
    // Spread numbered sentences among the plain ones, deterministically.
    let count = sentences.len();
    sentences.rotate_left(seed % count);
    Some(sentences.join(target.joiner))
}

/// A "summary" of `sources` in language `to`: up to two of their numbers, then plain
/// sentences, to about four fifths of `length`, or past it when `overlong` (a fault).
pub fn summary(sources: &[&str], to: &str, length: Contract, overlong: bool) -> Option<String> {
    let target = bank(to)?;
    let seed = fnv1a(sources) as usize;
    // The limit comes from a request header: any number a client sends.
    let wanted = if overlong {
        length.limit.saturating_mul(3) / 2 + 1
    } else {
        length.limit.saturating_mul(4) / 5
    };
    let mut sentences: Vec<String> = sources
        .iter()
        .flat_map(|s| numbers(s))
        .take(2)
        .enumerate()
        .map(|(k, n)| target.numbered[(seed + k) % target.numbered.len()].replace("{n}", &n))
        .collect();
    for k in 0..target.plain.len() * 4 {
        let next = target.plain[(seed / 7 + k) % target.plain.len()];
        let mut longer = sentences.clone();
        longer.push(next.to_string());
        if !sentences.is_empty() && length.unit.count(&longer.join(target.joiner)) > wanted {
            break;
        }
        sentences = longer;
    }
    Some(sentences.join(target.joiner))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_numbers_and_is_deterministic() {
        let src = "Inflation fell to 2.5% in 2024, and 1,200 jobs were cut at 10:30.";
        let out = render(src, "en", "pt", &[]).unwrap();
        for n in ["2.5", "2024", "1,200", "10:30"] {
            assert!(out.contains(n), "{n} missing from {out}");
        }
        assert_eq!(out, render(src, "en", "pt", &[]).unwrap());
        assert_ne!(out, render(src, "en", "ru", &[]).unwrap());
        assert!(render(src, "en", "it", &[]).is_none());
    }

    #[test]
    fn summaries_keep_their_length_and_only_source_numbers() {
        use crate::length::Unit;
        let sources = [
            "Rain closed 12 roads and 3 schools.",
            "Crews worked for 48 hours.",
        ];
        let words = Contract {
            unit: Unit::Words,
            limit: 60,
        };
        let pt = summary(&sources, "pt", words, false).unwrap();
        assert!(words.holds(&pt) && Unit::Words.count(&pt) > 30, "{pt}");
        assert!(
            pt.contains("12") && pt.contains('3') && !pt.contains("48"),
            "{pt}"
        );
        assert!(!words.holds(&summary(&sources, "pt", words, true).unwrap()));
        let chars = Contract {
            unit: Unit::Chars,
            limit: 120,
        };
        assert!(chars.holds(&summary(&sources, "zh", chars, false).unwrap()));
    }

    #[test]
    fn length_is_plausible() {
        let src = "The storm closed roads across the province on Monday morning, officials said."
            .repeat(5);
        let zh = render(&src, "en", "zh", &[]).unwrap();
        let de = render(&src, "en", "de", &[]).unwrap();
        assert!(zh.chars().count() < de.chars().count());
        assert!(de.chars().count() >= src.chars().count());
    }
}
