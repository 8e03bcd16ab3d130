//! Downloads: the monthly workbook (xlsx) or one sheet as CSV, for the
//! person's sites or one of them. The file is written to a temporary file in
//! the server's folder (the workbook in constant memory, records read a page
//! at a time) and streamed from there, so memory stays bounded whatever the
//! month holds.

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use wuye_app::AppError;

use super::overview::period_or_now;
use super::session::Signed;
use super::DashState;
use crate::export::{self, Sheet};
use crate::office::OfficeError;
use crate::office::OfficeStore;
use crate::people::Act;

/// What is asked for.
#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    /// `2026-11` (or a week); this month when empty.
    #[serde(default)]
    period: String,
    /// One site only.
    #[serde(default)]
    site: String,
    /// `xlsx` (the default) or `csv`.
    #[serde(default)]
    format: String,
    /// For CSV: `figures`, `complaints`, `repairs` or `visits`.
    #[serde(default)]
    sheet: String,
}

/// A download.
pub async fn download<S: OfficeStore>(
    State(state): State<DashState<S>>,
    signed: Signed,
    Query(q): Query<ExportQuery>,
) -> Response {
    let user = signed.user.clone();
    let tmp_root = state.data().join("tmp");
    let result = state
        .with_office(move |hq| -> Result<(tempfile::NamedTempFile, String, &'static str), AppError> {
            user.may(Act::Export)?;
            let period = period_or_now(&q.period, hq.now())?;
            let only = if q.site.trim().is_empty() {
                None
            } else {
                let site = hq.site(&q.site).map_err(OfficeError::into_app)?;
                user.may_see(site)?;
                Some(site)
            };
            let scope: Option<Vec<_>> = match (only, user.scope()) {
                (Some(site), _) => Some(vec![site]),
                (None, Some(mine)) => Some(mine.to_vec()),
                (None, None) => None,
            };
            let book = hq.book(scope.as_deref(), period).map_err(OfficeError::into_app)?;
            std::fs::create_dir_all(&tmp_root).map_err(export_failed)?;
            let file = tempfile::NamedTempFile::new_in(&tmp_root).map_err(export_failed)?;
            let stem = match only {
                Some(site) => format!("wuye-{period}-{}", &site.to_string()[..8]),
                None => format!("wuye-{period}"),
            };
            if q.format == "csv" {
                let sheet = Sheet::parse(&q.sheet).unwrap_or(Sheet::Figures);
                let out = std::io::BufWriter::new(file.reopen().map_err(export_failed)?);
                export::write_csv(&hq.store, sheet, &book, out).map_err(export_error)?;
                Ok((file, format!("{stem}-{}.csv", sheet.name()), "text/csv; charset=utf-8"))
            } else {
                export::write_xlsx(&hq.store, &book, file.path(), &tmp_root).map_err(export_error)?;
                Ok((file, format!("{stem}.xlsx"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
            }
        })
        .await;
    let (file, name, mime) = match result {
        Ok(made) => made,
        Err(e) => return signed.error(&e),
    };
    // The open file is streamed; the temporary file's name is gone from the folder already.
    let (handle, path) = file.into_parts();
    drop(path);
    let stream = tokio_util::io::ReaderStream::new(tokio::fs::File::from_std(handle));
    (
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}

fn export_failed(e: std::io::Error) -> AppError {
    export_error(export::ExportError::Io(e))
}

fn export_error(e: export::ExportError) -> AppError {
    match e {
        export::ExportError::Store(e) => e.into(),
        other => AppError::Storage(wuye_node::StoreError::Corrupt { id: "export".into(), reason: other.to_string() }),
    }
}
