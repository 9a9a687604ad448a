//! sea-orm entities: the shape of each table and nothing else. Queries and rules live in
//! `crate::store`, one module per noun.

pub mod audit_event;
pub mod login_throttle;
pub mod recovery_code;
pub mod second_factor;
pub mod ssh_key;
pub mod tenant;
pub mod tenant_settings;
pub mod user;
pub mod web_session;
