//! Small JSON requests over hyper, for the flag server and Prometheus.

use std::time::Duration;

use http_body_util::BodyExt;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;

/// No call to another system may hold a rollout step for longer than this.
const TIMEOUT: Duration = Duration::from_secs(10);

/// A reusable client for one base URL.
#[derive(Clone)]
pub struct JsonClient {
    client: Client<HttpsConnector<HttpConnector>, String>,
    base: String,
    authorization: Option<String>,
}

/// What came back: the status and the body, or no answer at all.
pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
}

impl JsonClient {
    pub fn new(base: &str, authorization: Option<String>) -> std::io::Result<Self> {
        Ok(Self {
            client: Client::builder(TokioExecutor::new())
                .build(crate::slack::web::https_connector()?),
            base: base.trim_end_matches('/').to_string(),
            authorization,
        })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// Sends `method path` with a JSON (or form) body; `Err` is a failure to get any answer.
    pub async fn send(
        &self,
        method: hyper::Method,
        path: &str,
        content_type: &str,
        body: String,
    ) -> Result<Reply, String> {
        let mut request = hyper::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header(CONTENT_TYPE, content_type);
        if let Some(token) = &self.authorization {
            request = request.header(AUTHORIZATION, token);
        }
        let request = request.body(body).map_err(|e| e.to_string())?;
        let call = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| e.to_string())?;
            let status = response.status().as_u16();
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|e| e.to_string())?;
            Ok(Reply {
                status,
                body: body.to_bytes().to_vec(),
            })
        };
        tokio::time::timeout(TIMEOUT, call)
            .await
            .map_err(|_| format!("no answer within {} s", TIMEOUT.as_secs()))?
    }
}
