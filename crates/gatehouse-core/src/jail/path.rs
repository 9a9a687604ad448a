//! Client paths as the jail sees them: absolute, `/`-rooted, normalized, with `..` clamped at
//! the root. This is pure string work; the filesystem checks happen in [`super::Jail`].

use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::CoreError;

/// A normalized path inside a user's virtual root, such as `/` or `/reports/2026.csv`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct VirtualPath(String);

impl VirtualPath {
    pub fn root() -> Self {
        Self("/".to_owned())
    }

    /// Resolves what a client sent against `cwd` (SFTP has no cwd and passes the root).
    /// `.` and empty components vanish and `..` never climbs above `/`, the way OpenSSH's
    /// realpath treats a chroot. A NUL byte is refused: no file name can hold one.
    pub fn resolve(cwd: &VirtualPath, client: &str) -> Result<Self, CoreError> {
        if client.contains('\0') {
            return Err(CoreError::invalid("path contains a NUL byte"));
        }
        let mut parts: Vec<&str> = if client.starts_with('/') {
            Vec::new()
        } else {
            cwd.components().collect()
        };
        for part in client.split('/') {
            match part {
                "" | "." => {}
                ".." => {
                    parts.pop();
                }
                name => parts.push(name),
            }
        }
        Ok(Self(format!("/{}", parts.join("/"))))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_root(&self) -> bool {
        self.0 == "/"
    }

    pub fn components(&self) -> impl Iterator<Item = &str> {
        self.0.split('/').filter(|part| !part.is_empty())
    }

    /// The path relative to the jail's root directory, `.` for the root itself.
    pub fn relative(&self) -> PathBuf {
        if self.is_root() {
            PathBuf::from(".")
        } else {
            PathBuf::from(&self.0[1..])
        }
    }

    /// The last component, or `None` for the root.
    pub fn file_name(&self) -> Option<&str> {
        self.components().last()
    }

    pub fn parent(&self) -> VirtualPath {
        match self.0.rfind('/') {
            Some(0) | None => Self::root(),
            Some(at) => Self(self.0[..at].to_owned()),
        }
    }

    pub fn join(&self, name: &str) -> Result<Self, CoreError> {
        Self::resolve(self, name)
    }

    /// Whether following `target` (as a symlink stored in this path's parent directory)
    /// stays inside the root, judged lexically without clamping `..`.
    pub fn link_target_stays_inside(&self, target: &str) -> bool {
        if target.starts_with('/') {
            return true; // Virtual absolute targets are rewritten relative to the root.
        }
        let mut depth = self.parent().components().count();
        for part in Path::new(target).components() {
            use std::path::Component;
            match part {
                Component::ParentDir if depth == 0 => return false,
                Component::ParentDir => depth -= 1,
                Component::Normal(_) => depth += 1,
                Component::CurDir => {}
                Component::RootDir | Component::Prefix(_) => return false,
            }
        }
        true
    }

    /// A relative path from this path's parent directory to `target`, for storing a symlink
    /// whose target the client gave as a virtual absolute path.
    pub fn relative_link_to(&self, target: &VirtualPath) -> String {
        let parent = self.parent();
        let from: Vec<&str> = parent.components().collect();
        let to: Vec<&str> = target.components().collect();
        let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
        let mut parts: Vec<&str> = vec![".."; from.len() - common];
        parts.extend(&to[common..]);
        if parts.is_empty() {
            ".".to_owned()
        } else {
            parts.join("/")
        }
    }
}

impl fmt::Display for VirtualPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(path: &str) -> String {
        VirtualPath::resolve(&VirtualPath::root(), path).unwrap().0
    }

    #[test]
    fn dot_and_empty_resolve_to_the_root() {
        assert_eq!(resolve("."), "/");
        assert_eq!(resolve(""), "/");
        assert_eq!(resolve("/"), "/");
    }

    #[test]
    fn parent_components_are_clamped_at_the_root() {
        assert_eq!(resolve(".."), "/");
        assert_eq!(resolve("/../acme2/secret.txt"), "/acme2/secret.txt");
        assert_eq!(resolve("a/../../../b"), "/b");
        assert_eq!(resolve("a//b/./c/"), "/a/b/c");
    }

    #[test]
    fn relative_paths_resolve_against_the_cwd() {
        let cwd = VirtualPath::resolve(&VirtualPath::root(), "/x/y").unwrap();
        assert_eq!(VirtualPath::resolve(&cwd, "../z").unwrap().as_str(), "/x/z");
    }

    #[test]
    fn nul_bytes_are_refused() {
        assert!(VirtualPath::resolve(&VirtualPath::root(), "a\0b").is_err());
    }

    #[test]
    fn link_targets_climbing_out_are_detected() {
        let link = VirtualPath::resolve(&VirtualPath::root(), "/a/lnk").unwrap();
        assert!(link.link_target_stays_inside("../b"));
        assert!(link.link_target_stays_inside("x/../../b"));
        assert!(!link.link_target_stays_inside("../../acme2"));
    }

    #[test]
    fn absolute_link_targets_become_relative() {
        let link = VirtualPath::resolve(&VirtualPath::root(), "/a/b/lnk").unwrap();
        let target = VirtualPath::resolve(&VirtualPath::root(), "/a/c/f").unwrap();
        assert_eq!(link.relative_link_to(&target), "../c/f");
        assert_eq!(link.relative_link_to(&VirtualPath::root()), "../..");
    }
}
