//! The cgroup job processes run in (`--job-cgroup`), so that jobs which saturate the CPU get a
//! small CPU weight against the node's own threads (Raft, gossip, RPC) at the kernel's
//! scheduler, on top of the nice value (`--job-nice`), which only orders threads that share a
//! cgroup.
//!
//! `auto` (the default) uses a cgroup only where the host lets a service make one without a
//! fight: under a cgroup v1 `cpu` hierarchy the node may write to, it makes `belfry-jobs` below
//! its own cgroup with `cpu.shares` 102 (a tenth of the default 1024); on a cgroup v2 host whose
//! node runs in the root cgroup (a container with its own cgroup namespace, a VM without
//! systemd) it makes `/belfry-jobs` with `cpu.weight` 10 (the default is 100). Anywhere else (a
//! systemd service in cgroup v2, where a cgroup that holds processes may not give its children a
//! controller) it says so once and relies on nice; the operator then prepares a cgroup (a
//! systemd slice with `CPUWeight=`) and names it with `--job-cgroup PATH`. `off` turns it off.
//!
//! A job joins the cgroup in the forked child, before `exec`, by writing `0` to the cgroup's
//! `cgroup.procs` (the kernel reads 0 as "the writer"), through a descriptor opened before the
//! fork; its own children inherit the cgroup.

use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

pub use crate::config::JobCgroupSetting;

/// The cgroup this node's job processes join.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobCgroup {
    /// The cgroup's directory.
    pub dir: PathBuf,
    /// What it is and how it weighs against the node, for the start-up log line.
    pub described: String,
}

/// Where job processes go, and what the node says about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub cgroup: Option<JobCgroup>,
    pub note: String,
}

impl Placement {
    fn of(cgroup: JobCgroup) -> Placement {
        Placement {
            note: format!("job processes run in cgroup {}", cgroup.described),
            cgroup: Some(cgroup),
        }
    }
}

/// The name of the cgroup `auto` makes.
const AUTO_NAME: &str = "belfry-jobs";
/// `cpu.shares` of the jobs' cgroup under cgroup v1 (the kernel's default is 1024).
const V1_SHARES: u32 = 102;
/// `cpu.weight` of the jobs' cgroup under cgroup v2 (the kernel's default is 100).
const V2_WEIGHT: u32 = 10;

impl JobCgroup {
    /// Sets up what `setting` asks for: the cgroup jobs join, or none (`off`, or `auto` on a
    /// host that allows none), with the line the node logs about it once it runs (not here: a
    /// start that fails on a later check should print only that failure). An operator's path
    /// that is not a cgroup the node can join is an error.
    pub fn prepare(setting: &JobCgroupSetting) -> Result<Placement, String> {
        match setting {
            JobCgroupSetting::Off => Ok(Placement {
                cgroup: None,
                note: "job processes stay in the node's cgroup (--job-cgroup off)".into(),
            }),
            JobCgroupSetting::Path(dir) => JobCgroup::given(dir).map(Placement::of),
            JobCgroupSetting::Auto => Ok(match JobCgroup::auto() {
                Ok(found) => Placement::of(found),
                Err(why) => Placement {
                    cgroup: None,
                    note: format!(
                        "job processes stay in the node's cgroup ({why}); they still run at --job-nice. \
                         To weigh them with a cgroup, give --job-cgroup a prepared cgroup directory"
                    ),
                },
            }),
        }
    }

    /// An operator's cgroup: its `cgroup.procs` must be writable by this node.
    fn given(dir: &Path) -> Result<JobCgroup, String> {
        let procs = dir.join("cgroup.procs");
        if !procs.is_file() {
            return Err(format!(
                "{} is not a cgroup directory (it has no cgroup.procs)",
                dir.display()
            ));
        }
        writable(&procs).map_err(|e| format!("{}: {e}", procs.display()))?;
        Ok(JobCgroup {
            dir: dir.to_path_buf(),
            described: format!("{} (given by --job-cgroup)", dir.display()),
        })
    }

    /// The cgroup `auto` makes, or why there is none.
    fn auto() -> Result<JobCgroup, String> {
        let own = std::fs::read_to_string("/proc/self/cgroup")
            .map_err(|e| format!("/proc/self/cgroup: {e}"))?;
        let mounts = std::fs::read_to_string("/proc/self/mountinfo")
            .map_err(|e| format!("/proc/self/mountinfo: {e}"))?;
        let place = auto_place(&own, &mounts)?;
        let dir = place.parent.join(AUTO_NAME);
        match std::fs::create_dir(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(format!("cannot make {}: {e}", dir.display())),
        }
        let (file, value, described) = match place.version {
            CgroupVersion::V1 => (
                "cpu.shares",
                V1_SHARES,
                format!(
                    "{} (cgroup v1, cpu.shares {V1_SHARES} of 1024)",
                    dir.display()
                ),
            ),
            CgroupVersion::V2 => (
                "cpu.weight",
                V2_WEIGHT,
                format!(
                    "{} (cgroup v2, cpu.weight {V2_WEIGHT} of 100)",
                    dir.display()
                ),
            ),
        };
        std::fs::write(dir.join(file), format!("{value}\n"))
            .map_err(|e| format!("cannot set {}/{file}: {e}", dir.display()))?;
        writable(&dir.join("cgroup.procs"))
            .map_err(|e| format!("{}/cgroup.procs: {e}", dir.display()))?;
        Ok(JobCgroup { dir, described })
    }
}

/// Opens the cgroup `dir`'s `cgroup.procs` for a child about to be forked (see
/// [`join_in_child`]).
pub fn open_procs(dir: &Path) -> io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_CLOEXEC)
        .open(dir.join("cgroup.procs"))
}

/// In the forked child: moves the calling process into the cgroup whose `cgroup.procs` `fd` is
/// open on. Only a `write(2)`, so it is async-signal-safe.
pub fn join_in_child(fd: std::os::fd::RawFd) -> io::Result<()> {
    // SAFETY: writes two bytes from a static buffer to a descriptor the caller keeps open.
    let written = unsafe { libc::write(fd, b"0\n".as_ptr().cast(), 2) };
    if written < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

fn writable(path: &Path) -> io::Result<()> {
    std::fs::OpenOptions::new().write(true).open(path).map(drop)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CgroupVersion {
    V1,
    V2,
}

/// Where `auto` would make the jobs' cgroup: the directory of the node's own cgroup in the
/// hierarchy that has the CPU controller.
#[derive(Debug, PartialEq, Eq)]
struct AutoPlace {
    parent: PathBuf,
    version: CgroupVersion,
}

/// Finds [`AutoPlace`] from `/proc/self/cgroup` and `/proc/self/mountinfo`; a v1 `cpu`
/// hierarchy wins over v2 (on a hybrid host the v2 tree has no controllers). The error says why
/// there is none.
fn auto_place(own_cgroups: &str, mountinfo: &str) -> Result<AutoPlace, String> {
    // v1: a line `N:cpu,cpuacct:/path` and a `cgroup` mount whose options name `cpu`.
    for line in own_cgroups.lines() {
        let mut parts = line.splitn(3, ':');
        let (_, controllers, path) = match (parts.next(), parts.next(), parts.next()) {
            (Some(id), Some(c), Some(p)) => (id, c, p),
            _ => continue,
        };
        if !controllers.split(',').any(|c| c == "cpu") {
            continue;
        }
        if let Some(mount) = mount_point(mountinfo, |fstype, options| {
            fstype == "cgroup" && options.split(',').any(|o| o == "cpu")
        }) {
            return Ok(AutoPlace {
                parent: join_cgroup_path(&mount, path),
                version: CgroupVersion::V1,
            });
        }
    }
    // v2: `0::/path`; only the root cgroup may both hold the node and give children a controller.
    let v2 = own_cgroups
        .lines()
        .find_map(|l| l.strip_prefix("0::"))
        .ok_or("no cgroup v1 cpu hierarchy and no cgroup v2 entry in /proc/self/cgroup")?;
    let mount = mount_point(mountinfo, |fstype, _| fstype == "cgroup2")
        .ok_or("no cgroup filesystem with the cpu controller is mounted")?;
    if v2 != "/" {
        return Err(format!(
            "cgroup v2: the node runs in {v2}, and a cgroup that holds processes cannot give its children the cpu controller"
        ));
    }
    let controllers = std::fs::read_to_string(mount.join("cgroup.controllers")).unwrap_or_default();
    if !controllers.split_whitespace().any(|c| c == "cpu") {
        return Err("cgroup v2: the cpu controller is not available".into());
    }
    let subtree = mount.join("cgroup.subtree_control");
    let enabled = std::fs::read_to_string(&subtree).unwrap_or_default();
    if !enabled.split_whitespace().any(|c| c == "cpu") {
        std::fs::write(&subtree, "+cpu\n").map_err(|e| {
            format!(
                "cannot enable the cpu controller in {}: {e}",
                subtree.display()
            )
        })?;
    }
    Ok(AutoPlace {
        parent: mount,
        version: CgroupVersion::V2,
    })
}

/// The mount point of the first mount in `mountinfo` whose filesystem type and super options
/// match. mountinfo's fields: `id parent major:minor root mountpoint options … - fstype source
/// superoptions`.
fn mount_point(mountinfo: &str, wanted: impl Fn(&str, &str) -> bool) -> Option<PathBuf> {
    mountinfo.lines().find_map(|line| {
        let (before, after) = line.split_once(" - ")?;
        let mount = before.split(' ').nth(4)?;
        let mut rest = after.split(' ');
        let fstype = rest.next()?;
        let _source = rest.next();
        let options = rest.next().unwrap_or("");
        wanted(fstype, options).then(|| PathBuf::from(unescape_mount(mount)))
    })
}

/// mountinfo writes a space, tab, newline and backslash in a path as octal escapes.
fn unescape_mount(text: &str) -> String {
    text.replace("\\040", " ")
        .replace("\\011", "\t")
        .replace("\\012", "\n")
        .replace("\\134", "\\")
}

fn join_cgroup_path(mount: &Path, cgroup: &str) -> PathBuf {
    let relative = cgroup.trim_start_matches('/');
    if relative.is_empty() {
        mount.to_path_buf()
    } else {
        mount.join(relative)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HYBRID_CGROUPS: &str = "9:name=systemd:/\n4:memory:/process_api/a2\n1:cpu:/\n0::/\n";
    const HYBRID_MOUNTS: &str = "\
29 24 0:26 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
30 29 0:27 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
31 29 0:28 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
40 29 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
";

    #[test]
    fn settings_read_auto_off_and_absolute_paths_only() {
        assert_eq!(JobCgroupSetting::parse("auto"), Ok(JobCgroupSetting::Auto));
        assert_eq!(JobCgroupSetting::parse("off"), Ok(JobCgroupSetting::Off));
        assert_eq!(
            JobCgroupSetting::parse("/sys/fs/cgroup/jobs.slice"),
            Ok(JobCgroupSetting::Path("/sys/fs/cgroup/jobs.slice".into()))
        );
        let err = JobCgroupSetting::parse("jobs.slice").unwrap_err();
        assert!(
            err.contains("\"jobs.slice\" is not `auto`, `off` or an absolute path"),
            "{err}"
        );
    }

    #[test]
    fn a_v1_cpu_hierarchy_is_found_below_the_nodes_own_cgroup() {
        let place = auto_place(HYBRID_CGROUPS, HYBRID_MOUNTS).unwrap();
        assert_eq!(
            place,
            AutoPlace {
                parent: "/sys/fs/cgroup/cpu".into(),
                version: CgroupVersion::V1
            }
        );
        let nested = auto_place(
            "2:cpu,cpuacct:/system.slice/belfry.service\n",
            "30 29 0:27 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n",
        )
        .unwrap();
        assert_eq!(
            nested.parent,
            PathBuf::from("/sys/fs/cgroup/cpu,cpuacct/system.slice/belfry.service")
        );
    }

    #[test]
    fn a_v2_node_outside_the_root_cgroup_gets_no_automatic_cgroup_and_says_why() {
        let mounts = "25 24 0:23 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n";
        let err = auto_place("0::/system.slice/belfry.service\n", mounts).unwrap_err();
        assert!(
            err.contains("runs in /system.slice/belfry.service"),
            "{err}"
        );
        let err = auto_place("0::/\n", "").unwrap_err();
        assert!(err.contains("no cgroup filesystem"), "{err}");
    }

    #[test]
    fn mount_points_with_escaped_spaces_are_read_back() {
        let mounts = "30 29 0:27 / /mnt/my\\040cgroups rw - cgroup cgroup rw,cpu\n";
        assert_eq!(
            mount_point(mounts, |t, o| t == "cgroup" && o.contains("cpu")),
            Some(PathBuf::from("/mnt/my cgroups"))
        );
    }

    #[test]
    fn an_operators_path_must_be_a_cgroup() {
        let dir = tempfile::tempdir().unwrap();
        let err = JobCgroup::prepare(&JobCgroupSetting::Path(dir.path().into())).unwrap_err();
        assert!(
            err.contains("is not a cgroup directory (it has no cgroup.procs)"),
            "{err}"
        );
        assert_eq!(
            JobCgroup::prepare(&JobCgroupSetting::Off).unwrap().cgroup,
            None
        );
    }
}
