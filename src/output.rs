//! Rendering a run's result as text, Markdown or the JSON document of the CLI contract,
//! where `translation.blocks[i]` is the translation of `source.blocks[i]`.

use indexmap::IndexMap;
use serde::Serialize;

use crate::article::{Block, BlockKind};
use crate::pipeline::{RunUsage, TranslateOutput, Translation, Warning};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Text,
    Markdown,
    Json,
}

pub fn render(out: &TranslateOutput, format: OutputFormat) -> String {
    match format {
        OutputFormat::Json => json(out),
        OutputFormat::Text => out
            .translations
            .iter()
            .map(|t| {
                format!(
                    "=== {} ===\n{}\n",
                    t.lang,
                    plain_text(t.title.as_deref(), &t.blocks)
                )
            })
            .collect::<Vec<_>>()
            .join("\n"),
        OutputFormat::Markdown => out
            .translations
            .iter()
            .map(|t| format!("<!-- lang: {} -->\n{}\n", t.lang, markdown(t)))
            .collect::<Vec<_>>()
            .join("\n"),
    }
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

#[derive(Serialize)]
struct Doc<'a> {
    source: Source<'a>,
    results: IndexMap<&'a str, LangResult<'a>>,
    usage: &'a RunUsage,
    warnings: &'a [Warning],
}

#[derive(Serialize)]
struct Source<'a> {
    lang: &'a str,
    title: Option<&'a str>,
    blocks: &'a [Block],
}

#[derive(Serialize)]
struct LangResult<'a> {
    translation: TranslationDoc<'a>,
}

#[derive(Serialize)]
struct TranslationDoc<'a> {
    title: Option<&'a str>,
    blocks: &'a [Block],
    text: String,
}

fn json(out: &TranslateOutput) -> String {
    let doc = Doc {
        source: Source {
            lang: out.source.lang.as_str(),
            title: out.source.title.as_deref(),
            blocks: &out.source.blocks,
        },
        results: out
            .translations
            .iter()
            .map(|t| {
                let translation = TranslationDoc {
                    title: t.title.as_deref(),
                    blocks: &t.blocks,
                    text: plain_text(t.title.as_deref(), &t.blocks),
                };
                (t.lang.as_str(), LangResult { translation })
            })
            .collect(),
        usage: &out.usage,
        warnings: &out.warnings,
    };
    serde_json::to_string_pretty(&doc)
        .unwrap_or_else(|e| format!("{{\"error\": \"cannot render JSON: {e}\"}}"))
}
