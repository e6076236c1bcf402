//! An HTTPS integration for the outbound-request tests: a test certificate authority
//! (rcgen) and a TLS listener on loopback (tokio-rustls) that keeps what it was sent and
//! counts the handshakes a client refused.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// A certificate authority for the tests, and the PEM file the server is told to trust.
pub(crate) struct TestCa {
    cert: rcgen::Certificate,
    key: KeyPair,
    pub pem_file: PathBuf,
    _dir: tempfile::TempDir,
}

impl TestCa {
    pub(crate) fn new(name: &str) -> TestCa {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let cert = params.self_signed(&key).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let pem_file = dir.path().join("ca.pem");
        std::fs::write(&pem_file, cert.pem()).unwrap();
        TestCa {
            cert,
            key,
            pem_file,
            _dir: dir,
        }
    }

    /// A server certificate for `names` (host names or IP addresses), and its key.
    pub(crate) fn issue(
        &self,
        names: &[&str],
    ) -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
        let key = KeyPair::generate().unwrap();
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut params = CertificateParams::new(names).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "integration");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let cert = params.signed_by(&key, &self.cert, &self.key).unwrap();
        (
            cert.der().clone(),
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
    }
}

/// What the HTTPS integration received.
#[derive(Clone, Debug)]
pub(crate) struct Received {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

#[derive(Clone, Default)]
pub(crate) struct Seen {
    pub requests: Arc<Mutex<Vec<Received>>>,
    /// TLS handshakes that did not complete (the client refused the certificate).
    pub failed_handshakes: Arc<Mutex<usize>>,
}

/// A TCP listener that completes a TLS handshake before handing a connection to axum;
/// connections whose handshake fails are counted and dropped.
struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
    seen: Seen,
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((tcp, addr)) = self.tcp.accept().await else {
                continue;
            };
            match self.acceptor.accept(tcp).await {
                Ok(tls) => return (tls, addr),
                Err(_) => *self.seen.failed_handshakes.lock().unwrap() += 1,
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

/// An integration serving HTTPS on loopback with `cert`; answers 200 to every POST and
/// keeps what it received. Returns its port.
pub(crate) async fn https_integration(
    cert: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
) -> (u16, Seen) {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .unwrap();
    let tcp = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = tcp.local_addr().unwrap().port();
    let seen = Seen::default();
    let router = Router::new()
        .route(
            "/{*path}",
            post(
                |State(seen): State<Seen>,
                 uri: axum::http::Uri,
                 headers: HeaderMap,
                 body: Bytes| async move {
                    seen.requests.lock().unwrap().push(Received {
                        path: uri.path().to_owned(),
                        headers,
                        body,
                    });
                    StatusCode::OK
                },
            ),
        )
        .with_state(seen.clone());
    let listener = TlsListener {
        tcp,
        acceptor: TlsAcceptor::from(Arc::new(config)),
        seen: seen.clone(),
    };
    tokio::spawn(async move { axum::serve(listener, router).await });
    (port, seen)
}
