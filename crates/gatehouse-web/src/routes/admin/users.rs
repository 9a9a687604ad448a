//! `/admin/users`: the tenant's users, and what an admin may do to each.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::{DateTime, Utc};
use gatehouse_core::admin::users::UserChanges;
use gatehouse_core::ids::{Role, Username};
use gatehouse_core::password::Password;
use gatehouse_core::store::users::NewUser;
use serde::{Deserialize, Serialize};

use super::{actor, context};
use crate::AppState;
use crate::error::WebError;
use crate::gate::SignedIn;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(list).post(create))
        .route("/admin/users/{username}", get(show).post(edit))
        .route(
            "/admin/users/{username}/2fa/disable",
            post(disable_second_factor),
        )
        .route("/admin/users/{username}/password", post(reset_password))
        .route("/admin/users/{username}/disabled", post(set_disabled))
        .route("/admin/users/{username}/delete", post(delete))
}

#[derive(Serialize)]
struct UserRow {
    username: String,
    email: String,
    role: String,
    manage_users: bool,
    root_folder: String,
    second_factor: String,
    second_factor_since: String,
    last_web: String,
    last_sftp: String,
    sftp: bool,
    web: bool,
    ftp: bool,
    disabled: bool,
    is_owner: bool,
}

#[derive(Serialize)]
struct UsersPage<'a> {
    csrf_token: &'a str,
    signed_in: bool,
    is_admin: bool,
    users: Vec<UserRow>,
    user: Option<UserRow>,
    message: Option<&'a str>,
}

fn when(at: Option<DateTime<Utc>>) -> String {
    at.map_or_else(
        || "never".to_owned(),
        |at| at.format("%Y-%m-%d %H:%M UTC").to_string(),
    )
}

async fn row(
    state: &AppState,
    user: gatehouse_core::entity::user::Model,
) -> Result<UserRow, WebError> {
    let factors = state
        .door
        .authenticator()
        .store()
        .confirmed_factors(user.user_id())
        .await?;
    let methods: Vec<&str> = factors.iter().map(|f| f.method.as_str()).collect();
    let since = factors.iter().map(|f| f.created_at).min();
    Ok(UserRow {
        second_factor: if methods.is_empty() {
            "none".to_owned()
        } else {
            methods.join(", ")
        },
        second_factor_since: when(since),
        last_web: when(user.last_web_login_at),
        last_sftp: when(user.last_sftp_login_at),
        is_owner: user.role() == Role::Owner,
        email: user.email.unwrap_or_default(),
        role: user.role,
        manage_users: user.manage_users,
        root_folder: format!("/{}", user.root_folder),
        sftp: user.sftp_enabled,
        web: user.web_enabled,
        ftp: user.ftp_enabled,
        disabled: user.disabled,
        username: user.username,
    })
}

async fn render(
    state: &AppState,
    csrf_token: &str,
    users: Vec<gatehouse_core::entity::user::Model>,
    single: bool,
    message: Option<&str>,
) -> Result<Response, WebError> {
    let mut rows = Vec::with_capacity(users.len());
    for user in users {
        rows.push(row(state, user).await?);
    }
    let (template, user) = if single {
        ("pages/admin_user.html", rows.pop())
    } else {
        ("pages/admin_users.html", None)
    };
    let page = UsersPage {
        csrf_token,
        signed_in: true,
        is_admin: true,
        users: rows,
        user,
        message,
    };
    Ok(state.templates.page(template, page)?.into_response())
}

async fn list(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    SignedIn(principal): SignedIn,
) -> Result<Response, WebError> {
    let actor = actor(&state, &principal).await?;
    let users = actor
        .list_users(state.door.authenticator().store(), context(peer))
        .await?;
    render(&state, &principal.who.csrf_token, users, false, None).await
}

async fn show(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    SignedIn(principal): SignedIn,
    Path(username): Path<String>,
) -> Result<Response, WebError> {
    let actor = actor(&state, &principal).await?;
    let store = state.door.authenticator().store();
    actor.list_users(store, context(peer)).await?;
    let user = actor.find_target(store, &username).await?;
    render(&state, &principal.who.csrf_token, vec![user], true, None).await
}

#[derive(Deserialize)]
struct CreateForm {
    username: String,
    email: Option<String>,
    role: String,
    manage_users: Option<String>,
    password: String,
}

async fn create(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    SignedIn(principal): SignedIn,
    Form(form): Form<CreateForm>,
) -> Result<Response, WebError> {
    let actor = actor(&state, &principal).await?;
    let auth = state.door.authenticator();
    let role = match form.role.as_str() {
        "admin" => Role::Admin,
        "member" => Role::Member,
        _ => return Err(WebError::BadRequest("role must be admin or member")),
    };
    let email = form.email.filter(|e| !e.trim().is_empty());
    let new = NewUser {
        username: Username::parse(&form.username)?,
        email: email
            .as_deref()
            .map(gatehouse_core::store::users::parse_email)
            .transpose()?,
        role,
        manage_users: form.manage_users.is_some() && role == Role::Admin,
        password_hash: String::new(),
    };
    actor
        .create_user(
            auth.store(),
            auth.hasher(),
            new,
            &Password::new(form.password),
            context(peer),
        )
        .await?;
    Ok(Redirect::to("/admin/users").into_response())
}

#[derive(Deserialize)]
struct EditForm {
    role: String,
    manage_users: Option<String>,
    root_folder: String,
    email: String,
    sftp: Option<String>,
    web: Option<String>,
    ftp: Option<String>,
}

/// Edits a user. The owner's row is shown read-only; a forged form for it is refused in core.
async fn edit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    SignedIn(principal): SignedIn,
    Path(username): Path<String>,
    Form(form): Form<EditForm>,
) -> Result<Response, WebError> {
    let actor = actor(&state, &principal).await?;
    let role = Role::parse(&form.role)?;
    let email = form.email.trim();
    let changes = UserChanges {
        role: Some(role),
        manage_users: Some(form.manage_users.is_some()),
        root_folder: Some(form.root_folder),
        email: Some((!email.is_empty()).then(|| email.to_owned())),
        sftp_enabled: Some(form.sftp.is_some()),
        web_enabled: Some(form.web.is_some()),
        ftp_enabled: Some(form.ftp.is_some()),
    };
    actor
        .edit_user(
            state.door.authenticator().store(),
            &username,
            changes,
            context(peer),
        )
        .await?;
    Ok(Redirect::to(&format!("/admin/users/{username}")).into_response())
}

async fn disable_second_factor(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    SignedIn(principal): SignedIn,
    Path(username): Path<String>,
) -> Result<Response, WebError> {
    let actor = actor(&state, &principal).await?;
    actor
        .disable_second_factor(state.door.authenticator().store(), &username, context(peer))
        .await?;
    Ok(Redirect::to("/admin/users").into_response())
}

#[derive(Deserialize)]
struct PasswordForm {
    password: String,
    must_change: Option<String>,
}

async fn reset_password(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    SignedIn(principal): SignedIn,
    Path(username): Path<String>,
    Form(form): Form<PasswordForm>,
) -> Result<Response, WebError> {
    let actor = actor(&state, &principal).await?;
    let auth = state.door.authenticator();
    let password = Password::new(form.password);
    let must_change = form.must_change.is_some();
    actor
        .reset_password(
            auth.store(),
            auth.hasher(),
            &username,
            &password,
            must_change,
            context(peer),
        )
        .await?;
    Ok(Redirect::to("/admin/users").into_response())
}

#[derive(Deserialize)]
struct DisabledForm {
    disabled: String,
}

async fn set_disabled(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    SignedIn(principal): SignedIn,
    Path(username): Path<String>,
    Form(form): Form<DisabledForm>,
) -> Result<Response, WebError> {
    let actor = actor(&state, &principal).await?;
    let disabled = form.disabled == "true";
    actor
        .set_disabled(
            state.door.authenticator().store(),
            &username,
            disabled,
            context(peer),
        )
        .await?;
    Ok(Redirect::to("/admin/users").into_response())
}

async fn delete(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    SignedIn(principal): SignedIn,
    Path(username): Path<String>,
) -> Result<Response, WebError> {
    let actor = actor(&state, &principal).await?;
    actor
        .delete_user(state.door.authenticator().store(), &username, context(peer))
        .await?;
    Ok(Redirect::to("/admin/users").into_response())
}
