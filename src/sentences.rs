//! Sentence boundaries by Unicode's rules (UAX #29, through ICU4X, the segmenter that
//! text-splitter uses too), so that Chinese 。, Hindi । and Russian text split as well as
//! Latin scripts.

use icu_segmenter::SentenceSegmenter;
use icu_segmenter::options::SentenceBreakInvariantOptions;

/// The sentences of `text`, trimmed, in order; empty ones dropped.
pub(crate) fn split(text: &str) -> Vec<&str> {
    let breaks: Vec<usize> = SentenceSegmenter::new(SentenceBreakInvariantOptions::default())
        .segment_str(text)
        .collect();
    breaks
        .windows(2)
        .map(|w| text[w[0]..w[1]].trim())
        .filter(|s| !s.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_many_scripts() {
        assert_eq!(
            split("It rained. Roads closed! Why?"),
            vec!["It rained.", "Roads closed!", "Why?"]
        );
        assert_eq!(
            split("北京下雨了。道路关闭！"),
            vec!["北京下雨了。", "道路关闭！"]
        );
        assert_eq!(
            split("मुंबई में बारिश हुई। सड़कें बंद हैं।"),
            vec!["मुंबई में बारिश हुई।", "सड़कें बंद हैं।"]
        );
        assert_eq!(
            split("Шёл снег. Т. е. пробки."),
            vec!["Шёл снег.", "Т. е. пробки."]
        );
        assert!(split("  ").is_empty());
    }
}
