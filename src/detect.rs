//! Language identification with lingua, restricted to the languages compiled in (each one
//! costs about 3 MB of binary). Look-alike languages are included on purpose so that Dutch
//! is not forced into Afrikaans, Xhosa into Zulu, or Spanish into Portuguese.

use std::sync::OnceLock;

use lingua::{Language as Lingua, LanguageDetector, LanguageDetectorBuilder};

use crate::lang::LangTag;

const KNOWN: &[(Lingua, &str)] = &[
    (Lingua::Afrikaans, "af"),
    (Lingua::Arabic, "ar"),
    (Lingua::Chinese, "zh"),
    (Lingua::Dutch, "nl"),
    (Lingua::English, "en"),
    (Lingua::French, "fr"),
    (Lingua::German, "de"),
    (Lingua::Hindi, "hi"),
    (Lingua::Japanese, "ja"),
    (Lingua::Portuguese, "pt"),
    (Lingua::Russian, "ru"),
    (Lingua::Spanish, "es"),
    (Lingua::Xhosa, "xh"),
    (Lingua::Zulu, "zu"),
];

/// Below this many letters a detector's verdict is a guess, so no verdict is given.
const MIN_LETTERS: usize = 12;

fn detector() -> &'static LanguageDetector {
    static DETECTOR: OnceLock<LanguageDetector> = OnceLock::new();
    DETECTOR.get_or_init(|| {
        let languages: Vec<Lingua> = KNOWN.iter().map(|(l, _)| *l).collect();
        LanguageDetectorBuilder::from_languages(&languages).build()
    })
}

/// Whether the detector can judge text in this language at all.
pub(crate) fn can_detect(tag: &LangTag) -> bool {
    KNOWN.iter().any(|(_, code)| *code == tag.primary())
}

/// The most likely language of `text`, or `None` when the text is too short or too mixed
/// to say.
pub(crate) fn detect(text: &str) -> Option<LangTag> {
    if text.chars().filter(|c| c.is_alphabetic()).count() < MIN_LETTERS {
        return None;
    }
    let found = detector().detect_language_of(text)?;
    let code = KNOWN.iter().find(|(l, _)| *l == found)?.1;
    LangTag::parse(code).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expect: Option<&str>) {
        assert_eq!(
            detect(text).map(|t| t.to_string()).as_deref(),
            expect,
            "{text}"
        );
    }

    #[test]
    fn detects_partner_languages() {
        check(
            "O governo anunciou novas medidas para a economia nesta semana.",
            Some("pt"),
        );
        check(
            "Правительство объявило о новых мерах поддержки экономики.",
            Some("ru"),
        );
        check("सरकार ने अर्थव्यवस्था के लिए नए उपायों की घोषणा की।", Some("hi"));
        check("政府本周宣布了支持经济的新措施。", Some("zh"));
        check(
            "Die regering het hierdie week nuwe maatreëls aangekondig.",
            Some("af"),
        );
        check("Hi!", None);
    }
}
