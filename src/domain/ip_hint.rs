//! The place hint a sessions list shows: the client's address with its host part masked, enough
//! to tell "home" from "somewhere else" without keeping the full address with the session.

use std::net::IpAddr;

/// `203.0.113.x` for IPv4 (the /24), `2001:db8:85a3::/48` for IPv6 (a site's prefix);
/// an IPv4-mapped IPv6 address is shown as the IPv4 one.
pub fn ip_hint(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            format!("{a}.{b}.{c}.x")
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            let prefix = std::net::Ipv6Addr::new(s[0], s[1], s[2], 0, 0, 0, 0, 0);
            format!("{prefix}/48")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn masks_the_host_part() {
        let hint = |s: &str| ip_hint(s.parse().unwrap());
        assert_eq!(hint("203.0.113.77"), "203.0.113.x");
        assert_eq!(
            hint("2001:db8:85a3:8d3:1319:8a2e:370:7348"),
            "2001:db8:85a3::/48"
        );
        assert_eq!(hint("2001:db8::1"), "2001:db8::/48");
        assert_eq!(hint("::ffff:198.51.100.9"), "198.51.100.x");
        assert_eq!(hint("127.0.0.1"), "127.0.0.x");
    }

    proptest! {
        #[test]
        fn never_shows_the_host(v4 in any::<[u8; 4]>(), v6 in any::<[u16; 8]>()) {
            let four = ip_hint(IpAddr::from(v4));
            prop_assert_eq!(&four, &format!("{}.{}.{}.x", v4[0], v4[1], v4[2]));
            let six: std::net::Ipv6Addr = v6.into();
            if six.to_ipv4_mapped().is_none() {
                let hint = ip_hint(IpAddr::V6(six));
                let (prefix, len) = hint.split_once('/').unwrap();
                prop_assert_eq!(len, "48");
                let back: std::net::Ipv6Addr = prefix.parse().unwrap();
                prop_assert_eq!(&back.segments()[..3], &v6[..3]);
                prop_assert!(back.segments()[3..].iter().all(|&s| s == 0));
            }
        }
    }
}
