//! The `lingo` command line: argument parsing and exit codes only; the work is in the library.

use std::io::{IsTerminal, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use lingo::mock::{self, MockOptions};
use lingo::pipeline::{self, Job, RunError};
use lingo::{
    Article, Config, DEFAULT_PATH, Gateway, Glossary, InputFormat, LangTag, LengthSpec,
    OutputFormat, Priority,
};

#[derive(Parser)]
#[command(
    name = "lingo",
    version,
    about = "Multilingual summary and translation gateway for newsrooms"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Translate an article into one or more languages (and summarize it with --summary).
    Translate {
        #[command(flatten)]
        input: Input,
        /// Also a summary in each language: short, medium, long or a number.
        #[arg(long, value_name = "LENGTH")]
        summary: Option<LengthSpec>,
    },
    /// Summarize an article in one or more languages.
    Summarize {
        #[command(flatten)]
        input: Input,
        /// short, medium, long (about 60 / 120 / 250 words, 120 / 240 / 500 characters in
        /// Chinese and Japanese) or a number in the language's unit.
        #[arg(long, value_name = "LENGTH", default_value = "short")]
        length: LengthSpec,
    },
    /// Run the mock backend server (OpenAI, Anthropic, Ollama, DeepL and LibreTranslate
    /// protocols, each on its own paths) with optional faults.
    Mock {
        #[arg(long, default_value = "127.0.0.1:9001")]
        listen: SocketAddr,
        #[command(flatten)]
        options: MockOptions,
    },
    /// Serve the HTTP API: jobs, events, webhooks, synchronous calls, metrics.
    Serve {
        #[arg(long, default_value = DEFAULT_PATH)]
        config: PathBuf,
        /// Overrides [server] listen, e.g. 127.0.0.1:8080 (port 0 picks a free one).
        #[arg(long)]
        listen: Option<SocketAddr>,
        /// Logs as JSON lines on stderr.
        #[arg(long)]
        log_json: bool,
    },
    /// Validate a config file and print the effective config, secrets masked.
    CheckConfig {
        #[arg(default_value = DEFAULT_PATH)]
        path: PathBuf,
    },
}

/// The article, the languages and the output: what `translate` and `summarize` share.
#[derive(clap::Args)]
struct Input {
    /// The article: a file, or - for standard input.
    file: String,
    /// Target languages as BCP 47 tags, comma-separated: pt-BR,ru,hi,zh,af.
    #[arg(long, value_name = "LANGS")]
    to: String,
    /// The article's language; detected when left out.
    #[arg(long, value_name = "LANG")]
    from: Option<String>,
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    format: OutputFormat,
    /// How to read the input; by default Markdown for .md files, HTML for .html and .htm
    /// files (the page's main content is extracted), else plain text.
    #[arg(long, value_enum)]
    input_format: Option<InputFormat>,
    /// Keep copyright notices, share links and crumbs in translations (summaries never
    /// use them); by default they are set aside and listed in the JSON's `source.set_aside`.
    #[arg(long)]
    keep_boilerplate: bool,
    /// A glossary for this article: a SOURCE.TARGET.tsv file (e.g. en.pt-BR.tsv), laid
    /// over the config's glossary for that pair. Repeat for several pairs.
    #[arg(long, value_name = "FILE")]
    glossary: Vec<PathBuf>,
    #[arg(long, default_value = DEFAULT_PATH)]
    config: PathBuf,
}

/// An error with the exit code it deserves: 2 for bad usage, input or config, 3 for a
/// backend failure no fallback absorbed, 1 for anything else.
struct Exit(u8, anyhow::Error);

fn usage(e: impl Into<anyhow::Error>) -> Exit {
    Exit(2, e.into())
}

fn internal(e: impl Into<anyhow::Error>) -> Exit {
    Exit(1, e.into())
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let default_log = if matches!(cli.command, Command::Mock { .. } | Command::Serve { .. }) {
        "info"
    } else {
        "error"
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("LINGO_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_log));
    let logs = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter);
    if matches!(cli.command, Command::Serve { log_json: true, .. }) {
        logs.json().init();
    } else {
        logs.init();
    }
    let result = match cli.command {
        Command::Translate { input, summary } => run(input, Ask::Translate(summary)).await,
        Command::Summarize { input, length } => run(input, Ask::Summarize(length)).await,
        Command::Mock { listen, options } => serve_mock(listen, options).await,
        Command::Serve { config, listen, .. } => serve(&config, listen).await,
        Command::CheckConfig { path } => check_config(&path),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Exit(code, e)) => {
            eprintln!("lingo: {}", format!("{e:#}").replace('\n', " "));
            ExitCode::from(code)
        }
    }
}

fn read_input(file: &str) -> Result<Vec<u8>, Exit> {
    let mut bytes = Vec::new();
    if file == "-" {
        std::io::stdin()
            .read_to_end(&mut bytes)
            .context("cannot read standard input")
            .map_err(usage)?;
    } else {
        bytes = std::fs::read(file)
            .with_context(|| format!("cannot read {file}"))
            .map_err(usage)?;
    }
    Ok(bytes)
}

/// Which tasks a command asks of the run.
enum Ask {
    Translate(Option<LengthSpec>),
    Summarize(LengthSpec),
}

async fn run(input: Input, ask: Ask) -> Result<(), Exit> {
    let targets = LangTag::parse_list(&input.to)
        .context("--to")
        .map_err(usage)?;
    let from = input
        .from
        .as_deref()
        .map(LangTag::parse)
        .transpose()
        .context("--from")
        .map_err(usage)?;
    let config = Config::load(&input.config).map_err(usage)?;
    let glossaries = input
        .glossary
        .iter()
        .map(|path| Glossary::load(path))
        .collect::<Result<Vec<_>, _>>()
        .context("--glossary")
        .map_err(usage)?;
    let file = input.file.as_str();
    let by_extension = if file.ends_with(".md") || file.ends_with(".markdown") {
        InputFormat::Markdown
    } else if file.ends_with(".html") || file.ends_with(".htm") {
        InputFormat::Html
    } else {
        InputFormat::Text
    };
    let input_format = input.input_format.unwrap_or(by_extension);
    let article = Article::parse(
        &read_input(file)?,
        input_format,
        from,
        input.keep_boilerplate,
    )
    .context(file.to_string())
    .map_err(usage)?;
    let job = match ask {
        Ask::Translate(summary) => Job {
            translate: targets.clone(),
            summarize: if summary.is_some() {
                targets
            } else {
                Vec::new()
            },
            length: summary.unwrap_or(LengthSpec::Short),
            glossaries,
            priority: Priority::Normal,
        },
        Ask::Summarize(length) => Job {
            translate: Vec::new(),
            summarize: targets,
            length,
            glossaries,
            priority: Priority::Normal,
        },
    };
    let gateway = Gateway::start(config).await.map_err(|e| {
        let code = if e.is_config() { 2 } else { 3 };
        Exit(code, e.into())
    })?;

    let bar = ProgressBar::hidden();
    if std::io::stderr().is_terminal() {
        bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} working [{bar:30}] {pos}/{len} steps {elapsed}",
            )
            .map_err(internal)?
            .progress_chars("=> "),
        );
    }
    let observer = Bar(bar.clone());
    let result = pipeline::run(&gateway, &article, &job, &pipeline::Forgetful, &observer).await;
    bar.finish_and_clear();
    let out = result.map_err(|e| match e {
        RunError::NoRoute { .. } => usage(e),
        RunError::ChunkFailed { .. } | RunError::SummaryFailed { .. } => Exit(3, e.into()),
        RunError::Prompt(_) => internal(e),
    })?;
    let rendered = lingo::render(&out, input.format);
    if !rendered.trim().is_empty() {
        println!("{rendered}");
    }
    match out.failures.as_slice() {
        [] => Ok(()),
        [first, rest @ ..] => {
            let more = if rest.is_empty() {
                String::new()
            } else {
                format!(" (and {} more failures)", rest.len())
            };
            Err(Exit(3, anyhow::anyhow!("{}{more}", first.message)))
        }
    }
}

/// The CLI's observer: it moves the progress bar.
struct Bar(ProgressBar);

impl pipeline::Observer for Bar {
    fn progress(&self, done: usize, total: usize) {
        self.0.set_length(total as u64);
        self.0.set_position(done as u64);
    }
}

async fn serve_mock(listen: SocketAddr, options: MockOptions) -> Result<(), Exit> {
    options.check().map_err(|e| {
        usage(anyhow::anyhow!(
            "--{}: {}",
            e.field.replace('_', "-"),
            e.message
        ))
    })?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))
        .map_err(usage)?;
    let addr = listener.local_addr().map_err(internal)?;
    eprintln!(
        "lingo mock on http://{addr}: OpenAI /v1/chat/completions, Anthropic /v1/messages, \
         Ollama /api/chat, DeepL /v2/translate, LibreTranslate /translate; stats at /_mock/stats"
    );
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    mock::run(listener, options, shutdown)
        .await
        .map_err(internal)
}

async fn serve(path: &Path, listen: Option<SocketAddr>) -> Result<(), Exit> {
    let config = Config::load(path).map_err(usage)?;
    let addr = listen.unwrap_or(config.server.listen);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))
        .map_err(usage)?;
    let bound = listener.local_addr().map_err(internal)?;
    eprintln!("lingo serve: listening on http://{bound}");
    if config.server.api_keys.is_empty() {
        eprintln!("lingo serve: no API keys configured: serving loopback only, without auth");
    }
    let shutdown = async {
        let term = async {
            #[cfg(unix)]
            if let Ok(mut term) =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            {
                term.recv().await;
                return;
            }
            std::future::pending::<()>().await
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            () = term => {}
        }
    };
    lingo::server::run(listener, config, shutdown)
        .await
        .map_err(|e| {
            let code = if e.is_config() { 2 } else { 3 };
            Exit(code, e.into())
        })
}

fn check_config(path: &Path) -> Result<(), Exit> {
    let config = Config::load(path).map_err(usage)?;
    print!("{}", config.to_toml());
    Ok(())
}
