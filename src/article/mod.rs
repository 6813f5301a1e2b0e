//! The article as lingo sees it: a title and an ordered list of typed blocks, in one
//! source language. Blocks are the unit of structure that every translation gives back
//! one for one.

mod markdown;
mod plain;

use serde::Serialize;

use crate::detect;
use crate::lang::LangTag;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockKind {
    Heading,
    Paragraph,
    Quote,
    ListItem,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Block {
    pub kind: BlockKind,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Article {
    pub lang: LangTag,
    pub title: Option<String>,
    pub blocks: Vec<Block>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum InputFormat {
    Text,
    Markdown,
}

#[derive(Debug, thiserror::Error)]
pub enum ArticleError {
    #[error("the input is not valid UTF-8 (first bad byte at offset {0}): convert it to UTF-8")]
    InvalidUtf8(usize),
    #[error("the article is empty: give a file or stdin with some text")]
    Empty,
    #[error(
        "could not tell the article's language (too short or mixed): pass it with --from, e.g. --from en"
    )]
    UnknownLanguage,
}

impl Article {
    /// Parses raw bytes as text or Markdown; detects the language unless `lang` is given.
    pub fn parse(
        bytes: &[u8],
        format: InputFormat,
        lang: Option<LangTag>,
    ) -> Result<Article, ArticleError> {
        let text =
            std::str::from_utf8(bytes).map_err(|e| ArticleError::InvalidUtf8(e.valid_up_to()))?;
        let (title, blocks) = match format {
            InputFormat::Text => plain::parse(text),
            InputFormat::Markdown => markdown::parse(text),
        };
        if title.is_none() && blocks.is_empty() {
            return Err(ArticleError::Empty);
        }
        let lang = match lang {
            Some(lang) => lang,
            None => {
                let sample: String = title
                    .iter()
                    .map(String::as_str)
                    .chain(blocks.iter().map(|b| b.text.as_str()))
                    .collect::<Vec<_>>()
                    .join("\n");
                detect::detect(&sample).ok_or(ArticleError::UnknownLanguage)?
            }
        };
        Ok(Article {
            lang,
            title,
            blocks,
        })
    }

    /// Title first (when there is one), then every block: the units a translation covers.
    pub fn units(&self) -> Vec<&str> {
        self.title
            .iter()
            .map(String::as_str)
            .chain(self.blocks.iter().map(|b| b.text.as_str()))
            .collect()
    }
}

/// Joins the lines of one block into a single line: soft line breaks inside a paragraph
/// carry no meaning a translation must keep.
fn join_lines<'a>(lines: impl IntoIterator<Item = &'a str>) -> String {
    lines
        .into_iter()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_input() {
        let en = Some(LangTag::parse("en").unwrap());
        assert!(matches!(
            Article::parse(b"  \n\n ", InputFormat::Text, en.clone()),
            Err(ArticleError::Empty)
        ));
        assert!(matches!(
            Article::parse(b"abc\xff", InputFormat::Text, en),
            Err(ArticleError::InvalidUtf8(3))
        ));
        assert!(matches!(
            Article::parse(b"Hi 12", InputFormat::Text, None),
            Err(ArticleError::UnknownLanguage)
        ));
    }
}
