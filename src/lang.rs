//! Language tags (BCP 47) as the rest of lingo sees them: a validated tag, its English
//! display name for prompts, and whether its script separates words with spaces.
//!
//! Only languages in [`LANGUAGES`] are accepted, so a typo such as `pt-RB` or `xx` is an
//! error at the edge instead of a prompt asking a model to translate into nothing.

use std::fmt;

/// What lingo knows about one primary language subtag.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Language {
    pub code: &'static str,
    pub name: &'static str,
    /// False for scripts written without spaces between words (Chinese, Japanese, Thai).
    pub spaced: bool,
}

impl Language {
    /// Length of a text in this language relative to the same text in English, in
    /// characters: what a translation's length may be checked against.
    pub fn expansion(&self) -> f64 {
        match self.code {
            "en" => 1.0,
            "pt" | "es" | "fr" | "it" => 1.15,
            "de" | "zu" | "xh" | "nl" => 1.2,
            "ru" | "uk" => 1.1,
            "hi" | "af" => 1.05,
            "ar" | "he" | "fa" => 0.95,
            "zh" => 0.35,
            "ja" => 0.5,
            "ko" => 0.6,
            _ => 1.1,
        }
    }
}

const fn lang(code: &'static str, name: &'static str) -> Language {
    Language {
        code,
        name,
        spaced: true,
    }
}

const fn unspaced(code: &'static str, name: &'static str) -> Language {
    Language {
        code,
        name,
        spaced: false,
    }
}

/// Languages a newsroom route may name. Extend here when a backend serves a new one.
pub(crate) static LANGUAGES: &[Language] = &[
    lang("af", "Afrikaans"),
    lang("ar", "Arabic"),
    lang("bn", "Bengali"),
    lang("cs", "Czech"),
    lang("da", "Danish"),
    lang("de", "German"),
    lang("el", "Greek"),
    lang("en", "English"),
    lang("es", "Spanish"),
    lang("fa", "Persian"),
    lang("fi", "Finnish"),
    lang("fr", "French"),
    lang("he", "Hebrew"),
    lang("hi", "Hindi"),
    lang("hu", "Hungarian"),
    lang("id", "Indonesian"),
    lang("it", "Italian"),
    unspaced("ja", "Japanese"),
    lang("ko", "Korean"),
    lang("mr", "Marathi"),
    lang("nb", "Norwegian Bokmål"),
    lang("nl", "Dutch"),
    lang("nr", "Southern Ndebele"),
    lang("nso", "Northern Sotho"),
    lang("pl", "Polish"),
    lang("pt", "Portuguese"),
    lang("ro", "Romanian"),
    lang("ru", "Russian"),
    lang("ss", "Swati"),
    lang("st", "Southern Sotho"),
    lang("sv", "Swedish"),
    lang("sw", "Swahili"),
    lang("ta", "Tamil"),
    lang("te", "Telugu"),
    unspaced("th", "Thai"),
    lang("tn", "Tswana"),
    lang("tr", "Turkish"),
    lang("ts", "Tsonga"),
    lang("uk", "Ukrainian"),
    lang("ur", "Urdu"),
    lang("ve", "Venda"),
    lang("vi", "Vietnamese"),
    lang("xh", "Xhosa"),
    unspaced("zh", "Chinese"),
    lang("zu", "Zulu"),
];

static REGIONS: &[(&str, &str)] = &[
    ("AR", "Argentina"),
    ("AU", "Australia"),
    ("BR", "Brazil"),
    ("CA", "Canada"),
    ("CN", "China"),
    ("DE", "Germany"),
    ("ES", "Spain"),
    ("FR", "France"),
    ("GB", "United Kingdom"),
    ("HK", "Hong Kong"),
    ("IN", "India"),
    ("MX", "Mexico"),
    ("MZ", "Mozambique"),
    ("AO", "Angola"),
    ("PT", "Portugal"),
    ("RU", "Russia"),
    ("SG", "Singapore"),
    ("TW", "Taiwan"),
    ("US", "United States"),
    ("ZA", "South Africa"),
];

/// A validated, canonically cased BCP 47 tag such as `pt-BR`, `zh-Hans` or `ru`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LangTag {
    tag: String,
    language: &'static Language,
    script: Option<String>,
    region: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LangError {
    #[error("empty language tag: use a BCP 47 tag such as pt-BR, ru, hi, zh or af")]
    Empty,
    #[error("unknown language tag '{0}': use a BCP 47 tag such as pt-BR, ru, hi, zh or af")]
    Unknown(String),
    #[error(
        "malformed language tag '{tag}': subtag '{subtag}' is neither a script (Hans) nor a region (BR, 419)"
    )]
    Malformed { tag: String, subtag: String },
}

impl LangTag {
    pub fn parse(input: &str) -> Result<LangTag, LangError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(LangError::Empty);
        }
        let mut parts = input.split(['-', '_']);
        let primary = parts.next().unwrap_or_default().to_ascii_lowercase();
        let language = LANGUAGES
            .iter()
            .find(|l| l.code == primary)
            .ok_or_else(|| LangError::Unknown(input.to_string()))?;
        let mut script = None;
        let mut region = None;
        for sub in parts {
            let malformed = || LangError::Malformed {
                tag: input.to_string(),
                subtag: sub.to_string(),
            };
            let alpha = sub.chars().all(|c| c.is_ascii_alphabetic());
            let digits = sub.chars().all(|c| c.is_ascii_digit());
            if sub.len() == 4 && alpha && script.is_none() && region.is_none() {
                let mut s = sub.to_ascii_lowercase();
                s[..1].make_ascii_uppercase();
                script = Some(s);
            } else if ((sub.len() == 2 && alpha) || (sub.len() == 3 && digits)) && region.is_none()
            {
                region = Some(sub.to_ascii_uppercase());
            } else {
                return Err(malformed());
            }
        }
        let tag = [
            Some(language.code.to_string()),
            script.clone(),
            region.clone(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("-");
        Ok(LangTag {
            tag,
            language,
            script,
            region,
        })
    }

    /// Parses a comma-separated list such as `pt-BR,ru,hi`, rejecting duplicates.
    pub fn parse_list(input: &str) -> Result<Vec<LangTag>, LangError> {
        let mut tags: Vec<LangTag> = Vec::new();
        for part in input.split(',').filter(|p| !p.trim().is_empty()) {
            let tag = LangTag::parse(part)?;
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        if tags.is_empty() {
            return Err(LangError::Empty);
        }
        Ok(tags)
    }

    pub fn as_str(&self) -> &str {
        &self.tag
    }

    pub fn language(&self) -> &'static Language {
        self.language
    }

    /// The primary language subtag, e.g. `pt` for `pt-BR`.
    pub fn primary(&self) -> &'static str {
        self.language.code
    }

    /// The region subtag, e.g. `BR` for `pt-BR`.
    pub fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }

    /// The script subtag, e.g. `Hant` for `zh-Hant`.
    pub fn script(&self) -> Option<&str> {
        self.script.as_deref()
    }

    /// An English name for prompts, e.g. "Portuguese (Brazil)" or "Chinese (Hans script)".
    pub fn display_name(&self) -> String {
        let mut qualifiers = Vec::new();
        if let Some(script) = &self.script {
            qualifiers.push(format!("{script} script"));
        }
        if let Some(region) = &self.region {
            let name = REGIONS
                .iter()
                .find(|(code, _)| code == region)
                .map_or(region.as_str(), |(_, name)| name);
            qualifiers.push(name.to_string());
        }
        if qualifiers.is_empty() {
            self.language.name.to_string()
        } else {
            format!("{} ({})", self.language.name, qualifiers.join(", "))
        }
    }

    /// Whether `self` (a route pattern such as `pt`) covers `other` (such as `pt-BR`).
    pub fn covers(&self, other: &LangTag) -> bool {
        self == other
            || (self.script.is_none() && self.region.is_none() && self.language == other.language)
    }
}

impl fmt::Display for LangTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.tag)
    }
}

impl serde::Serialize for LangTag {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.tag)
    }
}

impl<'de> serde::Deserialize<'de> for LangTag {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<LangTag, D::Error> {
        let text = String::deserialize(d)?;
        LangTag::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expect: Result<&str, ()>) {
        let got = LangTag::parse(input).map(|t| t.to_string()).map_err(|_| ());
        assert_eq!(got.as_deref().map_err(|_| ()), expect, "input {input:?}");
    }

    #[test]
    fn parses_and_canonicalises() {
        check("pt-br", Ok("pt-BR"));
        check("ZH_hans", Ok("zh-Hans"));
        check("zh-Hant-TW", Ok("zh-Hant-TW"));
        check("es-419", Ok("es-419"));
        check("nso", Ok("nso"));
        check("xx", Err(()));
        check("", Err(()));
        check("pt-Brazil", Err(()));
        check("en-US-GB", Err(()));
    }

    #[test]
    fn display_names_and_coverage() {
        let pt_br = LangTag::parse("pt-BR").unwrap();
        assert_eq!(pt_br.display_name(), "Portuguese (Brazil)");
        assert!(LangTag::parse("pt").unwrap().covers(&pt_br));
        assert!(!LangTag::parse("pt-PT").unwrap().covers(&pt_br));
        assert_eq!(LangTag::parse_list("ru, hi,ru").unwrap().len(), 2);
    }
}
