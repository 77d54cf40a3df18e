//! `belfry tls ca create` and `belfry tls cert create`: a CA and the server and client
//! certificates the HTTP API's TLS needs, in one command each (as `consul tls` does). Keys are
//! written with mode 0600; no existing file is replaced without `--force`.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use chrono::Datelike;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};

use crate::cli::{TlsCaCommand, TlsCertCommand, TlsCommand};
use crate::failure::Failure;

pub const CA_FILE: &str = "belfry-agent-ca.pem";
pub const CA_KEY_FILE: &str = "belfry-agent-ca-key.pem";

pub fn run(cmd: TlsCommand) -> Result<(), Failure> {
    match cmd {
        TlsCommand::Ca(TlsCaCommand::Create {
            out_dir,
            days,
            force,
        }) => create_ca(&out_dir, days, force),
        TlsCommand::Cert(TlsCertCommand::Create {
            server,
            client: _,
            ca,
            ca_key,
            name,
            region,
            ip,
            dns,
            out_dir,
            days,
            force,
        }) => create_cert(CertRequest {
            server,
            ca: &ca,
            ca_key: &ca_key,
            name,
            region: &region,
            ips: &ip,
            dns: &dns,
            out_dir: &out_dir,
            days,
            force,
        }),
    }
}

fn validity(params: &mut CertificateParams, days: u32) -> Result<(), Failure> {
    if days == 0 {
        return Err(Failure::usage("--days must be at least 1"));
    }
    let now = chrono::Utc::now();
    let start = now - chrono::Duration::days(1);
    let end = now + chrono::Duration::days(i64::from(days));
    params.not_before = rcgen::date_time_ymd(start.year(), start.month() as u8, start.day() as u8);
    params.not_after = rcgen::date_time_ymd(end.year(), end.month() as u8, end.day() as u8);
    Ok(())
}

/// Refuses to replace any of `paths` unless `force`.
fn check_free(paths: &[&Path], force: bool) -> Result<(), Failure> {
    if force {
        return Ok(());
    }
    if let Some(taken) = paths.iter().find(|p| p.exists()) {
        return Err(Failure::usage(format!(
            "{} exists: not replaced (use --force to replace it)",
            taken.display()
        )));
    }
    Ok(())
}

fn write_file(path: &Path, text: &str, mode: u32) -> Result<(), Failure> {
    let write = || -> std::io::Result<()> {
        // A replaced key must not keep a looser mode from before.
        let _ = std::fs::remove_file(path);
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(path)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()
    };
    write().map_err(|e| Failure::failed(format!("{}: {e}", path.display())))
}

fn create_ca(out_dir: &Path, days: u32, force: bool) -> Result<(), Failure> {
    let cert_path = out_dir.join(CA_FILE);
    let key_path = out_dir.join(CA_KEY_FILE);
    check_free(&[&cert_path, &key_path], force)?;
    let key = KeyPair::generate().map_err(|e| Failure::failed(format!("key: {e}")))?;
    let mut params = CertificateParams::default();
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.distinguished_name.push(
        DnType::CommonName,
        format!("Belfry Agent CA {:08x}", rand_u32()),
    );
    params
        .distinguished_name
        .push(DnType::OrganizationName, "Belfry");
    validity(&mut params, days)?;
    let cert = params
        .self_signed(&key)
        .map_err(|e| Failure::failed(format!("CA certificate: {e}")))?;
    std::fs::create_dir_all(out_dir)
        .map_err(|e| Failure::failed(format!("{}: {e}", out_dir.display())))?;
    write_file(&cert_path, &cert.pem(), 0o644)?;
    write_file(&key_path, &key.serialize_pem(), 0o600)?;
    println!("==> CA certificate: {}", cert_path.display());
    println!("==> CA key (keep it secret): {}", key_path.display());
    Ok(())
}

fn rand_u32() -> u32 {
    let mut bytes = [0u8; 4];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        let _ = std::io::Read::read_exact(&mut f, &mut bytes);
    }
    u32::from_le_bytes(bytes)
}

struct CertRequest<'a> {
    server: bool,
    ca: &'a Path,
    ca_key: &'a Path,
    name: Option<String>,
    region: &'a str,
    ips: &'a [std::net::IpAddr],
    dns: &'a [String],
    out_dir: &'a Path,
    days: u32,
    force: bool,
}

fn create_cert(req: CertRequest<'_>) -> Result<(), Failure> {
    let read = |p: &Path| {
        std::fs::read_to_string(p).map_err(|e| {
            Failure::usage(format!(
                "{}: {e} (make a CA first with `belfry tls ca create`)",
                p.display()
            ))
        })
    };
    let ca_pem = read(req.ca)?;
    let ca_key_pem = read(req.ca_key)?;
    let ca_key = KeyPair::from_pem(&ca_key_pem).map_err(|e| {
        Failure::usage(format!(
            "{}: not a PEM private key: {e}",
            req.ca_key.display()
        ))
    })?;
    let issuer = Issuer::from_ca_cert_pem(&ca_pem, &ca_key)
        .map_err(|e| Failure::usage(format!("{}: not a CA certificate: {e}", req.ca.display())))?;
    // The key must be the CA certificate's own: its public key appears in the certificate.
    let ca_der = rustls_pem_der(&ca_pem)
        .ok_or_else(|| Failure::usage(format!("{}: no PEM certificate", req.ca.display())))?;
    let spki = ca_key.public_key_raw().to_vec();
    if !ca_der.windows(spki.len()).any(|w| w == spki.as_slice()) {
        return Err(Failure::usage(format!(
            "{} is not the key of {}",
            req.ca_key.display(),
            req.ca.display()
        )));
    }

    let kind = if req.server { "server" } else { "client" };
    let (base, common_name) = match &req.name {
        Some(name) => {
            if name.is_empty() || name.contains('/') {
                return Err(Failure::usage(format!(
                    "--name {name:?} is not a file name"
                )));
            }
            (name.clone(), name.clone())
        }
        None => {
            let prefix = format!("{}-{kind}-belfry", req.region);
            let n = (0..)
                .find(|n| !req.out_dir.join(format!("{prefix}-{n}.pem")).exists())
                .unwrap_or(0);
            (
                format!("{prefix}-{n}"),
                format!("{kind}.{}.belfry", req.region),
            )
        }
    };
    let cert_path: PathBuf = req.out_dir.join(format!("{base}.pem"));
    let key_path: PathBuf = req.out_dir.join(format!("{base}-key.pem"));
    check_free(&[&cert_path, &key_path], req.force)?;

    let mut params = CertificateParams::default();
    params
        .distinguished_name
        .push(DnType::CommonName, common_name.clone());
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    if req.server {
        // Servers may also call other nodes as clients.
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        let mut sans = vec![
            SanType::DnsName("localhost".try_into().expect("ascii")),
            SanType::DnsName(
                common_name
                    .clone()
                    .try_into()
                    .map_err(|e| Failure::usage(format!("--name: {e}")))?,
            ),
            SanType::IpAddress("127.0.0.1".parse().expect("ip")),
            SanType::IpAddress("::1".parse().expect("ip")),
        ];
        for d in req.dns {
            sans.push(SanType::DnsName(
                d.clone()
                    .try_into()
                    .map_err(|e| Failure::usage(format!("--dns {d:?}: {e}")))?,
            ));
        }
        sans.extend(req.ips.iter().map(|ip| SanType::IpAddress(*ip)));
        params.subject_alt_names = sans;
    } else {
        if !req.ips.is_empty() || !req.dns.is_empty() {
            return Err(Failure::usage(
                "--ip and --dns are for --server certificates",
            ));
        }
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    }
    validity(&mut params, req.days)?;
    let key = KeyPair::generate().map_err(|e| Failure::failed(format!("key: {e}")))?;
    let cert = params
        .signed_by(&key, &issuer)
        .map_err(|e| Failure::failed(format!("certificate: {e}")))?;
    std::fs::create_dir_all(req.out_dir)
        .map_err(|e| Failure::failed(format!("{}: {e}", req.out_dir.display())))?;
    write_file(&cert_path, &cert.pem(), 0o644)?;
    write_file(&key_path, &key.serialize_pem(), 0o600)?;
    println!("==> {kind} certificate: {}", cert_path.display());
    println!("==> {kind} key: {}", key_path.display());
    Ok(())
}

/// The DER of the first certificate in a PEM text.
fn rustls_pem_der(pem: &str) -> Option<Vec<u8>> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    CertificateDer::from_pem_slice(pem.as_bytes())
        .ok()
        .map(|c| c.to_vec())
}
