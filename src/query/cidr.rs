//! An address or a network (`203.0.113.7`, `198.51.100.0/24`, `2001:db8::/32`), as timeline
//! and pivot filters, Sigma's `cidr` modifier and the correlation pivots take them.

use std::net::IpAddr;

/// An address or a network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    pub net: IpAddr,
    pub prefix: u8,
}

impl Cidr {
    pub fn parse(s: &str) -> Result<Cidr, String> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let net: IpAddr = addr.trim().parse().map_err(|_| format!("{s:?} is not an IP address or CIDR network"))?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(|| format!("{s:?}: bad prefix length"))?,
            None => max,
        };
        Ok(Cidr { net, prefix })
    }

    pub fn contains(&self, ip: &str) -> bool {
        let Ok(ip) = ip.parse::<IpAddr>() else { return false };
        match (self.net, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = if self.prefix == 0 { 0 } else { u32::MAX << (32 - self.prefix as u32) };
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = if self.prefix == 0 { 0 } else { u128::MAX << (128 - self.prefix as u32) };
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }

    /// A single address (no network part).
    pub fn exact(&self) -> Option<String> {
        let max = if self.net.is_ipv4() { 32 } else { 128 };
        (self.prefix == max).then(|| self.net.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_and_addresses() {
        let c = Cidr::parse("198.51.100.0/24").unwrap();
        assert!(c.contains("198.51.100.23") && !c.contains("198.51.101.1") && !c.contains("2001:db8::1"));
        assert_eq!(Cidr::parse("203.0.113.7").unwrap().exact().as_deref(), Some("203.0.113.7"));
        assert!(Cidr::parse("2001:db8::/32").unwrap().contains("2001:db8:ffff::1"));
        assert!(Cidr::parse("10.0.0.0/33").is_err());
    }
}
