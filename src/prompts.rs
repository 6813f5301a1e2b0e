//! Prompt templates from `prompts/`, compiled into one minijinja environment at start in
//! strict-undefined mode, so that a typo in a template fails the first render in tests,
//! not the thousandth article in production.

use minijinja::{Environment, UndefinedBehavior, context};

use crate::glossary::Entry;
use crate::lang::LangTag;
use crate::length::Contract;
use crate::marker;

/// `prompts/NAME.j2` for each name, embedded in the binary.
macro_rules! templates {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../prompts/", $name, ".j2")))),*]
    };
}

const TEMPLATES: &[(&str, &str)] = templates![
    "translate.system",
    "translate.user",
    "summarize.system",
    "summarize.user",
    "shorten.system",
];

/// The passage just before a chunk: its source and, once done, its translation. Names
/// and terms stay consistent across chunks when each one sees what came before.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Context {
    pub source: String,
    pub translation: Option<String>,
}

/// A chat prompt: instructions, then the article text delimited as data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prompt {
    pub system: String,
    pub user: String,
}

#[derive(Debug, thiserror::Error)]
#[error("prompt template {name}: {source}")]
pub struct PromptError {
    name: &'static str,
    source: minijinja::Error,
}

pub struct Prompts {
    env: Environment<'static>,
    version: String,
}

impl Prompts {
    pub fn load() -> Result<Prompts, PromptError> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .map_err(|source| PromptError { name, source })?;
        }
        Ok(Prompts {
            env,
            version: crate::hash::content_hash(TEMPLATES.iter().map(|(_, t)| *t)),
        })
    }

    /// A hash of every template: cached answers made with other wording are not reused.
    pub fn version(&self) -> &str {
        &self.version
    }

    fn render(&self, name: &'static str, ctx: minijinja::Value) -> Result<String, PromptError> {
        self.env
            .get_template(name)
            .and_then(|t| t.render(ctx))
            .map_err(|source| PromptError { name, source })
    }

    fn chat(
        &self,
        system: &'static str,
        user: &'static str,
        ctx: minijinja::Value,
    ) -> Result<Prompt, PromptError> {
        Ok(Prompt {
            system: self.render(system, ctx.clone())?,
            user: self.render(user, ctx)?,
        })
    }

    /// The prompt that translates `pieces` (in order) from `source` into `target`, with
    /// the glossary entries found in them and the passage before them.
    pub fn translate(
        &self,
        source: &LangTag,
        target: &LangTag,
        pieces: &[&str],
        terms: &[Entry],
        before: Option<&Context>,
    ) -> Result<Prompt, PromptError> {
        let ctx = context! {
            source_name => source.display_name(),
            target_name => target.display_name(),
            count => pieces.len(),
            terms => minijinja::Value::from(minijinja::value::Serde(terms)),
            context => minijinja::Value::from(minijinja::value::Serde(before)),
            data => marker::encode(pieces.iter().copied()),
        };
        self.chat("translate.system", "translate.user", ctx)
    }

    /// The prompt that summarizes `pieces` (in order), written in `source`, into `target`.
    pub fn summarize(
        &self,
        source: &LangTag,
        target: &LangTag,
        pieces: &[&str],
        length: Contract,
    ) -> Result<Prompt, PromptError> {
        let ctx = context! {
            source_name => source.display_name(),
            target_name => target.display_name(),
            count => pieces.len(),
            limit => length.limit,
            unit => length.unit.to_string(),
            data => marker::encode(pieces.iter().copied()),
        };
        self.chat("summarize.system", "summarize.user", ctx)
    }

    /// The prompt that shortens a `target`-language summary to `length`.
    pub fn shorten(
        &self,
        target: &LangTag,
        summary: &str,
        length: Contract,
    ) -> Result<Prompt, PromptError> {
        let ctx = context! {
            target_name => target.display_name(),
            limit => length.limit,
            unit => length.unit.to_string(),
            data => marker::encode([summary]),
        };
        self.chat("shorten.system", "summarize.user", ctx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::length::Unit;

    #[test]
    fn renders_with_markers_names_and_lengths() {
        let p = Prompts::load().unwrap();
        let pt = LangTag::parse("pt-BR").unwrap();
        let en = LangTag::parse("en").unwrap();
        let prompt = p.translate(&en, &pt, &["One.", "Two."], &[], None).unwrap();
        assert!(prompt.system.contains("into Portuguese (Brazil)"));
        assert!(prompt.system.contains("2 segments"));
        assert!(!prompt.system.contains("Glossary"));
        assert_eq!(marker::decode(&prompt.user).unwrap(), vec!["One.", "Two."]);
        let terms = [Entry {
            source: "dam".into(),
            target: "represa".into(),
        }];
        let before = Context {
            source: "The Cantareira dam.".into(),
            translation: Some("A represa Cantareira.".into()),
        };
        let prompt = p
            .translate(&en, &pt, &["The dam."], &terms, Some(&before))
            .unwrap();
        assert!(prompt.system.contains("- dam → represa"));
        assert!(prompt.user.contains("The Cantareira dam."));
        assert!(prompt.user.contains("A represa Cantareira."));
        assert_eq!(marker::parse(&prompt.user).segments.len(), 1);
        let length = Contract {
            unit: Unit::Words,
            limit: 60,
        };
        let summary = p.summarize(&en, &pt, &["One.", "Two."], length).unwrap();
        assert!(
            summary
                .system
                .contains("in Portuguese (Brazil), of at most 60 words")
        );
        let shorter = p.shorten(&pt, "Um resumo longo.", length).unwrap();
        assert!(shorter.system.contains("at most 60 words"));
        assert_eq!(
            marker::decode(&shorter.user).unwrap(),
            vec!["Um resumo longo."]
        );
    }
}
