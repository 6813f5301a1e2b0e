//! Prompt templates from `prompts/`, compiled into one minijinja environment at start in
//! strict-undefined mode, so that a typo in a template fails the first render in tests,
//! not the thousandth article in production.

use minijinja::{Environment, UndefinedBehavior, context};

use crate::lang::LangTag;
use crate::marker;

const TEMPLATES: &[(&str, &str)] = &[
    (
        "translate.system",
        include_str!("../prompts/translate.system.j2"),
    ),
    (
        "translate.user",
        include_str!("../prompts/translate.user.j2"),
    ),
];

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
}

impl Prompts {
    pub fn load() -> Result<Prompts, PromptError> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .map_err(|source| PromptError { name, source })?;
        }
        Ok(Prompts { env })
    }

    fn render(&self, name: &'static str, ctx: minijinja::Value) -> Result<String, PromptError> {
        self.env
            .get_template(name)
            .and_then(|t| t.render(ctx))
            .map_err(|source| PromptError { name, source })
    }

    /// The prompt that translates `pieces` (in order) from `source` into `target`.
    pub fn translate(
        &self,
        source: &LangTag,
        target: &LangTag,
        pieces: &[&str],
    ) -> Result<Prompt, PromptError> {
        let ctx = context! {
            source_name => source.display_name(),
            target_name => target.display_name(),
            count => pieces.len(),
            data => marker::encode(pieces.iter().copied()),
        };
        Ok(Prompt {
            system: self.render("translate.system", ctx.clone())?,
            user: self.render("translate.user", ctx)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_with_markers_and_names() {
        let p = Prompts::load().unwrap();
        let pt = LangTag::parse("pt-BR").unwrap();
        let en = LangTag::parse("en").unwrap();
        let prompt = p.translate(&en, &pt, &["One.", "Two."]).unwrap();
        assert!(prompt.system.contains("into Portuguese (Brazil)"));
        assert!(prompt.system.contains("2 segments"));
        assert_eq!(marker::decode(&prompt.user).unwrap(), vec!["One.", "Two."]);
    }
}
