//! Validated names and ids. Each has a `parse` constructor, so a value of the type is proof
//! that the check ran.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::CoreError;

/// A login name. Unique across all tenants, because an SFTP login carries only a username.
///
/// Lower-case ASCII letters, digits, `.`, `_` and `-`, starting with a letter or digit,
/// 1 to 64 characters. Upper-case input is folded so `Alice` and `alice` are one account.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, CoreError> {
        let name = raw.trim().to_ascii_lowercase();
        if !is_valid_name(&name, 64) {
            return Err(CoreError::invalid(format!(
                "invalid username {raw:?}: use 1-64 letters, digits, '.', '_' or '-', \
                 starting with a letter or digit"
            )));
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A tenant's short name; it is also the tenant's folder name under the storage root.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TenantName(String);

impl TenantName {
    pub fn parse(raw: &str) -> Result<Self, CoreError> {
        let name = raw.trim().to_ascii_lowercase();
        if !is_valid_name(&name, 63) || name.contains('.') {
            return Err(CoreError::invalid(format!(
                "invalid tenant name {raw:?}: use 1-63 letters, digits, '_' or '-', \
                 starting with a letter or digit"
            )));
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn is_valid_name(name: &str, max_len: usize) -> bool {
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c);
    name.len() <= max_len
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && name.chars().all(allowed)
}

macro_rules! id_type {
    ($name:ident) => {
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
        )]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(TenantId);
id_type!(UserId);

/// A user's place in the tenant. Exactly one owner per tenant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Owner,
    Admin,
    Member,
}

impl Role {
    pub fn parse(raw: &str) -> Result<Self, CoreError> {
        match raw {
            "owner" => Ok(Self::Owner),
            "admin" => Ok(Self::Admin),
            "member" => Ok(Self::Member),
            other => Err(CoreError::invalid(format!(
                "invalid role {other:?}: expected owner, admin or member"
            ))),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Admin => "admin",
            Self::Member => "member",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_folded_to_lower_case() {
        assert_eq!(Username::parse(" Alice ").unwrap().as_str(), "alice");
    }

    #[test]
    fn usernames_with_path_or_shell_characters_are_refused() {
        for bad in [
            "",
            "../x",
            "a/b",
            "a b",
            "-x",
            ".hidden",
            "é",
            &"a".repeat(65),
        ] {
            assert!(Username::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn tenant_names_cannot_contain_dots() {
        assert!(TenantName::parse("acme.corp").is_err());
        assert_eq!(TenantName::parse("ACME-2").unwrap().as_str(), "acme-2");
    }
}
