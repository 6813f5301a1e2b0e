//! The body of `POST /v1/jobs`, `/v1/translate` and `/v1/summarize`, read strictly: bytes
//! → UTF-8 → JSON with no unknown field → a checked [`Accepted`] job, or a [`Problem`]
//! naming the offending field.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::problem::{Kind, Problem};
use crate::article::{Article, ArticleError, Block, BlockKind, InputFormat};
use crate::config::WebhookConfig;
use crate::dispatch::Priority;
use crate::glossary::{Entry, Glossary};
use crate::lang::LangTag;
use crate::length::LengthSpec;
use crate::pipeline::Job;

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct JobRequest {
    pub article: ArticleIn,
    /// Languages to translate into, as BCP 47 tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub translate: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summarize: Option<SummarizeIn>,
    /// Glossary entries for this job, by target language: `{"pt-BR": {"dam": "represa"}}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub glossary: Option<BTreeMap<String, BTreeMap<String, String>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook: Option<WebhookIn>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, example = "normal")]
    pub priority: Option<Priority>,
}

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ArticleIn {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub text: String,
    /// `text` (default), `markdown` or `html` (the page's main content is extracted).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// The article's language; detected when left out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct SummarizeIn {
    pub langs: Vec<String>,
    /// `short`, `medium`, `long` or a number in the language's unit.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, example = "short")]
    pub length: Option<serde_json::Value>,
}

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct WebhookIn {
    pub url: String,
    /// Signs the delivery (`Lingo-Signature`); kept with the job until delivered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

/// A request that passed every check.
pub(super) struct Accepted {
    pub request: JobRequest,
    pub article: Article,
    pub job: Job,
}

/// Reads a body: UTF-8, JSON, known fields, right types.
pub(super) fn parse(body: &[u8]) -> Result<JobRequest, Problem> {
    let text = std::str::from_utf8(body).map_err(|e| {
        Problem::new(
            Kind::InvalidUtf8,
            format!(
                "byte {} is not UTF-8: send the body as UTF-8 JSON",
                e.valid_up_to()
            ),
        )
    })?;
    let mut de = serde_json::Deserializer::from_str(text);
    let request: JobRequest = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let pointer = pointer(&e.path().to_string());
        let inner = e.into_inner();
        let message = inner.to_string();
        if inner.is_syntax() || inner.is_eof() {
            Problem::new(
                Kind::InvalidJson,
                format!("{message}: send one JSON object"),
            )
        } else if message.starts_with("unknown field") {
            Problem::new(Kind::UnknownField, format!("{message}; remove it")).at(pointer)
        } else {
            Problem::new(Kind::InvalidField, message).at(pointer)
        }
    })?;
    de.end()
        .map_err(|e| Problem::new(Kind::InvalidJson, format!("{e}: send one JSON object")))?;
    Ok(request)
}

/// serde_path_to_error's `article.lang` as a JSON pointer, `/article/lang`.
fn pointer(path: &str) -> String {
    if path == "." {
        return String::new();
    }
    let mut out = String::new();
    for part in path.split('.') {
        match part.split_once('[') {
            Some((name, index)) => {
                out.push('/');
                out.push_str(name);
                out.push('/');
                out.push_str(index.trim_end_matches(']'));
            }
            None => {
                out.push('/');
                out.push_str(part);
            }
        }
    }
    out
}

fn tags(list: &[String], field: &str, max: usize) -> Result<Vec<LangTag>, Problem> {
    let mut out: Vec<LangTag> = Vec::new();
    for (i, t) in list.iter().enumerate() {
        let tag = LangTag::parse(t).map_err(|e| {
            Problem::new(Kind::UnknownLanguage, e.to_string()).at(format!("{field}/{i}"))
        })?;
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    if out.len() > max {
        return Err(Problem::new(
            Kind::TooManyLanguages,
            format!(
                "{} languages; one request takes at most {max}: split the work into several jobs",
                out.len()
            ),
        )
        .at(field));
    }
    Ok(out)
}

/// Checks a parsed request; `max_langs` bounds each language list.
pub(super) fn accept(
    request: JobRequest,
    max_langs: usize,
    webhooks: &WebhookConfig,
) -> Result<Accepted, Problem> {
    let translate = tags(&request.translate, "/translate", max_langs)?;
    let (summarize, length) = match &request.summarize {
        Some(s) => {
            let langs = tags(&s.langs, "/summarize/langs", max_langs)?;
            let length = match &s.length {
                None => LengthSpec::Short,
                Some(v) => {
                    let text = match v {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    text.parse().map_err(|e: crate::length::LengthError| {
                        Problem::new(Kind::InvalidField, e.to_string()).at("/summarize/length")
                    })?
                }
            };
            (langs, length)
        }
        None => (Vec::new(), LengthSpec::Short),
    };
    if translate.is_empty() && summarize.is_empty() {
        return Err(Problem::new(
            Kind::NothingToDo,
            "ask for \"translate\": [languages] or \"summarize\": {\"langs\": [languages]}",
        ));
    }
    let format = match request.article.format.as_deref() {
        None | Some("text") => InputFormat::Text,
        Some("markdown") => InputFormat::Markdown,
        Some("html") => InputFormat::Html,
        Some(other) => {
            return Err(Problem::new(
                Kind::InvalidField,
                format!(
                    "format '{other}' is not supported: use \"text\", \"markdown\" or \"html\""
                ),
            )
            .at("/article/format"));
        }
    };
    let lang = request
        .article
        .lang
        .as_deref()
        .map(LangTag::parse)
        .transpose()
        .map_err(|e| Problem::new(Kind::UnknownLanguage, e.to_string()).at("/article/lang"))?;
    let mut article = Article::parse(request.article.text.as_bytes(), format, lang, false)
        .map_err(|e| match e {
            ArticleError::Empty => Problem::new(
                Kind::EmptyArticle,
                "the article has no text: send it in article.text",
            )
            .at("/article/text"),
            ArticleError::UnknownLanguage => Problem::new(
                Kind::UnknownLanguage,
                "could not tell the article's language: give it in article.lang",
            )
            .at("/article/lang"),
            other => Problem::new(Kind::InvalidField, other.to_string()).at("/article/text"),
        })?;
    if let Some(title) = request.article.title.as_deref().map(str::trim)
        && !title.is_empty()
    {
        if let Some(first) = article.title.take() {
            article.blocks.insert(
                0,
                Block {
                    kind: BlockKind::Paragraph,
                    text: first,
                    boilerplate: false,
                },
            );
        }
        article.title = Some(title.to_string());
    }
    if let Some(hook) = &request.webhook {
        check_webhook(&hook.url, webhooks)?;
    }
    let mut glossaries = Vec::new();
    for (target, entries) in request.glossary.iter().flatten() {
        let field = format!("/glossary/{target}");
        let target = LangTag::parse(target)
            .map_err(|e| Problem::new(Kind::UnknownLanguage, e.to_string()).at(field.clone()))?;
        let entries = entries
            .iter()
            .filter(|(s, t)| !s.trim().is_empty() && !t.trim().is_empty())
            .map(|(s, t)| Entry {
                source: s.trim().to_string(),
                target: t.trim().to_string(),
            })
            .collect();
        glossaries.push(Glossary::new(article.lang.clone(), target, entries));
    }
    let job = Job {
        translate,
        summarize,
        length,
        glossaries,
        priority: request.priority.unwrap_or_default(),
    };
    Ok(Accepted {
        request,
        article,
        job,
    })
}

/// An http(s) URL, to an allowed host when `[webhooks] allow` is set (no requests to
/// internal services on a client's say-so).
fn check_webhook(url: &str, webhooks: &WebhookConfig) -> Result<(), Problem> {
    let refused = |why: String| Problem::new(Kind::WebhookRefused, why).at("/webhook/url");
    let parsed =
        url::Url::parse(url).map_err(|e| refused(format!("'{url}' is not a URL ({e})")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(refused(format!("'{url}' is not an http(s) URL")));
    }
    let host = parsed.host_str().unwrap_or_default().to_string();
    let with_port = parsed
        .port_or_known_default()
        .map_or(host.clone(), |p| format!("{host}:{p}"));
    if let Some(allow) = &webhooks.allow
        && !allow.iter().any(|a| *a == host || *a == with_port)
    {
        return Err(refused(format!(
            "host '{with_port}' is not in [webhooks] allow: ask the operator to add it"
        )));
    }
    Ok(())
}
