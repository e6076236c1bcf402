//! TLS for UpdateAction requests to `https://` targets: rustls on the ring provider, trusting
//! the platform's root certificates (Debian's /etc/ssl/certs) and, when the operator names
//! one, an extra certificate authority for internal integrations (`--action-ca-file`).
//!
//! The configuration is built once, at startup, and cloned into each request's client
//! (`outbound`), which connects to the checked, pinned address while verifying the
//! certificate against the URL's host name.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

/// The TLS client configuration action requests use.
#[derive(Clone)]
pub struct ActionTls(Arc<ClientConfig>);

impl std::fmt::Debug for ActionTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ActionTls")
    }
}

impl ActionTls {
    /// The platform's roots, plus every certificate in the PEM file `extra_ca` when given.
    pub fn new(extra_ca: Option<&Path>) -> Result<ActionTls, String> {
        let mut roots = platform_roots().clone();
        if let Some(path) = extra_ca {
            for cert in extra_certificates(path)? {
                roots
                    .add(cert)
                    .map_err(|e| format!("{}: not a usable CA certificate: {e}", path.display()))?;
            }
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS setup: {e}"))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(ActionTls(Arc::new(config)))
    }

    /// The configuration, for one client.
    pub fn client_config(&self) -> ClientConfig {
        (*self.0).clone()
    }
}

impl Default for ActionTls {
    /// The platform's roots alone.
    fn default() -> ActionTls {
        match ActionTls::new(None) {
            Ok(tls) => tls,
            // Only the protocol versions can fail without a CA file, and ring has them all.
            Err(e) => unreachable!("the ring provider supports the default TLS versions: {e}"),
        }
    }
}

/// The platform's root certificates, read once per process: the store is a few hundred
/// certificates, and every server state (and every test server) would otherwise parse it.
fn platform_roots() -> &'static RootCertStore {
    static ROOTS: OnceLock<RootCertStore> = OnceLock::new();
    ROOTS.get_or_init(|| {
        let found = rustls_native_certs::load_native_certs();
        for e in &found.errors {
            tracing::warn!(error = %e, "actions.tls_roots_error");
        }
        let mut roots = RootCertStore::empty();
        let (added, ignored) = roots.add_parsable_certificates(found.certs);
        if added == 0 {
            tracing::warn!(
                "actions.tls_no_roots: no platform root certificates were found; https:// \
                 action targets will fail unless --action-ca-file names their CA"
            );
        }
        tracing::debug!(
            actions.roots = added,
            actions.ignored = ignored,
            "actions.tls_roots"
        );
        roots
    })
}

/// The certificates of a PEM file; at least one.
fn extra_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{}: bad PEM: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("{}: no CERTIFICATE in the file", path.display()));
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_extra_ca_file_must_hold_a_certificate() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "").unwrap();
        assert!(ActionTls::new(Some(&empty))
            .unwrap_err()
            .contains("no CERTIFICATE"));
        assert!(ActionTls::new(Some(&dir.path().join("missing.pem")))
            .unwrap_err()
            .contains("cannot read"));
        let junk = dir.path().join("junk.pem");
        std::fs::write(
            &junk,
            "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        assert!(ActionTls::new(Some(&junk)).is_err());
        assert!(ActionTls::new(None).is_ok());
    }
}
