//! The NSG model: security rules and network security groups, in Azure's own words.
//!
//! These are clean types: the shapes of the JSON users paste (flattened, nested,
//! singular and plural fields) live in `import`, not here. A value that could not be
//! understood is kept verbatim in an `Invalid` variant so that export round-trips it and
//! the evaluator can say "this rule never matches because ...".

use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::IpAddr;

/// Which way a rule looks at traffic, seen from the NIC or subnet it protects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Direction {
    Inbound,
    Outbound,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Inbound => "Inbound",
            Direction::Outbound => "Outbound",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Access {
    Allow,
    Deny,
}

impl Access {
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Allow => "Allow",
            Access::Deny => "Deny",
        }
    }
}

/// The protocol of a packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Protocol {
    Tcp,
    Udp,
    Icmp,
    Esp,
    Ah,
}

impl Protocol {
    pub const ALL: [Protocol; 5] = [
        Protocol::Tcp,
        Protocol::Udp,
        Protocol::Icmp,
        Protocol::Esp,
        Protocol::Ah,
    ];

    /// Azure's spelling in rule tables (`Tcp`, `Udp`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "Tcp",
            Protocol::Udp => "Udp",
            Protocol::Icmp => "Icmp",
            Protocol::Esp => "Esp",
            Protocol::Ah => "Ah",
        }
    }

    /// Whether packets of this protocol carry ports.
    pub fn has_ports(self) -> bool {
        matches!(self, Protocol::Tcp | Protocol::Udp)
    }

    /// Parses any case (`TCP`, `tcp`, `Tcp`).
    pub fn parse(text: &str) -> Option<Protocol> {
        Protocol::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(text.trim()))
    }
}

/// As people and `az ... -o table` headers write a packet's protocol: `TCP`, `UDP`. (Rule
/// tables keep Azure's `Tcp` spelling, from [`Protocol::as_str`].)
impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Icmp => "ICMP",
            Protocol::Esp => "ESP",
            Protocol::Ah => "AH",
        })
    }
}

/// The protocol condition of a rule.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RuleProtocol {
    /// `*` (also spelled `Any`).
    Any,
    Only(Protocol),
    /// A value Azure would not accept; the rule never matches.
    Invalid(String),
}

impl RuleProtocol {
    /// The text Azure shows in tables and JSON (`*`, `Tcp`, ...).
    pub fn as_text(&self) -> &str {
        match self {
            RuleProtocol::Any => "*",
            RuleProtocol::Only(p) => p.as_str(),
            RuleProtocol::Invalid(raw) => raw,
        }
    }
}

/// One entry of a rule's address condition.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AddressPrefix {
    /// `*`, `Any`, `0.0.0.0/0` or `::/0` as written; kept verbatim for export.
    Any(String),
    /// An IP address (stored as /32 or /128) or a CIDR block.
    Cidr(IpNet),
    /// A service tag such as `VirtualNetwork`, `Internet`, `AzureLoadBalancer`, `Storage.WestEurope`.
    ServiceTag(String),
    /// Not a valid prefix (a recording has `"789"`); the entry never matches.
    Invalid(String),
}

impl AddressPrefix {
    pub fn as_text(&self) -> String {
        match self {
            AddressPrefix::Any(raw)
            | AddressPrefix::ServiceTag(raw)
            | AddressPrefix::Invalid(raw) => raw.clone(),
            AddressPrefix::Cidr(net) => {
                if net.prefix_len() == net.max_prefix_len() {
                    net.addr().to_string()
                } else {
                    net.to_string()
                }
            }
        }
    }
}

/// The address side of a rule: prefixes (and tags), or application security groups.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AddressSpec {
    Prefixes(Vec<AddressPrefix>),
    /// Names of application security groups (the last segment of their resource ids).
    ApplicationSecurityGroups(Vec<String>),
}

impl AddressSpec {
    pub fn any() -> AddressSpec {
        AddressSpec::Prefixes(vec![AddressPrefix::Any("*".to_owned())])
    }
}

/// One entry of a rule's port condition.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PortRange {
    /// `*`.
    Any,
    /// `80` (first == last) or `10000-10005`, inclusive.
    Range { first: u16, last: u16 },
    /// Not a valid port or range (`"90-80"`, `"http"`); the entry never matches.
    Invalid(String),
}

impl PortRange {
    pub fn single(port: u16) -> PortRange {
        PortRange::Range {
            first: port,
            last: port,
        }
    }

    pub fn as_text(&self) -> String {
        match self {
            PortRange::Any => "*".to_owned(),
            PortRange::Range { first, last } if first == last => first.to_string(),
            PortRange::Range { first, last } => format!("{first}-{last}"),
            PortRange::Invalid(raw) => raw.clone(),
        }
    }
}

/// A security rule, user-defined or default.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SecurityRule {
    pub name: String,
    pub description: Option<String>,
    /// 100..=4096 for user rules, 65000.. for default rules. Kept wide so that an
    /// out-of-range value imports (with a warning) instead of being lost.
    pub priority: u32,
    pub direction: Direction,
    pub access: Access,
    pub protocol: RuleProtocol,
    pub source: AddressSpec,
    pub source_ports: Vec<PortRange>,
    pub destination: AddressSpec,
    pub destination_ports: Vec<PortRange>,
}

/// A network security group: its user rules and its default rules.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NetworkSecurityGroup {
    pub name: String,
    pub resource_group: Option<String>,
    pub location: Option<String>,
    pub security_rules: Vec<SecurityRule>,
    pub default_security_rules: Vec<SecurityRule>,
}

/// Where an NSG is applied on a packet's path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AppliedTo {
    Subnet,
    Nic,
}

/// A packet as an NSG sees it, from the point of view of the protected NIC or subnet:
/// for inbound, `remote` is the source and `local` the destination; for outbound the
/// reverse (as `az network watcher test-ip-flow` words it).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Flow {
    pub direction: Direction,
    pub protocol: Protocol,
    pub local_ip: IpAddr,
    pub local_port: u16,
    pub remote_ip: IpAddr,
    pub remote_port: u16,
}

impl Flow {
    pub fn source(&self) -> (IpAddr, u16) {
        match self.direction {
            Direction::Inbound => (self.remote_ip, self.remote_port),
            Direction::Outbound => (self.local_ip, self.local_port),
        }
    }

    pub fn destination(&self) -> (IpAddr, u16) {
        match self.direction {
            Direction::Inbound => (self.local_ip, self.local_port),
            Direction::Outbound => (self.remote_ip, self.remote_port),
        }
    }
}

/// A problem with the input that did not stop the work: the object and field it is
/// about, and what was wrong. Rendered as `NSG aks-agentpool-nsg, rule web,
/// destinationPortRange "90-80": the first port is greater than the last`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Warning {
    /// The object, outermost first: `NSG aks-agentpool-nsg, rule web`.
    pub object: String,
    /// The field, in the document's own spelling: `destinationPortRange`.
    pub field: Option<String>,
    /// The offending value as written, if there is one.
    pub value: Option<String>,
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.object)?;
        if let Some(field) = &self.field {
            write!(f, ", {field}")?;
        }
        if let Some(value) = &self.value {
            write!(f, " {value:?}")?;
        }
        write!(f, ": {}", self.message)
    }
}
