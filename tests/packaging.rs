//! Packaging checks: the Debian package built by `packaging/deb/build.sh` from the test build's
//! binary (metadata, files, conffiles, a unit that passes `systemd-analyze verify`, a real
//! `dpkg -i`/`dpkg --purge` only on CI as root), and the Kubernetes manifests' cross-references
//! (selectors, services, secrets, config maps, ports, the DNS name used for auto-join) and their
//! validation against the Kubernetes API schema (`kubernetes-validate`, installed by .ci/run).

use crate::support::BIN;
use serde_yaml_ng::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

#[test]
fn deb_package_has_the_binary_docs_unit_and_conffiles_and_installs() {
    if !have("dpkg-deb") {
        println!("notice: dpkg-deb not found, Debian package test skipped");
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let deb = run(Command::new(repo_root().join("packaging/deb/build.sh"))
        .args(["--binary", BIN, "--out"])
        .arg(out.path()));
    let deb = PathBuf::from(deb.trim());
    let name = deb.file_name().unwrap().to_str().unwrap().to_string();
    assert!(
        name.starts_with("belfry_") && name.ends_with(".deb"),
        "{name}"
    );

    let info = run(Command::new("dpkg-deb").arg("--info").arg(&deb));
    for field in [
        "Package: belfry",
        "Depends: adduser",
        "postinst",
        "prerm",
        "postrm",
    ] {
        assert!(
            info.contains(field),
            "dpkg-deb --info lacks {field}:\n{info}"
        );
    }
    let contents = run(Command::new("dpkg-deb").arg("--contents").arg(&deb));
    for path in [
        "./usr/bin/belfry",
        "./usr/share/man/man1/belfry.1.gz",
        "./usr/share/man/man1/belfry-agent.1.gz",
        "./usr/share/bash-completion/completions/belfry",
        "./usr/share/zsh/vendor-completions/_belfry",
        "./usr/share/fish/vendor_completions.d/belfry.fish",
        "./lib/systemd/system/belfry.service",
        "./etc/belfry/belfry.yml",
        "./etc/default/belfry",
    ] {
        assert!(
            contents.contains(path),
            "{path} missing from the package:\n{contents}"
        );
    }
    let man_pages = std::fs::read_dir(repo_root().join("man")).unwrap().count();
    assert_eq!(
        contents.matches(".1.gz").count(),
        man_pages,
        "every man page, gzipped"
    );

    let root = tempfile::tempdir().unwrap();
    run(Command::new("dpkg-deb")
        .arg("-x")
        .arg(&deb)
        .arg(root.path()));
    let control = tempfile::tempdir().unwrap();
    run(Command::new("dpkg-deb")
        .arg("-e")
        .arg(&deb)
        .arg(control.path()));
    let conffiles = std::fs::read_to_string(control.path().join("conffiles")).unwrap();
    assert_eq!(conffiles, "/etc/belfry/belfry.yml\n/etc/default/belfry\n");

    // The shipped config is one the shipped binary accepts.
    run(Command::new(root.path().join("usr/bin/belfry"))
        .args(["config", "check"])
        .arg(root.path().join("etc/belfry/belfry.yml")));

    let unit =
        std::fs::read_to_string(root.path().join("lib/systemd/system/belfry.service")).unwrap();
    for line in [
        "User=belfry",
        "StateDirectory=belfry",
        "ExecReload=/bin/kill -HUP $MAINPID",
        "Restart=on-failure",
        "KillMode=mixed",
        "--config /etc/belfry/belfry.yml",
        "--shutdown-grace 30s",
        "TimeoutStopSec=45s",
        "ProtectSystem=strict",
        "ReadWritePaths=/var/lib/belfry",
    ] {
        assert!(unit.contains(line), "unit lacks {line}");
    }
    if have("systemd-analyze") {
        // verify checks that ExecStart exists: point it at the extracted binary.
        let unit_dir = tempfile::tempdir().unwrap();
        let extracted = root.path().join("usr/bin/belfry");
        std::fs::write(
            unit_dir.path().join("belfry.service"),
            unit.replace("/usr/bin/belfry", extracted.to_str().unwrap()),
        )
        .unwrap();
        run(Command::new("systemd-analyze")
            .args(["verify", "--man=no"])
            .arg(unit_dir.path().join("belfry.service")));
    } else {
        println!("notice: systemd-analyze not found, unit verification skipped");
    }

    // A real install changes the machine: only on CI, as root.
    let is_root = unsafe { libc::geteuid() } == 0;
    if std::env::var("CI").as_deref() != Ok("true") || !is_root {
        println!("notice: real dpkg -i skipped (runs only with CI=true as root)");
        return;
    }
    run(Command::new("dpkg").arg("-i").arg(&deb));
    let installed = Command::new("sh")
        .args(["-c", "getent passwd belfry && test -x /usr/bin/belfry && stat -c %U:%G /var/lib/belfry /etc/belfry/belfry.yml"])
        .output()
        .unwrap();
    run(Command::new("dpkg").args(["--purge", "belfry"]));
    let report = String::from_utf8_lossy(&installed.stdout).to_string();
    assert!(installed.status.success(), "after dpkg -i: {report}");
    assert!(report.contains("belfry:belfry\nroot:belfry"), "{report}");
    let gone = Command::new("sh")
        .args([
            "-c",
            "getent passwd belfry || test -e /usr/bin/belfry || test -e /var/lib/belfry",
        ])
        .status()
        .unwrap();
    assert!(
        !gone.success(),
        "dpkg --purge left the user, the binary or the state behind"
    );
}

/// Every document of every manifest under deploy/kubernetes.
fn manifests() -> Vec<Value> {
    let dir = repo_root().join("deploy/kubernetes");
    let mut docs = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("yaml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for doc in serde_yaml_ng::Deserializer::from_str(&text) {
            let value = <Value as serde::Deserialize>::deserialize(doc)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            if !value.is_null() {
                docs.push(value);
            }
        }
    }
    docs
}

fn s<'a>(v: &'a Value, path: &[&str]) -> &'a Value {
    path.iter().fold(v, |v, key| &v[*key])
}

fn text(v: &Value, path: &[&str]) -> String {
    s(v, path)
        .as_str()
        .unwrap_or_else(|| panic!("{path:?} missing"))
        .to_string()
}

fn matches(selector: &Value, labels: &Value) -> bool {
    let selector = selector.as_mapping().expect("a selector");
    !selector.is_empty() && selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

#[test]
fn kubernetes_manifests_reference_each_other_consistently() {
    let docs = manifests();
    let of_kind = |kind: &str| -> Vec<&Value> {
        docs.iter()
            .filter(|d| d["kind"].as_str() == Some(kind))
            .collect()
    };
    let namespace = text(of_kind("Namespace")[0], &["metadata", "name"]);
    for doc in &docs {
        if doc["kind"].as_str() != Some("Namespace") {
            assert_eq!(text(doc, &["metadata", "namespace"]), namespace, "{doc:?}");
        }
    }
    let services = of_kind("Service");
    let workloads: Vec<&Value> = of_kind("StatefulSet")
        .into_iter()
        .chain(of_kind("DaemonSet"))
        .collect();
    assert_eq!(workloads.len(), 2);
    let statefulset = of_kind("StatefulSet")[0];
    assert_eq!(statefulset["spec"]["replicas"].as_u64(), Some(3));

    // The StatefulSet's service is headless and selects its pods.
    let headless_name = text(statefulset, &["spec", "serviceName"]);
    let headless = services
        .iter()
        .find(|svc| svc["metadata"]["name"].as_str() == Some(headless_name.as_str()))
        .expect("the StatefulSet's serviceName is a Service");
    assert_eq!(headless["spec"]["clusterIP"].as_str(), Some("None"));
    assert_eq!(
        headless["spec"]["publishNotReadyAddresses"].as_bool(),
        Some(true)
    );
    let server_labels = s(statefulset, &["spec", "template", "metadata", "labels"]);
    assert!(matches(&headless["spec"]["selector"], server_labels));
    let join = format!("provider=dns name={headless_name}.{namespace}.svc.cluster.local port=8946");

    for workload in &workloads {
        let labels = s(workload, &["spec", "template", "metadata", "labels"]);
        assert!(
            matches(s(workload, &["spec", "selector", "matchLabels"]), labels),
            "{workload:?}"
        );
        let pod = s(workload, &["spec", "template", "spec"]);
        let volumes: Vec<String> = pod["volumes"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|v| text(v, &["name"]))
            .chain(
                workload["spec"]["volumeClaimTemplates"]
                    .as_sequence()
                    .into_iter()
                    .flatten()
                    .map(|v| text(v, &["metadata", "name"])),
            )
            .collect();
        for volume in pod["volumes"].as_sequence().unwrap() {
            if let Some(name) = volume["configMap"]["name"].as_str() {
                assert!(
                    of_kind("ConfigMap")
                        .iter()
                        .any(|c| c["metadata"]["name"].as_str() == Some(name)),
                    "ConfigMap {name} does not exist"
                );
            }
        }
        let container = &pod["containers"][0];
        let args: Vec<&str> = container["args"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        assert!(
            args.contains(&format!("--retry-join={join}").as_str()),
            "{args:?} lacks the auto-join on {join}"
        );
        // Protected mode: an API on every interface needs ACLs (in the shared ConfigMap).
        if args.contains(&"--http-addr=:8080") {
            let config = text(of_kind("ConfigMap")[0], &["data", "belfry.yml"]);
            assert!(
                config.contains("acl-enabled: true"),
                "API off loopback without ACLs"
            );
        }
        let ports: Vec<String> = container["ports"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|p| text(p, &["name"]))
            .collect();
        for probe in ["readinessProbe", "livenessProbe"] {
            assert_eq!(text(container, &[probe, "httpGet", "path"]), "/health");
            let port = text(container, &[probe, "httpGet", "port"]);
            assert!(
                ports.contains(&port),
                "{probe} port {port} not a container port"
            );
        }
        for mount in container["volumeMounts"].as_sequence().unwrap() {
            assert!(
                volumes.contains(&text(mount, &["name"])),
                "mount {mount:?} has no volume"
            );
        }
        for env in container["env"].as_sequence().unwrap() {
            let secret = &env["valueFrom"]["secretKeyRef"];
            if secret.is_null() {
                continue;
            }
            let (name, key) = (text(secret, &["name"]), text(secret, &["key"]));
            assert!(
                of_kind("Secret")
                    .iter()
                    .any(
                        |sec| sec["metadata"]["name"].as_str() == Some(name.as_str())
                            && !sec["stringData"][key.as_str()].is_null()
                    ),
                "Secret {name} with key {key} does not exist"
            );
        }
    }

    // Every service selects some pods and targets ports they declare.
    for svc in &services {
        let pods: Vec<&&Value> = workloads
            .iter()
            .filter(|w| {
                matches(
                    &svc["spec"]["selector"],
                    s(w, &["spec", "template", "metadata", "labels"]),
                )
            })
            .collect();
        assert!(
            !pods.is_empty(),
            "Service {:?} selects no pods",
            svc["metadata"]["name"]
        );
        for port in svc["spec"]["ports"].as_sequence().unwrap() {
            let target = text(port, &["targetPort"]);
            for pod in &pods {
                let declared = s(pod, &["spec", "template", "spec", "containers"])[0]["ports"]
                    .as_sequence()
                    .unwrap()
                    .iter()
                    .any(|p| {
                        p["name"].as_str() == Some(target.as_str())
                            && p["containerPort"] == port["port"]
                    });
                assert!(
                    declared,
                    "Service port {target} not declared with the same number"
                );
            }
        }
    }

    let pdb = of_kind("PodDisruptionBudget")[0];
    assert_eq!(pdb["spec"]["maxUnavailable"].as_u64(), Some(1));
    assert!(matches(
        s(pdb, &["spec", "selector", "matchLabels"]),
        server_labels
    ));
}

/// The manifest files under deploy/kubernetes, sorted.
fn manifest_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo_root().join("deploy/kubernetes"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("yaml"))
        .collect();
    files.sort();
    files
}

/// Kubernetes versions the manifests must be valid for: the oldest still served by the major
/// providers and the newest the validator knows.
const KUBERNETES_VERSIONS: [&str; 2] = ["1.30.0", "1.37.0"];

/// `kubernetes-validate --strict` on `files` for one version: whether it passed, and its report.
fn schema_check(version: &str, files: &[PathBuf]) -> (bool, String) {
    let out = Command::new("kubernetes-validate")
        .args(["--strict", "--quiet", "--kubernetes-version", version])
        .args(files)
        .output()
        .expect("kubernetes-validate runs");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn kubernetes_manifests_pass_a_schema_check() {
    // PyPI's kubernetes-validate ships the API's JSON schemas, so it runs offline.
    if !have("kubernetes-validate") {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "kubernetes-validate is missing on CI: .ci/run installs it"
        );
        println!(
            "notice: kubernetes-validate not found (pip install kubernetes-validate), schema check skipped"
        );
        return;
    }
    let files = manifest_files();
    assert!(files.len() >= 6, "{files:?}");
    for version in KUBERNETES_VERSIONS {
        let (passed, report) = schema_check(version, &files);
        assert!(passed, "Kubernetes {version}:\n{report}");
    }

    // The check can fail: the StatefulSet with a misspelt field (strict mode refuses unknown
    // fields, which Kubernetes would silently drop) and with a word where a number goes.
    let statefulset =
        std::fs::read_to_string(repo_root().join("deploy/kubernetes/server-statefulset.yaml"))
            .unwrap();
    let broken = tempfile::tempdir().unwrap();
    for (from, to, named) in [
        ("serviceName:", "servicename:", "servicename"),
        ("replicas: 3", "replicas: three", "replicas"),
    ] {
        assert!(statefulset.contains(from), "the StatefulSet lacks {from:?}");
        let path = broken.path().join(format!("{named}.yaml"));
        std::fs::write(&path, statefulset.replacen(from, to, 1)).unwrap();
        let (passed, report) = schema_check(KUBERNETES_VERSIONS[1], &[path]);
        assert!(!passed, "a StatefulSet with {to:?} passed:\n{report}");
        assert!(report.contains(named), "{report}");
    }
}
