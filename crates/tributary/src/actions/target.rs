//! Where an UpdateAction may send its request. Integrations choose the URL, so without a
//! check a thread could make the server call its own loopback services or the private
//! network behind it (server-side request forgery). Private, loopback, link-local and other
//! non-public addresses are refused unless the operator passes
//! `--allow-private-action-targets` (tests do, to reach their loopback integrations).
//!
//! Host names are resolved once here and the request is pinned to the addresses checked, so
//! a second DNS answer cannot swap in a private address (DNS rebinding).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// A checked target: the URL and the addresses the request may connect to.
#[derive(Debug, Clone)]
pub struct Target {
    pub url: url::Url,
    /// The host name to pin to `addrs`; `None` when the URL names an IP address.
    pub domain: Option<String>,
    pub addrs: Vec<SocketAddr>,
}

/// Why a target was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not an absolute http(s) URL.
    Invalid(String),
    /// The host does not resolve.
    Unresolved(String),
    /// It resolves to an address this server does not call.
    Private(IpAddr),
}

impl Refusal {
    pub fn message(&self) -> String {
        match self {
            Refusal::Invalid(why) => format!("The action's target is not usable: {why}"),
            Refusal::Unresolved(host) => format!("The action's host {host} does not resolve"),
            Refusal::Private(ip) => format!(
                "The action's target {ip} is a private, loopback or link-local address, which \
                 this server does not call"
            ),
        }
    }
}

/// Whether `ip` is outside the public internet: loopback, private, link-local, shared
/// (carrier-grade NAT), benchmarking, unspecified, broadcast, multicast, documentation,
/// reserved, or an IPv6 form that tunnels to IPv4 space (mapped, compatible, NAT64, 6to4,
/// Teredo), whose IPv4 end the check could not see.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => private_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return private_v4(v4);
            }
            let s = v6.segments();
            let first = s[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || s[..6] == [0; 6] // IPv4-compatible ::a.b.c.d (::/96, deprecated)
                || (first & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (first & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (first & 0xffc0) == 0xfec0 // site-local fec0::/10 (deprecated)
                || first == 0x2001 && s[1] == 0x0db8 // documentation
                || first == 0x2001 && s[1] == 0x0000 // Teredo 2001::/32
                || first == 0x2002 // 6to4 2002::/16
                || first == 0x0064 && s[1] == 0xff9b // NAT64 reaches IPv4 space
                || s[..4] == [0x0100, 0, 0, 0] // discard-only 100::/64
        }
    }
}

fn private_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space 100.64/10
        || (a == 198 && (b == 18 || b == 19)) // benchmarking 198.18/15
        || (a == 192 && b == 0 && ip.octets()[2] == 0) // IETF protocol assignments
        || a >= 240 // reserved
}

/// Parses and resolves `raw`, refusing non-public addresses unless `allow_private`.
pub async fn check(raw: &str, allow_private: bool) -> Result<Target, Refusal> {
    let url = url::Url::parse(raw.trim()).map_err(|e| Refusal::Invalid(e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Refusal::Invalid(
            "only http and https URLs are called".into(),
        ));
    }
    let port = url
        .port_or_known_default()
        .ok_or_else(|| Refusal::Invalid("no port".into()))?;
    let (domain, addrs) = match url.host() {
        Some(url::Host::Ipv4(ip)) => (None, vec![SocketAddr::new(IpAddr::V4(ip), port)]),
        Some(url::Host::Ipv6(ip)) => (None, vec![SocketAddr::new(IpAddr::V6(ip), port)]),
        Some(url::Host::Domain(d)) => {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((d, port))
                .await
                .map_err(|_| Refusal::Unresolved(d.to_owned()))?
                .collect();
            if addrs.is_empty() {
                return Err(Refusal::Unresolved(d.to_owned()));
            }
            (Some(d.to_owned()), addrs)
        }
        None => return Err(Refusal::Invalid("no host".into())),
    };
    if !allow_private {
        if let Some(bad) = addrs.iter().find(|a| is_private(a.ip())) {
            return Err(Refusal::Private(bad.ip()));
        }
    }
    Ok(Target { url, domain, addrs })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn non_public_addresses_are_private() {
        for s in [
            "127.0.0.1",
            "127.8.9.10",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
        ] {
            assert!(is_private(ip(s)), "{s} must be refused");
        }
    }

    #[test]
    fn special_purpose_ranges_of_the_review_are_private() {
        // Issue 15: benchmarking 198.18/15, shared 100.64/10, 6to4 2002::/16, Teredo
        // 2001::/32, IPv4-compatible ::a.b.c.d (::/96) and discard-only 100::/64.
        for s in [
            "198.18.0.1",
            "198.19.255.254",
            "100.64.0.0",
            "100.127.255.255",
            "2002::1",
            "2002:7f00:1::1",
            "2002:ffff:ffff::",
            "2001::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "2001:0:ffff::1",
            "::127.0.0.1",
            "::10.0.0.1",
            "::8.8.8.8",
            "::0.0.0.2",
            "100::",
            "100::1",
            "100::ffff:ffff:ffff:ffff",
        ] {
            assert!(is_private(ip(s)), "{s} must be refused");
        }
        // Their neighbours stay public.
        for s in [
            "198.17.255.255",
            "198.20.0.0",
            "100.63.255.255",
            "100.128.0.0",
            "2003::1",
            "2001:1::1",
            "2001:4860::8888",
            "100:0:0:1::",
            "::1:0:0:1",
        ] {
            assert!(!is_private(ip(s)), "{s} is public");
        }
    }

    #[test]
    fn public_addresses_are_not() {
        for s in [
            "93.184.216.34",
            "8.8.8.8",
            "172.32.0.1",
            "2606:4700::1111",
            "1.1.1.1",
        ] {
            assert!(!is_private(ip(s)), "{s} is public");
        }
    }

    #[tokio::test]
    async fn loopback_targets_need_the_operators_permission() {
        assert_eq!(
            check("http://127.0.0.1:9/vote", false).await.unwrap_err(),
            Refusal::Private(ip("127.0.0.1"))
        );
        assert!(matches!(
            check("http://localhost:9/vote", false).await.unwrap_err(),
            Refusal::Private(_)
        ));
        let allowed = check("http://127.0.0.1:9/vote", true).await.unwrap();
        assert_eq!(allowed.addrs, vec!["127.0.0.1:9".parse().unwrap()]);
        assert!(matches!(
            check("ftp://example.com/x", true).await.unwrap_err(),
            Refusal::Invalid(_)
        ));
        assert!(matches!(
            check("http://[::1]:9/x", false).await.unwrap_err(),
            Refusal::Private(_)
        ));
    }
}
