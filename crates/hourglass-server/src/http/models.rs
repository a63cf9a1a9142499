//! Models as files: download one from the models folder, upload one into it (checked as a
//! checkpoint before anything is written, then written atomically).

use std::sync::Arc;

use axum::{
    extract::{Query, State},
    http::header,
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use serde_json::json;

use super::{
    App,
    error::{ApiError, answer},
};

/// A model of the models folder, as a download (`GET /api/models/<name>.safetensors`): the
/// same file `hourglass train` writes. The name is checked as every model name is, so it
/// never leaves the folder.
pub(super) async fn model_download(
    State(app): State<Arc<App>>,
    axum::extract::Path(name): axum::extract::Path<String>,
) -> Response {
    let dir = app.context.models.dir().to_path_buf();
    let path = match hourglass_data::models::model_path(&dir, &name) {
        Ok(p) => p,
        Err(e) => return ApiError::invalid(e).into_response(),
    };
    let file = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    match tokio::task::spawn_blocking(move || std::fs::read(path))
        .await
        .ok()
        .and_then(Result::ok)
    {
        Some(bytes) => (
            [
                (header::CONTENT_TYPE, "application/octet-stream".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{file}\""),
                ),
            ],
            bytes,
        )
            .into_response(),
        None => ApiError::not_found(format!("there is no model '{name}' in the models folder"))
            .into_response(),
    }
}

#[derive(Deserialize)]
pub(super) struct UploadQuery {
    name: String,
    #[serde(default)]
    overwrite: bool,
}

/// A checkpoint uploaded into the models folder (`POST /api/models?name=<name>`, the file as
/// the body, at most 256 MB): checked as a checkpoint is when it is loaded (every tensor's
/// name, type and shape against its configuration) before anything is written, then written
/// atomically. A bad file, a name that would leave the folder, or an upload cut short writes
/// nothing.
pub(super) async fn model_upload(
    State(app): State<Arc<App>>,
    Query(q): Query<UploadQuery>,
    body: axum::body::Bytes,
) -> Response {
    let dir = app.context.models.dir().to_path_buf();
    let path = match hourglass_data::models::model_path(&dir, &q.name) {
        Ok(p) => p,
        Err(e) => return ApiError::invalid(e).into_response(),
    };
    let work = tokio::task::spawn_blocking(move || -> Result<serde_json::Value, ApiError> {
        let ck = hourglass_core::checkpoint::Checkpoint::from_bytes("the uploaded file", &body)
            .map_err(|e| ApiError::invalid(format!("not a model Hourglass can read: {e}")))?;
        if path.exists() && !q.overwrite {
            return Err(ApiError::exists(format!(
                    "a model called '{}' is already in the models folder: pick another name, or replace it",
                    q.name
                ),
            ));
        }
        std::fs::create_dir_all(&dir).map_err(|e| {
            ApiError::internal(format!("cannot create the models folder {}: {e}", dir.display()))
        })?;
        hourglass_data::models::write_atomic(&path, &body)
            .map_err(|e| ApiError::internal(format!("{e:#}")))?;
        Ok(json!({
            "file": path.file_name().map(|f| f.to_string_lossy().into_owned()),
            "describe": ck.config.architecture.describe(),
            "epochs": ck.config.epochs_trained,
        }))
    })
    .await;
    answer(work)
}
