//! Summary quality: ROUGE-1, ROUGE-2 and ROUGE-L (F1) of the extractive summarizer
//! against hand-written references (`benches/eval/`), beside two lead baselines: the first
//! three sentences, and the first sentences within the same length limit.
//!
//! Run with `cargo bench --bench rouge`.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)] // a test or bench may unwrap and spawn

use std::collections::HashMap;
use std::path::Path;

use lingo::{Article, Contract, InputFormat, LangTag, LengthSpec, Unit, extractive_summary};

const SYSTEMS: [&str; 3] = ["extractive", "lead-3", "lead (same limit)"];

/// Lower-cased words, or characters where the script has no spaces.
fn tokens(text: &str, unit: Unit) -> Vec<String> {
    match unit {
        Unit::Words => text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect(),
        Unit::Chars => text
            .chars()
            .filter(|c| c.is_alphanumeric())
            .map(String::from)
            .collect(),
    }
}

fn f1(overlap: f64, candidate: usize, reference: usize) -> f64 {
    if overlap == 0.0 {
        return 0.0;
    }
    let (p, r) = (overlap / candidate as f64, overlap / reference as f64);
    2.0 * p * r / (p + r)
}

fn grams(tokens: &[String], n: usize) -> HashMap<&[String], usize> {
    let mut counts: HashMap<&[String], usize> = HashMap::new();
    for g in tokens.windows(n) {
        *counts.entry(g).or_default() += 1;
    }
    counts
}

fn rouge_n(candidate: &[String], reference: &[String], n: usize) -> f64 {
    let (c, r) = (grams(candidate, n), grams(reference, n));
    let overlap: usize = c
        .iter()
        .map(|(g, n)| (*n).min(r.get(g).copied().unwrap_or(0)))
        .sum();
    f1(
        overlap as f64,
        candidate.len().saturating_sub(n - 1),
        reference.len().saturating_sub(n - 1),
    )
}

fn rouge_l(candidate: &[String], reference: &[String]) -> f64 {
    let mut row = vec![0usize; reference.len() + 1];
    for c in candidate {
        let mut diagonal = 0;
        for (j, r) in reference.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if c == r {
                diagonal + 1
            } else {
                row[j + 1].max(row[j])
            };
            diagonal = above;
        }
    }
    f1(
        row[reference.len()] as f64,
        candidate.len(),
        reference.len(),
    )
}

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/eval");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("benches/eval")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    // scores[language][system] = list of (R1, R2, RL)
    let mut scores: HashMap<String, Vec<Vec<[f64; 3]>>> = HashMap::new();
    println!(
        "{:<22} {:<18} {:>6} {:>6} {:>6} {:>6}",
        "article", "system", "R-1", "R-2", "R-L", "length"
    );
    for path in &files {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let lang_code = name.split('.').nth(1).expect("ID.LANG.txt");
        let lang = LangTag::parse(lang_code).expect("language tag in the file name");
        let text = std::fs::read_to_string(path).expect("readable");
        let (body, reference) = text
            .split_once("---- reference ----")
            .expect("a reference section");
        let article = Article::parse(
            body.as_bytes(),
            InputFormat::Text,
            Some(lang.clone()),
            false,
        )
        .expect("article");
        let sentences = article.body_sentences();
        let limit = Contract::new(LengthSpec::Short, &lang);
        let joiner = if lang.language().spaced { " " } else { "" };
        let candidates = [
            extractive_summary(&sentences, limit, joiner).text,
            sentences
                .iter()
                .take(3)
                .copied()
                .collect::<Vec<_>>()
                .join(joiner),
            limit.cut(&sentences.join(joiner), joiner),
        ];
        let reference = tokens(reference, limit.unit);
        let per_system = scores
            .entry(lang_code.to_string())
            .or_insert_with(|| vec![Vec::new(); SYSTEMS.len()]);
        for (k, candidate) in candidates.iter().enumerate() {
            let c = tokens(candidate, limit.unit);
            let s = [
                rouge_n(&c, &reference, 1),
                rouge_n(&c, &reference, 2),
                rouge_l(&c, &reference),
            ];
            println!(
                "{name:<22} {:<18} {:>6.3} {:>6.3} {:>6.3} {:>6}",
                SYSTEMS[k],
                s[0],
                s[1],
                s[2],
                limit.unit.count(candidate)
            );
            per_system[k].push(s);
        }
    }
    println!("\nmean F1 by language ({} articles)", files.len());
    println!(
        "{:<8} {:<18} {:>6} {:>6} {:>6}",
        "lang", "system", "R-1", "R-2", "R-L"
    );
    let mut langs: Vec<&String> = scores.keys().collect();
    langs.sort();
    let mut all = vec![Vec::new(); SYSTEMS.len()];
    for lang in langs {
        for (k, runs) in scores[lang].iter().enumerate() {
            print_mean(lang, SYSTEMS[k], runs);
            all[k].extend(runs.iter().copied());
        }
    }
    for (k, runs) in all.iter().enumerate() {
        print_mean("all", SYSTEMS[k], runs);
    }
}

fn print_mean(lang: &str, system: &str, runs: &[[f64; 3]]) {
    let mean = |i: usize| runs.iter().map(|r| r[i]).sum::<f64>() / runs.len().max(1) as f64;
    println!(
        "{lang:<8} {system:<18} {:>6.3} {:>6.3} {:>6.3}",
        mean(0),
        mean(1),
        mean(2)
    );
}
