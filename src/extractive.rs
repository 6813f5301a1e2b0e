//! Extractive summaries, offline and in any language: sentences are ranked by TextRank
//! (PageRank over a sentence-similarity graph) with a lead prior, since news puts what
//! matters first, and the best are kept, in article order, within the length contract.
//!
//! Similarity is word overlap weighted by rarity (IDF) for scripts with spaces, and
//! character-bigram overlap for Chinese and Japanese, which have no spaces to split on.

use std::collections::{HashMap, HashSet};

use crate::length::{Contract, Unit};

const DAMPING: f64 = 0.75;
const ITERATIONS: usize = 60;
/// Above this similarity to a kept sentence, a candidate says the same thing again.
const REDUNDANT: f64 = 0.5;

/// A summary made of source sentences, and which ones (indices into the input).
#[derive(Clone, Debug, PartialEq)]
pub struct Extract {
    pub text: String,
    pub picked: Vec<usize>,
}

/// Picks sentences that fit `contract`; `joiner` goes between them (" " or "").
pub fn summarize(sentences: &[&str], contract: Contract, joiner: &str) -> Extract {
    if sentences.is_empty() {
        return Extract {
            text: String::new(),
            picked: Vec::new(),
        };
    }
    let terms: Vec<Vec<String>> = sentences.iter().map(|s| terms(s, contract.unit)).collect();
    let similarity = similarity_matrix(&terms);
    let scores = rank(&similarity);
    let mut order: Vec<usize> = (0..sentences.len()).collect();
    order.sort_by(|a, b| scores[*b].total_cmp(&scores[*a]).then(a.cmp(b)));

    let mut picked: Vec<usize> = Vec::new();
    let mut used = 0;
    for i in order {
        let n = contract.unit.count(sentences[i]);
        if used + n > contract.limit || picked.iter().any(|&p| similarity[i][p] > REDUNDANT) {
            continue;
        }
        used += n;
        picked.push(i);
    }
    if picked.is_empty() {
        // Even the best sentence is too long: keep its head.
        let best = scores
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map_or(0, |(i, _)| i);
        return Extract {
            text: contract.cut(sentences[best], joiner),
            picked: vec![best],
        };
    }
    picked.sort_unstable();
    let text = picked
        .iter()
        .map(|&i| sentences[i])
        .collect::<Vec<_>>()
        .join(joiner);
    Extract { text, picked }
}

/// Lower-cased words of letters and digits, or CJK character bigrams.
fn terms(sentence: &str, unit: Unit) -> Vec<String> {
    match unit {
        Unit::Words => sentence
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.chars().count() > 1)
            .map(str::to_lowercase)
            .collect(),
        Unit::Chars => {
            let chars: Vec<char> = sentence.chars().filter(|c| c.is_alphanumeric()).collect();
            chars.windows(2).map(|w| w.iter().collect()).collect()
        }
    }
}

/// Shared terms weighted by IDF, normalised by sentence lengths (TextRank's log form).
fn similarity_matrix(terms: &[Vec<String>]) -> Vec<Vec<f64>> {
    let n = terms.len();
    let sets: Vec<HashSet<&str>> = terms
        .iter()
        .map(|t| t.iter().map(String::as_str).collect())
        .collect();
    let mut df: HashMap<&str, usize> = HashMap::new();
    for set in &sets {
        for t in set {
            *df.entry(t).or_default() += 1;
        }
    }
    let idf = |t: &str| ((n as f64 + 1.0) / (df[t] as f64 + 0.5)).ln();
    let mut m = vec![vec![0.0; n]; n];
    for i in 0..n {
        for j in (i + 1)..n {
            let shared: f64 = sets[i].intersection(&sets[j]).map(|t| idf(t)).sum();
            let norm = (sets[i].len() as f64 + 1.0).ln() + (sets[j].len() as f64 + 1.0).ln();
            let s = if norm > 0.0 { shared / norm } else { 0.0 };
            m[i][j] = s;
            m[j][i] = s;
        }
    }
    m
}

/// PageRank with a lead prior: the random surfer restarts at early sentences more often.
fn rank(similarity: &[Vec<f64>]) -> Vec<f64> {
    let n = similarity.len();
    let prior: Vec<f64> = {
        let raw: Vec<f64> = (0..n).map(|i| 1.0 / (i + 1) as f64).collect();
        let total: f64 = raw.iter().sum();
        raw.into_iter().map(|p| p / total).collect()
    };
    let out_weight: Vec<f64> = similarity.iter().map(|row| row.iter().sum()).collect();
    let mut scores = prior.clone();
    for _ in 0..ITERATIONS {
        let mut next: Vec<f64> = prior.iter().map(|p| (1.0 - DAMPING) * p).collect();
        for j in 0..n {
            if out_weight[j] == 0.0 {
                // A sentence sharing nothing hands its weight back through the prior.
                for (i, p) in prior.iter().enumerate() {
                    next[i] += DAMPING * scores[j] * p;
                }
                continue;
            }
            for i in 0..n {
                next[i] += DAMPING * scores[j] * similarity[j][i] / out_weight[j];
            }
        }
        scores = next;
    }
    scores
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sentences;

    const ARTICLE: &str = "The city will ration water from Monday as the drought deepens. \
        Reservoir levels have fallen to 23 percent, the lowest since records began. \
        The mayor's cat was seen on the town hall roof. \
        Water rationing will limit each household to 150 litres a day while the drought lasts. \
        Officials said the drought and the falling reservoir levels left no other choice. \
        A local bakery won a prize for its bread.";

    #[test]
    fn keeps_central_sentences_in_order_within_the_limit() {
        let sentences = sentences::split(ARTICLE);
        let contract = Contract {
            unit: Unit::Words,
            limit: 40,
        };
        let extract = summarize(&sentences, contract, " ");
        assert!(contract.holds(&extract.text), "{}", extract.text);
        assert!(extract.picked.windows(2).all(|w| w[0] < w[1]));
        assert!(extract.picked.contains(&0), "{:?}", extract.picked);
        assert!(
            !extract.picked.contains(&2) && !extract.picked.contains(&5),
            "off-topic kept: {:?}",
            extract.picked
        );
        for i in &extract.picked {
            assert!(extract.text.contains(sentences[*i]));
        }
    }

    #[test]
    fn chinese_counts_characters() {
        let text = "市政府宣布从周一开始限制供水。水库水位已降至百分之二十三。一只猫出现在屋顶上。限水措施将持续到旱情结束。";
        let sentences = sentences::split(text);
        let contract = Contract {
            unit: Unit::Chars,
            limit: 30,
        };
        let extract = summarize(&sentences, contract, "");
        assert!(contract.holds(&extract.text), "{}", extract.text);
        assert!(
            extract.text.starts_with("市政府宣布从周一开始限制供水。"),
            "{}",
            extract.text
        );
    }

    #[test]
    fn too_long_a_first_sentence_is_cut_not_dropped() {
        let extract = summarize(
            &["one two three four five six seven"],
            Contract {
                unit: Unit::Words,
                limit: 4,
            },
            " ",
        );
        assert_eq!(extract.text, "one two three…");
        assert!(
            summarize(
                &[],
                Contract {
                    unit: Unit::Words,
                    limit: 4
                },
                " "
            )
            .text
            .is_empty()
        );
    }
}
