//! The jail against every escape kind: `..`, absolute paths, sibling prefixes, and symlinks
//! made by the user or already on disk, dangling or intermediate.

use std::fs;
use std::io::{Read, Write};

use super::*;

struct Fixture {
    _dir: tempfile::TempDir,
    base: std::path::PathBuf,
    jail: Jail,
}

/// `<base>/acme` is alice's root; `<base>/acme2` is a sibling holding a secret.
fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().to_path_buf();
    fs::create_dir_all(base.join("acme")).unwrap();
    fs::create_dir_all(base.join("acme2")).unwrap();
    fs::write(base.join("acme2/secret.txt"), "bob's secret").unwrap();
    fs::write(base.join("acme/small.txt"), "hello").unwrap();
    let jail = Jail::open(&base.join("acme")).unwrap();
    Fixture {
        _dir: dir,
        base,
        jail,
    }
}

fn vp(path: &str) -> VirtualPath {
    VirtualPath::resolve(&VirtualPath::root(), path).unwrap()
}

fn read(jail: &Jail, path: &str) -> io::Result<String> {
    let how = OpenMode {
        read: true,
        ..OpenMode::default()
    };
    let mut text = String::new();
    jail.open_file(&vp(path), how, None)?
        .read_to_string(&mut text)?;
    Ok(text)
}

fn create(jail: &Jail, path: &str, body: &str) -> io::Result<()> {
    let how = OpenMode {
        write: true,
        create: true,
        truncate: true,
        ..OpenMode::default()
    };
    jail.open_file(&vp(path), how, None)?
        .write_all(body.as_bytes())
}

#[test]
fn parent_and_absolute_paths_stay_inside_the_root() {
    let f = fixture();
    for path in [
        "../acme2/secret.txt",
        "/../acme2/secret.txt",
        "/acme2/secret.txt",
    ] {
        assert!(
            read(&f.jail, path).is_err(),
            "{path} must not reach the sibling"
        );
    }
    assert!(
        f.jail
            .read_dir(&vp(".."))
            .unwrap()
            .iter()
            .all(|e| e.name != "acme2")
    );
}

#[test]
fn a_symlink_on_disk_pointing_outside_is_not_followed() {
    let f = fixture();
    std::os::unix::fs::symlink(f.base.join("acme2"), f.base.join("acme/abs")).unwrap();
    std::os::unix::fs::symlink("../acme2", f.base.join("acme/rel")).unwrap();
    std::os::unix::fs::symlink("/", f.base.join("acme/rootlink")).unwrap();

    for path in ["abs/secret.txt", "rel/secret.txt", "rootlink/etc/passwd"] {
        assert!(read(&f.jail, path).is_err(), "{path} must not be readable");
    }
    assert!(
        f.jail.read_dir(&vp("rel")).is_err(),
        "listing through the link must fail"
    );
    assert!(
        create(&f.jail, "rel/x", "x").is_err(),
        "writing through the link must fail"
    );
    assert!(f.jail.create_dir(&vp("abs/newdir"), None).is_err());
    assert!(
        f.jail
            .rename(&vp("small.txt"), &vp("rel/stolen.txt"), false)
            .is_err()
    );
    assert!(!f.base.join("acme2/x").exists() && !f.base.join("acme2/stolen.txt").exists());
    assert!(!f.base.join("acme2/newdir").exists());
}

#[test]
fn creating_through_a_dangling_link_writes_nothing_anywhere() {
    let f = fixture();
    let outside = f.base.join("outside-target");
    std::os::unix::fs::symlink(&outside, f.base.join("acme/dang")).unwrap();
    std::os::unix::fs::symlink("inside-target", f.base.join("acme/dang2")).unwrap();

    assert!(create(&f.jail, "dang", "payload").is_err());
    assert!(
        create(&f.jail, "dang2", "payload").is_err(),
        "create never follows a link"
    );

    assert!(!outside.exists());
    assert!(!f.base.join("acme/inside-target").exists());
}

#[test]
fn user_made_symlinks_climbing_out_are_refused_and_inside_ones_work() {
    let f = fixture();

    let out = f.jail.symlink(&vp("sib"), "../acme2");
    f.jail.symlink(&vp("lnk"), "small.txt").unwrap();
    f.jail.symlink(&vp("abslink"), "/small.txt").unwrap();

    assert_eq!(out.unwrap_err().kind(), io::ErrorKind::PermissionDenied);
    assert_eq!(read(&f.jail, "lnk").unwrap(), "hello");
    assert_eq!(f.jail.read_link(&vp("abslink")).unwrap(), "small.txt");
    assert_eq!(read(&f.jail, "abslink").unwrap(), "hello");
}

#[test]
fn plain_rename_never_overwrites_and_posix_rename_does() {
    let f = fixture();
    create(&f.jail, "a", "v1").unwrap();
    create(&f.jail, "b", "v2").unwrap();

    let plain = f.jail.rename(&vp("b"), &vp("a"), false);
    assert!(
        plain.is_err(),
        "plain rename onto an existing file must fail"
    );
    assert_eq!(read(&f.jail, "a").unwrap(), "v1");
    assert_eq!(read(&f.jail, "b").unwrap(), "v2");

    f.jail.rename(&vp("b"), &vp("a"), true).unwrap();
    assert_eq!(read(&f.jail, "a").unwrap(), "v2");
    assert!(read(&f.jail, "b").is_err());
}

#[test]
fn renaming_a_file_onto_itself_keeps_it() {
    let f = fixture();
    f.jail
        .rename(&vp("small.txt"), &vp("small.txt"), false)
        .unwrap();
    assert_eq!(read(&f.jail, "small.txt").unwrap(), "hello");
}

#[test]
fn new_folders_are_never_writable_by_others() {
    use std::os::unix::fs::PermissionsExt as _;
    let f = fixture();

    f.jail.create_dir(&vp("open"), Some(0o777)).unwrap();

    let mode = fs::metadata(f.base.join("acme/open"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(
        mode, 0o755,
        "a requested 0777 becomes 0755, as under OpenSSH's umask"
    );
}

#[test]
fn new_files_are_never_mode_000() {
    use std::os::unix::fs::PermissionsExt as _;
    let f = fixture();
    let how = OpenMode {
        write: true,
        create: true,
        ..OpenMode::default()
    };

    f.jail.open_file(&vp("zero"), how, Some(0)).unwrap();
    f.jail.open_file(&vp("plain"), how, None).unwrap();

    let mode = |name: &str| {
        fs::metadata(f.base.join("acme").join(name))
            .unwrap()
            .permissions()
            .mode()
    };
    assert_eq!(mode("zero") & 0o600, 0o600, "owner keeps read and write");
    assert_eq!(
        mode("plain") & 0o700,
        0o600,
        "the default is rw for the owner"
    );
}
