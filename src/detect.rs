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

/// Languages a detector confuses in short texts, by primary subtag: neighbours that
/// share most of their words or letters. A short text read as a neighbour of the language
/// asked for proves nothing.
const RELATED: &[&[&str]] = &[
    &["af", "nl"],
    &["pt", "es", "gl"],
    &["ru", "uk", "bg", "be", "sr", "mk"],
    &["hi", "mr", "ne"],
    &["id", "ms"],
    &["hr", "sr", "bs"],
    &["da", "no", "nb", "nn", "sv"],
    &["zu", "xh"],
    &["zh", "ja"],
];
/// Below this many letters a text read as a related language is not judged.
const RELATED_MIN_LETTERS: usize = 100;
/// How much more likely another language must be than the one asked for before the
/// text is said to be in it.
const MARGIN: f64 = 0.5;

/// What the detector makes of a text that should be in a given language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    Agrees,
    /// Too short, too close, a language the detector lacks, or names and figures only:
    /// no judgement, so the text passes.
    Unsure,
    /// Clearly in this other language.
    Differs(LangTag),
}

fn related(a: &str, b: &str) -> bool {
    RELATED
        .iter()
        .any(|set| set.contains(&a) && set.contains(&b))
}

/// Whether `text` is in `expected`'s language, deciding only when the detector is sure:
/// enough letters, a clear margin over the language asked for, and not a short text read
/// as one of its neighbours.
pub(crate) fn verdict(text: &str, expected: &LangTag) -> Verdict {
    let letters = text.chars().filter(|c| c.is_alphabetic()).count();
    let Some(want) = KNOWN.iter().find(|(_, code)| *code == expected.primary()) else {
        return Verdict::Unsure;
    };
    if letters < MIN_LETTERS {
        return Verdict::Unsure;
    }
    let confidences = detector().compute_language_confidence_values(text);
    let Some(&(best, best_confidence)) = confidences.first() else {
        return Verdict::Unsure;
    };
    if best == want.0 {
        return Verdict::Agrees;
    }
    let Some(code) = KNOWN.iter().find(|(l, _)| *l == best).map(|(_, c)| *c) else {
        return Verdict::Unsure;
    };
    let wanted = confidences
        .iter()
        .find(|(l, _)| *l == want.0)
        .map_or(0.0, |(_, c)| *c);
    let close = best_confidence - wanted < MARGIN;
    let neighbour = related(code, want.1) && letters < RELATED_MIN_LETTERS;
    match LangTag::parse(code) {
        Ok(found) if !close && !neighbour => Verdict::Differs(found),
        _ => Verdict::Unsure,
    }
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

    #[test]
    fn judges_only_when_sure() {
        let tag = |t: &str| LangTag::parse(t).unwrap();
        let judge = |text: &str, want: &str| verdict(text, &tag(want));
        // A one-word headline, two words of Russian, a name, a short Dutch-looking line.
        assert_eq!(judge("Waterbeperkings", "af"), Verdict::Agrees);
        assert_eq!(judge("Droogte", "af"), Verdict::Unsure);
        assert_eq!(judge("Засуха усиливается", "ru"), Verdict::Agrees);
        assert_eq!(judge("Miriam Okafor", "pt"), Verdict::Unsure);
        assert_eq!(
            judge("Dammen lopen leeg in Port Leandro", "af"),
            Verdict::Unsure
        );
        // A whole sentence in the wrong language is still caught.
        assert_eq!(
            judge(
                "The council met on Tuesday to discuss the new budget.",
                "pt"
            ),
            Verdict::Differs(tag("en"))
        );
        assert_eq!(
            judge(
                "Правительство объявило о новых мерах поддержки экономики.",
                "hi"
            ),
            Verdict::Differs(tag("ru"))
        );
        assert_eq!(
            judge("A chuva fechou doze estradas.", "sw"),
            Verdict::Unsure
        );
    }
}
