//! The article as lingo sees it: a title and an ordered list of typed blocks, in one
//! source language. Blocks are the unit of structure that every translation gives back
//! one for one.

mod boilerplate;
mod html;
mod markdown;
mod plain;

use serde::Serialize;

use crate::detect;
use crate::lang::LangTag;
use crate::sentences;

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
    /// Page furniture (copyright notice, share links, crumbs): never summarized.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub boilerplate: bool,
}

impl Block {
    pub fn new(kind: BlockKind, text: String) -> Block {
        Block {
            boilerplate: boilerplate::is_boilerplate(&text),
            kind,
            text,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Article {
    pub lang: LangTag,
    pub title: Option<String>,
    pub blocks: Vec<Block>,
    /// Boilerplate blocks left out of `blocks`, in order, so that nothing goes unreported.
    pub set_aside: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum InputFormat {
    Text,
    Markdown,
    /// A web page: its main content is extracted first.
    Html,
}

#[derive(Debug, thiserror::Error)]
pub enum ArticleError {
    #[error("the input is not valid UTF-8 (first bad byte at offset {0}): convert it to UTF-8")]
    InvalidUtf8(usize),
    #[error("the article is empty: give a file or stdin with some text")]
    Empty,
    #[error("cannot find an article in the HTML ({0}): send its text or Markdown instead")]
    Html(String),
    #[error(
        "could not tell the article's language (too short or mixed): pass it with --from, e.g. --from en"
    )]
    UnknownLanguage,
}

impl Article {
    /// Parses raw bytes as text or Markdown; detects the language unless `lang` is given.
    /// Boilerplate blocks are set aside unless `keep_boilerplate`, which keeps them in place
    /// (translated, but still never summarized).
    pub fn parse(
        bytes: &[u8],
        format: InputFormat,
        lang: Option<LangTag>,
        keep_boilerplate: bool,
    ) -> Result<Article, ArticleError> {
        let text =
            std::str::from_utf8(bytes).map_err(|e| ArticleError::InvalidUtf8(e.valid_up_to()))?;
        let (title, mut blocks) = match format {
            InputFormat::Text => plain::parse(text),
            InputFormat::Markdown => markdown::parse(text),
            InputFormat::Html => html::parse(text)?,
        };
        let mut set_aside = Vec::new();
        if !keep_boilerplate {
            let (furniture, story): (Vec<Block>, Vec<Block>) =
                blocks.into_iter().partition(|b| b.boilerplate);
            set_aside = furniture.into_iter().map(|b| b.text).collect();
            blocks = story;
        }
        if title.is_none() && blocks.is_empty() {
            return Err(ArticleError::Empty);
        }
        let lang = match lang {
            Some(lang) => lang,
            None => {
                let sample: String = title
                    .iter()
                    .map(String::as_str)
                    .chain(
                        blocks
                            .iter()
                            .filter(|b| !b.boilerplate)
                            .map(|b| b.text.as_str()),
                    )
                    .collect::<Vec<_>>()
                    .join("\n");
                detect::detect(&sample).ok_or(ArticleError::UnknownLanguage)?
            }
        };
        Ok(Article {
            lang,
            title,
            blocks,
            set_aside,
        })
    }

    /// Sentences of the story's body, in order: what an extractive summary picks from
    /// (headings and the title say too little on their own, unless they are all there is).
    pub fn body_sentences(&self) -> Vec<&str> {
        let body: Vec<&str> = self
            .blocks
            .iter()
            .filter(|b| b.kind != BlockKind::Heading && !b.boilerplate)
            .flat_map(|b| sentences::split(&b.text))
            .collect();
        if body.is_empty() {
            return self
                .story()
                .into_iter()
                .flat_map(sentences::split)
                .collect();
        }
        body
    }

    /// Title and the blocks that tell the story: what summaries draw from.
    pub fn story(&self) -> Vec<&str> {
        self.title
            .iter()
            .map(String::as_str)
            .chain(
                self.blocks
                    .iter()
                    .filter(|b| !b.boilerplate)
                    .map(|b| b.text.as_str()),
            )
            .collect()
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
            Article::parse(b"  \n\n ", InputFormat::Text, en.clone(), false),
            Err(ArticleError::Empty)
        ));
        assert!(matches!(
            Article::parse(b"abc\xff", InputFormat::Text, en, false),
            Err(ArticleError::InvalidUtf8(3))
        ));
        assert!(matches!(
            Article::parse(b"Hi 12", InputFormat::Text, None, false),
            Err(ArticleError::UnknownLanguage)
        ));
    }

    #[test]
    fn boilerplate_is_set_aside_or_kept_flagged() {
        let text = b"Storm closes port\n\nHeavy rain closed the port on Monday, officials said.\n\nShare | Print | Email\n\n\xc2\xa9 2026 Coast Herald. All rights reserved.";
        let en = Some(LangTag::parse("en").unwrap());
        let a = Article::parse(text, InputFormat::Text, en.clone(), false).unwrap();
        assert_eq!(a.blocks.len(), 1);
        assert_eq!(
            a.set_aside,
            vec![
                "Share | Print | Email",
                "\u{a9} 2026 Coast Herald. All rights reserved."
            ]
        );
        let kept = Article::parse(text, InputFormat::Text, en, true).unwrap();
        assert_eq!(
            kept.blocks
                .iter()
                .map(|b| b.boilerplate)
                .collect::<Vec<_>>(),
            vec![false, true, true]
        );
        assert_eq!(
            kept.story(),
            vec![
                "Storm closes port",
                "Heavy rain closed the port on Monday, officials said."
            ]
        );
        assert!(kept.set_aside.is_empty());
    }
}
