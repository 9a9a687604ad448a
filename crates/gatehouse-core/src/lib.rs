//! Gatehouse's domain: the user store, who may log in where, where a client path lands on disk,
//! and what gets audited. Every front end (SFTP, web, FTP) calls into this crate and none of
//! them re-implements a rule that lives here.
//!
//! This crate knows no network: no listeners, no HTTP, no SSH. Time is always a parameter
//! (`now`) so tests can pin it.

pub mod admin;
pub mod audit;
pub mod auth;
pub mod config;
pub mod entity;
pub mod error;
pub mod ids;
pub mod jail;
pub mod password;
pub mod store;

pub use config::Config;
pub use error::CoreError;
pub use store::Store;
