//! `/files`: browse, upload, download, new folder, rename and delete, all through core's
//! jail on the user's root, the same one SFTP uses. Uploads stream to a temporary name in
//! the target folder and are renamed into place when complete, so a cut-off upload never
//! replaces a good file; downloads stream from disk.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Multipart, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use gatehouse_core::jail::{Jail, OpenMode, VirtualPath};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;
use tokio_util::io::ReaderStream;

use crate::AppState;
use crate::error::WebError;
use crate::gate::SignedIn;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/files", get(browse))
        .route("/files/download", get(download))
        .route(
            "/files/upload",
            post(upload).layer(DefaultBodyLimit::disable()),
        )
        .route("/files/mkdir", post(mkdir))
        .route("/files/rename", post(rename))
        .route("/files/delete", post(delete))
}

#[derive(Deserialize)]
struct PathQuery {
    path: Option<String>,
}

#[derive(Deserialize)]
struct NameForm {
    path: String,
    name: String,
}

#[derive(Deserialize)]
struct RenameForm {
    path: String,
    from: String,
    to: String,
}

#[derive(Serialize)]
struct EntryView {
    name: String,
    path: String,
    is_dir: bool,
    size: u64,
}

#[derive(Serialize)]
struct Crumb {
    name: String,
    path: String,
}

#[derive(Serialize)]
struct FilesPage<'a> {
    csrf_token: &'a str,
    username: &'a str,
    path: &'a str,
    crumbs: Vec<Crumb>,
    entries: Vec<EntryView>,
    signed_in: bool,
}

/// Opens the user's jail and resolves `raw` inside it.
fn place(root: &std::path::Path, raw: &str) -> Result<(Jail, VirtualPath), WebError> {
    let path = VirtualPath::resolve(&VirtualPath::root(), raw)?;
    Ok((Jail::open(root)?, path))
}

/// Runs blocking jail work on the blocking pool.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, WebError> + Send + 'static,
) -> Result<T, WebError> {
    tokio::task::spawn_blocking(work).await?
}

/// A plain file name: no slashes, no `.`/`..`, not empty.
fn file_name(raw: &str) -> Result<&str, WebError> {
    let name = raw.trim();
    if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\0']) {
        return Err(WebError::BadRequest("file name"));
    }
    Ok(name)
}

fn back_to(path: &VirtualPath) -> Response {
    let encoded = utf8_percent_encode(path.as_str(), NON_ALPHANUMERIC);
    Redirect::to(&format!("/files?path={encoded}")).into_response()
}

async fn browse(
    State(state): State<AppState>,
    SignedIn(principal): SignedIn,
    Query(query): Query<PathQuery>,
) -> Result<Response, WebError> {
    let raw = query.path.unwrap_or_else(|| "/".to_owned());
    let root = principal.root.clone();
    let (path, entries) = blocking(move || {
        let (jail, path) = place(&root, &raw)?;
        let entries = jail.read_dir(&path)?;
        Ok((path, entries))
    })
    .await?;
    let entries = entries
        .into_iter()
        .filter(|e| !e.metadata.is_symlink() && !e.name.starts_with(".upload-"))
        .map(|e| EntryView {
            path: path
                .join(&e.name)
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default(),
            is_dir: e.metadata.is_dir(),
            size: e.metadata.size,
            name: e.name,
        })
        .collect();
    let page = FilesPage {
        csrf_token: &principal.who.csrf_token,
        username: principal.who.username.as_str(),
        path: path.as_str(),
        crumbs: crumbs(&path),
        entries,
        signed_in: true,
    };
    Ok(state
        .templates
        .page("pages/files.html", page)?
        .into_response())
}

fn crumbs(path: &VirtualPath) -> Vec<Crumb> {
    let mut crumbs = vec![Crumb {
        name: "Home".to_owned(),
        path: "/".to_owned(),
    }];
    let mut so_far = String::new();
    for part in path.components() {
        so_far = format!("{so_far}/{part}");
        crumbs.push(Crumb {
            name: part.to_owned(),
            path: so_far.clone(),
        });
    }
    crumbs
}

async fn download(
    SignedIn(principal): SignedIn,
    Query(query): Query<PathQuery>,
) -> Result<Response, WebError> {
    let raw = query.path.unwrap_or_default();
    let root = principal.root.clone();
    let (path, file, size) = blocking(move || {
        let (jail, path) = place(&root, &raw)?;
        let file = jail.open_file(
            &path,
            OpenMode {
                read: true,
                ..OpenMode::default()
            },
            None,
        )?;
        let size = file.metadata()?.len();
        Ok((path, file, size))
    })
    .await?;
    let name = path.file_name().unwrap_or("download");
    let stream = ReaderStream::new(tokio::fs::File::from_std(file));
    let headers = [
        (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
        (header::CONTENT_LENGTH, size.to_string()),
        (header::CONTENT_DISPOSITION, content_disposition(name)),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
    ];
    Ok((headers, Body::from_stream(stream)).into_response())
}

/// `attachment` with an ASCII fallback and the exact name as RFC 5987 `filename*`, so quotes,
/// semicolons or line breaks in a name cannot break out of the header.
fn content_disposition(name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_ ".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let exact = utf8_percent_encode(name, NON_ALPHANUMERIC);
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{exact}")
}

async fn upload(
    SignedIn(principal): SignedIn,
    Query(query): Query<PathQuery>,
    mut multipart: Multipart,
) -> Result<Response, WebError> {
    let raw = query.path.unwrap_or_else(|| "/".to_owned());
    let root = Arc::new(principal.root.clone());
    let folder = VirtualPath::resolve(&VirtualPath::root(), &raw)?;
    while let Some(mut field) = multipart.next_field().await? {
        let Some(name) = field.file_name().map(str::to_owned) else {
            continue;
        };
        // Browsers may send a path; keep only its last part.
        let name = name
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or_default()
            .to_owned();
        let target = folder.join(file_name(&name)?)?;
        let part = folder.join(&format!(
            ".upload-{}.part",
            gatehouse_core::auth::web::random_text()
        ))?;
        let (jail_root, part_path) = (root.clone(), part.clone());
        let file = blocking(move || {
            let (jail, _) = place(&jail_root, "/")?;
            let how = OpenMode {
                write: true,
                create: true,
                exclusive: true,
                ..OpenMode::default()
            };
            Ok(jail.open_file(&part_path, how, None)?)
        })
        .await?;
        let mut file = tokio::fs::File::from_std(file);
        let written = async {
            while let Some(chunk) = field.chunk().await? {
                file.write_all(&chunk).await?;
            }
            file.flush().await?;
            Ok::<(), WebError>(())
        }
        .await;
        let (jail_root, part_path) = (root.clone(), part.clone());
        blocking(move || {
            let (jail, _) = place(&jail_root, "/")?;
            match written {
                Ok(()) => Ok(jail.rename(&part_path, &target, true)?),
                Err(err) => {
                    jail.remove_file(&part_path).ok();
                    Err(err)
                }
            }
        })
        .await?;
    }
    tracing::info!(user = %principal.who.username, folder = %folder, "web upload");
    Ok(back_to(&folder))
}

async fn mkdir(
    SignedIn(principal): SignedIn,
    Form(form): Form<NameForm>,
) -> Result<Response, WebError> {
    let root = principal.root.clone();
    let folder = blocking(move || {
        let (jail, folder) = place(&root, &form.path)?;
        jail.create_dir(&folder.join(file_name(&form.name)?)?, None)?;
        Ok(folder)
    })
    .await?;
    Ok(back_to(&folder))
}

async fn rename(
    SignedIn(principal): SignedIn,
    Form(form): Form<RenameForm>,
) -> Result<Response, WebError> {
    let root = principal.root.clone();
    let folder = blocking(move || {
        let (jail, folder) = place(&root, &form.path)?;
        let from = folder.join(file_name(&form.from)?)?;
        let to = folder.join(file_name(&form.to)?)?;
        jail.rename(&from, &to, false)?;
        Ok(folder)
    })
    .await?;
    Ok(back_to(&folder))
}

async fn delete(
    SignedIn(principal): SignedIn,
    Form(form): Form<NameForm>,
) -> Result<Response, WebError> {
    let root = principal.root.clone();
    let folder = blocking(move || {
        let (jail, folder) = place(&root, &form.path)?;
        let target = folder.join(file_name(&form.name)?)?;
        if jail.symlink_metadata(&target)?.is_dir() {
            jail.remove_dir(&target)?;
        } else {
            jail.remove_file(&target)?;
        }
        Ok(folder)
    })
    .await?;
    Ok(back_to(&folder))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_disposition_cannot_be_broken_by_the_name() {
        let header = content_disposition("a\"b;\r\nc é.txt");
        assert!(
            header.starts_with("attachment; filename=\"a_b___c _.txt\"; "),
            "{header}"
        );
        assert!(
            header.ends_with("filename*=UTF-8''a%22b%3B%0D%0Ac%20%C3%A9%2Etxt"),
            "{header}"
        );
    }

    #[test]
    fn names_with_slashes_or_dots_only_are_refused() {
        for bad in ["", ".", "..", "a/b", " "] {
            assert!(file_name(bad).is_err(), "{bad:?}");
        }
        assert_eq!(file_name("report.csv").unwrap(), "report.csv");
    }
}
