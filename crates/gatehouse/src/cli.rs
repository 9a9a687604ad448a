//! The operator CLI's shape. Scripts and tests rely on exactly these forms.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "gatehouse",
    version,
    about = "Multi-tenant SFTP and web file gateway"
)]
pub struct Cli {
    /// Configuration file (TOML); every setting can also come from GATEHOUSE_* variables.
    #[arg(long, global = true, env = "GATEHOUSE_CONFIG")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run every enabled front end (SFTP, web, FTP) until interrupted.
    Serve,
    /// Bring the database schema up to date, then exit.
    Migrate,
    /// Create and list tenants, and switch their settings.
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Create, list and change users and their SSH keys.
    #[command(subcommand)]
    User(UserCommand),
    /// Operator recovery on the server ("contact support"); works on owners too, audited.
    #[command(subcommand)]
    Support(SupportCommand),
}

#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Create a tenant together with its owner.
    Create {
        tenant: String,
        #[arg(long)]
        owner: String,
        #[arg(long)]
        email: Option<String>,
        #[command(flatten)]
        password: PasswordSource,
    },
    /// List tenants.
    List,
    /// Change a tenant's security settings (audited as an operator action).
    Set {
        tenant: String,
        /// Require every web user to enrol a second factor at their next login.
        #[arg(long, value_name = "true|false")]
        enforce_mfa: Option<bool>,
        /// Give users created from now on FTP access (existing users keep theirs).
        #[arg(long, value_name = "true|false")]
        ftp_default: Option<bool>,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add an admin or member to a tenant.
    Add {
        username: String,
        #[arg(long)]
        tenant: String,
        #[arg(long, default_value = "member", value_parser = ["member", "admin"])]
        role: String,
        /// Let an admin manage the tenant's users.
        #[arg(long)]
        manage_users: bool,
        #[arg(long)]
        email: Option<String>,
        #[command(flatten)]
        password: PasswordSource,
    },
    /// List users, of one tenant or of all.
    List {
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Set a user's password.
    Passwd {
        username: String,
        #[command(flatten)]
        password: PasswordSource,
    },
    /// Change a user's access switches (audited as an operator action).
    Set {
        username: String,
        /// Allow or refuse FTP and FTPS logins for this user.
        #[arg(long, value_name = "true|false")]
        ftp: Option<bool>,
    },
    /// Manage a user's SSH public keys.
    #[command(subcommand)]
    Key(KeyCommand),
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Add a public key from a file, or from standard input with `-`.
    Add { username: String, file: String },
    /// List a user's keys with their fingerprints.
    List { username: String },
    /// Remove a key by its SHA256 fingerprint.
    Remove {
        username: String,
        fingerprint: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum SupportCommand {
    /// Remove every second factor and recovery code of a user (the owner included) and end
    /// their web sessions; they log in with the password and enrol again.
    ResetMfa { username: String },
    /// Lift a login lockout: forget the user's failed logins from every address.
    Unlock { username: String },
    /// Set a new password for a user (the owner included) and end their web sessions.
    ResetPassword {
        username: String,
        #[command(flatten)]
        password: PasswordSource,
    },
}

#[derive(Debug, Args)]
pub struct PasswordSource {
    /// Read the password from the first line of standard input instead of generating one.
    #[arg(long)]
    pub password_stdin: bool,
}
