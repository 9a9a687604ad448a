//! Gatehouse's web app: login with a second factor, enrolment, the profile and a file
//! browser over the same jail as SFTP.
//!
//! Every request passes one gate ([`gate`]) that resolves the session and decides what it
//! may reach; handlers extract, call core's [`WebDoor`], and render. Errors become responses
//! in one place ([`error`]). Templates and CSS are compiled into the binary, so the server
//! runs from any working directory.

mod error;
mod gate;
mod render;
mod routes;
mod session;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use gatehouse_core::auth::web::WebDoor;
use gatehouse_core::config::WebConfig;
use tokio::net::TcpListener;

pub use error::WebError;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub door: WebDoor,
    pub templates: Arc<render::Templates>,
    /// Cookies get `Secure` when the public URL is https.
    pub secure_cookies: bool,
}

pub struct WebServer {
    listener: TcpListener,
    router: Router,
}

impl WebServer {
    pub async fn bind(config: &WebConfig, door: WebDoor) -> io::Result<Self> {
        let state = AppState {
            door,
            templates: Arc::new(render::Templates::new().map_err(io::Error::other)?),
            secure_cookies: config.public_url.starts_with("https://"),
        };
        let listener = TcpListener::bind(config.listen).await?;
        Ok(Self {
            listener,
            router: routes::router(state),
        })
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub async fn run(self) -> io::Result<()> {
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(self.listener, service).await
    }
}
