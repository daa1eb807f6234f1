//! `IP:PORT` as `az network watcher test-ip-flow` writes an endpoint; IPv6 as `[addr]:port`.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use thiserror::Error;

#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{text:?} is not IP:PORT (IPv6 as [addr]:port, or a bare IP for port 0)")]
pub struct EndpointError {
    pub text: String,
}

/// Parses `10.0.0.4:80`, `[fd00::4]:443`, or a bare IP (port 0, for ICMP, ESP and AH).
pub fn parse_endpoint(text: &str) -> Result<(IpAddr, u16), EndpointError> {
    let t = text.trim();
    if let Ok(socket) = t.parse::<SocketAddr>() {
        return Ok((socket.ip(), socket.port()));
    }
    let bare = t
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .unwrap_or(t);
    bare.parse::<IpAddr>()
        .map(|ip| (ip, 0))
        .map_err(|_| EndpointError {
            text: text.to_owned(),
        })
}

/// For an IPv6 address written without brackets (`2001:db8::1:5000`), which reads as an
/// address with no port, the endpoint the writer probably meant (`[2001:db8::1]:5000`),
/// or `[addr]:PORT` when no last group can be a port. `None` for anything else.
pub fn unbracketed_ipv6_hint(text: &str) -> Option<String> {
    let t = text.trim();
    t.parse::<Ipv6Addr>().ok()?;
    let split = t
        .rsplit_once(':')
        .filter(|(head, tail)| head.parse::<Ipv6Addr>().is_ok() && tail.parse::<u16>().is_ok());
    Some(match split {
        Some((head, port)) => format!("[{head}]:{port}"),
        None => format!("[{t}]:PORT"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_v4_v6_and_bare() {
        assert_eq!(parse_endpoint("10.0.0.4:80").map(|e| e.1), Ok(80));
        assert_eq!(
            parse_endpoint("[2404:f801:9000:1a:6feb::4aee]:443").map(|e| (e.0.is_ipv6(), e.1)),
            Ok((true, 443))
        );
        assert_eq!(parse_endpoint("fd00::4").map(|e| e.1), Ok(0));
        assert!(parse_endpoint("10.0.0.4:70000").is_err());
        assert!(parse_endpoint("host:80").is_err());
    }

    #[test]
    fn unbracketed_ipv6_gets_a_hint() {
        assert_eq!(
            unbracketed_ipv6_hint("2001:db8::1:5000").as_deref(),
            Some("[2001:db8::1]:5000")
        );
        assert_eq!(
            unbracketed_ipv6_hint("fd00::4").as_deref(),
            Some("[fd00::4]:PORT")
        );
        assert_eq!(unbracketed_ipv6_hint("[2001:db8::1]:5000"), None);
        assert_eq!(unbracketed_ipv6_hint("10.0.0.4:80"), None);
    }
}
