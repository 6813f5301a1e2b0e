//! Chunk planning and its exact inverse. Pure functions, no I/O.
//!
//! Whole units (title and blocks) are packed in order into chunks up to a budget. A unit
//! larger than the budget is split by text-splitter, which cuts at sentence boundaries
//! (UAX #29, so Chinese 。, Hindi । and Russian work) and only falls back to words or
//! characters when one sentence alone exceeds the budget. Pieces keep their whitespace,
//! so concatenating a unit's pieces gives the unit back byte for byte.

use text_splitter::{ChunkConfig, ChunkSizer, TextSplitter};

/// How much article text one backend call may carry. Serialized under the config's keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Budget {
    #[serde(rename = "max_chunk_chars")]
    Chars(usize),
    #[serde(rename = "max_chunk_tokens")]
    Tokens(usize),
}

impl Budget {
    pub fn measure(self, text: &str) -> usize {
        match self {
            Budget::Chars(_) => text.chars().count(),
            Budget::Tokens(_) => count_tokens(text),
        }
    }

    fn limit(self) -> usize {
        match self {
            Budget::Chars(n) | Budget::Tokens(n) => n.max(1),
        }
    }

    fn split(self, text: &str) -> Vec<String> {
        match self {
            Budget::Chars(n) => split_with(text, ChunkConfig::new(n.max(1))),
            Budget::Tokens(n) => split_with(
                text,
                ChunkConfig::new(n.max(1)).with_sizer(tiktoken_rs::o200k_base_singleton()),
            ),
        }
    }
}

/// Tokens as OpenAI's o200k encoding counts them; an estimate for other vendors.
pub(crate) fn count_tokens(text: &str) -> usize {
    tiktoken_rs::o200k_base_singleton()
        .encode_ordinary(text)
        .len()
}

fn split_with<S: ChunkSizer>(text: &str, config: ChunkConfig<S>) -> Vec<String> {
    TextSplitter::new(config.with_trim(false))
        .chunks(text)
        .map(str::to_string)
        .collect()
}

/// A run of text from one unit: the whole unit, or one part of a unit split by sentences.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Piece {
    pub unit: usize,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Chunk {
    pub id: usize,
    pub pieces: Vec<Piece>,
}

/// Packs `units` into chunks of at most `budget` each, in order.
pub(crate) fn plan(units: &[&str], budget: Budget) -> Vec<Chunk> {
    plan_capped(units, budget, usize::MAX)
}

/// [`plan`] with at most `max_pieces` pieces per chunk, for APIs that cap the texts of
/// one request (DeepL: 50).
pub(crate) fn plan_capped(units: &[&str], budget: Budget, max_pieces: usize) -> Vec<Chunk> {
    let limit = budget.limit();
    let max_pieces = max_pieces.max(1);
    let mut chunks: Vec<Chunk> = Vec::new();
    let mut current: Vec<Piece> = Vec::new();
    let mut used = 0;
    for (unit, text) in units.iter().enumerate() {
        let size = budget.measure(text);
        let parts = if size <= limit {
            vec![(text.to_string(), size)]
        } else {
            budget
                .split(text)
                .into_iter()
                .map(|p| {
                    let size = budget.measure(&p);
                    (p, size)
                })
                .collect()
        };
        for (text, size) in parts {
            if (used + size > limit || current.len() >= max_pieces) && !current.is_empty() {
                chunks.push(Chunk {
                    id: chunks.len(),
                    pieces: std::mem::take(&mut current),
                });
                used = 0;
            }
            used += size;
            current.push(Piece { unit, text });
        }
    }
    if !current.is_empty() {
        chunks.push(Chunk {
            id: chunks.len(),
            pieces: current,
        });
    }
    chunks
}

/// Gathers the pieces of each unit, in order, and joins them with `join`; the inverse of
/// [`plan`] when `join` concatenates. Pieces arrive as `(unit, text)` in plan order.
pub(crate) fn assemble<'a>(
    units: usize,
    pieces: impl IntoIterator<Item = (usize, &'a str)>,
    join: impl Fn(&mut String, &str),
) -> Vec<String> {
    let mut out = vec![String::new(); units];
    for (unit, text) in pieces {
        join(&mut out[unit], text);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Reassembles untouched chunks into the original units.
    fn reassemble(units: usize, chunks: &[Chunk]) -> Vec<String> {
        assemble(
            units,
            chunks
                .iter()
                .flat_map(|c| c.pieces.iter().map(|p| (p.unit, p.text.as_str()))),
            |acc, text| acc.push_str(text),
        )
    }

    const SENTENCES: &[&str] = &[
        "The council met on Tuesday. ",
        "Dr. Smith arrived at 3.14 p.m. in the U.S. ",
        "北京今天下午发生了交通事故。",
        "三辆汽车相撞，两人受伤！",
        "मुंबई में भारी बारिश हुई। ",
        "В Москве прошёл сильный снегопад. ",
        "O presidente disse que a economia cresceu 2,5% no ano. ",
        "Awordthatisfartoolongtofitanybudgetatallwhatsoever ",
    ];

    fn unit() -> impl Strategy<Value = String> {
        prop::collection::vec(0..SENTENCES.len(), 1..12)
            .prop_map(|ix| ix.into_iter().map(|i| SENTENCES[i]).collect::<String>())
    }

    proptest! {
        #[test]
        fn plan_then_reassemble_is_identity(units in prop::collection::vec(unit(), 1..8), max in 10usize..400, cap in 1usize..6) {
            let refs: Vec<&str> = units.iter().map(String::as_str).collect();
            let chunks = plan_capped(&refs, Budget::Chars(max), cap);
            prop_assert_eq!(reassemble(refs.len(), &chunks), units);
            for (i, chunk) in chunks.iter().enumerate() {
                prop_assert_eq!(chunk.id, i);
                let size: usize = chunk.pieces.iter().map(|p| p.text.chars().count()).sum();
                prop_assert!(size <= max, "chunk {} has {} chars > {}", i, size, max);
                prop_assert!(chunk.pieces.len() <= cap, "chunk {} has {} pieces > {}", i, chunk.pieces.len(), cap);
            }
        }
    }

    #[test]
    fn whole_blocks_are_packed_together() {
        let chunks = plan(&["aaaa", "bbbb", "cccc"], Budget::Chars(8));
        let shape: Vec<Vec<usize>> = chunks
            .iter()
            .map(|c| c.pieces.iter().map(|p| p.unit).collect())
            .collect();
        assert_eq!(shape, vec![vec![0, 1], vec![2]]);
    }

    #[test]
    fn long_blocks_split_at_sentence_ends() {
        let text =
            "В Москве прошёл сильный снегопад. Движение на дорогах было затруднено. Школы закрыты.";
        let chunks = plan(&[text], Budget::Chars(40));
        let parts: Vec<&str> = chunks
            .iter()
            .flat_map(|c| c.pieces.iter().map(|p| p.text.as_str()))
            .collect();
        assert_eq!(
            parts,
            vec![
                "В Москве прошёл сильный снегопад. ",
                "Движение на дорогах было затруднено. ",
                "Школы закрыты."
            ]
        );
    }

    #[test]
    fn token_budgets_split_too() {
        let text = "政府本周宣布了支持经济的新措施。专家认为这些措施有助于稳定市场。".repeat(4);
        let chunks = plan(&[&text], Budget::Tokens(20));
        assert!(chunks.len() > 1);
        assert_eq!(reassemble(1, &chunks), vec![text]);
    }
}
