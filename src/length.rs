//! Length contracts for summaries: how long, in which unit. Words for scripts that put
//! spaces between words, characters for those that do not (Chinese, Japanese, Thai), so
//! that "short" means about the same reading time in every language.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::lang::LangTag;
use crate::sentences;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    Words,
    Chars,
}

impl Unit {
    pub fn of(lang: &LangTag) -> Unit {
        if lang.language().spaced {
            Unit::Words
        } else {
            Unit::Chars
        }
    }

    /// Words are whitespace-separated runs holding a letter or digit; characters are all
    /// but whitespace.
    pub fn count(self, text: &str) -> usize {
        match self {
            Unit::Words => text
                .split_whitespace()
                .filter(|w| w.chars().any(char::is_alphanumeric))
                .count(),
            Unit::Chars => text.chars().filter(|c| !c.is_whitespace()).count(),
        }
    }
}

impl fmt::Display for Contract {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.limit, self.unit)
    }
}

impl FromStr for Contract {
    type Err = LengthError;

    /// Reads `60 words` or `120 characters`, the form of [`fmt::Display`].
    fn from_str(s: &str) -> Result<Contract, LengthError> {
        let bad = || LengthError(s.to_string());
        let (n, unit) = s.trim().split_once(' ').ok_or_else(bad)?;
        let limit = n.parse().map_err(|_| bad())?;
        let unit = match unit.trim() {
            "words" => Unit::Words,
            "characters" => Unit::Chars,
            _ => return Err(bad()),
        };
        Ok(Contract { unit, limit })
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Unit::Words => "words",
            Unit::Chars => "characters",
        })
    }
}

/// What a desk asks for: a preset, or an explicit number in each language's own unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LengthSpec {
    Short,
    Medium,
    Long,
    Exactly(usize),
}

/// The fewest units a summary may be asked for; below it a summary says nothing.
pub(crate) const MIN_LENGTH: usize = 10;
/// The most: eight times the long preset, past which it is no summary but a rewrite.
pub(crate) const MAX_LENGTH: usize = 2000;

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown length '{0}': use short, medium, long or a number from {MIN_LENGTH} to {MAX_LENGTH} (words, or characters for Chinese and Japanese)"
)]
pub struct LengthError(String);

impl FromStr for LengthSpec {
    type Err = LengthError;

    fn from_str(s: &str) -> Result<LengthSpec, LengthError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "short" => Ok(LengthSpec::Short),
            "medium" => Ok(LengthSpec::Medium),
            "long" => Ok(LengthSpec::Long),
            other => match other.parse::<usize>() {
                Ok(n) if (MIN_LENGTH..=MAX_LENGTH).contains(&n) => Ok(LengthSpec::Exactly(n)),
                _ => Err(LengthError(s.to_string())),
            },
        }
    }
}

/// A limit in a unit: the summary may be shorter, never longer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Contract {
    pub unit: Unit,
    pub limit: usize,
}

impl Contract {
    /// Presets are about 60 / 120 / 250 words, or 120 / 240 / 500 characters.
    pub fn new(spec: LengthSpec, lang: &LangTag) -> Contract {
        let unit = Unit::of(lang);
        let limit = match (spec, unit) {
            (LengthSpec::Exactly(n), _) => n,
            (LengthSpec::Short, Unit::Words) => 60,
            (LengthSpec::Medium, Unit::Words) => 120,
            (LengthSpec::Long, Unit::Words) => 250,
            (LengthSpec::Short, Unit::Chars) => 120,
            (LengthSpec::Medium, Unit::Chars) => 240,
            (LengthSpec::Long, Unit::Chars) => 500,
        };
        Contract { unit, limit }
    }

    /// The same length in another unit, at two characters of Chinese or Japanese per
    /// word (the ratio the presets use).
    pub fn in_unit(self, unit: Unit) -> Contract {
        let limit = match (self.unit, unit) {
            (Unit::Words, Unit::Chars) => self.limit.saturating_mul(2),
            (Unit::Chars, Unit::Words) => (self.limit / 2).max(1),
            _ => self.limit,
        };
        Contract { unit, limit }
    }

    pub fn holds(&self, text: &str) -> bool {
        self.unit.count(text) <= self.limit
    }

    /// Whole sentences from the start while they fit. When even the first does not, its
    /// first words (or characters) that fit, marked with an ellipsis.
    pub fn cut(&self, text: &str, joiner: &str) -> String {
        let mut kept: Vec<&str> = Vec::new();
        let mut used = 0;
        for sentence in sentences::split(text) {
            let n = self.unit.count(sentence);
            if used + n > self.limit {
                break;
            }
            used += n;
            kept.push(sentence);
        }
        if !kept.is_empty() {
            return kept.join(joiner);
        }
        let room = self.limit.saturating_sub(1);
        let head: String = match self.unit {
            Unit::Words => text
                .split_whitespace()
                .take(room)
                .collect::<Vec<_>>()
                .join(" "),
            Unit::Chars => text
                .chars()
                .filter(|c| !c.is_whitespace())
                .take(room)
                .collect(),
        };
        format!("{head}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(s: &str) -> LangTag {
        LangTag::parse(s).unwrap()
    }

    #[test]
    fn presets_per_script() {
        assert_eq!(
            Contract::new(LengthSpec::Short, &tag("pt-BR")),
            Contract {
                unit: Unit::Words,
                limit: 60
            }
        );
        assert_eq!(
            Contract::new(LengthSpec::Long, &tag("zh")),
            Contract {
                unit: Unit::Chars,
                limit: 500
            }
        );
        assert_eq!(
            Contract::new(LengthSpec::Exactly(80), &tag("ja")),
            Contract {
                unit: Unit::Chars,
                limit: 80
            }
        );
        assert_eq!("Medium".parse(), Ok(LengthSpec::Medium));
        assert_eq!("45".parse(), Ok(LengthSpec::Exactly(45)));
        assert!("3".parse::<LengthSpec>().is_err());
        for huge in ["2001", "4000000000", "99999999999999999999999"] {
            assert!(huge.parse::<LengthSpec>().is_err(), "{huge}");
        }
        assert_eq!("2000".parse(), Ok(LengthSpec::Exactly(2000)));
        assert!("tiny".parse::<LengthSpec>().is_err());
    }

    #[test]
    fn counts_words_and_characters() {
        assert_eq!(Unit::Words.count("Prices rose 2.5 % — again."), 4);
        assert_eq!(Unit::Chars.count("北京 下雨了。"), 6);
    }

    #[test]
    fn cuts_at_sentence_boundaries() {
        let words = Contract {
            unit: Unit::Words,
            limit: 6,
        };
        assert_eq!(
            words.cut("One two three. Four five six. Seven.", " "),
            "One two three. Four five six."
        );
        assert_eq!(
            words.cut("One two three four five six seven eight.", " "),
            "One two three four five…"
        );
        let chars = Contract {
            unit: Unit::Chars,
            limit: 8,
        };
        assert_eq!(
            chars.cut("北京下雨了。道路关闭！行人很少。", ""),
            "北京下雨了。"
        );
        assert!(chars.holds("北京下雨了。"));
        assert_eq!(chars.to_string().parse(), Ok(chars));
        assert_eq!(
            words.in_unit(Unit::Chars),
            Contract {
                unit: Unit::Chars,
                limit: 12
            }
        );
    }
}
