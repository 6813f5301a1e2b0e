//! The vocabulary every layer shares about wire protocols, kept in a leaf so that config,
//! the clients, the answer checks and the mock can all use it without importing each
//! other: which protocols and tasks there are, what an answer looks like, the hint
//! headers lingo sends, and the facts of vendors' APIs that more than one layer needs.

use serde::{Deserialize, Serialize};

/// A wire protocol: what a remote kind speaks, and what a `mock` backend is asked to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Openai,
    Anthropic,
    Ollama,
    Deepl,
    Libretranslate,
}

impl Protocol {
    /// Machine-translation APIs: they translate texts, meter and bill characters, and
    /// never summarize.
    pub fn is_machine_translation(self) -> bool {
        matches!(self, Protocol::Deepl | Protocol::Libretranslate)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Openai => "openai",
            Protocol::Anthropic => "anthropic",
            Protocol::Ollama => "ollama",
            Protocol::Deepl => "deepl",
            Protocol::Libretranslate => "libretranslate",
        }
    }

    /// The model name when the config gives none: machine-translation APIs have one
    /// engine each; an LLM server must be told which model to run.
    pub fn default_model(self) -> Option<&'static str> {
        match self {
            Protocol::Deepl => Some("deepl"),
            Protocol::Libretranslate => Some("libretranslate"),
            Protocol::Openai | Protocol::Anthropic | Protocol::Ollama => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Task {
    Translate,
    Summarize,
}

impl Task {
    pub fn as_str(self) -> &'static str {
        match self {
            Task::Translate => "translate",
            Task::Summarize => "summarize",
        }
    }
}

/// What came back: one marked-up text from an LLM, or one text per piece from a
/// machine-translation API.
#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    Marked(String),
    Pieces(Vec<String>),
}

impl Answer {
    /// The answer as one text (a summary's).
    pub fn into_text(self) -> String {
        match self {
            Answer::Marked(text) => text,
            Answer::Pieces(pieces) => pieces.join("\n"),
        }
    }
}

/// Headers lingo sends with every call so that test servers (the mock) know the task and
/// languages without reading prompt wording. Real providers ignore them.
pub(crate) mod hints {
    pub(crate) const TASK: &str = "x-lingo-task";
    pub(crate) const SOURCE_LANG: &str = "x-lingo-source-lang";
    pub(crate) const TARGET_LANG: &str = "x-lingo-target-lang";
    /// A summary's length contract, e.g. `60 words` or `120 characters`.
    pub(crate) const LENGTH: &str = "x-lingo-length";
    /// `shorten` on the second request for a summary that was too long.
    pub(crate) const STEP: &str = "x-lingo-step";
    /// The glossary entries found in the chunk, form-encoded (`source=target&…`).
    pub(crate) const GLOSSARY: &str = "x-lingo-glossary";
}

/// DeepL API v2's documented limits and values, which config checks, the client and the
/// mock all keep.
pub(crate) mod deepl {
    /// The most texts one `/v2/translate` request may carry.
    pub(crate) const MAX_TEXTS: usize = 50;
    /// The largest request body the API takes.
    pub(crate) const MAX_BODY_BYTES: usize = 128 * 1024;
    /// The largest chunk lingo plans for DeepL: well inside [`MAX_BODY_BYTES`] whatever
    /// the script (a character is up to 4 bytes, plus JSON and markup).
    pub(crate) const MAX_CHUNK_CHARS: usize = 30_000;
    /// The values `formality` takes.
    pub(crate) const FORMALITIES: &[&str] =
        &["default", "more", "less", "prefer_more", "prefer_less"];
}
