//! Prometheus's instant query API (`/api/v1/query`), evaluated at Prometheus's own time.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use hyper::Method;
use serde::Deserialize;

use super::http::JsonClient;
use super::{MetricSource, QueryError, Sample};

pub struct Prometheus {
    http: JsonClient,
}

#[derive(Deserialize)]
struct Answer {
    status: String,
    #[serde(default)]
    data: Option<Data>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default, rename = "errorType")]
    error_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(tag = "resultType", content = "result", rename_all = "lowercase")]
enum Data {
    Vector(Vec<Series>),
    Scalar((f64, String)),
}

#[derive(Deserialize)]
struct Series {
    value: (f64, String),
}

impl Prometheus {
    pub fn new(url: &str) -> std::io::Result<Self> {
        Ok(Self {
            http: JsonClient::new(url, None)?,
        })
    }
}

#[async_trait]
impl MetricSource for Prometheus {
    async fn instant(&self, query: &str) -> Result<Sample, QueryError> {
        let form: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("query", query)
            .finish();
        let reply = self
            .http
            .send(
                Method::POST,
                "/api/v1/query",
                "application/x-www-form-urlencoded",
                form,
            )
            .await
            .map_err(QueryError::Unreachable)?;
        read(reply.status, &reply.body)
    }
}

/// An answer of `/api/v1/query` as one sample.
fn read(status: u16, body: &[u8]) -> Result<Sample, QueryError> {
    let answer: Answer = serde_json::from_slice(body).map_err(|e| {
        if status >= 500 {
            QueryError::Unreachable(format!("HTTP {status}"))
        } else {
            QueryError::Unreadable(e.to_string())
        }
    })?;
    if answer.status != "success" {
        let kind = answer
            .error_type
            .unwrap_or_else(|| format!("HTTP {status}"));
        return Err(QueryError::Refused(format!(
            "{kind}: {}",
            answer.error.unwrap_or_default()
        )));
    }
    let (at, value) = match answer.data {
        Some(Data::Vector(series)) => match series.as_slice() {
            [] => return Err(QueryError::Empty),
            [one] => one.value.clone(),
            many => return Err(QueryError::Several(many.len())),
        },
        Some(Data::Scalar(sample)) => sample,
        None => return Err(QueryError::Unreadable("no data in the answer".into())),
    };
    // Prometheus writes NaN and the infinities as "NaN", "+Inf" and "-Inf".
    let value: f64 = value
        .parse()
        .map_err(|_| QueryError::Unreadable(format!("sample value `{value}`")))?;
    let at = DateTime::<Utc>::from_timestamp_millis((at * 1000.0) as i64)
        .ok_or_else(|| QueryError::Unreadable("sample time".into()))?;
    Ok(Sample { value, at })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_are_strings_and_may_be_nan_or_infinite() {
        let ok = br#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1733040000.5,"0.004"]}]}}"#;
        let sample = read(200, ok).unwrap();
        assert_eq!(sample.value, 0.004);
        assert_eq!(sample.at.timestamp_millis(), 1_733_040_000_500);
        let nan = br#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"NaN"]}]}}"#;
        assert!(read(200, nan).unwrap().value.is_nan());
        let inf = br#"{"status":"success","data":{"resultType":"scalar","result":[1,"+Inf"]}}"#;
        assert_eq!(read(200, inf).unwrap().value, f64::INFINITY);
    }

    #[test]
    fn no_data_several_series_and_errors_are_told_apart() {
        let empty = br#"{"status":"success","data":{"resultType":"vector","result":[]}}"#;
        assert_eq!(read(200, empty), Err(QueryError::Empty));
        let two = br#"{"status":"success","data":{"resultType":"vector","result":[{"value":[1,"1"]},{"value":[1,"2"]}]}}"#;
        assert_eq!(read(200, two), Err(QueryError::Several(2)));
        let bad = br#"{"status":"error","errorType":"bad_data","error":"parse error"}"#;
        assert_eq!(
            read(400, bad),
            Err(QueryError::Refused("bad_data: parse error".into()))
        );
        assert!(matches!(
            read(503, b"<html>"),
            Err(QueryError::Unreachable(_))
        ));
    }
}
