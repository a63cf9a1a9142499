//! A data set uploaded for the Model Studio: read by the CLI's readers and checked before it
//! is written, atomically, to the uploads folder.

use std::sync::Arc;

use axum::{
    extract::{Query, State},
    response::{IntoResponse, Response},
};
use hourglass_lab::pages::studio;
use serde::Deserialize;
use serde_json::json;

use super::{
    App,
    error::{ApiError, answer},
};

#[derive(Deserialize)]
pub(super) struct DatasetUpload {
    name: String,
}

/// A data set uploaded for the Model Studio (`POST /api/datasets?name=<file>.csv|.npy|.zip`,
/// the file as the body, at most 256 MB): read by the same readers as `hourglass train
/// --dataset FILE` and checked (28×28 images, an archive bounded before it is expanded)
/// before anything is written, then written atomically to the uploads folder. A bad file or
/// an upload cut short writes nothing.
pub(super) async fn dataset_upload(
    State(app): State<Arc<App>>,
    Query(q): Query<DatasetUpload>,
    body: axum::body::Bytes,
) -> Response {
    let dir = app.context.datasets.uploads_dir().to_path_buf();
    let path = match hourglass_data::uploads::upload_path(&dir, &q.name) {
        Ok(p) => p,
        Err(e) => return ApiError::invalid(e).into_response(),
    };
    let work = tokio::task::spawn_blocking(move || -> Result<serde_json::Value, ApiError> {
        let file = path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let (d, changed) = hourglass_data::uploads::read_noting(&file, &body, 28)
            .map_err(|e| ApiError::invalid(format!("{e:#}")))?;
        let (d, scaling) = studio::studio_data(&file, d).map_err(ApiError::invalid)?;
        std::fs::create_dir_all(&dir).map_err(|e| {
            ApiError::internal(format!(
                "cannot create the uploads folder {}: {e}",
                dir.display()
            ))
        })?;
        hourglass_data::models::write_atomic(&path, &body)
            .map_err(|e| ApiError::internal(format!("{e:#}")))?;
        Ok(json!({
            "file": file,
            "samples": d.len(),
            "labelled": d.labels.is_some(),
            "scaled": scaling != hourglass_core::data::Scaling::IDENTITY,
            "changed": changed,
        }))
    })
    .await;
    answer(work)
}
