//! Exact set arithmetic over the address and port spaces: sorted, disjoint inclusive
//! intervals, IPv4 (`u32`) and IPv6 (`u128`) kept apart, ports as `u16`. Merge, intersect,
//! subtract and complement walk the interval lists; nothing ever enumerates addresses or
//! ports. [`AddrSet::to_cidrs`] turns a set back into the fewest CIDR blocks for display.

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use serde::{Serialize, Serializer};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A point of a one-dimensional space with a least and a greatest element.
pub trait Point: Copy + Ord + fmt::Debug {
    const MIN: Self;
    const MAX: Self;
    fn successor(self) -> Option<Self>;
    fn predecessor(self) -> Option<Self>;
}

macro_rules! point {
    ($t:ty) => {
        impl Point for $t {
            const MIN: $t = <$t>::MIN;
            const MAX: $t = <$t>::MAX;
            fn successor(self) -> Option<$t> {
                self.checked_add(1)
            }
            fn predecessor(self) -> Option<$t> {
                self.checked_sub(1)
            }
        }
    };
}
point!(u16);
point!(u32);
point!(u128);

/// A set of points as sorted, disjoint, non-adjacent inclusive intervals.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IntervalSet<T> {
    ranges: Vec<(T, T)>,
}

impl<T: Point> fmt::Debug for IntervalSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.ranges.iter()).finish()
    }
}

impl<T: Point> Default for IntervalSet<T> {
    fn default() -> Self {
        IntervalSet::empty()
    }
}

impl<T: Point> IntervalSet<T> {
    pub fn empty() -> IntervalSet<T> {
        IntervalSet { ranges: Vec::new() }
    }

    pub fn full() -> IntervalSet<T> {
        IntervalSet {
            ranges: vec![(T::MIN, T::MAX)],
        }
    }

    pub fn single(point: T) -> IntervalSet<T> {
        IntervalSet {
            ranges: vec![(point, point)],
        }
    }

    /// `[first, last]`; empty when `first > last`.
    pub fn range(first: T, last: T) -> IntervalSet<T> {
        if first > last {
            IntervalSet::empty()
        } else {
            IntervalSet {
                ranges: vec![(first, last)],
            }
        }
    }

    /// The union of any inclusive ranges (those with `first > last` are ignored).
    pub fn from_ranges(ranges: impl IntoIterator<Item = (T, T)>) -> IntervalSet<T> {
        let mut ranges: Vec<(T, T)> = ranges.into_iter().filter(|(a, b)| a <= b).collect();
        ranges.sort_unstable();
        let mut out: Vec<(T, T)> = Vec::with_capacity(ranges.len());
        for (first, last) in ranges {
            if let Some(prev) = out.last_mut() {
                // Merge when overlapping or adjacent.
                let touches = match prev.1.successor() {
                    Some(next) => first <= next,
                    None => true,
                };
                if touches {
                    if last > prev.1 {
                        prev.1 = last;
                    }
                    continue;
                }
            }
            out.push((first, last));
        }
        IntervalSet { ranges: out }
    }

    pub fn ranges(&self) -> &[(T, T)] {
        &self.ranges
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    pub fn is_full(&self) -> bool {
        self.ranges == [(T::MIN, T::MAX)]
    }

    pub fn contains(&self, point: T) -> bool {
        let i = self.ranges.partition_point(|(_, last)| *last < point);
        self.ranges.get(i).is_some_and(|(first, _)| *first <= point)
    }

    pub fn union(&self, other: &IntervalSet<T>) -> IntervalSet<T> {
        if other.is_empty() {
            return self.clone();
        }
        if self.is_empty() {
            return other.clone();
        }
        IntervalSet::from_ranges(self.ranges.iter().chain(other.ranges.iter()).copied())
    }

    pub fn intersect(&self, other: &IntervalSet<T>) -> IntervalSet<T> {
        let (mut i, mut j) = (0, 0);
        let mut out = Vec::new();
        while let (Some(&(a0, a1)), Some(&(b0, b1))) = (self.ranges.get(i), other.ranges.get(j)) {
            let first = a0.max(b0);
            let last = a1.min(b1);
            if first <= last {
                out.push((first, last));
            }
            if a1 < b1 {
                i += 1;
            } else {
                j += 1;
            }
        }
        IntervalSet { ranges: out }
    }

    /// Whether the two sets share a point (without building the intersection).
    pub fn intersects(&self, other: &IntervalSet<T>) -> bool {
        let (mut i, mut j) = (0, 0);
        while let (Some(&(a0, a1)), Some(&(b0, b1))) = (self.ranges.get(i), other.ranges.get(j)) {
            if a0.max(b0) <= a1.min(b1) {
                return true;
            }
            if a1 < b1 {
                i += 1;
            } else {
                j += 1;
            }
        }
        false
    }

    pub fn complement(&self) -> IntervalSet<T> {
        let mut out = Vec::with_capacity(self.ranges.len() + 1);
        let mut next_free = Some(T::MIN);
        for &(first, last) in &self.ranges {
            let Some(free) = next_free else { break };
            if first > free {
                if let Some(before) = first.predecessor() {
                    out.push((free, before));
                }
            }
            next_free = last.successor();
        }
        if let Some(free) = next_free {
            out.push((free, T::MAX));
        }
        IntervalSet { ranges: out }
    }

    pub fn subtract(&self, other: &IntervalSet<T>) -> IntervalSet<T> {
        if other.is_empty() || self.is_empty() {
            return self.clone();
        }
        self.intersect(&other.complement())
    }

    /// Whether every point of `self` is in `other` (one walk, no allocation).
    pub fn is_subset(&self, other: &IntervalSet<T>) -> bool {
        let mut j = 0;
        for &(first, last) in &self.ranges {
            // `other`'s intervals are disjoint and non-adjacent: one must hold all of it.
            while other.ranges.get(j).is_some_and(|&(_, b1)| b1 < first) {
                j += 1;
            }
            match other.ranges.get(j) {
                Some(&(b0, b1)) if b0 <= first && last <= b1 => {}
                _ => return false,
            }
        }
        true
    }
}

/// Destination or source ports, 0-65535.
pub type PortSet = IntervalSet<u16>;

/// Ports as Azure writes them: `*`, `80`, `1000-2000`.
pub fn port_texts(ports: &PortSet) -> Vec<String> {
    if ports.is_full() {
        return vec!["*".to_owned()];
    }
    ports
        .ranges()
        .iter()
        .map(|(a, b)| {
            if a == b {
                a.to_string()
            } else {
                format!("{a}-{b}")
            }
        })
        .collect()
}

/// A set of IP addresses, IPv4 and IPv6 apart.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AddrSet {
    pub v4: IntervalSet<u32>,
    pub v6: IntervalSet<u128>,
}

impl AddrSet {
    pub fn empty() -> AddrSet {
        AddrSet::default()
    }

    /// Every IPv4 and IPv6 address.
    pub fn full() -> AddrSet {
        AddrSet {
            v4: IntervalSet::full(),
            v6: IntervalSet::full(),
        }
    }

    pub fn from_ip(ip: IpAddr) -> AddrSet {
        match ip {
            IpAddr::V4(a) => AddrSet {
                v4: IntervalSet::single(u32::from(a)),
                v6: IntervalSet::empty(),
            },
            IpAddr::V6(a) => AddrSet {
                v4: IntervalSet::empty(),
                v6: IntervalSet::single(u128::from(a)),
            },
        }
    }

    pub fn from_nets<'a>(nets: impl IntoIterator<Item = &'a IpNet>) -> AddrSet {
        let mut v4 = Vec::new();
        let mut v6 = Vec::new();
        for net in nets {
            match net {
                IpNet::V4(n) => v4.push((u32::from(n.network()), u32::from(n.broadcast()))),
                IpNet::V6(n) => v6.push((u128::from(n.network()), u128::from(n.broadcast()))),
            }
        }
        AddrSet {
            v4: IntervalSet::from_ranges(v4),
            v6: IntervalSet::from_ranges(v6),
        }
    }

    /// Only the addresses of `ip`'s family (IPv4 or IPv6).
    pub fn same_family(&self, ip: IpAddr) -> AddrSet {
        match ip {
            IpAddr::V4(_) => AddrSet {
                v4: self.v4.clone(),
                v6: IntervalSet::empty(),
            },
            IpAddr::V6(_) => AddrSet {
                v4: IntervalSet::empty(),
                v6: self.v6.clone(),
            },
        }
    }

    pub fn is_empty(&self) -> bool {
        self.v4.is_empty() && self.v6.is_empty()
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        match ip {
            IpAddr::V4(a) => self.v4.contains(u32::from(a)),
            IpAddr::V6(a) => self.v6.contains(u128::from(a)),
        }
    }

    pub fn union(&self, other: &AddrSet) -> AddrSet {
        AddrSet {
            v4: self.v4.union(&other.v4),
            v6: self.v6.union(&other.v6),
        }
    }

    pub fn intersect(&self, other: &AddrSet) -> AddrSet {
        AddrSet {
            v4: self.v4.intersect(&other.v4),
            v6: self.v6.intersect(&other.v6),
        }
    }

    pub fn intersects(&self, other: &AddrSet) -> bool {
        self.v4.intersects(&other.v4) || self.v6.intersects(&other.v6)
    }

    pub fn subtract(&self, other: &AddrSet) -> AddrSet {
        AddrSet {
            v4: self.v4.subtract(&other.v4),
            v6: self.v6.subtract(&other.v6),
        }
    }

    pub fn complement(&self) -> AddrSet {
        AddrSet {
            v4: self.v4.complement(),
            v6: self.v6.complement(),
        }
    }

    pub fn is_subset(&self, other: &AddrSet) -> bool {
        self.v4.is_subset(&other.v4) && self.v6.is_subset(&other.v6)
    }

    /// The fewest CIDR blocks covering exactly this set, IPv4 first.
    pub fn to_cidrs(&self) -> Vec<IpNet> {
        let mut out = Vec::new();
        for &(first, last) in self.v4.ranges() {
            for (addr, len) in blocks(u128::from(first), u128::from(last), 32) {
                if let Ok(net) = Ipv4Net::new(Ipv4Addr::from(addr as u32), len) {
                    out.push(IpNet::V4(net));
                }
            }
        }
        for &(first, last) in self.v6.ranges() {
            for (addr, len) in blocks(first, last, 128) {
                if let Ok(net) = Ipv6Net::new(Ipv6Addr::from(addr), len) {
                    out.push(IpNet::V6(net));
                }
            }
        }
        out
    }

    /// [`AddrSet::to_cidrs`] as text; a single address without its `/32` or `/128`.
    pub fn to_cidr_strings(&self) -> Vec<String> {
        self.to_cidrs()
            .into_iter()
            .map(|net| {
                if net.prefix_len() == net.max_prefix_len() {
                    net.addr().to_string()
                } else {
                    net.to_string()
                }
            })
            .collect()
    }
}

/// Splits `[first, last]` of a `bits`-wide space into aligned blocks (address, prefix length).
fn blocks(mut first: u128, last: u128, bits: u32) -> Vec<(u128, u8)> {
    let mut out = Vec::new();
    loop {
        if first > last {
            break;
        }
        let align = if first == 0 {
            bits
        } else {
            first.trailing_zeros().min(bits)
        };
        let span = last - first; // the block may hold span + 1 addresses
        let fit = if span == u128::MAX {
            128
        } else {
            127 - (span + 1).leading_zeros()
        };
        let k = align.min(fit).min(bits);
        out.push((first, (bits - k) as u8));
        if k >= 128 {
            break;
        }
        let size = 1u128 << k;
        match first.checked_add(size) {
            Some(next) if next.checked_sub(1).is_some_and(|end| end < last) => first = next,
            _ => break,
        }
    }
    out
}

impl Serialize for AddrSet {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.to_cidr_strings())
    }
}

impl Serialize for IntervalSet<u16> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(port_texts(self))
    }
}

/// A box of the flow space: a product of a source set, source ports, a destination set
/// and destination ports. For a protocol without ports both port sets are full.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Region {
    pub sources: AddrSet,
    pub source_ports: PortSet,
    pub destinations: AddrSet,
    pub destination_ports: PortSet,
}

impl Region {
    /// Every flow.
    pub fn everything() -> Region {
        Region {
            sources: AddrSet::full(),
            source_ports: PortSet::full(),
            destinations: AddrSet::full(),
            destination_ports: PortSet::full(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
            || self.source_ports.is_empty()
            || self.destinations.is_empty()
            || self.destination_ports.is_empty()
    }

    pub fn contains(
        &self,
        source: IpAddr,
        source_port: u16,
        destination: IpAddr,
        port: u16,
    ) -> bool {
        self.sources.contains(source)
            && self.source_ports.contains(source_port)
            && self.destinations.contains(destination)
            && self.destination_ports.contains(port)
    }

    pub fn intersects(&self, other: &Region) -> bool {
        self.destination_ports.intersects(&other.destination_ports)
            && self.source_ports.intersects(&other.source_ports)
            && self.destinations.intersects(&other.destinations)
            && self.sources.intersects(&other.sources)
    }

    /// Whether every flow of `self` is in `other` (no allocation).
    pub fn is_subset(&self, other: &Region) -> bool {
        self.destination_ports.is_subset(&other.destination_ports)
            && self.destinations.is_subset(&other.destinations)
            && self.source_ports.is_subset(&other.source_ports)
            && self.sources.is_subset(&other.sources)
    }

    /// The intersection, or `None` when it is empty.
    pub fn intersect(&self, other: &Region) -> Option<Region> {
        if !self.intersects(other) {
            return None;
        }
        let region = Region {
            sources: self.sources.intersect(&other.sources),
            source_ports: self.source_ports.intersect(&other.source_ports),
            destinations: self.destinations.intersect(&other.destinations),
            destination_ports: self.destination_ports.intersect(&other.destination_ports),
        };
        (!region.is_empty()).then_some(region)
    }

    /// `self` minus `other` as at most four disjoint boxes (one per dimension cut).
    ///
    /// Cut order: destinations, destination ports, sources, source ports. Rules are
    /// usually narrow in destination and port and wide in source, so the pieces left
    /// over keep their wide source sets whole and the unclaimed space stays in few boxes.
    pub fn subtract(&self, other: &Region) -> Vec<Region> {
        if !self.intersects(other) {
            return vec![self.clone()];
        }
        let mut out = Vec::with_capacity(4);
        let outside_destinations = self.destinations.subtract(&other.destinations);
        if !outside_destinations.is_empty() {
            out.push(Region {
                destinations: outside_destinations,
                ..self.clone()
            });
        }
        let inside_destinations = self.destinations.intersect(&other.destinations);
        let outside_ports = self.destination_ports.subtract(&other.destination_ports);
        if !outside_ports.is_empty() {
            out.push(Region {
                sources: self.sources.clone(),
                source_ports: self.source_ports.clone(),
                destinations: inside_destinations.clone(),
                destination_ports: outside_ports,
            });
        }
        let inside_ports = self.destination_ports.intersect(&other.destination_ports);
        let outside_sources = self.sources.subtract(&other.sources);
        if !outside_sources.is_empty() {
            out.push(Region {
                sources: outside_sources,
                source_ports: self.source_ports.clone(),
                destinations: inside_destinations.clone(),
                destination_ports: inside_ports.clone(),
            });
        }
        let outside_source_ports = self.source_ports.subtract(&other.source_ports);
        if !outside_source_ports.is_empty() {
            out.push(Region {
                sources: self.sources.intersect(&other.sources),
                source_ports: outside_source_ports,
                destinations: inside_destinations,
                destination_ports: inside_ports,
            });
        }
        out
    }
}
