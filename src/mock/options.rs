//! The mock's knobs, shared by `lingo mock` flags and a config's `mock = { … }` table.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, clap::Args, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct MockOptions {
    /// Added to every answer, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Random extra latency, uniform in 0..=N milliseconds.
    #[arg(long, default_value_t = 0)]
    pub jitter_ms: u64,
    /// Share of requests answered 500.
    #[arg(long, default_value_t = 0.0)]
    pub fail_rate: f64,
    /// Requests per second accepted in any rolling second; past that, 429 with Retry-After.
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<f64>,
    /// Seconds sent in Retry-After on every 429.
    #[arg(long, default_value_t = 1)]
    pub retry_after: u64,
    /// Share of requests answered 429 with Retry-After at random.
    #[arg(long, default_value_t = 0.0)]
    pub throttle_rate: f64,
    /// Share of requests never answered.
    #[arg(long, default_value_t = 0.0)]
    pub hang_rate: f64,
    /// Share of requests whose connection drops in the middle of the answer.
    #[arg(long, default_value_t = 0.0)]
    pub drop_rate: f64,
    /// Share of requests answered 200 with broken JSON.
    #[arg(long, default_value_t = 0.0)]
    pub malformed_rate: f64,
    /// Share of requests answered in a language other than the one asked for.
    #[arg(long, default_value_t = 0.0)]
    pub wrong_lang_rate: f64,
    /// Share of requests whose answer merges two blocks into one.
    #[arg(long, default_value_t = 0.0)]
    pub merge_rate: f64,
    /// Share of requests cut short with `finish_reason: "length"`.
    #[arg(long, default_value_t = 0.0)]
    pub truncate_rate: f64,
    /// Share of translations that lose one number of the source.
    #[arg(long, default_value_t = 0.0)]
    pub drop_number_rate: f64,
    /// Share of summaries written half again longer than the length asked for.
    #[arg(long, default_value_t = 0.0)]
    pub overlong_rate: f64,
    /// Requests to shorten a summary are answered too long again.
    #[arg(long)]
    pub ignore_shorten: bool,
    /// Share of requests refused for a spent quota: DeepL 456, Anthropic 429 with
    /// `enforced_spend_limit_reached`, OpenAI 429 `insufficient_quota`.
    #[arg(long, default_value_t = 0.0)]
    pub quota_rate: f64,
    /// Share of requests answered "overloaded": Anthropic and DeepL 529, others 503.
    #[arg(long, default_value_t = 0.0)]
    pub overload_rate: f64,
    /// DeepL's character quota: once spent, /v2/translate answers 456.
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub character_limit: Option<u64>,
    /// Languages the machine-translation endpoints offer (DeepL /v2/languages,
    /// LibreTranslate /languages), as primary subtags; every language the mock writes
    /// when unset.
    #[arg(long, value_delimiter = ',')]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub languages: Option<Vec<String>>,
    /// Share of LLM answers that open with a `<think>…</think>` reasoning block, as
    /// DeepSeek-R1 and Qwen3 write through vLLM, llama.cpp or Ollama.
    #[arg(long, default_value_t = 0.0)]
    pub think_rate: f64,
    /// Share of LLM answers wrapped in a ``` fence.
    #[arg(long, default_value_t = 0.0)]
    pub fence_rate: f64,
    /// Share of LLM answers that open with a line of preamble ("Sure! Here is the
    /// translation:").
    #[arg(long, default_value_t = 0.0)]
    pub preamble_rate: f64,
    /// Share of LLM answers with `\r\n` line ends.
    #[arg(long, default_value_t = 0.0)]
    pub crlf_rate: f64,
    /// Reasoning travels beside the answer instead of inside it: OpenAI's
    /// `reasoning_content` (DeepSeek, vLLM), Anthropic's `thinking` block, Ollama's
    /// `message.thinking`.
    #[arg(long)]
    pub reasoning_field: bool,
    /// Translations leave glossary terms out, whether sent as hints or as a DeepL glossary.
    #[arg(long)]
    pub ignore_glossary: bool,
    /// Seeds the random source of faults and jitter, so that the n-th request gets the
    /// same fault on every run; a fresh seed each start when unset.
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// Bearer token the mock requires (401 otherwise); any token when unset.
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
}

impl Default for MockOptions {
    fn default() -> Self {
        MockOptions {
            latency_ms: 0,
            jitter_ms: 0,
            fail_rate: 0.0,
            rate_limit: None,
            retry_after: 1,
            throttle_rate: 0.0,
            hang_rate: 0.0,
            drop_rate: 0.0,
            malformed_rate: 0.0,
            wrong_lang_rate: 0.0,
            merge_rate: 0.0,
            truncate_rate: 0.0,
            drop_number_rate: 0.0,
            overlong_rate: 0.0,
            ignore_shorten: false,
            quota_rate: 0.0,
            overload_rate: 0.0,
            character_limit: None,
            languages: None,
            ignore_glossary: false,
            think_rate: 0.0,
            fence_rate: 0.0,
            preamble_rate: 0.0,
            crlf_rate: 0.0,
            reasoning_field: false,
            seed: None,
            api_key: None,
        }
    }
}

/// A knob set to something the mock cannot do; `field` is its name in the config table
/// (`fail_rate`), which the CLI shows as a flag (`--fail-rate`).
#[derive(Debug, PartialEq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct OptionError {
    pub field: &'static str,
    pub message: String,
}

/// The longest latency the mock adds: an hour (longer would overflow its clock).
const MAX_LATENCY_MS: u64 = 3_600_000;

impl MockOptions {
    /// Checks every share is a probability and every number is one the mock can keep.
    pub fn check(&self) -> Result<(), OptionError> {
        let fail = |field, message| Err(OptionError { field, message });
        let shares = [
            ("fail_rate", self.fail_rate),
            ("throttle_rate", self.throttle_rate),
            ("hang_rate", self.hang_rate),
            ("drop_rate", self.drop_rate),
            ("malformed_rate", self.malformed_rate),
            ("wrong_lang_rate", self.wrong_lang_rate),
            ("merge_rate", self.merge_rate),
            ("truncate_rate", self.truncate_rate),
            ("drop_number_rate", self.drop_number_rate),
            ("overlong_rate", self.overlong_rate),
            ("quota_rate", self.quota_rate),
            ("overload_rate", self.overload_rate),
            ("think_rate", self.think_rate),
            ("fence_rate", self.fence_rate),
            ("preamble_rate", self.preamble_rate),
            ("crlf_rate", self.crlf_rate),
        ];
        for (name, v) in shares {
            if !(0.0..=1.0).contains(&v) {
                return fail(
                    name,
                    format!("{v} is not a share: use a number from 0 to 1"),
                );
            }
        }
        if let Some(langs) = &self.languages {
            let known = super::phrases::languages();
            if let Some(bad) = langs.iter().find(|l| !known.contains(&l.as_str())) {
                let fix = format!(
                    "the mock writes no '{bad}': use some of {}",
                    known.join(", ")
                );
                return fail("languages", fix);
            }
        }
        if let Some(r) = self.rate_limit
            && !(r.is_finite() && r > 0.0)
        {
            return fail(
                "rate_limit",
                format!("{r} is not a rate: use requests per second above 0"),
            );
        }
        for (name, ms) in [
            ("latency_ms", self.latency_ms),
            ("jitter_ms", self.jitter_ms),
        ] {
            if ms > MAX_LATENCY_MS {
                return fail(
                    name,
                    format!("{ms} is too long: use at most {MAX_LATENCY_MS}"),
                );
            }
        }
        Ok(())
    }
}
