//! The `gatehouse` binary's library half: the operator CLI and the wiring that starts every
//! front end. Tests drive [`app::App`] in-process and the CLI through the built binary.

pub mod app;
pub mod cli;
pub mod commands;
pub mod retention;
