//! Network namespaces made for one test, for traffic the host's own network must not see or
//! carry (multicast discovery). Needs root and iproute2's `ip`.

use std::process::Command;

/// A network namespace made for one test and deleted when dropped (also when the test panics),
/// for traffic the host's own network must not see or carry, such as multicast. Its loopback
/// is up with multicast on (the kernel leaves it off); it has no route, so a sender picks the
/// interface itself (IP_MULTICAST_IF). Needs root and iproute2's `ip`; without them the test
/// fails and says so.
pub struct Netns {
    pub name: String,
}

impl Netns {
    pub fn new(purpose: &str) -> Netns {
        let name = format!("belfry-{purpose}-{}", std::process::id());
        // One left by a killed run whose pid this run got again.
        let _ = Command::new("ip").args(["netns", "delete", &name]).output();
        ip(&["netns", "add", &name]);
        // From here on, dropping the guard deletes the namespace.
        let netns = Netns { name };
        for args in [
            &["link", "set", "lo", "up"][..],
            &["link", "set", "lo", "multicast", "on"],
        ] {
            let mut all = vec!["netns", "exec", &netns.name, "ip"];
            all.extend_from_slice(args);
            ip(&all);
        }
        netns
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "delete", &self.name])
            .output();
    }
}

fn ip(args: &[&str]) {
    let out = Command::new("ip").args(args).output().unwrap_or_else(|e| {
        panic!("this test needs iproute2's `ip` (apt-get install iproute2) and root: {e}")
    });
    assert!(
        out.status.success(),
        "ip {} failed (this test needs root): {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}
