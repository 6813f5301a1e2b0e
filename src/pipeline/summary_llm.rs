//! One LLM backend writing one language's summary: the whole article in one call when it
//! fits the backend's budget ("stuff"), else summaries of its chunks and then a summary of
//! those ("map-reduce", again while they do not fit). Every answer must be grounded in
//! the article and in the language asked for. An answer over its length gets one request
//! to shorten it, then is cut at a sentence boundary.

use std::sync::Arc;

use futures::future::join_all;

use super::answer::{Asking, AttemptError, Shape, Work};
use super::memory::Part;
use super::report::Ledger;
use super::summary::{Fit, cut_to};
use super::{Run, off_runtime};
use crate::article::Article;
use crate::backend::BackendRequest;
use crate::checks;
use crate::chunk;
use crate::dispatch::Dispatcher;
use crate::lang::LangTag;
use crate::length::{Contract, Unit};
use crate::prompts::{Prompt, PromptError};
use crate::protocol::Task;

/// Rounds of map-reduce before the partial summaries must fit.
const MAX_ROUNDS: usize = 4;

pub(super) struct LlmSummarizer<'a> {
    pub run: Run<'a>,
    pub dispatcher: &'a Dispatcher,
    pub article: &'a Article,
    pub target: &'a LangTag,
    pub length: Contract,
    /// The story's text, which every number of a summary must come from; built once per
    /// language, shared by every answer's check.
    pub grounds: Arc<str>,
}

impl LlmSummarizer<'_> {
    /// The summary and how it came to keep its length, or why this backend gave up.
    pub(super) async fn summary(&self, ledger: &mut Ledger) -> Result<(String, Fit), AttemptError> {
        let mut texts: Vec<String> = self.article.story().into_iter().map(String::from).collect();
        let mut from = self.article.lang.clone();
        for round in 0..MAX_ROUNDS {
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            let chunks = chunk::plan(&refs, self.dispatcher.budget());
            // Partial summaries each near the budget would not shrink in another round:
            // they go to the final call together instead.
            if chunks.len() <= 1 || (round > 0 && chunks.len() * 2 > texts.len()) {
                break;
            }
            // Map: each chunk summarized on its own, all at once, within dispatch limits.
            let maps = chunks.iter().map(|c| {
                let pieces: Vec<&str> = c.pieces.iter().map(|p| p.text.as_str()).collect();
                let from = &from;
                async move {
                    let mut own = Ledger::default();
                    let prompt =
                        self.prompt(|p| p.summarize(from, self.target, &pieces, self.length));
                    let result = match prompt {
                        Ok(prompt) => self.ask(prompt, &mut own).await,
                        Err(e) => Err(e),
                    };
                    (result, own)
                }
            });
            let mut partials = Vec::new();
            for (result, own) in join_all(maps).await {
                ledger.absorb(own);
                partials.push(result?);
            }
            texts = partials;
            from = self.target.clone();
        }
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let prompt = self.prompt(|p| p.summarize(&from, self.target, &refs, self.length))?;
        let text = self.ask(prompt, ledger).await?;
        if self.length.holds(&text) {
            return Ok((text, Fit::AsWritten));
        }
        let prompt = self.prompt(|p| p.shorten(self.target, &text, self.length))?;
        match self.ask_shorter(prompt, ledger).await {
            Ok(shorter) if self.length.holds(&shorter) => Ok((shorter, Fit::Shortened)),
            Ok(shorter) => Ok(cut_to(shorter, self.length, self.target)),
            Err(_) => Ok(cut_to(text, self.length, self.target)),
        }
    }

    fn prompt(
        &self,
        render: impl FnOnce(&crate::prompts::Prompts) -> Result<Prompt, PromptError>,
    ) -> Result<Prompt, AttemptError> {
        render(self.run.gw.prompts()).map_err(|e| AttemptError {
            backend: self.dispatcher.name().to_string(),
            cause: e.into(),
        })
    }

    /// A summary, or a partial one, written from `prompt`.
    async fn ask(&self, prompt: Prompt, ledger: &mut Ledger) -> Result<String, AttemptError> {
        self.answer(self.request(prompt), ledger).await
    }

    /// A summary that came back too long, asked for again shorter.
    async fn ask_shorter(
        &self,
        prompt: Prompt,
        ledger: &mut Ledger,
    ) -> Result<String, AttemptError> {
        let mut request = self.request(prompt);
        request.shorten = true;
        self.answer(request, ledger).await
    }

    fn request(&self, prompt: Prompt) -> BackendRequest {
        let mut request =
            BackendRequest::new(Task::Summarize, &self.article.lang, self.target, prompt);
        request.max_output_tokens = output_tokens(self.length);
        request.length = Some(self.length);
        request
    }

    /// Up to three answers that pass the summary checks (on the blocking pool).
    async fn answer(
        &self,
        request: BackendRequest,
        ledger: &mut Ledger,
    ) -> Result<String, AttemptError> {
        let asking = Asking {
            dispatcher: self.dispatcher,
            policy: self.run.gw.policy(),
            observer: self.run.observer,
            work: Work {
                lang: self.target,
                part: Part::Summary,
                blocks: &[],
            },
            shape: Shape::Plain,
        };
        asking
            .until_valid(&request, ledger, |answer| {
                let (grounds, target) = (Arc::clone(&self.grounds), self.target.clone());
                off_runtime(move || checks::summary(&answer.into_text(), &grounds, &target))
            })
            .await
    }
}

/// Room for an answer of `length`: four tokens a word (two a character) and a margin.
fn output_tokens(length: Contract) -> u32 {
    let per_unit = match length.unit {
        Unit::Words => 4,
        Unit::Chars => 2,
    };
    u32::try_from(length.limit.saturating_mul(per_unit).saturating_add(64)).unwrap_or(u32::MAX)
}
