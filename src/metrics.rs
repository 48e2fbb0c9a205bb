//! Prometheus metrics served at `GET /metrics`: posts, retries, commands, request latency.

use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MethodLabel {
    method: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CommandLabel {
    command: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ErrorLabel {
    error: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabel {
    route: &'static str,
}

/// Every metric golive exports.
pub struct Metrics {
    registry: Registry,
    posts: Counter,
    late_posts: Counter,
    slack_retries: Family<MethodLabel, Counter>,
    commands: Family<CommandLabel, Counter>,
    refused: Counter,
    refused_messages: Family<ErrorLabel, Counter>,
    latency: Family<RouteLabel, Histogram>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh registry.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("golive");
        let posts = Counter::default();
        let late_posts = Counter::default();
        let slack_retries = Family::<MethodLabel, Counter>::default();
        let commands = Family::<CommandLabel, Counter>::default();
        let refused = Counter::default();
        let refused_messages = Family::<ErrorLabel, Counter>::default();
        let latency = Family::<RouteLabel, Histogram>::new_with_constructor(|| {
            Histogram::new([
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5, 1.0, 2.5,
            ])
        });
        registry.register("posts", "Messages posted to Slack", posts.clone());
        registry.register(
            "late_posts",
            "Scheduled posts sent after their time",
            late_posts.clone(),
        );
        registry.register(
            "slack_retries",
            "Slack Web API calls retried",
            slack_retries.clone(),
        );
        registry.register("commands", "Slash commands handled", commands.clone());
        registry.register(
            "refused_requests",
            "Inbound requests refused (signature, age, shape)",
            refused.clone(),
        );
        registry.register(
            "refused_messages",
            "Messages Slack refused as they were and golive sent as plain text",
            refused_messages.clone(),
        );
        registry.register(
            "request_seconds",
            "Time to answer an inbound Slack request",
            latency.clone(),
        );
        Self {
            registry,
            posts,
            late_posts,
            slack_retries,
            commands,
            refused,
            refused_messages,
            latency,
        }
    }

    pub fn post_sent(&self) {
        self.posts.inc();
    }

    pub fn late_post(&self) {
        self.late_posts.inc();
    }

    pub fn slack_retry(&self, method: &str) {
        self.slack_retries
            .get_or_create(&MethodLabel {
                method: method.to_string(),
            })
            .inc();
    }

    pub fn command(&self, command: &str) {
        self.commands
            .get_or_create(&CommandLabel {
                command: command.to_string(),
            })
            .inc();
    }

    pub fn refused(&self) {
        self.refused.inc();
    }

    /// A message Slack refused as it was, by Slack's error code (a closed set).
    pub fn message_refused(&self, error: &'static str) {
        self.refused_messages
            .get_or_create(&ErrorLabel { error })
            .inc();
    }

    pub fn observe(&self, route: &'static str, seconds: f64) {
        self.latency
            .get_or_create(&RouteLabel { route })
            .observe(seconds);
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}
