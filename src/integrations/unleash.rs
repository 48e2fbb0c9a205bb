//! Unleash (open source) through its admin API. golive owns one gradual-rollout strategy per
//! flag and environment, found again by its title after a restart; it is created (or enabled
//! again) before the environment is switched on, because switching on an environment with no
//! enabled strategy makes Unleash add a default one at 100 %.
//!
//! A strategy can be disabled by hand; it then serves nobody whatever its percentage, and Unleash
//! 7.5.1 switches the environment off when its last enabled strategy is disabled. golive's
//! strategy disabled reads as no percentage (a hand-made change), and setting a percentage
//! enables it again.

use async_trait::async_trait;
use hyper::Method;
use serde::Deserialize;
use serde_json::json;

use super::http::{JsonClient, Reply};
use super::{FlagError, FlagReading, FlagRef, FlagServer};
use crate::domain::rollout::FlagTarget;

/// The title that marks golive's strategy among the flag's strategies.
pub const STRATEGY_TITLE: &str = "golive gradual rollout";

pub struct Unleash {
    http: JsonClient,
}

#[derive(Deserialize)]
struct Feature {
    #[serde(default)]
    environments: Vec<Environment>,
}

#[derive(Deserialize)]
struct Environment {
    name: String,
    enabled: bool,
    #[serde(default)]
    strategies: Vec<Strategy>,
}

#[derive(Deserialize)]
struct Strategy {
    id: String,
    name: String,
    #[serde(default)]
    title: Option<String>,
    /// Disabled by hand: Unleash does not evaluate it.
    #[serde(default)]
    disabled: bool,
    #[serde(default)]
    parameters: serde_json::Map<String, serde_json::Value>,
}

impl Strategy {
    fn is_golives(&self) -> bool {
        self.name == "flexibleRollout" && self.title.as_deref() == Some(STRATEGY_TITLE)
    }

    fn percent(&self) -> Option<u8> {
        match self.parameters.get("rollout")? {
            serde_json::Value::String(s) => s.trim().parse().ok(),
            serde_json::Value::Number(n) => n.as_u64().and_then(|n| u8::try_from(n).ok()),
            _ => None,
        }
    }
}

/// The flag in one environment, with golive's strategy's id and whether it is disabled.
struct Found {
    reading: FlagReading,
    strategy: Option<String>,
    disabled: bool,
}

impl Found {
    /// What the environment's strategies say: golive's percentage only while its strategy is
    /// enabled; every other strategy (enabled or not) is counted as someone else's.
    fn of(environment: &Environment) -> Found {
        let own = environment.strategies.iter().find(|s| s.is_golives());
        Found {
            reading: FlagReading {
                enabled: environment.enabled,
                percent: own.filter(|s| !s.disabled).and_then(Strategy::percent),
                others: environment
                    .strategies
                    .iter()
                    .filter(|s| !s.is_golives())
                    .count(),
            },
            strategy: own.map(|s| s.id.clone()),
            disabled: own.is_some_and(|s| s.disabled),
        }
    }
}

impl Unleash {
    /// A client for the Unleash at `url` (its root, e.g. `http://127.0.0.1:4242`).
    pub fn new(url: &str, admin_token: &str) -> std::io::Result<Self> {
        Ok(Self {
            http: JsonClient::new(url, Some(admin_token.to_string()))?,
        })
    }

    fn feature_path(flag: &FlagRef) -> String {
        format!(
            "/api/admin/projects/{}/features/{}",
            encode(&flag.project),
            encode(&flag.flag)
        )
    }

    fn environment_path(flag: &FlagRef) -> String {
        format!(
            "{}/environments/{}",
            Self::feature_path(flag),
            encode(&flag.environment)
        )
    }

    async fn call(
        &self,
        flag: &FlagRef,
        method: Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<Reply, FlagError> {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let reply = self
            .http
            .send(method, path, "application/json", body)
            .await
            .map_err(FlagError::Unreachable)?;
        match reply.status {
            200..=299 => Ok(reply),
            401 => Err(FlagError::Unauthorized),
            403 => Err(FlagError::Forbidden),
            404 => Err(FlagError::Missing(flag.flag.clone())),
            status @ 500..=599 => Err(FlagError::Server(format!("HTTP {status}"))),
            status => Err(FlagError::Unreadable(format!(
                "HTTP {status}: {}",
                String::from_utf8_lossy(&reply.body)
                    .chars()
                    .take(200)
                    .collect::<String>()
            ))),
        }
    }

    async fn find(&self, flag: &FlagRef) -> Result<Found, FlagError> {
        let reply = self
            .call(flag, Method::GET, &Self::feature_path(flag), None)
            .await?;
        let feature: Feature = serde_json::from_slice(&reply.body)
            .map_err(|e| FlagError::Unreadable(e.to_string()))?;
        let Some(environment) = feature
            .environments
            .into_iter()
            .find(|e| e.name == flag.environment)
        else {
            return Err(FlagError::Missing(format!(
                "{} (environment {})",
                flag.flag, flag.environment
            )));
        };
        Ok(Found::of(&environment))
    }

    async fn set_percent(
        &self,
        flag: &FlagRef,
        found: &Found,
        percent: u8,
    ) -> Result<(), FlagError> {
        let strategies = format!("{}/strategies", Self::environment_path(flag));
        // Unleash wants the percentage as a string and does not check its range.
        let rollout = percent.min(100).to_string();
        match &found.strategy {
            // An enabled strategy at the percentage already (a disabled one reads none).
            Some(_) if found.reading.percent == Some(percent) => Ok(()),
            Some(id) => {
                let mut patch = vec![
                    json!({ "op": "replace", "path": "/parameters/rollout", "value": rollout }),
                ];
                if found.disabled {
                    // Before the environment is switched on: with no enabled strategy Unleash
                    // would add its default one at 100 %.
                    patch.push(json!({ "op": "replace", "path": "/disabled", "value": false }));
                }
                let patch = serde_json::Value::Array(patch);
                let path = format!("{strategies}/{}", encode(id));
                self.call(flag, Method::PATCH, &path, Some(patch))
                    .await
                    .map(drop)
            }
            None => {
                let strategy = json!({
                    "name": "flexibleRollout",
                    "title": STRATEGY_TITLE,
                    "constraints": [],
                    "parameters": { "rollout": rollout, "stickiness": "default", "groupId": flag.flag },
                });
                self.call(flag, Method::POST, &strategies, Some(strategy))
                    .await
                    .map(drop)
            }
        }
    }

    async fn switch(&self, flag: &FlagRef, on: bool) -> Result<(), FlagError> {
        let path = format!(
            "{}/{}",
            Self::environment_path(flag),
            if on { "on" } else { "off" }
        );
        self.call(flag, Method::POST, &path, None).await.map(drop)
    }
}

#[async_trait]
impl FlagServer for Unleash {
    fn describe(&self) -> String {
        format!("Unleash at {}", self.http.base())
    }

    async fn read(&self, flag: &FlagRef) -> Result<FlagReading, FlagError> {
        Ok(self.find(flag).await?.reading)
    }

    async fn set(&self, flag: &FlagRef, target: FlagTarget) -> Result<FlagReading, FlagError> {
        let found = self.find(flag).await?;
        match target {
            FlagTarget::Percent(percent) => {
                self.set_percent(flag, &found, percent).await?;
                if !found.reading.enabled {
                    self.switch(flag, true).await?;
                }
            }
            FlagTarget::Off if found.reading.enabled => self.switch(flag, false).await?,
            FlagTarget::Off => {}
        }
        self.read(flag).await
    }
}

/// A path segment, percent-encoded.
fn encode(segment: &str) -> String {
    url::form_urlencoded::byte_serialize(segment.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golives_strategy_is_told_apart_by_its_title_and_reads_string_or_number() {
        let json = r#"{"environments":[{"name":"production","enabled":true,"strategies":[
            {"id":"a","name":"flexibleRollout","title":"golive gradual rollout","parameters":{"rollout":"25"}},
            {"id":"b","name":"flexibleRollout","parameters":{"rollout":"100","groupId":"summit-v4"}}]}]}"#;
        let feature: Feature = serde_json::from_str(json).unwrap();
        let strategies = &feature.environments[0].strategies;
        assert!(strategies[0].is_golives());
        assert!(
            !strategies[1].is_golives(),
            "Unleash's default strategy shares the groupId"
        );
        assert_eq!(strategies[0].percent(), Some(25));
        let number: Strategy = serde_json::from_str(
            r#"{"id":"c","name":"flexibleRollout","parameters":{"rollout":40}}"#,
        )
        .unwrap();
        assert_eq!(number.percent(), Some(40));
    }

    #[test]
    fn golives_strategy_disabled_by_hand_reads_no_percentage() {
        let json = r#"{"name":"production","enabled":false,"strategies":[
            {"id":"a","name":"flexibleRollout","title":"golive gradual rollout","disabled":true,"parameters":{"rollout":"10"}}]}"#;
        let environment: Environment = serde_json::from_str(json).unwrap();
        let found = Found::of(&environment);
        assert_eq!(found.reading.percent, None);
        assert_eq!(found.reading.others, 0);
        assert_eq!(found.strategy.as_deref(), Some("a"));
        assert!(found.disabled);
        let enabled = json.replace(r#""disabled":true"#, r#""disabled":false"#);
        let environment: Environment = serde_json::from_str(&enabled).unwrap();
        assert_eq!(Found::of(&environment).reading.percent, Some(10));
    }
}
