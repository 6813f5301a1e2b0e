//! The running gateway: one [`Dispatcher`] per configured HTTP backend (shared by every job,
//! so that limits hold across jobs and languages), the built-in extractive summarizers, the
//! compiled prompts, and the in-process mock servers that `kind = "mock"` backends need,
//! stopped when the gateway is dropped.

use std::net::{Ipv4Addr, SocketAddr};

use crate::backend::{self, BackendError};
use crate::chunk::{self, Budget};
use crate::config::{Config, Endpoint, Strategy, Task};
use crate::dispatch::Dispatcher;
use crate::lang::LangTag;
use crate::mock::MockServer;
use crate::prompts::{PromptError, Prompts};
use crate::router;
use crate::validate::Policy;

/// A backend as routes see it: reached over HTTP through its dispatcher, or built in.
pub enum RoutedBackend {
    Remote {
        budget: Budget,
        dispatcher: Box<Dispatcher>,
    },
    Extractive {
        name: String,
    },
}

impl RoutedBackend {
    pub fn name(&self) -> &str {
        match self {
            RoutedBackend::Remote { dispatcher, .. } => dispatcher.name(),
            RoutedBackend::Extractive { name } => name,
        }
    }

    /// The dispatcher and chunk budget of an HTTP backend.
    pub fn remote(&self) -> Option<(&Dispatcher, Budget)> {
        match self {
            RoutedBackend::Remote { budget, dispatcher } => Some((dispatcher, *budget)),
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
            let url = match &cfg.endpoint {
                Endpoint::Builtin {} => {
                    backends.push(RoutedBackend::Extractive {
                        name: cfg.name.clone(),
                    });
                    continue;
                }
                Endpoint::Remote { base_url } => base_url.clone(),
                Endpoint::Mock { mock, .. } => {
                    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
                    let server = MockServer::start(addr, mock.clone())
                        .await
                        .map_err(|source| GatewayError::Mock {
                            name: cfg.name.clone(),
                            source,
                        })?;
                    let url = server.openai_url();
                    mocks.push(server);
                    url
                }
            };
            let client = backend::build(cfg, &url).map_err(|source| GatewayError::Backend {
                name: cfg.name.clone(),
                source,
            })?;
            backends.push(RoutedBackend::Remote {
                budget: cfg.budget,
                dispatcher: Box::new(Dispatcher::new(cfg, client)),
            });
        }
        Ok(Gateway {
            config,
            backends,
            prompts,
            _mocks: mocks,
        })
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
                .collect(),
        )
    }
}
