//! What a run gives back, and the [`Ledger`] each piece of work fills on the way: what it
//! spent at which backend and what it noticed. Ledgers are added to the run's totals when
//! their work ends, so concurrent work never shares a counter.

use indexmap::IndexMap;
use serde::Serialize;

use super::summary::Summary;
use crate::article::{Article, Block};
use crate::backend::{Account, Usage};
use crate::lang::LangTag;
use crate::protocol::Task;

/// The article in one language, block for block.
#[derive(Clone, Debug)]
pub struct Translation {
    pub lang: LangTag,
    pub title: Option<String>,
    pub blocks: Vec<Block>,
}

#[derive(Clone, Debug)]
pub struct RunOutput<'a> {
    pub source: &'a Article,
    pub translations: Vec<Translation>,
    pub summaries: Vec<Summary>,
    pub usage: RunUsage,
    pub warnings: Vec<Warning>,
    /// Languages and tasks that no backend could serve; the rest of the run stands.
    pub failures: Vec<Failure>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct RunUsage {
    #[serde(flatten)]
    pub total: Usage,
    pub by_backend: IndexMap<String, Usage>,
    /// What vendor accounts reported of their consumption at start (DeepL `/v2/usage`).
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub accounts: IndexMap<String, Account>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Warning {
    pub lang: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chunk: Option<usize>,
    /// The index in `source.blocks` of the block concerned, where there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub block: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backend: Option<String>,
    pub message: String,
}

impl Warning {
    /// A warning about `lang` as a whole; narrow it with the setters below.
    pub(super) fn about(lang: &LangTag, message: impl Into<String>) -> Warning {
        Warning {
            lang: lang.to_string(),
            chunk: None,
            block: None,
            backend: None,
            message: message.into(),
        }
    }

    pub(super) fn in_chunk(self, chunk: Option<usize>) -> Warning {
        Warning { chunk, ..self }
    }

    pub(super) fn at_block(self, block: Option<usize>) -> Warning {
        Warning { block, ..self }
    }

    pub(super) fn by_backend(self, backend: &str) -> Warning {
        Warning {
            backend: Some(backend.to_string()),
            ..self
        }
    }
}

/// A language's task that failed on every backend of its route.
#[derive(Clone, Debug, Serialize)]
pub struct Failure {
    pub lang: String,
    pub task: Task,
    pub message: String,
}

/// What one piece of work spent and noticed.
#[derive(Debug, Default)]
pub(super) struct Ledger {
    usage: Vec<(String, Usage)>,
    warnings: Vec<Warning>,
}

impl Ledger {
    /// A call to `backend` that a provider answered (and billed), whatever the answer.
    pub(super) fn spent(&mut self, backend: &str, usage: Usage) {
        self.usage.push((backend.to_string(), usage));
    }

    pub(super) fn warn(&mut self, warning: Warning) {
        self.warnings.push(warning);
    }

    /// Takes in what `other` spent and noticed.
    pub(super) fn absorb(&mut self, other: Ledger) {
        self.usage.extend(other.usage);
        self.warnings.extend(other.warnings);
    }
}

impl RunOutput<'_> {
    pub(super) fn record(&mut self, ledger: Ledger) {
        for (name, usage) in ledger.usage {
            self.usage.total += usage;
            *self.usage.by_backend.entry(name).or_default() += usage;
        }
        self.warnings.extend(ledger.warnings);
    }
}
