//! The launch record as a file: Markdown from `message-templates/launch_record.md.hbs`, CSV with
//! one row per event of the audit log, or the whole record as JSON.

use handlebars::Handlebars;

use super::LaunchRecord;

/// A file format `golive export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Markdown,
    Csv,
    Json,
}

impl std::str::FromStr for Format {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.to_ascii_lowercase().as_str() {
            "md" | "markdown" => Ok(Self::Markdown),
            "csv" => Ok(Self::Csv),
            "json" => Ok(Self::Json),
            _ => Err(format!(
                "`{}` is not a format: use md, csv or json",
                crate::domain::excerpt::excerpt(text)
            )),
        }
    }
}

impl Format {
    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Markdown => "md",
            Self::Csv => "csv",
            Self::Json => "json",
        }
    }
}

/// Why a record could not be written: always a bug in the template or the record.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error("launch record template: {0}")]
    Template(String),
    #[error("launch record CSV: {0}")]
    Csv(String),
    #[error("launch record JSON: {0}")]
    Json(#[from] serde_json::Error),
}

const TEMPLATE: &str = include_str!("../../message-templates/launch_record.md.hbs");

/// The record in `format`.
pub fn render(record: &LaunchRecord, format: Format) -> Result<String, FormatError> {
    match format {
        Format::Json => Ok(serde_json::to_string_pretty(record)? + "\n"),
        Format::Csv => csv(record),
        Format::Markdown => {
            let mut registry = Handlebars::new();
            registry.set_strict_mode(true);
            // Markdown, not HTML: what people typed is shown as typed.
            registry.register_escape_fn(handlebars::no_escape);
            registry
                .render_template(TEMPLATE, record)
                .map_err(|e| FormatError::Template(e.to_string()))
        }
    }
}

fn csv(record: &LaunchRecord) -> Result<String, FormatError> {
    let failed = |e: csv::Error| FormatError::Csv(e.to_string());
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record(["time_utc", "time_local", "release", "kind", "what", "who"])
        .map_err(failed)?;
    for event in &record.audit {
        writer
            .write_record([
                &event.at.utc,
                &event.at.local,
                &record.release,
                &event.kind,
                &event.what,
                &event.who,
            ])
            .map_err(failed)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| FormatError::Csv(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| FormatError::Csv(e.to_string()))
}
