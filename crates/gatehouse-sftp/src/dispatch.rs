//! SFTP v3 dispatch: requests in, one reply out for each, over russh-sftp's protocol types.
//!
//! We decode and encode with russh-sftp but do not use its server loop (see [`crate::pump`]);
//! READ and WRITE take the hand-written bulk path ([`crate::bulk`], [`crate::wire`]). Every
//! path goes through the core jail; every filesystem call runs on tokio's blocking pool so a
//! slow disk never stalls the async workers.
//!
//! Client quirks handled here, each a behaviour real clients depend on:
//! - REALPATH is lexical and always answers an absolute `/`-rooted path, even for a leaf that
//!   does not exist yet (rclone calls it before creating files).
//! - READDIR ends with an EOF status (paramiko waits for it).
//! - SYMLINK: OpenSSH has always sent the target first and the link second, the reverse of
//!   the draft; every client follows OpenSSH, so we do too.
//! - Plain RENAME never overwrites; `posix-rename@openssh.com` does, atomically.
//! - SETSTAT of uid/gid is ignored rather than refused: clients treat a refused SETSTAT after
//!   an upload as a failed transfer.

use std::collections::HashMap;
use std::fs::File;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::{Buf, Bytes};
use gatehouse_core::jail::{Entry, Jail, OpenMode, VirtualPath};
use russh_sftp::de;
use russh_sftp::extensions::{self, Statvfs};
use russh_sftp::protocol::{
    Attrs, ExtendedReply, File as NameEntry, FileAttributes, Handle, Name, OpenFlags, Packet,
    StatusCode, Version,
};

use crate::attrs;
use crate::bulk;
use crate::input::Request;
use crate::status::Failure;
use crate::wire;

/// The largest request packet we accept, and what we tell OpenSSH through
/// `limits@openssh.com` (the same figures as OpenSSH's own sftp-server).
pub const MAX_PACKET_LEN: u32 = 256 * 1024;
pub const MAX_READ_LEN: u32 = MAX_PACKET_LEN - 1024;
const NAMES_PER_READDIR: usize = 128;
const POSIX_RENAME: &str = "posix-rename@openssh.com";

/// Bytes moved by one session, for the close log line.
#[derive(Debug, Default)]
pub struct Traffic {
    pub read: AtomicU64,
    pub written: AtomicU64,
}

enum OpenHandle {
    File(Arc<File>),
    Dir(std::vec::IntoIter<Entry>),
}

type Reply = Result<Packet, Failure>;

pub struct SftpSession {
    jail: Arc<Jail>,
    owner: String,
    handles: HashMap<String, OpenHandle>,
    next_handle: u64,
    max_handles: usize,
    traffic: Arc<Traffic>,
}

impl SftpSession {
    pub fn new(jail: Jail, owner: String, max_handles: usize, traffic: Arc<Traffic>) -> Self {
        Self {
            jail: Arc::new(jail),
            owner,
            handles: HashMap::new(),
            next_handle: 0,
            max_handles,
            traffic,
        }
    }

    /// Answers `requests` (each without its length prefix) in order, one encoded reply per
    /// request. Runs of READs and WRITEs are served by [`bulk`] in one trip to the blocking
    /// pool; anything else first lets the run before it finish, so an OPEN, CLOSE or FSTAT
    /// always sees the effect of the requests sent before it.
    pub async fn handle(&mut self, requests: impl IntoIterator<Item = Request>) -> Vec<Bytes> {
        let mut replies = Vec::new();
        let mut run = Vec::new();
        for payload in requests {
            match wire::decode_io(&payload) {
                Some(io) => run.push(bulk::Op {
                    id: io.id,
                    file: self.file(&io.handle),
                    offset: io.offset,
                    body: io.body,
                }),
                None => {
                    self.serve_run(&mut run, &mut replies).await;
                    replies.push(self.handle_other(payload).await);
                }
            }
        }
        self.serve_run(&mut run, &mut replies).await;
        replies
    }

    async fn serve_run(&self, run: &mut Vec<bulk::Op>, replies: &mut Vec<Bytes>) {
        if run.is_empty() {
            return;
        }
        let ops = std::mem::take(run);
        let ids: Vec<u32> = ops.iter().map(|op| op.id).collect();
        let traffic = Arc::clone(&self.traffic);
        match tokio::task::spawn_blocking(move || bulk::serve(ops, &traffic)).await {
            Ok(served) => replies.extend(served),
            Err(err) => {
                tracing::error!(error = %err, "SFTP file I/O panicked");
                replies.extend(
                    ids.into_iter()
                        .map(|id| wire::status(id, &Failure::INTERNAL)),
                );
            }
        }
    }

    /// Every request but READ and WRITE, decoded by russh-sftp.
    async fn handle_other(&mut self, request: Request) -> Bytes {
        let mut payload = request.contiguous();
        let id = request_id(&payload);
        let reply = match Packet::try_from(&mut payload) {
            Ok(packet) => self.dispatch(packet).await,
            Err(err) => {
                tracing::debug!(error = %err, "undecodable SFTP request");
                Err(Failure::BAD_MESSAGE)
            }
        };
        match reply {
            Ok(packet) => encode(packet),
            Err(failure) => wire::status(id, &failure),
        }
    }

    async fn dispatch(&mut self, packet: Packet) -> Reply {
        match packet {
            Packet::Init(_) => Ok(version()),
            Packet::Open(p) => self.open(p.id, &p.filename, p.pflags, &p.attrs).await,
            Packet::Close(p) => self.close(p.id, &p.handle),
            Packet::Lstat(p) => self.stat(p.id, &p.path, false).await,
            Packet::Stat(p) => self.stat(p.id, &p.path, true).await,
            Packet::Fstat(p) => self.fstat(p.id, &p.handle).await,
            Packet::SetStat(p) => self.setstat(p.id, &p.path, p.attrs).await,
            Packet::FSetStat(p) => self.fsetstat(p.id, &p.handle, p.attrs).await,
            Packet::OpenDir(p) => self.opendir(p.id, &p.path).await,
            Packet::ReadDir(p) => self.readdir(p.id, &p.handle),
            Packet::Remove(p) => {
                self.path_op(p.id, &p.filename, |j, path| j.remove_file(path))
                    .await
            }
            Packet::MkDir(p) => {
                let mode = p.attrs.permissions;
                self.path_op(p.id, &p.path, move |j, path| j.create_dir(path, mode))
                    .await
            }
            Packet::RmDir(p) => {
                self.path_op(p.id, &p.path, |j, path| j.remove_dir(path))
                    .await
            }
            Packet::RealPath(p) => realpath(p.id, &p.path),
            Packet::Rename(p) => self.rename(p.id, &p.oldpath, &p.newpath, false).await,
            Packet::ReadLink(p) => self.readlink(p.id, &p.path).await,
            // OpenSSH order: the first string (russh-sftp's `linkpath`) is the target.
            Packet::Symlink(p) => self.symlink(p.id, &p.targetpath, p.linkpath).await,
            Packet::Extended(p) => self.extended(p.id, &p.request, p.data).await,
            // Well-formed READs and WRITEs come here only with a handle longer than any we
            // hand out (`wire::decode_io` takes the rest).
            Packet::Read(_) | Packet::Write(_) => Err(Failure::NO_SUCH_HANDLE),
            _ => Err(Failure::BAD_MESSAGE),
        }
    }

    async fn open(
        &mut self,
        id: u32,
        name: &str,
        flags: OpenFlags,
        attrs: &FileAttributes,
    ) -> Reply {
        let path = resolve(name)?;
        let how = OpenMode {
            read: flags.contains(OpenFlags::READ),
            write: flags.contains(OpenFlags::WRITE),
            append: flags.contains(OpenFlags::APPEND),
            create: flags.contains(OpenFlags::CREATE),
            truncate: flags.contains(OpenFlags::TRUNCATE),
            exclusive: flags.contains(OpenFlags::EXCLUDE),
        };
        let mode = attrs.permissions;
        self.ensure_handle_room()?;
        let file = self
            .blocking(move |jail| jail.open_file(&path, how, mode))
            .await?;
        Ok(self.add_handle(id, OpenHandle::File(Arc::new(file))))
    }

    fn close(&mut self, id: u32, handle: &str) -> Reply {
        match self.handles.remove(handle) {
            Some(_) => Ok(ok(id)),
            None => Err(Failure::NO_SUCH_HANDLE),
        }
    }

    async fn stat(&mut self, id: u32, name: &str, follow: bool) -> Reply {
        let path = resolve(name)?;
        let metadata = self
            .blocking(move |jail| {
                if follow {
                    jail.metadata(&path)
                } else {
                    jail.symlink_metadata(&path)
                }
            })
            .await?;
        Ok(Packet::Attrs(Attrs {
            id,
            attrs: attrs::from_metadata(&metadata),
        }))
    }

    async fn fstat(&mut self, id: u32, handle: &str) -> Reply {
        let file = self.file(handle)?;
        let metadata = run(move || file.metadata()).await?;
        Ok(Packet::Attrs(Attrs {
            id,
            attrs: attrs::from_metadata(&metadata.into()),
        }))
    }

    async fn setstat(&mut self, id: u32, name: &str, attrs: FileAttributes) -> Reply {
        let path = resolve(name)?;
        self.blocking(move |jail| {
            if let Some(size) = attrs.size {
                jail.set_len(&path, size)?;
            }
            if let Some(mode) = attrs.permissions {
                jail.set_mode(&path, mode)?;
            }
            if let (Some(atime), Some(mtime)) = (attrs.atime, attrs.mtime) {
                jail.set_times(&path, time(atime), time(mtime))?;
            }
            Ok(())
        })
        .await?;
        Ok(ok(id))
    }

    async fn fsetstat(&mut self, id: u32, handle: &str, attrs: FileAttributes) -> Reply {
        let file = self.file(handle)?;
        run(move || {
            use std::os::unix::fs::PermissionsExt;
            if let Some(size) = attrs.size {
                file.set_len(size)?;
            }
            if let Some(mode) = attrs.permissions {
                let mode = mode & 0o777 | 0o600;
                file.set_permissions(std::fs::Permissions::from_mode(mode))?;
            }
            if let (Some(atime), Some(mtime)) = (attrs.atime, attrs.mtime) {
                let times = std::fs::FileTimes::new()
                    .set_accessed(time(atime))
                    .set_modified(time(mtime));
                file.set_times(times)?;
            }
            Ok(())
        })
        .await?;
        Ok(ok(id))
    }

    async fn opendir(&mut self, id: u32, name: &str) -> Reply {
        let path = resolve(name)?;
        self.ensure_handle_room()?;
        let entries = self.blocking(move |jail| jail.read_dir(&path)).await?;
        Ok(self.add_handle(id, OpenHandle::Dir(entries.into_iter())))
    }

    fn readdir(&mut self, id: u32, handle: &str) -> Reply {
        let Some(OpenHandle::Dir(entries)) = self.handles.get_mut(handle) else {
            return Err(Failure::NO_SUCH_HANDLE);
        };
        let now = SystemTime::now();
        let files: Vec<NameEntry> = entries
            .by_ref()
            .take(NAMES_PER_READDIR)
            .map(|entry| attrs::entry(&entry.name, &entry.metadata, &self.owner, now))
            .collect();
        if files.is_empty() {
            return Ok(status(id, StatusCode::Eof, "End of directory"));
        }
        Ok(Packet::Name(Name { id, files }))
    }

    async fn rename(&mut self, id: u32, from: &str, to: &str, overwrite: bool) -> Reply {
        let (from, to) = (resolve(from)?, resolve(to)?);
        self.blocking(move |jail| jail.rename(&from, &to, overwrite))
            .await?;
        Ok(ok(id))
    }

    async fn readlink(&mut self, id: u32, name: &str) -> Reply {
        let path = resolve(name)?;
        let target = self.blocking(move |jail| jail.read_link(&path)).await?;
        Ok(Packet::Name(Name {
            id,
            files: vec![NameEntry::dummy(target)],
        }))
    }

    async fn symlink(&mut self, id: u32, link: &str, target: String) -> Reply {
        let link = resolve(link)?;
        self.blocking(move |jail| jail.symlink(&link, &target))
            .await?;
        Ok(ok(id))
    }

    async fn extended(&mut self, id: u32, request: &str, data: Vec<u8>) -> Reply {
        let mut data = Bytes::from(data);
        match request {
            POSIX_RENAME => {
                let (from, to) = (string(&mut data)?, string(&mut data)?);
                self.rename(id, &from, &to, true).await
            }
            extensions::STATVFS => {
                let request: extensions::StatvfsExtension = decode(&mut data)?;
                self.statvfs(id, &request.path).await
            }
            extensions::FSYNC => {
                let request: extensions::FsyncExtension = decode(&mut data)?;
                let file = self.file(&request.handle)?;
                run(move || file.sync_all()).await?;
                Ok(ok(id))
            }
            extensions::LIMITS => {
                let limits = extensions::LimitsExtension {
                    max_packet_len: u64::from(MAX_PACKET_LEN),
                    max_read_len: u64::from(MAX_READ_LEN),
                    max_write_len: u64::from(MAX_READ_LEN),
                    max_open_handles: self.max_handles as u64,
                };
                let data = russh_sftp::ser::to_bytes(&limits).map_err(|_| Failure::BAD_MESSAGE)?;
                Ok(Packet::ExtendedReply(ExtendedReply {
                    id,
                    data: data.to_vec(),
                }))
            }
            extensions::EXPAND_PATH => {
                let request: extensions::ExpandPathExtension = decode(&mut data)?;
                // The home directory is the user's root, so `~` and `~/x` are `/` and `/x`.
                let path = request.path.strip_prefix('~').unwrap_or(&request.path);
                realpath(id, path)
            }
            _ => Err(Failure::UNSUPPORTED),
        }
    }

    async fn statvfs(&mut self, id: u32, name: &str) -> Reply {
        let path = resolve(name)?;
        let space = self.blocking(move |jail| jail.space(&path)).await?;
        let reply = Statvfs {
            block_size: space.block_size,
            fragment_size: space.fragment_size,
            blocks: space.blocks,
            blocks_free: space.blocks_free,
            blocks_avail: space.blocks_avail,
            inodes: space.files,
            inodes_free: space.files_free,
            inodes_avail: space.files_avail,
            fs_id: space.fs_id,
            flags: space.flags,
            name_max: space.name_max,
        };
        let data = russh_sftp::ser::to_bytes(&reply).map_err(|_| Failure::BAD_MESSAGE)?;
        Ok(Packet::ExtendedReply(ExtendedReply {
            id,
            data: data.to_vec(),
        }))
    }

    /// Runs a path operation that answers with a plain OK.
    async fn path_op(
        &mut self,
        id: u32,
        name: &str,
        op: impl FnOnce(&Jail, &VirtualPath) -> std::io::Result<()> + Send + 'static,
    ) -> Reply {
        let path = resolve(name)?;
        self.blocking(move |jail| op(jail, &path)).await?;
        Ok(ok(id))
    }

    async fn blocking<T: Send + 'static>(
        &self,
        op: impl FnOnce(&Jail) -> std::io::Result<T> + Send + 'static,
    ) -> Result<T, Failure> {
        let jail = Arc::clone(&self.jail);
        let result = run(move || op(&jail)).await;
        if let Err(failure) = &result
            && failure.code == StatusCode::PermissionDenied
        {
            tracing::warn!(user = %self.owner, "SFTP request refused by the jail");
        }
        result
    }

    /// The open file behind a handle; a handle from the fast path arrives as raw bytes.
    fn file(&self, handle: &(impl AsRef<[u8]> + ?Sized)) -> Result<Arc<File>, Failure> {
        let handle = std::str::from_utf8(handle.as_ref()).map_err(|_| Failure::NO_SUCH_HANDLE)?;
        match self.handles.get(handle) {
            Some(OpenHandle::File(file)) => Ok(Arc::clone(file)),
            _ => Err(Failure::NO_SUCH_HANDLE),
        }
    }

    fn ensure_handle_room(&self) -> Result<(), Failure> {
        if self.handles.len() >= self.max_handles {
            return Err(Failure::new(StatusCode::Failure, "Too many open handles"));
        }
        Ok(())
    }

    fn add_handle(&mut self, id: u32, handle: OpenHandle) -> Packet {
        self.next_handle += 1;
        let name = self.next_handle.to_string();
        self.handles.insert(name.clone(), handle);
        Packet::Handle(Handle { id, handle: name })
    }
}

/// The VERSION reply to INIT, with the extensions we implement.
fn version() -> Packet {
    let mut version = Version::new();
    for (name, revision) in [
        (POSIX_RENAME, "1"),
        (extensions::STATVFS, "2"),
        (extensions::FSYNC, "1"),
        (extensions::EXPAND_PATH, "1"),
        (extensions::LIMITS, "1"),
    ] {
        version
            .extensions
            .insert(name.to_owned(), revision.to_owned());
    }
    Packet::Version(version)
}

fn realpath(id: u32, name: &str) -> Reply {
    let path = resolve(name)?;
    Ok(Packet::Name(Name {
        id,
        files: vec![NameEntry::dummy(path.as_str())],
    }))
}

fn resolve(name: &str) -> Result<VirtualPath, Failure> {
    VirtualPath::resolve(&VirtualPath::root(), name)
        .map_err(|_| Failure::new(StatusCode::BadMessage, "Bad path"))
}

async fn run<T: Send + 'static>(
    op: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> Result<T, Failure> {
    match tokio::task::spawn_blocking(op).await {
        Ok(result) => result.map_err(Failure::from),
        Err(err) => {
            tracing::error!(error = %err, "SFTP file operation panicked");
            Err(Failure::INTERNAL)
        }
    }
}

/// Encodes a reply with its length prefix. Encoding our own replies fails only on a bug, and
/// then the client gets a valid failure status instead.
fn encode(packet: Packet) -> Bytes {
    let id = packet.get_request_id();
    Bytes::try_from(packet).unwrap_or_else(|err| {
        tracing::error!(error = %err, "could not encode an SFTP reply");
        wire::status(id, &Failure::INTERNAL)
    })
}

fn ok(id: u32) -> Packet {
    status(id, StatusCode::Ok, "Success")
}

fn status(id: u32, code: StatusCode, message: &str) -> Packet {
    Packet::status(id, code, message, "en")
}

fn time(secs: u32) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(u64::from(secs))
}

/// The request id of a raw request, for answering one we could not decode. INIT has none.
fn request_id(payload: &Bytes) -> u32 {
    match payload.first() {
        Some(1) | None => 0,
        Some(_) if payload.len() >= 5 => {
            u32::from_be_bytes([payload[1], payload[2], payload[3], payload[4]])
        }
        Some(_) => 0,
    }
}

fn string(data: &mut Bytes) -> Result<String, Failure> {
    if data.remaining() < 4 {
        return Err(Failure::BAD_MESSAGE);
    }
    let len = data.get_u32() as usize;
    if data.remaining() < len {
        return Err(Failure::BAD_MESSAGE);
    }
    String::from_utf8(data.split_to(len).to_vec()).map_err(|_| Failure::BAD_MESSAGE)
}

fn decode<T: serde::de::DeserializeOwned>(data: &mut Bytes) -> Result<T, Failure> {
    de::from_bytes(data).map_err(|_| Failure::BAD_MESSAGE)
}
