//! End-to-end tests: the real servers, started in-process on port 0 with a fresh database
//! and data folder each, driven by real clients. One test binary, one module per area.

#![allow(clippy::unwrap_used)]

mod cli;
mod ftp;
mod sftp_auth;
mod sftp_compat;
mod sftp_hostile;
mod sftp_jail;
mod sftp_pipelining;
mod sftp_transfer;
mod support;
mod web_admin;
mod web_admin_browser;
mod web_browser;
mod web_enforced;
mod web_files;
mod web_login;
mod web_profile;
mod web_recovery;
mod web_sftp_bypass;
mod web_sms;
mod web_support;
mod web_totp;
