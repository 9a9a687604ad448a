//! libunftp's storage backend over the core jail.
//!
//! Every call resolves the client's path with `VirtualPath` (which clamps `..` at the root)
//! and then goes through the user's `Jail`, which refuses symlinks and names leading out.
//! Jail calls block, so each runs on the blocking pool. Transfers stream: a download hands
//! libunftp an open file to copy from, an upload copies the data connection into an open
//! file; neither ever holds a whole file in memory.

use std::fmt::Debug;
use std::io::{self, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use async_trait::async_trait;
use gatehouse_core::jail::{self, Jail, OpenMode, VirtualPath};
use tokio::io::{AsyncRead, AsyncWriteExt};
use unftp_core::storage::{
    ErrorKind, FEATURE_RESTART, Fileinfo, Metadata, Permissions, Result, StorageBackend,
};

use crate::door::FtpUser;
use crate::status;

/// The jail's metadata as libunftp wants it.
#[derive(Clone, Copy, Debug)]
pub struct FileMeta(jail::Metadata);

impl Metadata for FileMeta {
    fn len(&self) -> u64 {
        self.0.size
    }

    fn is_dir(&self) -> bool {
        self.0.is_dir()
    }

    fn is_file(&self) -> bool {
        self.0.is_file()
    }

    fn is_symlink(&self) -> bool {
        self.0.is_symlink()
    }

    fn modified(&self) -> Result<SystemTime> {
        Ok(self.0.modified)
    }

    fn gid(&self) -> u32 {
        self.0.gid
    }

    fn uid(&self) -> u32 {
        self.0.uid
    }

    fn links(&self) -> u64 {
        self.0.links
    }

    fn permissions(&self) -> Permissions {
        Permissions(self.0.mode & 0o777)
    }
}

/// Stateless: the jail travels with the session's user.
#[derive(Debug, Default)]
pub struct JailStorage;

/// Resolves a path libunftp built from the session's folder and the client's argument.
fn resolve(path: &Path) -> Result<VirtualPath> {
    let Some(text) = path.to_str() else {
        return Err(status::bad_name("path is not UTF-8".to_owned()));
    };
    VirtualPath::resolve(&VirtualPath::root(), text)
        .map_err(|err| status::bad_name(err.to_string()))
}

/// Runs one jail call on the blocking pool.
async fn on_jail<T, F>(user: &FtpUser, path: &Path, call: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce(&Jail, &VirtualPath) -> io::Result<T> + Send + 'static,
{
    let path = resolve(path)?;
    let jail = user.jail.clone();
    tokio::task::spawn_blocking(move || call(&jail, &path))
        .await
        .map_err(status::from_join)?
        .map_err(status::from_io)
}

#[async_trait]
impl StorageBackend<FtpUser> for JailStorage {
    type Metadata = FileMeta;

    fn supported_features(&self) -> u32 {
        FEATURE_RESTART
    }

    async fn metadata<P: AsRef<Path> + Send + Debug>(
        &self,
        user: &FtpUser,
        path: P,
    ) -> Result<FileMeta> {
        on_jail(user, path.as_ref(), |jail, path| {
            jail.metadata(path).map(FileMeta)
        })
        .await
    }

    async fn list<P: AsRef<Path> + Send + Debug>(
        &self,
        user: &FtpUser,
        path: P,
    ) -> Result<Vec<Fileinfo<PathBuf, FileMeta>>> {
        let entries = on_jail(user, path.as_ref(), |jail, path| jail.read_dir(path)).await?;
        Ok(entries
            .into_iter()
            .map(|entry| Fileinfo {
                path: PathBuf::from(entry.name),
                metadata: FileMeta(entry.metadata),
            })
            .collect())
    }

    async fn get<P: AsRef<Path> + Send + Debug>(
        &self,
        user: &FtpUser,
        path: P,
        start_pos: u64,
    ) -> Result<Box<dyn AsyncRead + Send + Sync + Unpin>> {
        let how = OpenMode {
            read: true,
            ..OpenMode::default()
        };
        let file = on_jail(user, path.as_ref(), move |jail, path| {
            let mut file = jail.open_file(path, how, None)?;
            file.seek(SeekFrom::Start(start_pos))?;
            Ok(file)
        })
        .await?;
        Ok(Box::new(tokio::fs::File::from_std(file)))
    }

    async fn put<P, R>(&self, user: &FtpUser, input: R, path: P, start_pos: u64) -> Result<u64>
    where
        P: AsRef<Path> + Send + Debug,
        R: AsyncRead + Send + Sync + Unpin + 'static,
    {
        // REST before STOR resumes an upload: keep what is there and write from the offset.
        let how = OpenMode {
            write: true,
            create: true,
            truncate: start_pos == 0,
            ..OpenMode::default()
        };
        let file = on_jail(user, path.as_ref(), move |jail, path| {
            let mut file = jail.open_file(path, how, None)?;
            file.seek(SeekFrom::Start(start_pos))?;
            Ok(file)
        })
        .await?;
        let mut file = tokio::fs::File::from_std(file);
        let mut input = input;
        let written = tokio::io::copy(&mut input, &mut file)
            .await
            .map_err(status::from_io)?;
        // tokio's file writes in the background; flushing waits for the last write to land.
        file.flush().await.map_err(status::from_io)?;
        Ok(written)
    }

    async fn del<P: AsRef<Path> + Send + Debug>(&self, user: &FtpUser, path: P) -> Result<()> {
        on_jail(user, path.as_ref(), |jail, path| jail.remove_file(path)).await
    }

    async fn mkd<P: AsRef<Path> + Send + Debug>(&self, user: &FtpUser, path: P) -> Result<()> {
        on_jail(user, path.as_ref(), |jail, path| {
            jail.create_dir(path, None)
        })
        .await
    }

    /// RNFR/RNTO replace an existing target, as `rename(2)` and the common FTP servers do.
    async fn rename<P: AsRef<Path> + Send + Debug>(
        &self,
        user: &FtpUser,
        from: P,
        to: P,
    ) -> Result<()> {
        let to = resolve(to.as_ref())?;
        on_jail(user, from.as_ref(), move |jail, from| {
            jail.rename(from, &to, true)
        })
        .await
    }

    async fn rmd<P: AsRef<Path> + Send + Debug>(&self, user: &FtpUser, path: P) -> Result<()> {
        on_jail(user, path.as_ref(), |jail, path| jail.remove_dir(path)).await
    }

    async fn cwd<P: AsRef<Path> + Send + Debug>(&self, user: &FtpUser, path: P) -> Result<()> {
        let metadata = on_jail(user, path.as_ref(), |jail, path| jail.metadata(path)).await?;
        if !metadata.is_dir() {
            return Err(ErrorKind::PermanentDirectoryNotAvailable.into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_paths_are_clamped_at_the_root() {
        let climbed = resolve(Path::new("/docs/../../../etc/passwd")).unwrap();
        let relative = resolve(Path::new("a/./b")).unwrap();

        assert_eq!(
            climbed.as_str(),
            "/etc/passwd",
            "`..` never climbs above the root"
        );
        assert_eq!(relative.as_str(), "/a/b");
    }
}
