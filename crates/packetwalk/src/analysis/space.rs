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
    /// The point as a number, for measuring sets approximately.
    fn approximate(self) -> f64;
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
            fn approximate(self) -> f64 {
                self as f64
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
        self.ranges[..] == [(T::MIN, T::MAX)]
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
        let (a, b) = (&self.ranges[..], &other.ranges[..]);
        let (mut i, mut j) = (0, 0);
        let mut out = Vec::with_capacity(a.len().min(b.len()));
        while let (Some(&(a0, a1)), Some(&(b0, b1))) = (a.get(i), b.get(j)) {
            // Skip, by binary search, the intervals that end before the other's start: a
            // rule's one or two intervals against a set of hundreds cost a few steps.
            if a1 < b0 {
                i += 1 + skip_before(a.get(i + 1..).unwrap_or_default(), b0);
                continue;
            }
            if b1 < a0 {
                j += 1 + skip_before(b.get(j + 1..).unwrap_or_default(), a0);
                continue;
            }
            out.push((a0.max(b0), a1.min(b1)));
            if a1 < b1 {
                i += 1;
            } else {
                j += 1;
            }
        }
        IntervalSet { ranges: out }
    }

    /// The share of the whole space the set covers, approximately (IPv6 sets are too
    /// large for an integer count). Only used to choose an order of cuts.
    fn share(&self) -> f64 {
        let points: f64 = self
            .ranges
            .iter()
            .map(|&(first, last)| last.approximate() - first.approximate() + 1.0)
            .sum();
        points / (T::MAX.approximate() + 1.0)
    }

    /// Whether the two sets share a point (without building the intersection).
    pub fn intersects(&self, other: &IntervalSet<T>) -> bool {
        let (a, b) = (&self.ranges[..], &other.ranges[..]);
        let (mut i, mut j) = (0, 0);
        while let (Some(&(a0, a1)), Some(&(b0, b1))) = (a.get(i), b.get(j)) {
            if a1 < b0 {
                i += 1 + skip_before(a.get(i + 1..).unwrap_or_default(), b0);
            } else if b1 < a0 {
                j += 1 + skip_before(b.get(j + 1..).unwrap_or_default(), a0);
            } else {
                return true;
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
        let mut out = Vec::with_capacity(self.ranges.len() + 1);
        let b = &other.ranges[..];
        let mut j = 0;
        for &(first, last) in &self.ranges {
            // What is left of [first, last] after the intervals of `other` inside it.
            j += skip_before(b.get(j..).unwrap_or_default(), first);
            let mut from = Some(first);
            let mut k = j;
            while let (Some(start), Some(&(b0, b1))) = (from, b.get(k)) {
                if b0 > last {
                    break;
                }
                if b0 > start {
                    if let Some(before) = b0.predecessor() {
                        out.push((start, before));
                    }
                }
                from = b1.successor().filter(|&next| next <= last);
                k += 1;
            }
            if let Some(start) = from {
                out.push((start, last));
            }
        }
        IntervalSet { ranges: out }
    }

    /// Whether every point of `self` is in `other` (no allocation).
    pub fn is_subset(&self, other: &IntervalSet<T>) -> bool {
        let mut j = 0;
        for &(first, last) in &self.ranges {
            // `other`'s intervals are disjoint and non-adjacent: one must hold all of it.
            j += skip_before(other.ranges.get(j..).unwrap_or_default(), first);
            match other.ranges.get(j) {
                Some(&(b0, b1)) if b0 <= first && last <= b1 => {}
                _ => return false,
            }
        }
        true
    }
}

/// How many of `ranges` (sorted, disjoint) end before `point`.
fn skip_before<T: Point>(ranges: &[(T, T)], point: T) -> usize {
    ranges.partition_point(|&(_, last)| last < point)
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

/// One dimension's set of a box, for [`Region::split`].
enum Dimension {
    Addresses(AddrSet),
    Ports(PortSet),
}

impl Dimension {
    fn is_empty(&self) -> bool {
        match self {
            Dimension::Addresses(set) => set.is_empty(),
            Dimension::Ports(set) => set.is_empty(),
        }
    }
}

impl AddrSet {
    /// The larger of the shares of the IPv4 and the IPv6 space the set covers.
    fn share(&self) -> f64 {
        self.v4.share().max(self.v6.share())
    }
}

/// A box's extent in a few integers: the span of its destination ports and of its
/// IPv4 destinations and sources, and whether it has IPv6 ones. Two boxes whose bounds
/// do not overlap share no flow, which [`Bounds::may_intersect`] tells without
/// reading the interval lists (the carving of a 1,000-rule NSG asks this half a
/// million times, and almost always the answer is no).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Bounds {
    destination_ports: (u16, u16),
    destinations: (u32, u32),
    sources: (u32, u32),
    /// Bit 0: some IPv6 destination; bit 1: some IPv6 source.
    v6: u8,
}

fn span<T: Point>(set: &IntervalSet<T>) -> (T, T) {
    match (set.ranges.first(), set.ranges.last()) {
        (Some(&(first, _)), Some(&(_, last))) => (first, last),
        // Empty: a span that overlaps nothing.
        _ => (T::MAX, T::MIN),
    }
}

fn overlap<T: Point>(a: (T, T), b: (T, T)) -> bool {
    a.0.max(b.0) <= a.1.min(b.1)
}

impl Bounds {
    /// The bounds of an empty box: they meet nothing.
    pub(crate) const NOTHING: Bounds = Bounds {
        destination_ports: (u16::MAX, u16::MIN),
        destinations: (u32::MAX, u32::MIN),
        sources: (u32::MAX, u32::MIN),
        v6: 0,
    };

    pub(crate) fn may_intersect(&self, other: &Bounds) -> bool {
        let v6 = self.v6 & other.v6;
        overlap(self.destination_ports, other.destination_ports)
            && (v6 & 1 != 0 || overlap(self.destinations, other.destinations))
            && (v6 & 2 != 0 || overlap(self.sources, other.sources))
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

    pub(crate) fn bounds(&self) -> Bounds {
        Bounds {
            destination_ports: span(&self.destination_ports),
            destinations: span(&self.destinations.v4),
            sources: span(&self.sources.v4),
            v6: u8::from(!self.destinations.v6.is_empty())
                | (u8::from(!self.sources.v6.is_empty()) << 1),
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

    /// `self` cut by `other`, consuming `self`: the part inside `other` (`None` when
    /// they share no flow) and the part outside as at most four disjoint boxes.
    ///
    /// The cuts are made one dimension at a time, and their order decides how the
    /// outside is shaped: each piece keeps the dimensions not yet cut whole. Destinations
    /// are cut first; then the dimension in which `other` is narrowest (the smallest
    /// share of its whole space), so the large remainder stays in one box. Against a
    /// cloud-provider rule (the Internet to one address and port) that is the port, then
    /// the sources; against an office block to a range of ports it is the sources, and
    /// the pieces a run of such rules leaves behind do not overlap the next rule's, so
    /// each rule cuts one box, not dozens.
    pub fn split(self, other: &Region) -> (Option<Region>, Vec<Region>) {
        let destinations = self.destinations.intersect(&other.destinations);
        let destination_ports = self.destination_ports.intersect(&other.destination_ports);
        let sources = self.sources.intersect(&other.sources);
        let source_ports = self.source_ports.intersect(&other.source_ports);
        if destinations.is_empty()
            || destination_ports.is_empty()
            || sources.is_empty()
            || source_ports.is_empty()
        {
            return (None, vec![self]);
        }
        let shares = [
            // Destinations always first: they tell rules apart best, and a cut there keeps
            // what lies outside the rule's destinations in one box no later rule for
            // other destinations needs to cut again.
            0.0,
            other.destination_ports.share(),
            other.sources.share(),
            other.source_ports.share(),
        ];
        // Ties keep the order destinations, destination ports, sources, source ports.
        let mut order = [0, 1, 2, 3];
        for i in 1..order.len() {
            let mut j = i;
            while j > 0 && shares[order[j]] < shares[order[j - 1]] {
                order.swap(j, j - 1);
                j -= 1;
            }
        }
        let mut inside = [
            Some(Dimension::Addresses(destinations)),
            Some(Dimension::Ports(destination_ports)),
            Some(Dimension::Addresses(sources)),
            Some(Dimension::Ports(source_ports)),
        ];
        let mut current = self;
        let mut out = Vec::new();
        for k in order {
            let Some(narrowed) = inside.get_mut(k).and_then(Option::take) else {
                continue;
            };
            let outside = match k {
                0 => Dimension::Addresses(current.destinations.subtract(&other.destinations)),
                1 => Dimension::Ports(current.destination_ports.subtract(&other.destination_ports)),
                2 => Dimension::Addresses(current.sources.subtract(&other.sources)),
                _ => Dimension::Ports(current.source_ports.subtract(&other.source_ports)),
            };
            if !outside.is_empty() {
                let mut piece = current.clone();
                piece.set(k, outside);
                out.push(piece);
            }
            current.set(k, narrowed);
        }
        (Some(current), out)
    }

    /// Replaces dimension `k` (destinations, destination ports, sources, source ports).
    fn set(&mut self, k: usize, value: Dimension) {
        match (k, value) {
            (0, Dimension::Addresses(set)) => self.destinations = set,
            (1, Dimension::Ports(set)) => self.destination_ports = set,
            (2, Dimension::Addresses(set)) => self.sources = set,
            (3, Dimension::Ports(set)) => self.source_ports = set,
            _ => {}
        }
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
