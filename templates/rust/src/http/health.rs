//! Liveness and readiness.

use std::{
    collections::BTreeMap,
    future::Future,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use futures_util::future::{BoxFuture, FutureExt, join_all};
use serde::Serialize;

use crate::BoxError;

/// Bounds each readiness probe, so that `/readyz` answers within about a second even
/// when a dependency hangs.
const CHECK_TIMEOUT: Duration = Duration::from_secs(1);

/// Whether `path` is a probe endpoint. Probes are bounded by their own checks, not by
/// `REQUEST_TIMEOUT`: a hanging dependency then shows as `/readyz`'s 503 naming it
/// rather than as the request's 504, whatever the request timeout.
pub fn is_probe(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz")
}

type Probe = Box<dyn Fn() -> BoxFuture<'static, Result<(), BoxError>> + Send + Sync>;

/// One dependency that `/readyz` probes.
pub struct Check {
    name: &'static str,
    probe: Probe,
}

impl Check {
    /// A check called `name` that is ready when `probe` succeeds within a second.
    pub fn new<F, Fut>(name: &'static str, probe: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), BoxError>> + Send + 'static,
    {
        Self {
            name,
            probe: Box::new(move || probe().boxed()),
        }
    }
}

/// The readiness checks, and whether shutdown has begun. Clones share both.
#[derive(Clone, Default)]
pub struct Health {
    checks: Arc<Vec<Check>>,
    draining: Arc<AtomicBool>,
}

/// The body of `/readyz`.
#[derive(Debug, Serialize)]
pub struct Readiness {
    pub status: &'static str,
    pub checks: BTreeMap<&'static str, &'static str>,
}

impl Health {
    pub fn new(checks: Vec<Check>) -> Self {
        Self {
            checks: Arc::new(checks),
            draining: Arc::default(),
        }
    }

    /// Turns `/readyz` to 503 for good: shutdown has begun.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::Relaxed);
    }

    /// Ready when every dependency answers in time; not ready, naming the ones that do
    /// not, otherwise or once shutdown has begun. The checks run at the same time.
    pub async fn readiness(&self) -> (bool, Readiness) {
        if self.draining.load(Ordering::Relaxed) {
            let body = Readiness {
                status: "draining",
                checks: BTreeMap::new(),
            };
            return (false, body);
        }
        let results = join_all(
            self.checks
                .iter()
                .map(|check| tokio::time::timeout(CHECK_TIMEOUT, (check.probe)())),
        )
        .await;
        let mut body = Readiness {
            status: "ready",
            checks: BTreeMap::new(),
        };
        for (check, result) in self.checks.iter().zip(results) {
            let outcome = match result {
                Ok(Ok(())) => "ok",
                Ok(Err(error)) => {
                    tracing::warn!(check = check.name, %error, "readiness check failed");
                    "error"
                }
                Err(_) => {
                    tracing::warn!(check = check.name, "readiness check timed out");
                    "timeout"
                }
            };
            if outcome != "ok" {
                body.status = "unavailable";
            }
            body.checks.insert(check.name, outcome);
        }
        (body.status == "ready", body)
    }
}
