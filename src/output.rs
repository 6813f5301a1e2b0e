//! Rendering a run's result as text, Markdown or the JSON document of the CLI contract,
//! where `translation.blocks[i]` is the translation of `source.blocks[i]`.

use indexmap::IndexMap;
use serde::Serialize;

use crate::article::{Block, BlockKind};
use crate::length::Unit;
use crate::pipeline::{Failure, Fit, Method, RunOutput, RunUsage, Summary, Translation, Warning};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Text,
    Markdown,
    Json,
}

pub fn render(out: &RunOutput, format: OutputFormat) -> String {
    match format {
        OutputFormat::Json => json(out),
        OutputFormat::Text => by_lang(out)
            .into_iter()
            .map(|(lang, r)| {
                let mut parts = Vec::new();
                if let Some(t) = r.translation {
                    parts.push(plain_text(t.title.as_deref(), &t.blocks));
                }
                if let Some(s) = r.summary {
                    parts.push(format!("Summary: {}", s.text));
                }
                format!("=== {lang} ===\n{}\n", parts.join("\n\n"))
            })
            .collect::<Vec<_>>()
            .join("\n"),
        OutputFormat::Markdown => by_lang(out)
            .into_iter()
            .map(|(lang, r)| {
                let mut md = format!("<!-- lang: {lang} -->\n");
                if let Some(t) = r.translation {
                    md.push_str(&markdown(t));
                }
                if let Some(s) = r.summary {
                    md.push_str(&format!("\n**Summary:** {}\n", s.text));
                }
                md
            })
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

/// What a run gives for one language.
struct ForLang<'a> {
    translation: Option<&'a Translation>,
    summary: Option<&'a Summary>,
}

/// Results per language, in the order the languages were asked for.
fn by_lang<'o>(out: &'o RunOutput<'_>) -> IndexMap<&'o str, ForLang<'o>> {
    let mut langs: IndexMap<&str, ForLang> = IndexMap::new();
    let empty = || ForLang {
        translation: None,
        summary: None,
    };
    for t in &out.translations {
        langs
            .entry(t.lang.as_str())
            .or_insert_with(empty)
            .translation = Some(t);
    }
    for s in &out.summaries {
        langs.entry(s.lang.as_str()).or_insert_with(empty).summary = Some(s);
    }
    langs
}

/// Title and blocks separated by blank lines.
fn plain_text(title: Option<&str>, blocks: &[Block]) -> String {
    title
        .into_iter()
        .chain(blocks.iter().map(|b| b.text.as_str()))
        .collect::<Vec<_>>()
        .join("\n\n")
}

fn markdown(t: &Translation) -> String {
    let mut md = String::new();
    if let Some(title) = &t.title {
        md.push_str(&format!("# {title}\n"));
    }
    let mut previous = None;
    for b in &t.blocks {
        // List items of one list stay together; everything else is its own paragraph.
        if !(md.is_empty()
            || previous == Some(BlockKind::ListItem) && b.kind == BlockKind::ListItem)
        {
            md.push('\n');
        }
        let line = match b.kind {
            BlockKind::Heading => format!("## {}", b.text),
            BlockKind::Paragraph => b.text.clone(),
            BlockKind::Quote => format!("> {}", b.text),
            BlockKind::ListItem => format!("- {}", b.text),
        };
        md.push_str(&line);
        md.push('\n');
        previous = Some(b.kind);
    }
    md
}

/// The JSON document of the CLI contract, which the HTTP API returns too.
#[derive(Serialize)]
pub struct Document<'a> {
    source: Source<'a>,
    results: IndexMap<&'a str, LangResult<'a>>,
    usage: &'a RunUsage,
    warnings: &'a [Warning],
    #[serde(skip_serializing_if = "<[Failure]>::is_empty")]
    errors: &'a [Failure],
}

#[derive(Serialize)]
struct Source<'a> {
    lang: &'a str,
    title: Option<&'a str>,
    blocks: &'a [Block],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    set_aside: &'a [String],
}

#[derive(Serialize)]
struct LangResult<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    translation: Option<TranslationDoc<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<SummaryDoc<'a>>,
}

#[derive(Serialize)]
struct TranslationDoc<'a> {
    title: Option<&'a str>,
    blocks: &'a [Block],
    text: String,
}

#[derive(Serialize)]
struct SummaryDoc<'a> {
    text: &'a str,
    unit: Unit,
    count: usize,
    limit: usize,
    fit: Fit,
    method: Method,
    lang: &'a str,
}

fn json(out: &RunOutput) -> String {
    serde_json::to_string_pretty(&document(out))
        .unwrap_or_else(|e| format!("{{\"error\": \"cannot render JSON: {e}\"}}"))
}

/// `out` as the JSON document, borrowing its parts.
pub fn document<'o>(out: &'o RunOutput<'_>) -> Document<'o> {
    let results = by_lang(out)
        .into_iter()
        .map(|(lang, r)| {
            let translation = r.translation.map(|t| TranslationDoc {
                title: t.title.as_deref(),
                blocks: &t.blocks,
                text: plain_text(t.title.as_deref(), &t.blocks),
            });
            let summary = r.summary.map(|s| SummaryDoc {
                text: &s.text,
                unit: s.length.unit,
                count: s.length.unit.count(&s.text),
                limit: s.length.limit,
                fit: s.fit,
                method: s.method,
                lang: s.written_in.as_str(),
            });
            (
                lang,
                LangResult {
                    translation,
                    summary,
                },
            )
        })
        .collect();
    Document {
        source: Source {
            lang: out.source.lang.as_str(),
            title: out.source.title.as_deref(),
            blocks: &out.source.blocks,
            set_aside: &out.source.set_aside,
        },
        results,
        usage: &out.usage,
        warnings: &out.warnings,
        errors: &out.failures,
    }
}
