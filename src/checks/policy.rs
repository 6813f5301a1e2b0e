//! What a failed content check leads to (config `[validation]`): ask again, move to the
//! next backend, or keep the answer with a warning. Structural faults always ask again.

use serde::{Deserialize, Serialize};

use super::Finding;

/// What to do when a content check fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Ask the same backend again (then the next one, after the attempts).
    Retry,
    /// Move to the next backend of the route at once.
    Next,
    /// Use the answer, with a warning in the output.
    Warn,
}

/// The action for each content check (config `[validation]`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Policy {
    pub language: Action,
    pub numbers: Action,
    pub length_ratio: Action,
    pub grounding: Action,
    /// A glossary term whose target term is missing from the translation.
    pub glossary: Action,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            language: Action::Retry,
            numbers: Action::Retry,
            length_ratio: Action::Warn,
            grounding: Action::Retry,
            glossary: Action::Retry,
        }
    }
}

impl Policy {
    /// The action a finding calls for: structural findings always retry.
    pub fn action(&self, finding: &Finding) -> Action {
        match finding {
            Finding::WrongLanguage { .. } => self.language,
            Finding::MissingNumber { .. } => self.numbers,
            Finding::LengthRatio { .. } => self.length_ratio,
            Finding::Ungrounded(_) => self.grounding,
            Finding::GlossaryMiss { .. } => self.glossary,
            _ => Action::Retry,
        }
    }

    /// The strongest action among `findings` (next, then retry, then warn) and its cause.
    pub fn verdict<'p>(&self, findings: &'p [Finding]) -> Option<(Action, &'p Finding)> {
        let rank = |a: Action| match a {
            Action::Next => 2,
            Action::Retry => 1,
            Action::Warn => 0,
        };
        findings
            .iter()
            .map(|p| (self.action(p), p))
            .max_by_key(|(a, _)| rank(*a))
    }
}
