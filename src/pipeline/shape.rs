//! A chunk's pieces as one backend takes them: protected spans as placeholders, the
//! glossary the way the backend supports it (entries in the prompt, its own glossary
//! feature, or terms as placeholders that come back as the target term), the passage
//! before the chunk, and the prompt for LLMs.

use super::lane::Lane;
use crate::backend::{BackendRequest, GlossarySupport};
use crate::chunk;
use crate::dispatch::Dispatcher;
use crate::glossary::Entry;
use crate::prompts::{Context, PromptError};
use crate::protect::{self, Protected, Swap};
use crate::protocol::Task;

/// The most tokens an answer may be asked to hold, whatever the chunk.
const MAX_OUTPUT_TOKENS: usize = 16_384;

/// The request for `pieces` as `dispatcher`'s backend takes it, and the protection its
/// answer is read back through.
pub(super) fn request(
    lane: &Lane,
    dispatcher: &Dispatcher,
    pieces: &[&str],
    context: Option<&Context>,
) -> Result<(BackendRequest, Protected), PromptError> {
    let support = dispatcher.backend().profile().glossaries;
    let found: Vec<Entry> = match &lane.glossary {
        Some(g) => g
            .found_in(&pieces.join("\n"))
            .into_iter()
            .cloned()
            .collect(),
        None => Vec::new(),
    };
    let swaps: Vec<Swap> = match support {
        GlossarySupport::Placeholders => found
            .iter()
            .map(|e| Swap {
                find: &e.source,
                restore: &e.target,
            })
            .collect(),
        _ => Vec::new(),
    };
    let protected = protect::protect(pieces, lane.run.gw.protect(), &swaps);
    let texts: Vec<&str> = protected.texts.iter().map(String::as_str).collect();
    let terms = match support {
        GlossarySupport::Prompt => found,
        _ => Vec::new(),
    };
    let prompt =
        lane.run
            .gw
            .prompts()
            .translate(lane.source, lane.target, &texts, &terms, context)?;
    let source_tokens: usize = texts.iter().map(|p| chunk::count_tokens(p)).sum();
    let mut request = BackendRequest::new(Task::Translate, lane.source, lane.target, prompt);
    request.texts = protected.texts.clone();
    request.context = context.map(|c| c.source.clone());
    request.glossary = match support {
        GlossarySupport::Native => lane.glossary.clone(),
        _ => None,
    };
    request.terms = terms;
    request.max_output_tokens = u32::try_from(
        source_tokens
            .saturating_mul(4)
            .saturating_add(64)
            .min(MAX_OUTPUT_TOKENS),
    )
    .unwrap_or(u32::MAX);
    Ok((request, protected))
}
