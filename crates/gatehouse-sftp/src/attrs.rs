//! File metadata as SFTP v3 attributes, and the `ls -l`-style long names clients parse.
//!
//! FileZilla decides folder or file from the long name's first character, so it must agree
//! with the mode in the attributes. Ownership is virtual: every file shows the SFTP user as
//! owner and group, since host uids mean nothing to the client.

use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Utc};
use gatehouse_core::jail::Metadata;
use russh_sftp::protocol::{File, FileAttributes};

pub fn from_metadata(metadata: &Metadata) -> FileAttributes {
    FileAttributes {
        size: Some(metadata.size),
        uid: Some(metadata.uid),
        user: None,
        gid: Some(metadata.gid),
        group: None,
        permissions: Some(metadata.mode),
        atime: Some(seconds(metadata.accessed)),
        mtime: Some(seconds(metadata.modified)),
    }
}

/// SFTP v3 carries 32-bit seconds; times before 1970 or after 2106 are clamped.
fn seconds(time: SystemTime) -> u32 {
    let secs = time
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    u32::try_from(secs).unwrap_or(u32::MAX)
}

/// One NAME entry: `name`, an `ls -l` line, and the attributes.
pub fn entry(name: &str, metadata: &Metadata, owner: &str, now: SystemTime) -> File {
    File {
        filename: name.to_owned(),
        longname: long_name(name, metadata, owner, now),
        attrs: from_metadata(metadata),
    }
}

/// `drwxr-xr-x    1 alice    alice        4096 Dec  3 16:51 name`, as `ls -l` prints it:
/// time of day for files changed in the last six months, the year otherwise.
pub fn long_name(name: &str, metadata: &Metadata, owner: &str, now: SystemTime) -> String {
    let modified: DateTime<Utc> = metadata.modified.into();
    let six_months = std::time::Duration::from_secs(182 * 24 * 3600);
    let recent = now
        .duration_since(metadata.modified)
        .is_ok_and(|age| age < six_months);
    let when = if recent {
        modified.format("%b %e %H:%M")
    } else {
        modified.format("%b %e  %Y")
    };
    let mode = mode_string(metadata.mode);
    format!(
        "{mode} {:>4} {owner:<8} {owner:<8} {:>8} {when} {name}",
        metadata.links, metadata.size
    )
}

fn mode_string(mode: u32) -> String {
    let kind = match mode & 0o170000 {
        0o040000 => 'd',
        0o120000 => 'l',
        0o020000 => 'c',
        0o060000 => 'b',
        0o010000 => 'p',
        0o140000 => 's',
        _ => '-',
    };
    let mut text = String::with_capacity(10);
    text.push(kind);
    for shift in [6, 3, 0] {
        let bits = (mode >> shift) & 0o7;
        text.push(if bits & 4 != 0 { 'r' } else { '-' });
        text.push(if bits & 2 != 0 { 'w' } else { '-' });
        text.push(if bits & 1 != 0 { 'x' } else { '-' });
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata(mode: u32, modified: SystemTime) -> Metadata {
        Metadata {
            size: 4096,
            mode,
            uid: 0,
            gid: 0,
            links: 2,
            accessed: modified,
            modified,
        }
    }

    #[test]
    fn a_directory_long_name_starts_with_d_and_ends_with_the_name() {
        let now = SystemTime::now();
        let line = long_name("my dir", &metadata(0o040755, now), "alice", now);
        assert!(line.starts_with("drwxr-xr-x "), "{line}");
        assert!(line.ends_with(" my dir"), "{line}");
    }

    #[test]
    fn old_files_show_the_year_instead_of_the_time() {
        let long_ago = UNIX_EPOCH + std::time::Duration::from_secs(1_577_934_245); // 2020-01-02
        let line = long_name(
            "f",
            &metadata(0o100644, long_ago),
            "alice",
            SystemTime::now(),
        );
        assert!(line.starts_with("-rw-r--r-- "), "{line}");
        assert!(line.contains("Jan  2  2020 f"), "{line}");
    }
}
