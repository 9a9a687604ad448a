//! Gatehouse's web app. For now it answers `/healthz` only; the login, 2FA, profile, file
//! browser and administration pages arrive with the web issue and build on this server.

use std::io;
use std::net::SocketAddr;

use axum::Router;
use axum::routing::get;
use gatehouse_core::config::WebConfig;
use tokio::net::TcpListener;

pub struct WebServer {
    listener: TcpListener,
    router: Router,
}

impl WebServer {
    pub async fn bind(config: &WebConfig) -> io::Result<Self> {
        let listener = TcpListener::bind(config.listen).await?;
        Ok(Self {
            listener,
            router: router(),
        })
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub async fn run(self) -> io::Result<()> {
        axum::serve(self.listener, self.router).await
    }
}

fn router() -> Router {
    Router::new().route("/healthz", get(|| async { "ok\n" }))
}
