//! The one jail every front end resolves client paths through.
//!
//! A client path is first normalized lexically ([`VirtualPath`]: absolute, `..` clamped at
//! `/`), then every filesystem call goes through a `cap_std` directory handle opened on the
//! user's root. `cap_std` resolves each component beneath that handle (openat2 with
//! `RESOLVE_BENEATH` where the kernel has it, a component-by-component walk otherwise), so a
//! symlink, whether the user made it or it was already on disk, can never lead outside the
//! root, and a sibling folder such as `acme2` next to `acme` is simply not reachable: there
//! is no string-prefix check to fool.
//!
//! Creating a file never follows a symlink in its last component, so a dangling link cannot
//! be used to create a file where it points. All calls are blocking; async callers run them
//! on the blocking pool.

mod path;

use std::fs::File;
use std::io;
use std::path::Path;
use std::time::SystemTime;

use cap_fs_ext::{DirExt, FollowSymlinks, OpenOptionsFollowExt, SystemTimeSpec};
use cap_std::ambient_authority;
use cap_std::fs::{Dir, MetadataExt, OpenOptions, OpenOptionsExt, Permissions, PermissionsExt};

pub use path::VirtualPath;

/// Mode for new files when the client sends none, and bits always added so that the owner
/// (the gateway itself, serving SFTP and the web alike) can read and write what was uploaded.
pub const DEFAULT_FILE_MODE: u32 = 0o644;
pub const DEFAULT_DIR_MODE: u32 = 0o755;
const OWNER_RW: u32 = 0o600;
const OWNER_RWX: u32 = 0o700;

/// How to open a file, mirroring SFTP's `pflags` and what the web app needs.
#[derive(Clone, Copy, Debug, Default)]
pub struct OpenMode {
    pub read: bool,
    pub write: bool,
    pub append: bool,
    pub create: bool,
    pub truncate: bool,
    pub exclusive: bool,
}

/// What the front ends need to know about a file, as plain data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Metadata {
    pub size: u64,
    /// Type and permission bits, as in `st_mode`.
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub links: u64,
    pub accessed: SystemTime,
    pub modified: SystemTime,
}

impl Metadata {
    pub fn is_dir(&self) -> bool {
        self.mode & 0o170000 == 0o040000
    }

    pub fn is_file(&self) -> bool {
        self.mode & 0o170000 == 0o100000
    }

    pub fn is_symlink(&self) -> bool {
        self.mode & 0o170000 == 0o120000
    }
}

impl From<cap_std::fs::Metadata> for Metadata {
    fn from(meta: cap_std::fs::Metadata) -> Self {
        let time = |secs: i64, nanos: i64| {
            let since = std::time::Duration::new(
                secs.max(0).unsigned_abs(),
                nanos.clamp(0, 999_999_999) as u32,
            );
            SystemTime::UNIX_EPOCH + since
        };
        Self {
            size: meta.len(),
            mode: meta.mode(),
            uid: meta.uid(),
            gid: meta.gid(),
            links: meta.nlink(),
            accessed: time(meta.atime(), meta.atime_nsec()),
            modified: time(meta.mtime(), meta.mtime_nsec()),
        }
    }
}

impl From<std::fs::Metadata> for Metadata {
    fn from(meta: std::fs::Metadata) -> Self {
        Self::from(cap_std::fs::Metadata::from_just_metadata(meta))
    }
}

/// One directory entry with its (not followed) metadata.
#[derive(Debug)]
pub struct Entry {
    pub name: String,
    pub metadata: Metadata,
}

/// Free and total space of the filesystem holding the root, for `statvfs@openssh.com`.
#[derive(Clone, Copy, Debug)]
pub struct SpaceInfo {
    pub block_size: u64,
    pub fragment_size: u64,
    pub blocks: u64,
    pub blocks_free: u64,
    pub blocks_avail: u64,
    pub files: u64,
    pub files_free: u64,
    pub files_avail: u64,
    pub fs_id: u64,
    pub flags: u64,
    pub name_max: u64,
}

#[derive(Debug)]
pub struct Jail {
    root: Dir,
}

impl Jail {
    /// Opens the user's root, creating it on first use.
    pub fn open(root: &Path) -> io::Result<Self> {
        std::fs::create_dir_all(root)?;
        let root = Dir::open_ambient_dir(root, ambient_authority())?;
        Ok(Self { root })
    }

    pub fn open_file(
        &self,
        path: &VirtualPath,
        how: OpenMode,
        mode: Option<u32>,
    ) -> io::Result<File> {
        if path.is_root() {
            return Err(io::Error::new(
                io::ErrorKind::IsADirectory,
                "is a directory",
            ));
        }
        let mut options = OpenOptions::new();
        options
            .read(how.read)
            .write(how.write || how.append)
            .append(how.append)
            .truncate(how.truncate)
            .create(how.create && !how.exclusive)
            .create_new(how.exclusive);
        if how.create || how.exclusive {
            options.follow(FollowSymlinks::No);
            options.mode(mode.unwrap_or(DEFAULT_FILE_MODE) & 0o777 | OWNER_RW);
        }
        let file = self.root.open_with(path.relative(), &options)?;
        if file.metadata()?.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::IsADirectory,
                "is a directory",
            ));
        }
        Ok(file.into_std())
    }

    pub fn metadata(&self, path: &VirtualPath) -> io::Result<Metadata> {
        self.root.metadata(path.relative()).map(Metadata::from)
    }

    pub fn symlink_metadata(&self, path: &VirtualPath) -> io::Result<Metadata> {
        if path.is_root() {
            return self.root.dir_metadata().map(Metadata::from);
        }
        self.root
            .symlink_metadata(path.relative())
            .map(Metadata::from)
    }

    /// Every entry of a directory, sorted by name; names that are not UTF-8 are skipped
    /// because SFTP v3 clients expect UTF-8 and cannot address them anyway, and so are
    /// entries removed while the listing is read.
    pub fn read_dir(&self, path: &VirtualPath) -> io::Result<Vec<Entry>> {
        let mut entries = Vec::new();
        for entry in self.root.read_dir(path.relative())? {
            let entry = entry?;
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            let metadata = match entry.metadata() {
                Ok(metadata) => metadata,
                // Removed by someone else while we listed: it is simply not there.
                Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
                Err(error) => return Err(error),
            };
            entries.push(Entry {
                name,
                metadata: metadata.into(),
            });
        }
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(entries)
    }

    pub fn create_dir(&self, path: &VirtualPath, mode: Option<u32>) -> io::Result<()> {
        if path.is_root() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "already exists",
            ));
        }
        self.root.create_dir(path.relative())?;
        // Clients send 0777 and expect the server's umask to apply (OpenSSH's does); others
        // never get write access to a folder through a requested mode.
        let mode = mode.unwrap_or(DEFAULT_DIR_MODE) & 0o755 | OWNER_RWX;
        self.root
            .set_permissions(path.relative(), Permissions::from_mode(mode))
    }

    pub fn remove_dir(&self, path: &VirtualPath) -> io::Result<()> {
        if path.is_root() {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                "cannot remove the root",
            ));
        }
        self.root.remove_dir(path.relative())
    }

    pub fn remove_file(&self, path: &VirtualPath) -> io::Result<()> {
        self.root.remove_file(path.relative())
    }

    /// Renames `from` to `to`. Without `overwrite` an existing target makes it fail and both
    /// stay as they were (SFTP v3 RENAME); with it the target is replaced atomically
    /// (`posix-rename@openssh.com`). Renaming a path onto itself changes nothing.
    pub fn rename(&self, from: &VirtualPath, to: &VirtualPath, overwrite: bool) -> io::Result<()> {
        if from.is_root() || to.is_root() {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                "cannot rename the root",
            ));
        }
        if from == to {
            return self.symlink_metadata(from).map(drop);
        }
        let (Some(from_name), Some(to_name)) = (from.file_name(), to.file_name()) else {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "bad rename"));
        };
        // Open both parents beneath the root, then rename by name within them: the final
        // components are single names, so nothing is resolved outside the handles.
        let from_dir = self.root.open_dir(from.parent().relative())?;
        let to_dir = self.root.open_dir(to.parent().relative())?;
        let flags = if overwrite {
            rustix::fs::RenameFlags::empty()
        } else {
            rustix::fs::RenameFlags::NOREPLACE
        };
        rustix::fs::renameat_with(&from_dir, from_name, &to_dir, to_name, flags)
            .map_err(io::Error::from)
    }

    /// The link's target as stored (always relative, see [`Jail::symlink`]).
    pub fn read_link(&self, path: &VirtualPath) -> io::Result<String> {
        let target = self.root.read_link_contents(path.relative())?;
        target
            .into_os_string()
            .into_string()
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "link target is not UTF-8"))
    }

    /// Creates `link` pointing at `target`. A target given as a virtual absolute path is
    /// stored relative to the link, so it works inside the jail; a relative target that
    /// climbs above the root is refused.
    pub fn symlink(&self, link: &VirtualPath, target: &str) -> io::Result<()> {
        let stored = if target.starts_with('/') {
            let absolute = VirtualPath::resolve(&VirtualPath::root(), target)
                .map_err(|err| io::Error::new(io::ErrorKind::InvalidInput, err.to_string()))?;
            link.relative_link_to(&absolute)
        } else if link.link_target_stays_inside(target) && !target.contains('\0') {
            target.to_owned()
        } else {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                "link target outside root",
            ));
        };
        self.root.symlink(stored, link.relative())
    }

    /// Sets access and modification times, following a symlink like OpenSSH's SETSTAT.
    pub fn set_times(
        &self,
        path: &VirtualPath,
        atime: SystemTime,
        mtime: SystemTime,
    ) -> io::Result<()> {
        let spec = |time| {
            Some(SystemTimeSpec::Absolute(
                cap_std::time::SystemTime::from_std(time),
            ))
        };
        self.root
            .set_times(path.relative(), spec(atime), spec(mtime))
    }

    /// Applies permission bits, keeping the owner's read and write (see the module notes).
    pub fn set_mode(&self, path: &VirtualPath, mode: u32) -> io::Result<()> {
        let metadata = self.metadata(path)?;
        let keep = if metadata.is_dir() {
            OWNER_RWX
        } else {
            OWNER_RW
        };
        self.root
            .set_permissions(path.relative(), Permissions::from_mode(mode & 0o777 | keep))
    }

    pub fn set_len(&self, path: &VirtualPath, len: u64) -> io::Result<()> {
        let how = OpenMode {
            write: true,
            ..OpenMode::default()
        };
        self.open_file(path, how, None)?.set_len(len)
    }

    pub fn space(&self, path: &VirtualPath) -> io::Result<SpaceInfo> {
        let dir = if path.is_root() {
            self.root.try_clone()?
        } else {
            self.root.open_dir(path.relative())?
        };
        let stat = rustix::fs::fstatvfs(&dir)?;
        Ok(SpaceInfo {
            block_size: stat.f_bsize,
            fragment_size: stat.f_frsize,
            blocks: stat.f_blocks,
            blocks_free: stat.f_bfree,
            blocks_avail: stat.f_bavail,
            files: stat.f_files,
            files_free: stat.f_ffree,
            files_avail: stat.f_favail,
            fs_id: stat.f_fsid,
            flags: stat.f_flag.bits(),
            name_max: stat.f_namemax,
        })
    }
}

#[cfg(test)]
mod tests;
