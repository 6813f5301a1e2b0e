//! The running gateway: one [`Dispatcher`] per configured HTTP backend (shared by every job,
//! so that limits hold across jobs and languages), the built-in extractive summarizers, the
//! compiled prompts, and the in-process mock servers that `kind = "mock"` backends need,
//! stopped when the gateway is dropped.

use std::net::{Ipv4Addr, SocketAddr};

use std::sync::Arc;

use crate::backend::{self, Account, BackendError};
use crate::checks::Policy;
use crate::chunk;
use crate::config::{Config, Endpoint, Strategy};
use crate::dispatch::Dispatcher;
use crate::glossary::Glossary;
use crate::lang::LangTag;
use crate::mock::MockServer;
use crate::prompts::{PromptError, Prompts};
use crate::protect::Rules;
use crate::protocol::Task;
use crate::router;

/// A backend as routes see it: reached over HTTP through its dispatcher, or built in.
pub enum RoutedBackend {
    Remote(Box<Dispatcher>),
    Extractive { name: String },
}

impl RoutedBackend {
    pub fn name(&self) -> &str {
        match self {
            RoutedBackend::Remote(dispatcher) => dispatcher.name(),
            RoutedBackend::Extractive { name } => name,
        }
    }

    /// Whether this backend serves `target` (machine-translation APIs offer a list).
    pub fn supports(&self, target: &LangTag) -> bool {
        match self {
            RoutedBackend::Remote(dispatcher) => dispatcher.backend().check_target(target).is_ok(),
            RoutedBackend::Extractive { .. } => true,
        }
    }

    /// The dispatcher of an HTTP backend.
    pub fn remote(&self) -> Option<&Dispatcher> {
        match self {
            RoutedBackend::Remote(dispatcher) => Some(dispatcher),
            RoutedBackend::Extractive { .. } => None,
        }
    }
}

pub struct Gateway {
    config: Config,
    backends: Vec<RoutedBackend>,
    prompts: Prompts,
    _mocks: Vec<MockServer>,
}

#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error(transparent)]
    Prompt(#[from] PromptError),
    #[error("backend '{name}': cannot start its in-process mock on loopback: {source}")]
    Mock {
        name: String,
        source: std::io::Error,
    },
    #[error("backend '{name}': {source}")]
    Backend { name: String, source: BackendError },
    #[error(
        "backend '{name}': cannot read what the server offers at start ({source}): check base_url, the API key and that the server is up"
    )]
    Prepare { name: String, source: BackendError },
    /// A route names a language one of its backends does not offer.
    #[error("{0}")]
    Unsupported(String),
}

impl GatewayError {
    /// Whether the config is at fault (exit 2), not a server (exit 3).
    pub fn is_config(&self) -> bool {
        matches!(
            self,
            GatewayError::Unsupported { .. } | GatewayError::Prompt(_)
        )
    }
}

impl Gateway {
    pub async fn start(config: Config) -> Result<Gateway, GatewayError> {
        let prompts = Prompts::load()?;
        // The tokenizer's tables take tens of milliseconds to load: load them now, not
        // inside the first burst of requests, where they would stall the admitted ones.
        let _ = tokio::task::spawn_blocking(|| chunk::count_tokens("")).await;
        let mut mocks = Vec::new();
        let mut backends = Vec::new();
        for cfg in &config.backends {
            let Some(protocol) = cfg.protocol() else {
                backends.push(RoutedBackend::Extractive {
                    name: cfg.name.clone(),
                });
                continue;
            };
            let url = match &cfg.endpoint {
                Endpoint::Builtin {} => continue,
                Endpoint::Remote { base_url, .. } => base_url.clone(),
                Endpoint::Mock { mock, .. } => {
                    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
                    let server =
                        MockServer::start(addr, (**mock).clone())
                            .await
                            .map_err(|source| GatewayError::Mock {
                                name: cfg.name.clone(),
                                source,
                            })?;
                    let url = server.url(protocol);
                    mocks.push(server);
                    url
                }
            };
            let client =
                backend::build(cfg, protocol, &url).map_err(|source| GatewayError::Backend {
                    name: cfg.name.clone(),
                    source,
                })?;
            client
                .prepare()
                .await
                .map_err(|source| GatewayError::Prepare {
                    name: cfg.name.clone(),
                    source,
                })?;
            backends.push(RoutedBackend::Remote(Box::new(Dispatcher::new(
                cfg, client,
            ))));
        }
        let gateway = Gateway {
            config,
            backends,
            prompts,
            _mocks: mocks,
        };
        gateway.check_route_languages()?;
        Ok(gateway)
    }

    /// Every language a route names must be one each of its backends serves.
    fn check_route_languages(&self) -> Result<(), GatewayError> {
        for (i, route) in self.config.routes.iter().enumerate() {
            for lang in route.langs.iter().flatten() {
                for name in &route.backends {
                    let Some(RoutedBackend::Remote(dispatcher)) =
                        self.backends.iter().find(|b| b.name() == name)
                    else {
                        continue;
                    };
                    if let Err(BackendError::Unsupported { offered, .. }) =
                        dispatcher.backend().check_target(lang)
                    {
                        return Err(GatewayError::Unsupported(format!(
                            "{}: routes[{i}].langs: backend '{name}' does not translate into {lang}; it offers {offered}: remove {lang} from this route, or the backend from it",
                            self.config.source.display()
                        )));
                    }
                }
            }
        }
        Ok(())
    }

    /// The glossary for `source` into `target`: the config's, with `extra` (a request's
    /// own entries) laid over it.
    pub fn glossary(
        &self,
        source: &LangTag,
        target: &LangTag,
        extra: &[Glossary],
    ) -> Option<Arc<Glossary>> {
        let base = self.config.glossaries.for_pair(source, target);
        let own = extra
            .iter()
            .filter(|g| g.source.primary() == source.primary())
            .find(|g| g.target == *target || g.target.as_str() == target.primary());
        match (base, own) {
            (Some(b), Some(o)) => Some(Arc::new(b.overlaid(o))),
            (None, Some(o)) => Some(Arc::new(o.clone())),
            (base, None) => base,
        }
    }

    /// The config the gateway runs.
    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn protect(&self) -> &Rules {
        &self.config.protect
    }

    /// The dispatcher of backend `name`; `None` for built-in backends.
    pub fn dispatcher(&self, name: &str) -> Option<&Dispatcher> {
        let backend = self.backends.iter().find(|b| b.name() == name)?;
        backend.remote()
    }

    /// What each vendor account reports of its consumption (DeepL `/v2/usage`).
    pub fn accounts(&self) -> Vec<(&str, Account)> {
        self.backends
            .iter()
            .filter_map(|b| {
                let d = b.remote()?;
                Some((d.name(), d.backend().account()?))
            })
            .collect()
    }

    pub fn prompts(&self) -> &Prompts {
        &self.prompts
    }

    pub fn policy(&self) -> &Policy {
        &self.config.validation
    }

    /// How the summary route for `target` works (direct when no route serves it).
    pub fn strategy(&self, target: &LangTag) -> Strategy {
        router::route(&self.config.routes, Task::Summarize, target)
            .and_then(|r| r.strategy)
            .unwrap_or_default()
    }

    /// The backends serving `task` into `target`, in fallback order; `None` when no route does.
    pub fn route(&self, task: Task, target: &LangTag) -> Option<Vec<&RoutedBackend>> {
        let route = router::route(&self.config.routes, task, target)?;
        Some(
            route
                .backends
                .iter()
                .filter_map(|name| self.backends.iter().find(|b| b.name() == name))
                .filter(|b| b.supports(target))
                .collect(),
        )
    }
}
