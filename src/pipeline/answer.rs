//! The one answer loop every backend call of a run goes through: send, read the answer
//! back through its checks, then use it, ask the same backend again, or give up on this
//! backend, as the validation policy says. Transport retries (429, 5xx, timeouts) happen
//! below, in dispatch; this loop is about answers that came back and cannot be used.

use std::future::Future;

use super::memory::{Event, Observer, Part};
use super::report::{Ledger, Warning};
use crate::backend::{BackendError, BackendRequest};
use crate::checks::repair::{self, Repair};
use crate::checks::{Action, Checked, Finding, Policy};
use crate::dispatch::Dispatcher;
use crate::lang::LangTag;
use crate::prompts::PromptError;
use crate::protocol::Answer;

/// Answers a backend may give for one piece of work before the work moves on.
const ANSWER_ATTEMPTS: usize = 3;

/// Why one backend gave up on a piece of work.
#[derive(Debug, thiserror::Error)]
#[error("{backend}: {cause}")]
pub struct AttemptError {
    pub backend: String,
    pub cause: Cause,
}

#[derive(Debug, thiserror::Error)]
pub enum Cause {
    #[error(transparent)]
    Backend(#[from] BackendError),
    #[error("answer rejected: {0}")]
    Rejected(Finding),
    /// A template failed to render: lingo's fault, not the backend's, so the run stops
    /// instead of trying the next backend.
    #[error(transparent)]
    Prompt(#[from] PromptError),
}

/// What an answer is for, as warnings and events name it.
#[derive(Clone, Copy)]
pub(super) struct Work<'a> {
    pub lang: &'a LangTag,
    pub part: Part,
    /// The source block of answer block k (from 1) is `blocks[k - 1]`; empty when the
    /// answer holds no article blocks.
    pub blocks: &'a [Option<usize>],
}

impl Work<'_> {
    /// A warning about this work from `backend`, at the source block of the answer's
    /// block `answer_block` where there is one.
    fn warning(&self, backend: &str, answer_block: Option<usize>, message: String) -> Warning {
        let block = answer_block
            .and_then(|k| k.checked_sub(1))
            .and_then(|i| self.blocks.get(i).copied().flatten());
        let chunk = match self.part {
            Part::Chunk { chunk } => Some(chunk),
            Part::Summary => None,
        };
        Warning::about(self.lang, message)
            .in_chunk(chunk)
            .at_block(block)
            .by_backend(backend)
    }
}

/// How an LLM's answer is laid out, which decides what can be taken off it before the
/// checks ([`repair`]).
#[derive(Clone, Copy, Debug)]
pub(super) enum Shape {
    /// Blocks between `<<<n>>>` markers: a translation.
    Marked,
    /// Plain text: a summary.
    Plain,
}

impl Shape {
    /// `answer` with what models write around it taken off, and what that was.
    fn tidy(self, answer: Answer) -> Result<(Answer, Vec<Repair>), Finding> {
        let Answer::Marked(text) = answer else {
            return Ok((answer, Vec::new()));
        };
        let tidied = match self {
            Shape::Marked => repair::marked(&text)?,
            Shape::Plain => repair::plain(&text)?,
        };
        Ok((Answer::Marked(tidied.text), tidied.repairs))
    }
}

/// One backend asked for one piece of work.
pub(super) struct Asking<'a> {
    pub dispatcher: &'a Dispatcher,
    pub policy: &'a Policy,
    pub observer: &'a dyn Observer,
    pub work: Work<'a>,
    pub shape: Shape,
}

/// How one answer went.
enum Outcome<T> {
    Used(T),
    /// Worth asking the same backend again.
    Again(AttemptError),
    /// Not worth asking this backend again.
    GiveUp(AttemptError),
}

impl Asking<'_> {
    /// Up to [`ANSWER_ATTEMPTS`] answers to `request`, each read through `check`: the
    /// first one that passes, or why this backend gave up.
    pub(super) async fn until_valid<T, F, Fut>(
        &self,
        request: &BackendRequest,
        ledger: &mut Ledger,
        check: F,
    ) -> Result<T, AttemptError>
    where
        F: Fn(Answer) -> Fut,
        Fut: Future<Output = Checked<T>>,
    {
        let mut attempt = 1;
        loop {
            match self.once(request, ledger, &check).await {
                Outcome::Used(value) => return Ok(value),
                Outcome::GiveUp(e) => return Err(e),
                Outcome::Again(e) if attempt == ANSWER_ATTEMPTS => return Err(e),
                Outcome::Again(_) => attempt += 1,
            }
        }
    }

    async fn once<T, F, Fut>(
        &self,
        request: &BackendRequest,
        ledger: &mut Ledger,
        check: &F,
    ) -> Outcome<T>
    where
        F: Fn(Answer) -> Fut,
        Fut: Future<Output = Checked<T>>,
    {
        let name = self.dispatcher.name();
        let failed = |cause: Cause| AttemptError {
            backend: name.to_string(),
            cause,
        };
        self.observer.event(Event::Sent {
            lang: self.work.lang.to_string(),
            part: self.work.part,
            backend: name.to_string(),
        });
        let response = match self.dispatcher.call(request).await {
            Ok(response) => response,
            Err(BackendError::Truncated) => {
                let e = failed(BackendError::Truncated.into());
                ledger.warn(self.work.warning(name, None, e.to_string()));
                return Outcome::Again(e);
            }
            Err(e) => {
                let e = failed(e.into());
                ledger.warn(self.work.warning(name, None, format!("{e}; moving on")));
                return Outcome::GiveUp(e);
            }
        };
        ledger.spent(name, response.usage);
        let (checked, repairs) = match self.shape.tidy(response.answer) {
            Ok((answer, repairs)) => (check(answer).await, repairs),
            Err(finding) => (Err(finding), Vec::new()),
        };
        match judge(self.policy, checked) {
            Judged::Use(value, kept) => {
                for f in kept {
                    let message = format!("{name}: kept despite: {f}");
                    ledger.warn(self.work.warning(name, f.block(), message));
                }
                self.repaired(&repairs, ledger);
                self.observer.event(Event::Validated {
                    lang: self.work.lang.to_string(),
                    part: self.work.part,
                    backend: name.to_string(),
                });
                Outcome::Used(value)
            }
            Judged::Again(finding) => {
                let block = finding.block();
                let e = failed(Cause::Rejected(finding));
                ledger.warn(self.work.warning(name, block, e.to_string()));
                Outcome::Again(e)
            }
            Judged::Next(finding) => {
                let block = finding.block();
                let e = failed(Cause::Rejected(finding));
                ledger.warn(self.work.warning(name, block, format!("{e}; moving on")));
                Outcome::GiveUp(e)
            }
        }
    }
}

impl Asking<'_> {
    /// Tells operators what was taken off a used answer: a metric by kind, and one
    /// warning naming it all.
    fn repaired(&self, repairs: &[Repair], ledger: &mut Ledger) {
        if repairs.is_empty() {
            return;
        }
        let name = self.dispatcher.name();
        for r in repairs {
            metrics::counter!("lingo_answer_repairs_total", "backend" => name.to_string(), "kind" => r.kind())
                .increment(1);
        }
        let what: Vec<&str> = repairs.iter().map(|r| r.what()).collect();
        let message = format!("{name}: answer used after taking off {}", what.join(", "));
        ledger.warn(self.work.warning(name, None, message));
    }
}

/// What a checked answer comes to under the validation policy.
enum Judged<T> {
    /// Use it; the findings the policy lets pass become warnings.
    Use(T, Vec<Finding>),
    /// Ask the same backend again.
    Again(Finding),
    /// Give up on this backend.
    Next(Finding),
}

fn judge<T>(policy: &Policy, checked: Checked<T>) -> Judged<T> {
    match checked {
        Err(finding) => Judged::Again(finding),
        Ok((value, findings)) => match policy.verdict(&findings) {
            None => Judged::Use(value, Vec::new()),
            Some((Action::Warn, _)) => Judged::Use(value, findings),
            Some((Action::Retry, finding)) => Judged::Again(finding.clone()),
            Some((Action::Next, finding)) => Judged::Next(finding.clone()),
        },
    }
}
