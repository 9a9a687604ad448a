//! What gets audited and how an event is described. Events are written by
//! [`crate::store::audit`] and mirrored to the log: failures at `warn`, the rest at `info`.
//!
//! Security failures are quiet to the client and loud here: the detail says why a login was
//! refused even though the client only ever hears "denied".

use std::fmt;
use std::net::IpAddr;

use crate::ids::TenantId;

/// Which door an event came through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    Sftp,
    Web,
    Ftp,
    /// The operator, on the server, through the `gatehouse` command.
    Cli,
}

impl Protocol {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sftp => "sftp",
            Self::Web => "web",
            Self::Ftp => "ftp",
            Self::Cli => "cli",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failure,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
        }
    }
}

/// The kinds of event, as stored in the `kind` column. Append only: stored rows keep the name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuditKind {
    Login,
    LockedOut,
    TenantCreated,
    TenantSettingsChanged,
    UserCreated,
    PasswordChanged,
    SshKeyAdded,
    SshKeyRemoved,
    SecondFactorEnrolled,
    SecondFactorDisabled,
    SecondFactorFailed,
    RecoveryCodeUsed,
    RecoveryCodesRegenerated,
    Logout,
    /// A user's access through one door (FTP) switched on or off.
    AccessChanged,
    /// An administration action refused by the role rules; the detail says what was tried.
    AdminRefused,
    UserChanged,
    UserDeleted,
    OwnershipTransferred,
    /// The operator lifted a login lockout.
    Unlocked,
}

impl AuditKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::LockedOut => "locked_out",
            Self::TenantCreated => "tenant_created",
            Self::TenantSettingsChanged => "tenant_settings_changed",
            Self::UserCreated => "user_created",
            Self::PasswordChanged => "password_changed",
            Self::SshKeyAdded => "ssh_key_added",
            Self::SshKeyRemoved => "ssh_key_removed",
            Self::SecondFactorEnrolled => "second_factor_enrolled",
            Self::SecondFactorDisabled => "second_factor_disabled",
            Self::SecondFactorFailed => "second_factor_failed",
            Self::RecoveryCodeUsed => "recovery_code_used",
            Self::RecoveryCodesRegenerated => "recovery_codes_regenerated",
            Self::Logout => "logout",
            Self::AccessChanged => "access_changed",
            Self::AdminRefused => "admin_refused",
            Self::UserChanged => "user_changed",
            Self::UserDeleted => "user_deleted",
            Self::OwnershipTransferred => "ownership_transferred",
            Self::Unlocked => "unlocked",
        }
    }
}

impl fmt::Display for AuditKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One audit record before it is written. `actor` is who acted (a username, or `operator` for
/// the CLI); `subject` is whom it was done to, when that differs.
#[derive(Clone, Debug)]
pub struct AuditEvent {
    pub tenant_id: Option<TenantId>,
    pub kind: AuditKind,
    pub outcome: Outcome,
    pub protocol: Protocol,
    pub actor: String,
    pub subject: Option<String>,
    pub peer: Option<IpAddr>,
    pub detail: String,
}

impl AuditEvent {
    pub fn new(kind: AuditKind, protocol: Protocol, actor: impl Into<String>) -> Self {
        Self {
            tenant_id: None,
            kind,
            outcome: Outcome::Success,
            protocol,
            actor: actor.into(),
            subject: None,
            peer: None,
            detail: String::new(),
        }
    }

    /// An action the operator took on the server with the `gatehouse` command.
    pub fn operator(kind: AuditKind) -> Self {
        Self::new(kind, Protocol::Cli, "operator")
    }

    pub fn failed(mut self) -> Self {
        self.outcome = Outcome::Failure;
        self
    }

    pub fn tenant(mut self, tenant_id: TenantId) -> Self {
        self.tenant_id = Some(tenant_id);
        self
    }

    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    pub fn peer(mut self, peer: IpAddr) -> Self {
        self.peer = Some(peer);
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = detail.into();
        self
    }
}
