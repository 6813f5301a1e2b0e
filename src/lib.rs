//! lingo: a multilingual summary and translation gateway for newsrooms.
//!
//! Data flows one way:
//! [`article`] parses input into blocks → [`chunk`] plans chunks within a backend's budget →
//! [`pipeline`] fans chunks of every target language out through [`router`] and
//! [`dispatch`] (rate limits, retries, pauses) to [`backend`] clients → [`validate`] checks
//! each answer read back through [`marker`] → [`chunk::assemble`] puts blocks back in order →
//! [`output`] renders the result.
//!
//! Around it: [`protect`] (placeholders for URLs, code and names) and [`glossary`] (term
//! lists and their check), [`config`] (two-phase, strict), [`lang`] and [`detect`] (language tags and
//! identification), [`prompts`] (templates from `prompts/`), [`gateway`] (the running set of
//! backends) and [`mock`] (the offline backend server used by the default config and tests).

pub mod article;
pub mod backend;
pub mod checks;
pub mod chunk;
pub mod config;
pub mod detect;
pub mod dispatch;
pub mod extractive;
pub mod gateway;
pub mod glossary;
pub mod hash;
pub mod lang;
pub mod length;
pub mod marker;
pub mod mock;
pub mod output;
pub mod pipeline;
pub mod prompts;
pub mod protect;
pub mod protocol;
pub mod router;
pub mod secret;
pub mod sentences;
pub mod server;
pub mod store;
