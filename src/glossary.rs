//! Glossaries: term lists that keep names and terms the same in every chunk.
//!
//! One file per language pair, named `SOURCE.TARGET.tsv` (`en.pt-BR.tsv`): one entry per
//! line, the source term, a tab, the target term; `#` starts a comment line. A file for a
//! bare target (`en.pt.tsv`) serves every variant (`pt-BR`, `pt-PT`) that has no file of
//! its own. TSV is what DeepL's glossary API takes, and what spreadsheets export.

use std::path::Path;
use std::sync::Arc;

use serde::Serialize;

use crate::hash::content_hash;
use crate::lang::LangTag;
use crate::protect::whole_words;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub source: String,
    pub target: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Glossary {
    pub source: LangTag,
    pub target: LangTag,
    /// Shown as the number of terms (in `check-config`), not the terms.
    #[serde(rename = "terms", serialize_with = "count")]
    pub entries: Vec<Entry>,
    /// A content hash: equal glossaries share it, and any edit changes it.
    pub version: String,
}

fn count<S: serde::Serializer>(entries: &[Entry], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(entries.len() as u64)
}

#[derive(Debug, thiserror::Error)]
pub enum GlossaryError {
    #[error("{origin}: cannot read it ({source})")]
    Read {
        origin: String,
        source: std::io::Error,
    },
    #[error(
        "{origin}: the file name must be SOURCE.TARGET.tsv with two language tags, e.g. en.pt-BR.tsv"
    )]
    Name { origin: String },
    #[error("{origin}: line {line}: {message}")]
    Line {
        origin: String,
        line: usize,
        message: String,
    },
}

impl Glossary {
    pub fn new(source: LangTag, target: LangTag, entries: Vec<Entry>) -> Glossary {
        let lines = entries
            .iter()
            .map(|e| format!("{}\t{}", e.source, e.target));
        let version = content_hash(
            [format!("{source}\t{target}")]
                .into_iter()
                .chain(lines)
                .collect::<Vec<_>>()
                .iter()
                .map(String::as_str),
        );
        Glossary {
            source,
            target,
            entries,
            version,
        }
    }

    /// Reads a glossary file; its name gives the language pair.
    pub fn load(path: &Path) -> Result<Glossary, GlossaryError> {
        let origin = path.display().to_string();
        let name_error = || GlossaryError::Name {
            origin: origin.clone(),
        };
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(name_error)?;
        let stem = name.strip_suffix(".tsv").ok_or_else(name_error)?;
        let (source, target) = stem.split_once('.').ok_or_else(name_error)?;
        let source = LangTag::parse(source).map_err(|_| name_error())?;
        let target = LangTag::parse(target).map_err(|_| name_error())?;
        let text = std::fs::read_to_string(path).map_err(|source| GlossaryError::Read {
            origin: origin.clone(),
            source,
        })?;
        Ok(Glossary::new(source, target, parse_tsv(&text, &origin)?))
    }

    /// The entries whose source term occurs in `text` as a whole word.
    pub fn found_in(&self, text: &str) -> Vec<&Entry> {
        self.entries
            .iter()
            .filter(|e| whole_words(text, &e.source).next().is_some())
            .collect()
    }

    /// The entries as DeepL's `entries_format = "tsv"` takes them.
    pub fn to_tsv(&self) -> String {
        self.entries
            .iter()
            .map(|e| format!("{}\t{}\n", e.source, e.target))
            .collect()
    }

    /// This glossary with `other`'s entries added; `other` wins where both have a term.
    pub fn overlaid(&self, other: &Glossary) -> Glossary {
        let mut entries: Vec<Entry> = self
            .entries
            .iter()
            .filter(|e| !other.entries.iter().any(|o| o.source == e.source))
            .cloned()
            .collect();
        entries.extend(other.entries.iter().cloned());
        Glossary::new(self.source.clone(), self.target.clone(), entries)
    }
}

fn parse_tsv(text: &str, origin: &str) -> Result<Vec<Entry>, GlossaryError> {
    let mut entries: Vec<Entry> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let err = |message: String| GlossaryError::Line {
            origin: origin.to_string(),
            line: i + 1,
            message,
        };
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let Some((source, target)) = line.split_once('\t') else {
            return Err(err(
                "no tab: write the source term, a tab, the target term".into()
            ));
        };
        let (source, target) = (source.trim(), target.trim());
        if source.is_empty() || target.is_empty() || target.contains('\t') {
            return Err(err(
                "each line needs exactly two non-empty terms separated by one tab".into(),
            ));
        }
        if entries.iter().any(|e| e.source == source) {
            return Err(err(format!("'{source}' is listed twice")));
        }
        entries.push(Entry {
            source: source.to_string(),
            target: target.to_string(),
        });
    }
    Ok(entries)
}

/// Every glossary a gateway knows, looked up by language pair.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(transparent)]
pub struct Glossaries {
    list: Vec<Arc<Glossary>>,
}

impl Glossaries {
    /// Every `*.tsv` file in `dir`, in name order.
    pub fn load_dir(dir: &Path) -> Result<Glossaries, GlossaryError> {
        let read_error = |source| GlossaryError::Read {
            origin: dir.display().to_string(),
            source,
        };
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .map_err(read_error)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "tsv"))
            .collect();
        paths.sort();
        let mut out = Glossaries::default();
        for path in paths {
            out.add(Glossary::load(&path)?);
        }
        Ok(out)
    }

    /// Adds `g`, overlaying a glossary of the same pair.
    pub fn add(&mut self, g: Glossary) {
        match self
            .list
            .iter_mut()
            .find(|h| h.source == g.source && h.target == g.target)
        {
            Some(have) => *have = Arc::new(have.overlaid(&g)),
            None => self.list.push(Arc::new(g)),
        }
    }

    /// The glossary for translating `source` into `target`: the exact target first, then
    /// the bare language's.
    pub fn for_pair(&self, source: &LangTag, target: &LangTag) -> Option<Arc<Glossary>> {
        let same_source = |g: &&Arc<Glossary>| g.source.primary() == source.primary();
        let candidates = || self.list.iter().filter(same_source);
        candidates()
            .find(|g| g.target == *target)
            .or_else(|| candidates().find(|g| g.target.as_str() == target.primary()))
            .cloned()
    }
}

/// A glossary target term missing from a translated block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Miss {
    /// The block of the answer, from 1.
    pub block: usize,
    pub source: String,
    pub target: String,
}

/// Each source term found in a piece must have its target term in that piece's
/// translation (compared without case: a term may open a sentence).
pub(crate) fn misses(glossary: &Glossary, pieces: &[&str], answers: &[String]) -> Vec<Miss> {
    let mut out = Vec::new();
    for (i, (piece, answer)) in pieces.iter().zip(answers).enumerate() {
        let answer = answer.to_lowercase();
        for entry in glossary.found_in(piece) {
            if !answer.contains(&entry.target.to_lowercase()) {
                out.push(Miss {
                    block: i + 1,
                    source: entry.source.clone(),
                    target: entry.target.clone(),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(s: &str) -> LangTag {
        LangTag::parse(s).unwrap()
    }

    #[test]
    fn tsv_lines_and_errors() {
        let ok = parse_tsv(
            "# terms\nwater utility\tcompanhia\n\nSabesp\tSabesp\r\n",
            "g",
        )
        .unwrap();
        assert_eq!(ok.len(), 2);
        assert_eq!(ok[0].target, "companhia");
        let err = |text: &str| parse_tsv(text, "g.tsv").unwrap_err().to_string();
        assert_eq!(
            err("a b"),
            "g.tsv: line 1: no tab: write the source term, a tab, the target term"
        );
        assert!(err("a\t\n").contains("line 1: each line needs"));
        assert!(err("a\tb\na\tc").contains("line 2: 'a' is listed twice"));
    }

    #[test]
    fn pairs_overlays_and_misses() {
        let entry = |s: &str, t: &str| Entry {
            source: s.into(),
            target: t.into(),
        };
        let mut all = Glossaries::default();
        all.add(Glossary::new(
            tag("en"),
            tag("pt"),
            vec![entry("dam", "barragem")],
        ));
        all.add(Glossary::new(
            tag("en"),
            tag("pt-BR"),
            vec![entry("dam", "represa")],
        ));
        let br = all.for_pair(&tag("en-US"), &tag("pt-BR")).unwrap();
        assert_eq!(br.entries[0].target, "represa");
        let pt = all.for_pair(&tag("en"), &tag("pt-PT")).unwrap();
        assert_eq!(pt.entries[0].target, "barragem");
        assert!(all.for_pair(&tag("en"), &tag("ru")).is_none());

        let before = br.version.clone();
        all.add(Glossary::new(
            tag("en"),
            tag("pt-BR"),
            vec![entry("reservoir", "reservatório")],
        ));
        let br = all.for_pair(&tag("en"), &tag("pt-BR")).unwrap();
        assert_eq!(br.entries.len(), 2);
        assert_ne!(br.version, before);

        let pieces = ["The dam and the reservoir.", "Damage only."];
        let answers = vec!["A Represa e o lago.".to_string(), "Danos.".to_string()];
        let missed = misses(&br, &pieces, &answers);
        assert_eq!(
            missed,
            vec![Miss {
                block: 1,
                source: "reservoir".into(),
                target: "reservatório".into()
            }]
        );
    }
}
