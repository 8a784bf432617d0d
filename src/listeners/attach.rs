//! Which listener a half-open handshake belongs to. The kernel keeps a
//! request (Linux: a SYN-RECV request socket; FreeBSD: a syncache entry)
//! for a listener but does not say which; it is found as the kernel finds
//! the listener for a SYN: the exact local address first, then a wildcard
//! of the SYN's own family, then an IPv6 wildcard that takes IPv4 too. Of
//! equally good ones (`SO_REUSEPORT`), the first wins. Pure.

use std::net::IpAddr;

/// Which IP versions a listening socket takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stack {
    /// An IPv4 socket.
    V4,
    /// An IPv6 socket with `IPV6_V6ONLY`.
    V6,
    /// An IPv6 socket without `IPV6_V6ONLY`: IPv6 and IPv4.
    Dual,
}

/// The local end of a listening socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Local {
    pub addr: IpAddr,
    pub port: u16,
    pub stack: Stack,
}

/// An IPv4-mapped IPv6 address as the IPv4 address it stands for.
fn unmapped(a: IpAddr) -> IpAddr {
    match a {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(a, IpAddr::V4),
        a => a,
    }
}

/// How well listener `l` matches a handshake to local `addr`:`port`:
/// `None` when it cannot have taken its SYN, else lower is better.
pub fn rank(l: &Local, addr: IpAddr, port: u16) -> Option<u8> {
    if l.port != port {
        return None;
    }
    let addr = unmapped(addr);
    let family_fits = matches!(
        (addr, l.stack),
        (IpAddr::V4(_), Stack::V4 | Stack::Dual) | (IpAddr::V6(_), Stack::V6 | Stack::Dual)
    );
    if unmapped(l.addr) == addr {
        Some(0)
    } else if !family_fits || !l.addr.is_unspecified() {
        None
    } else if l.stack == Stack::Dual && addr.is_ipv4() {
        Some(2)
    } else {
        Some(1)
    }
}

/// The number of half-open handshakes (their local address and port) of
/// each listener, in the order of `listeners`; one that matches none (its
/// listener closed, or is not visible) is not counted.
pub fn half_open_counts(
    listeners: &[Local],
    half_open: impl IntoIterator<Item = (IpAddr, u16)>,
) -> Vec<u32> {
    let mut counts = vec![0u32; listeners.len()];
    for (addr, port) in half_open {
        let best = listeners
            .iter()
            .enumerate()
            .filter_map(|(i, l)| Some((rank(l, addr, port)?, i)))
            .min();
        if let Some((_, i)) = best {
            counts[i] = counts[i].saturating_add(1);
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn local(addr: &str, port: u16, stack: Stack) -> Local {
        Local {
            addr: addr.parse().unwrap(),
            port,
            stack,
        }
    }

    fn counts(listeners: &[Local], half_open: &[(&str, u16)]) -> Vec<u32> {
        half_open_counts(
            listeners,
            half_open.iter().map(|&(a, p)| (a.parse().unwrap(), p)),
        )
    }

    #[test]
    fn ipv6_handshakes_go_to_the_ipv6_wildcard_beside_an_ipv4_one() {
        // sshd and nginx: 0.0.0.0:22 and [::]:22 with IPV6_V6ONLY.
        let l = [local("0.0.0.0", 22, Stack::V4), local("::", 22, Stack::V6)];
        assert_eq!(
            counts(&l, &[("2001:db8::1", 22), ("192.0.2.1", 22), ("::1", 22)]),
            [1, 2]
        );
    }

    #[test]
    fn exact_address_first_then_wildcard_then_dual_stack() {
        let l = [
            local("::", 80, Stack::Dual),
            local("127.0.0.1", 80, Stack::V4),
        ];
        // 127.0.0.1 exactly; another IPv4 address (also mapped) only the
        // dual-stack wildcard takes.
        assert_eq!(
            counts(
                &l,
                &[("127.0.0.1", 80), ("10.0.0.1", 80), ("::ffff:10.0.0.2", 80)]
            ),
            [2, 1]
        );
        // No listener on the port, or a specific one of another address.
        assert_eq!(counts(&l, &[("127.0.0.1", 81)]), [0, 0]);
        let only = [local("127.0.0.1", 80, Stack::V4)];
        assert_eq!(counts(&only, &[("10.0.0.1", 80)]), [0]);
    }

    #[test]
    fn a_v4_request_reported_in_ipv6_form_matches_its_dual_stack_listener() {
        // Linux reports a request of a dual-stack listener in the
        // listener's family; its address may read as the wildcard.
        let l = [local("::", 443, Stack::Dual)];
        assert_eq!(counts(&l, &[("::", 443)]), [1]);
        assert_eq!(rank(&l[0], IpAddr::V4(Ipv4Addr::LOCALHOST), 443), Some(2));
        assert_eq!(rank(&l[0], IpAddr::V6(Ipv6Addr::LOCALHOST), 443), Some(1));
    }
}
