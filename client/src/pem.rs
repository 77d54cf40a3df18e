//! PEM files for TLS: certificates, CA roots and private keys, read with rustls' own parser.
//! The client's `--ca`/`--client-cert`/`--client-key` use them, and so do the engine's
//! listeners (which re-export them from `http_serve`), so both read the same files alike.

use std::path::Path;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// A TLS setting that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{path}: {reason}")]
    File { path: String, reason: String },
    #[error("{0}")]
    Config(String),
}

impl TlsError {
    /// `path` cannot be used, for `reason`.
    pub fn file(path: &Path, reason: impl std::fmt::Display) -> TlsError {
        TlsError::File {
            path: path.display().to_string(),
            reason: reason.to_string(),
        }
    }
}

/// Every certificate in a PEM file (at least one).
pub fn read_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| TlsError::file(path, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::file(path, format!("not a PEM certificate file: {e}")))?;
    if certs.is_empty() {
        return Err(TlsError::file(path, "holds no PEM certificate"));
    }
    Ok(certs)
}

/// A root store of every certificate in a PEM file.
pub fn read_roots(path: &Path) -> Result<rustls::RootCertStore, TlsError> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in read_certificates(path)? {
        roots
            .add(cert)
            .map_err(|e| TlsError::file(path, format!("not a usable CA certificate: {e}")))?;
    }
    Ok(roots)
}

/// The first private key in a PEM file.
pub fn read_private_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_file(path)
        .map_err(|e| TlsError::file(path, format!("no usable PEM private key: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unusable_files_are_named_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let err = read_roots(&missing).unwrap_err().to_string();
        assert!(err.starts_with(&missing.display().to_string()), "{err}");

        let not_pem = dir.path().join("not.pem");
        std::fs::write(&not_pem, "just text\n").unwrap();
        let err = read_certificates(&not_pem).unwrap_err().to_string();
        assert!(err.ends_with("holds no PEM certificate"), "{err}");
        let err = read_private_key(&not_pem).unwrap_err().to_string();
        assert!(err.contains("no usable PEM private key"), "{err}");
    }
}
