//! lingo: a multilingual summary and translation gateway for newsrooms.
//!
//! # Layout
//!
//! Data flows one way: [`Article::parse`] reads input into blocks; `chunk` plans chunks
//! within a backend's budget; [`pipeline::run`] fans the chunks of every target language
//! out through `router` and `dispatch` (rate limits, retries, pauses) to `backend`
//! clients, reads each answer back through `checks`, puts the blocks back in order and
//! writes summaries; [`render`] prints the result. Around it: `protect` (placeholders for
//! URLs, code and names), `glossary`, [`Config`] (two-phase, strict), [`LangTag`] and
//! `detect`, `prompts` (templates from `prompts/`), [`Gateway`] (the running backends),
//! [`mock`] (the offline backend server of the default config and the tests) and
//! [`server`] (`lingo serve`, on the `store`).
//!
//! Modules are private; the types a program needs to drive lingo are re-exported here.
//! ARCHITECTURE.md lists the modules in layers, each importing only lower ones.

mod article;
mod backend;
mod checks;
mod chunk;
mod config;
mod detect;
mod dispatch;
mod extractive;
mod gateway;
mod glossary;
mod hash;
mod lang;
mod length;
mod marker;
pub mod mock;
mod output;
pub mod pipeline;
mod prompts;
mod protect;
mod protocol;
mod router;
mod secret;
mod sentences;
pub mod server;
mod store;

pub use article::{Article, ArticleError, Block, BlockKind, InputFormat};
pub use config::{Config, ConfigError, DEFAULT_PATH};
pub use dispatch::Priority;
pub use extractive::summarize as extractive_summary;
pub use gateway::{Gateway, GatewayError};
pub use glossary::{Glossary, GlossaryError};
pub use lang::LangTag;
pub use length::{Contract, LengthSpec, Unit};
pub use output::{OutputFormat, document, render};
pub use protocol::Protocol;
