//! Tenant administration: who may do what to whom, and the operations themselves.
//!
//! Every check lives here, against an [`Actor`] loaded fresh from the store for each action
//! (so a demotion takes effect at once), never only in a template. The rules follow the role
//! table: the owner does everything in the tenant; admins with the manage-users permission
//! manage users except the owner; other admins read the audit log; members manage only
//! themselves. A user of another tenant answers as if it did not exist. Refusals are audited
//! with what was attempted.
//!
//! The protected owner: no admin can disable the owner's second factor, change the owner's
//! password, e-mail, phone, role or root folder, or demote, disable or delete the owner. Only
//! the operator on the server (`gatehouse support ...`, [`support`]) can reset the owner.

pub mod ownership;
pub mod policy;
pub mod settings;
pub mod support;
pub mod users;

pub use policy::{Action, Actor, AdminError};
