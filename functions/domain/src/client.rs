//! The address a request came from, as far as rationing goes: one IPv4 address, or one IPv6
//! /64 network (a single IPv6 client usually holds a whole /64, so counting single addresses
//! would ration nothing).

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientAddress(IpAddr);

impl ClientAddress {
    pub fn of(ip: IpAddr) -> ClientAddress {
        ClientAddress(match ip {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => {
                    let s = v6.segments();
                    IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
                }
            },
            v4 => v4,
        })
    }

    /// An address as a proxy reports it: `198.51.100.10`, `198.51.100.10:46532`,
    /// `2001:db8::1`, or `2001:db8::1:46532` (CloudFront's `CloudFront-Viewer-Address` puts the
    /// port after the last colon, without brackets), or `[2001:db8::1]:46532`. An IPv6 port may
    /// read as the address's last group; only the /64 network counts, so that is harmless.
    pub fn parse(text: &str) -> Option<ClientAddress> {
        let text = text.trim();
        if let Ok(ip) = text.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
            return Some(ClientAddress::of(ip));
        }
        let (host, port) = text.rsplit_once(':')?;
        port.parse::<u16>().ok()?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        host.parse::<IpAddr>().ok().map(ClientAddress::of)
    }
}

impl ClientAddress {
    /// The coarse network a notice names: the /24 of an IPv4 address, the /48 of an IPv6 one;
    /// never the address itself.
    pub fn network(&self) -> String {
        match self.0 {
            IpAddr::V4(v4) => {
                let [a, b, c, _] = v4.octets();
                format!("{a}.{b}.{c}.0/24")
            }
            IpAddr::V6(v6) => {
                let s = v6.segments();
                format!("{}/48", Ipv6Addr::new(s[0], s[1], s[2], 0, 0, 0, 0, 0))
            }
        }
    }
}

impl fmt::Display for ClientAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            IpAddr::V4(v4) => write!(f, "{v4}"),
            IpAddr::V6(v6) => write!(f, "{v6}/64"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> Option<String> {
        ClientAddress::parse(text).map(|c| c.to_string())
    }

    #[test]
    fn a_notice_names_the_network_never_the_address() {
        let network = |text: &str| ClientAddress::parse(text).unwrap().network();
        assert_eq!(network("198.51.100.10"), "198.51.100.0/24");
        assert_eq!(network("2001:db8:1234:5678::1"), "2001:db8:1234::/48");
        assert_eq!(network("::ffff:198.51.100.10"), "198.51.100.0/24");
    }

    #[test]
    fn addresses_are_read_with_or_without_a_port() {
        assert_eq!(parsed("198.51.100.10").as_deref(), Some("198.51.100.10"));
        assert_eq!(parsed("198.51.100.10:46532").as_deref(), Some("198.51.100.10"));
        assert_eq!(parsed("[2001:db8::1]:443").as_deref(), Some("2001:db8::/64"));
        assert_eq!(parsed("2001:db8:0:0:1:2:3:4:46532").as_deref(), Some("2001:db8::/64"));
        assert_eq!(parsed("::ffff:198.51.100.10").as_deref(), Some("198.51.100.10"));
        assert_eq!(parsed("not an address"), None);
        assert_eq!(parsed(""), None);
    }

    #[test]
    fn one_ipv6_network_counts_as_one_client() {
        assert_eq!(parsed("2001:db8:1:2:aaaa::1"), parsed("2001:db8:1:2:bbbb::2"));
        assert_ne!(parsed("2001:db8:1:2::1"), parsed("2001:db8:1:3::1"));
    }
}
