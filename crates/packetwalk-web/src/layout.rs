//! Where each part of the scenario is drawn. Pure geometry: it places what the scenario
//! holds and knows nothing about whether a packet may pass.
//!
//! The picture reads left to right the way a packet arrives: the Internet, the public
//! IPs, the load balancer, then the VNet with its subnets, each subnet holding its nodes,
//! each node its NIC (with its NSG), kube-proxy and pods.

use packetwalk::netpol::{policies_selecting, PolicyEngine};
use packetwalk::scenario::Scenario;

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl Rect {
    pub fn new(x: f64, y: f64, w: f64, h: f64) -> Rect {
        Rect { x, y, w, h }
    }
    pub fn cx(&self) -> f64 {
        self.x + self.w / 2.0
    }
    pub fn cy(&self) -> f64 {
        self.y + self.h / 2.0
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    pub width: f64,
    pub height: f64,
    pub internet: Rect,
    pub clients: Vec<Labelled>,
    pub public_ips: Vec<Labelled>,
    pub load_balancer: Option<Labelled>,
    /// `kubernetes-internal`, below the public one: its frontends are private addresses
    /// of the VNet.
    pub internal_load_balancer: Option<Labelled>,
    pub vnet: Labelled,
    pub subnets: Vec<SubnetBox>,
    /// The connections the network has, drawn under the parts (see [`Link`]).
    pub links: Vec<Link>,
}

/// A connection between two drawn parts, named by the component ids the trace uses, as
/// a straight segment between their anchors (so the packet, moved in a straight line
/// from anchor to anchor, travels exactly along it).
#[derive(Clone, Debug, PartialEq)]
pub struct Link {
    pub from: String,
    pub to: String,
    pub kind: LinkKind,
    pub a: (f64, f64),
    pub b: (f64, f64),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkKind {
    /// Internet -> public IP -> load balancer -> NSGs -> kube-proxy -> pod.
    Path,
    /// Node to node inside the VNet.
    Node,
    /// The load balancer's health probe from 168.63.129.16.
    Probe,
    /// Out to the Internet through the load balancer's outbound IP.
    Egress,
}

/// The band at the top of the drawing where the packet's header label rides, so it
/// never covers a part's label.
pub const LANE: f64 = 40.0;
/// The header label's vertical centre, inside the band.
pub const LANE_Y: f64 = 20.0;

#[derive(Clone, Debug, PartialEq)]
pub struct Labelled {
    pub rect: Rect,
    pub name: String,
    pub detail: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SubnetBox {
    pub rect: Rect,
    pub name: String,
    pub prefix: String,
    /// The shield on the subnet's edge, when an NSG is associated.
    pub nsg: Option<Labelled>,
    pub nodes: Vec<NodeBox>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct NodeBox {
    pub rect: Rect,
    pub name: String,
    pub nic: Labelled,
    pub nic_nsg: Option<Labelled>,
    pub kube_proxy: Rect,
    /// What does kube-proxy's work on the node: its name and a short second line, and
    /// its accessible name; under Cilium, which runs no kube-proxy, Cilium's eBPF.
    pub service_proxy: ServiceProxy,
    pub pods: Vec<PodBox>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServiceProxy {
    pub name: &'static str,
    pub detail: &'static str,
    pub label: &'static str,
}

/// The NetworkPolicy badge of a pod: on the pod's top edge, in the gap above the pod
/// and clear of its name; a shield, then the first policy's name (and how
/// many more).
#[derive(Clone, Debug, PartialEq)]
pub struct Badge {
    pub rect: Rect,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PodBox {
    pub rect: Rect,
    pub name: String,
    pub ip: String,
    pub labels: String,
    pub ready: bool,
    /// The NetworkPolicies that select the pod (the evaluator's
    /// `netpol::policies_selecting`), each as `allow-office (Ingress)`: the badge at
    /// the pod, where the trace's `netpol:<pod>` hops are drawn.
    pub policies: Vec<String>,
    /// The badge, when a policy selects the pod.
    pub badge: Option<Badge>,
    /// The scenario's NetworkPolicy engine as `az aks show` names it (`none`: the
    /// policies are stored but nothing enforces them).
    pub policy_engine: &'static str,
}

impl Layout {
    /// Where the packet rests when a hop happens at `component` (a trace's component
    /// id): beside the part, in the gap the link crosses, never on one of its labels.
    pub fn anchor(&self, component: &str) -> Option<(f64, f64)> {
        use packetwalk::component as id;
        // Left of a box, on its middle line: in the gap the link comes in by.
        let before = |r: &Rect| (r.x - 15.0, r.cy());
        if component == id::INTERNET {
            return Some(internet_anchor(self.internet));
        }
        if let Some(c) = self
            .clients
            .iter()
            .find(|c| id::client(&c.name) == component)
        {
            return Some((c.rect.x + c.rect.w + 12.0, c.rect.cy()));
        }
        let found = self
            .public_ips
            .iter()
            .find(|p| id::public_ip(&p.name) == component)
            .or_else(|| {
                self.load_balancer
                    .iter()
                    .chain(&self.internal_load_balancer)
                    .find(|lb| id::load_balancer(&lb.name) == component)
            })
            .map(|l| before(&l.rect));
        if found.is_some() {
            return found;
        }
        if id::vnet(&self.vnet.name) == component {
            return Some((self.vnet.rect.x - 12.0, self.vnet.rect.y + 56.0));
        }
        for subnet in &self.subnets {
            if id::subnet(&subnet.name) == component {
                return Some((subnet.rect.x + 10.0, subnet.rect.y + 48.0));
            }
            if let Some(nsg) = &subnet.nsg {
                if id::nsg_on_subnet(&nsg.name, &subnet.name) == component {
                    return Some(before(&nsg.rect));
                }
            }
            for node in &subnet.nodes {
                if id::node(&node.name) == component {
                    return Some((node.kube_proxy.cx(), node.rect.y + node.rect.h - 14.0));
                }
                if id::nic(&node.nic.name) == component {
                    return Some(before(
                        node.nic_nsg.as_ref().map_or(&node.nic.rect, |n| &n.rect),
                    ));
                }
                if id::kube_proxy(&node.name) == component {
                    return Some(before(&node.kube_proxy));
                }
                if let Some(nsg) = &node.nic_nsg {
                    if id::nsg_on_nic(&nsg.name, &node.nic.name) == component {
                        return Some(before(&nsg.rect));
                    }
                }
                // The NetworkPolicy gate of a pod is drawn at the pod.
                if let Some(pod) = node.pods.iter().find(|p| {
                    id::pod(&p.name) == component || id::network_policy(&p.name) == component
                }) {
                    return Some(before(&pod.rect));
                }
            }
        }
        None
    }

    /// The segment between two components' anchors, where the route between two of the
    /// trace's consecutive hops is drawn. Every link of the network is drawn the same way,
    /// so this lies on the link when the network has one between them; for a pair it has
    /// none for (the trace may go from a NIC's NSG straight to a pod) it is the connector.
    pub fn segment(&self, from: &str, to: &str) -> Option<((f64, f64), (f64, f64))> {
        Some((self.anchor(from)?, self.anchor(to)?))
    }

    /// Where a callout about `component` goes (its top left corner): under the NIC for
    /// the NIC's NSG, right of the subnet's title for the subnet's NSG, under the load
    /// balancer, else below and right of the anchor.
    pub fn callout_at(&self, component: &str) -> Option<(f64, f64)> {
        use packetwalk::component as id;
        for subnet in &self.subnets {
            if let Some(nsg) = &subnet.nsg {
                if id::nsg_on_subnet(&nsg.name, &subnet.name) == component {
                    return Some((subnet.rect.x + 250.0, subnet.rect.y + 6.0));
                }
            }
            for node in &subnet.nodes {
                if let Some(nsg) = &node.nic_nsg {
                    if id::nsg_on_nic(&nsg.name, &node.nic.name) == component {
                        return Some((nsg.rect.x, node.nic.rect.y + node.nic.rect.h + 20.0));
                    }
                }
            }
        }
        if let Some(lb) = &self.internal_load_balancer {
            if id::load_balancer(&lb.name) == component {
                return Some((lb.rect.x - 20.0, lb.rect.y + lb.rect.h + 8.0));
            }
        }
        if let Some(lb) = &self.load_balancer {
            if id::load_balancer(&lb.name) == component {
                let below = self
                    .public_ips
                    .iter()
                    .map(|p| p.rect.y + p.rect.h)
                    .fold(lb.rect.y + lb.rect.h, f64::max);
                return Some((232.0, below + 10.0));
            }
        }
        let (x, y) = self.anchor(component)?;
        Some((x + 14.0, y + 12.0))
    }
}

const WIDTH: f64 = 1200.0;
const PIP_X: f64 = 232.0;
const LB_X: f64 = 388.0;
const VNET_X: f64 = 520.0;
const NODE_H: f64 = 160.0;
const NODE_GAP: f64 = 24.0;
const POD_H: f64 = 52.0;
const POD_W: f64 = 220.0;
/// Pods start right of the NIC and kube-proxy.
const POD_X: f64 = 348.0;
/// The NetworkPolicy badge's text: at most this many characters.
const BADGE_CHARS: usize = 17;
/// The badge starts this far into its pod: over the pod's name, near where the packet
/// waits at the policy (left of the pod), so a narrow screen's view shows both.
const BADGE_X: f64 = 30.0;

pub fn layout(doc: &Scenario) -> Layout {
    let node_w = WIDTH - VNET_X - 16.0 - 40.0 - 50.0;
    let columns = (((node_w - POD_X - 10.0) / (POD_W + 10.0)).floor() as usize).max(1);
    let node_h = |node: &packetwalk::scenario::Node| {
        let pods = doc.pods.iter().filter(|p| p.node == node.name).count();
        let rows = pods.div_ceil(columns);
        NODE_H.max(36.0 + rows as f64 * (POD_H + 8.0))
    };
    let subnet_heights: Vec<f64> = doc
        .vnet
        .subnets
        .iter()
        .map(|s| {
            let nodes: f64 = doc
                .nodes
                .iter()
                .filter(|n| n.subnet == s.name)
                .map(|n| node_h(n) + NODE_GAP)
                .sum();
            70.0 + nodes.max(NODE_H + NODE_GAP)
        })
        .collect();
    let vnet_h = 70.0 + subnet_heights.iter().map(|h| h + 20.0).sum::<f64>();
    let height = LANE + (vnet_h + 50.0).max(400.0);
    let mid = LANE + (height - LANE) / 2.0;

    let client_count = doc.clients.len().max(1) as f64;
    let internet = Rect::new(
        16.0,
        mid - 70.0 - client_count * 14.0,
        190.0,
        140.0 + client_count * 28.0,
    );
    let clients = doc
        .clients
        .iter()
        .enumerate()
        .map(|(i, c)| Labelled {
            rect: Rect::new(40.0, internet.y + 66.0 + i as f64 * 34.0, 142.0, 28.0),
            name: c.name.clone(),
            detail: c.ip.map(|ip| ip.to_string()).unwrap_or_default(),
        })
        .collect();

    // The load balancer's outbound IP sits on the straight way out from the load
    // balancer to the Internet (so a packet going out passes through it); the others
    // stack above it.
    let outbound = outbound_ip(doc);
    let internet_rest = internet_anchor(internet);
    let lb_rest = (LB_X - 15.0, mid);
    let t = (lb_rest.0 - (PIP_X - 15.0)) / (lb_rest.0 - internet_rest.0);
    let outbound_cy = lb_rest.1 + t * (internet_rest.1 - lb_rest.1);
    let inbound_count = doc
        .public_ips
        .iter()
        .filter(|p| Some(&p.name) != outbound.as_ref())
        .count() as f64;
    let stack_bottom = if outbound.is_some() {
        outbound_cy - 28.0 - 14.0
    } else {
        mid + inbound_count * 40.0 - 24.0
    };
    let mut row = 0.0;
    let public_ips = doc
        .public_ips
        .iter()
        .map(|p| {
            let y = if Some(&p.name) == outbound.as_ref() {
                outbound_cy - 28.0
            } else {
                row += 1.0;
                stack_bottom - 56.0 - (inbound_count - row) * 70.0
            };
            Labelled {
                rect: Rect::new(PIP_X, y, 130.0, 56.0),
                name: p.name.clone(),
                detail: p.ip_address.map(|ip| ip.to_string()).unwrap_or_default(),
            }
        })
        .collect();

    let load_balancer = doc.load_balancer.as_ref().map(|lb| Labelled {
        rect: Rect::new(LB_X, mid - 60.0, 108.0, 120.0),
        name: lb.name.clone(),
        detail: lb.sku.clone().unwrap_or_default(),
    });

    let internal_load_balancer = doc.internal_load_balancer.as_ref().map(|lb| Labelled {
        rect: Rect::new(LB_X, mid + 80.0, 108.0, 120.0),
        name: lb.name.clone(),
        detail: "internal".to_owned(),
    });

    let vnet = Labelled {
        rect: Rect::new(VNET_X, LANE + 24.0, WIDTH - VNET_X - 16.0, vnet_h),
        name: doc.vnet.name.clone(),
        detail: join(doc.vnet.address_space.iter().map(|p| p.to_string())),
    };

    let mut y = vnet.rect.y + 56.0;
    let subnets = doc
        .vnet
        .subnets
        .iter()
        .zip(&subnet_heights)
        .map(|(subnet, &h)| {
            let rect = Rect::new(VNET_X + 20.0, y, vnet.rect.w - 40.0, h);
            y += h + 20.0;
            let nsg = subnet.network_security_group.as_ref().map(|name| Labelled {
                rect: Rect::new(rect.x - 14.0, rect.y + 8.0, 28.0, 34.0),
                name: name.clone(),
                detail: String::new(),
            });
            let mut node_y = rect.y + 56.0;
            let nodes = doc
                .nodes
                .iter()
                .filter(|n| n.subnet == subnet.name)
                .map(|node| {
                    let h = node_h(node);
                    let node_rect = Rect::new(rect.x + 30.0, node_y, node_w, h);
                    node_y += h + NODE_GAP;
                    node_box(doc, node, node_rect, columns)
                })
                .collect();
            SubnetBox {
                rect,
                name: subnet.name.clone(),
                prefix: subnet
                    .address_prefix
                    .map(|p| p.to_string())
                    .unwrap_or_default(),
                nsg,
                nodes,
            }
        })
        .collect();

    let mut placed = Layout {
        width: WIDTH,
        height,
        internet,
        clients,
        public_ips,
        load_balancer,
        internal_load_balancer,
        vnet,
        subnets,
        links: Vec::new(),
    };
    placed.links = links(doc, &placed);
    placed
}

/// The Internet's own spot: low on the cloud's right, below its clients.
fn internet_anchor(cloud: Rect) -> (f64, f64) {
    (cloud.x + cloud.w - 14.0, cloud.y + cloud.h - 22.0)
}

/// The name of the public IP the load balancer sends outbound traffic from, if any.
fn outbound_ip(doc: &Scenario) -> Option<String> {
    let lb = doc.load_balancer.as_ref()?;
    let frontend = lb.outbound_frontend.as_deref()?;
    lb.frontend_ip_configurations
        .iter()
        .find(|f| f.name == frontend)?
        .public_ip_address
        .clone()
}

/// The network's connections, by component id (what the trace's hops name). Which of
/// them a packet takes is the trace's to say; this only says where they are drawn.
fn links(doc: &Scenario, l: &Layout) -> Vec<Link> {
    use packetwalk::component as id;
    let mut out = Vec::new();
    let mut add = |from: String, to: String, kind: LinkKind| {
        if let (Some(a), Some(b)) = (l.anchor(&from), l.anchor(&to)) {
            out.push(Link {
                from,
                to,
                kind,
                a,
                b,
            });
        }
    };
    let lb = doc.load_balancer.as_ref();
    let outbound = outbound_ip(doc);
    let inbound: Vec<String> = doc
        .public_ips
        .iter()
        .filter(|p| Some(&p.name) != outbound.as_ref())
        .map(|p| p.name.clone())
        .collect();
    for pip in &inbound {
        if doc.clients.is_empty() {
            add(id::INTERNET.to_owned(), id::public_ip(pip), LinkKind::Path);
        }
        for client in &doc.clients {
            add(id::client(&client.name), id::public_ip(pip), LinkKind::Path);
        }
        if let Some(lb) = lb {
            add(
                id::public_ip(pip),
                id::load_balancer(&lb.name),
                LinkKind::Path,
            );
        }
    }
    // Each node's way in: the subnet's NSG, the NIC's NSG, kube-proxy, the pods.
    let mut sides = Vec::new();
    for subnet in &l.subnets {
        let subnet_nsg = subnet
            .nsg
            .as_ref()
            .map(|n| id::nsg_on_subnet(&n.name, &subnet.name));
        for node in &subnet.nodes {
            let nic_nsg = node
                .nic_nsg
                .as_ref()
                .map(|n| id::nsg_on_nic(&n.name, &node.nic.name));
            let kube_proxy = id::kube_proxy(&node.name);
            let chain: Vec<String> = subnet_nsg
                .iter()
                .chain(nic_nsg.iter())
                .cloned()
                .chain([kube_proxy.clone()])
                .collect();
            let entry = chain[0].clone();
            if let Some(lb) = lb {
                if lb.backend_address_pool.contains(&node.name) {
                    add(id::load_balancer(&lb.name), entry.clone(), LinkKind::Path);
                    if !lb.probes.is_empty() {
                        add(id::INTERNET.to_owned(), entry.clone(), LinkKind::Probe);
                    }
                }
            }
            if let Some(ilb) = &doc.internal_load_balancer {
                if ilb.backend_address_pool.contains(&node.name) {
                    add(id::load_balancer(&ilb.name), entry.clone(), LinkKind::Path);
                }
            }
            for pair in chain.windows(2) {
                add(pair[0].clone(), pair[1].clone(), LinkKind::Path);
            }
            for pod in &node.pods {
                add(kube_proxy.clone(), id::pod(&pod.name), LinkKind::Path);
            }
            sides.push(nic_nsg.unwrap_or_else(|| id::nic(&node.nic.name)));
        }
    }
    for pair in sides.windows(2) {
        add(pair[0].clone(), pair[1].clone(), LinkKind::Node);
    }
    // Clients with private addresses (a VM of the VNet or a peered one) reach the
    // internal load balancer.
    if let Some(ilb) = &doc.internal_load_balancer {
        for client in &doc.clients {
            if client.ip.is_some_and(packetwalk::eval::is_private) {
                add(
                    id::client(&client.name),
                    id::load_balancer(&ilb.name),
                    LinkKind::Path,
                );
            }
        }
    }
    if let (Some(lb), Some(_)) = (lb, &outbound) {
        add(
            id::load_balancer(&lb.name),
            id::INTERNET.to_owned(),
            LinkKind::Egress,
        );
    }
    out
}

fn node_box(
    doc: &Scenario,
    node: &packetwalk::scenario::Node,
    rect: Rect,
    columns: usize,
) -> NodeBox {
    let nic_rect = Rect::new(rect.x - 12.0, rect.cy() - 26.0, 200.0, 52.0);
    let nic = Labelled {
        rect: nic_rect,
        name: node.nic.name.clone(),
        detail: node
            .nic
            .private_ip_address
            .map(|ip| ip.to_string())
            .unwrap_or_default(),
    };
    let nic_nsg = node
        .nic
        .network_security_group
        .as_ref()
        .map(|name| Labelled {
            rect: Rect::new(nic_rect.x - 18.0, nic_rect.cy() - 18.0, 30.0, 36.0),
            name: name.clone(),
            detail: String::new(),
        });
    let kube_proxy = Rect::new(rect.x + 218.0, rect.cy() - 22.0, 100.0, 44.0);
    let service_proxy = if doc.network_policy_engine == PolicyEngine::Cilium {
        ServiceProxy {
            name: "Cilium",
            detail: "eBPF",
            label: "Cilium's eBPF service handling (no kube-proxy)",
        }
    } else {
        ServiceProxy {
            name: "kube-proxy",
            detail: "iptables",
            label: "kube-proxy",
        }
    };
    let pods: Vec<_> = doc.pods.iter().filter(|p| p.node == node.name).collect();
    let pods = pods
        .iter()
        .enumerate()
        .map(|(i, pod)| {
            let column = (i % columns) as f64;
            let row = (i / columns) as f64;
            let pod_rect = Rect::new(
                rect.x + POD_X + column * (POD_W + 10.0),
                rect.y + 28.0 + row * (POD_H + 8.0),
                POD_W,
                POD_H,
            );
            let selecting = policies_selecting(doc, pod);
            let policies: Vec<String> = selecting
                .iter()
                .map(|p| {
                    let types: Vec<&str> = p.policy_types.iter().map(|t| t.as_str()).collect();
                    format!("{} ({})", p.name, types.join(", "))
                })
                .collect();
            let badge = selecting.first().map(|first| {
                let text = match policies.len() {
                    0 | 1 => shorten(&first.name, BADGE_CHARS),
                    n => format!("{} +{}", shorten(&first.name, BADGE_CHARS - 4), n - 1),
                };
                // The shield, then the text at about 6 units a character (10px, bold).
                let w = 22.0 + text.chars().count() as f64 * 6.0;
                Badge {
                    rect: Rect::new(pod_rect.x + BADGE_X, pod_rect.y - 7.0, w, 14.0),
                    text,
                }
            });
            PodBox {
                rect: pod_rect,
                name: pod.name.clone(),
                ip: pod.ip.map(|ip| ip.to_string()).unwrap_or_default(),
                labels: join(pod.labels.iter().map(|(k, v)| format!("{k}={v}"))),
                ready: pod.ready,
                policies,
                badge,
                policy_engine: doc.network_policy_engine.as_str(),
            }
        })
        .collect();
    NodeBox {
        rect,
        name: node.name.clone(),
        nic,
        nic_nsg,
        kube_proxy,
        service_proxy,
        pods,
    }
}

/// `text`, cut to `max` characters with an ellipsis.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let head: String = text.chars().take(max.saturating_sub(1)).collect();
        format!("{head}…")
    }
}

fn join(items: impl Iterator<Item = String>) -> String {
    items.collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use packetwalk::scenario::{Node, Pod, Subnet};

    fn two_node_doc() -> Scenario {
        let mut doc = Scenario::default();
        doc.vnet.subnets.push(Subnet {
            name: "aks".into(),
            ..Subnet::default()
        });
        for n in ["a", "b"] {
            doc.nodes.push(Node {
                name: n.into(),
                subnet: "aks".into(),
                ..Node::default()
            });
            for i in 0..3 {
                doc.pods.push(Pod {
                    name: format!("{n}-pod-{i}"),
                    node: n.into(),
                    ..Pod::default()
                });
            }
        }
        doc
    }

    fn inside(inner: Rect, outer: Rect) -> bool {
        inner.x >= outer.x
            && inner.y >= outer.y
            && inner.x + inner.w <= outer.x + outer.w
            && inner.y + inner.h <= outer.y + outer.h
    }

    #[test]
    fn nodes_sit_inside_their_subnet_and_pods_inside_their_node() {
        let layout = layout(&two_node_doc());
        let subnet = &layout.subnets[0];
        assert!(inside(subnet.rect, layout.vnet.rect));
        assert_eq!(subnet.nodes.len(), 2);
        for node in &subnet.nodes {
            assert!(inside(node.rect, subnet.rect), "{node:?}");
            assert_eq!(node.pods.len(), 3);
            for pod in &node.pods {
                assert!(
                    inside(pod.rect, node.rect),
                    "{pod:?} outside {:?}",
                    node.rect
                );
            }
        }
        assert!(subnet.nodes[0].rect.y + subnet.nodes[0].rect.h <= subnet.nodes[1].rect.y);
        assert!(layout.height >= layout.vnet.rect.y + layout.vnet.rect.h);
    }

    #[test]
    fn the_policy_badge_is_on_the_pods_a_policy_selects_only_and_clear_of_their_neighbours() {
        use packetwalk::netpol::{LabelSelector, NetworkPolicy, PolicyDirection};
        let mut doc = two_node_doc();
        doc.pods[1]
            .labels
            .insert("app".to_owned(), "web".to_owned());
        doc.network_policies.policies.push(NetworkPolicy {
            name: "allow-office".into(),
            namespace: "default".into(),
            pod_selector: LabelSelector {
                match_labels: [("app".to_owned(), "web".to_owned())].into_iter().collect(),
                ..LabelSelector::default()
            },
            policy_types: vec![PolicyDirection::Ingress],
            ..NetworkPolicy::default()
        });
        let layout = layout(&doc);
        let node = &layout.subnets[0].nodes[0];
        let badged: Vec<&str> = layout.subnets[0]
            .nodes
            .iter()
            .flat_map(|n| &n.pods)
            .filter(|p| p.badge.is_some())
            .map(|p| p.name.as_str())
            .collect();
        assert_eq!(badged, ["a-pod-1"]);
        let pod = &node.pods[1];
        assert_eq!(pod.policies, ["allow-office (Ingress)"]);
        let badge = pod.badge.as_ref().unwrap();
        assert_eq!(badge.text, "allow-office");
        let b = badge.rect;
        // On the pod's top edge, within the pod's width, above its name (drawn from
        // y + 8), and below the pod above it.
        assert!(b.x >= pod.rect.x + 26.0 && b.x + b.w <= pod.rect.x + pod.rect.w);
        assert!(b.y < pod.rect.y && b.y + b.h <= pod.rect.y + 8.0);
        assert!(b.y >= node.pods[0].rect.y + node.pods[0].rect.h);
        assert_eq!(node.service_proxy.name, "kube-proxy");
    }

    #[test]
    fn every_drawn_component_has_an_anchor() {
        let layout = layout(&two_node_doc());
        use packetwalk::component as id;
        for component in [
            id::INTERNET.to_owned(),
            id::node("a"),
            id::kube_proxy("b"),
            id::pod("b-pod-2"),
            id::subnet("aks"),
        ] {
            assert!(layout.anchor(&component).is_some(), "{component}");
        }
        assert_eq!(layout.anchor("pod:nope"), None);
    }

    #[test]
    fn links_join_drawn_parts_and_the_way_out_passes_the_outbound_ip() {
        use packetwalk::component as id;
        use packetwalk::scenario::{FrontendIpConfiguration, LoadBalancer, PublicIp};
        let mut doc = two_node_doc();
        doc.public_ips = ["in", "out"]
            .iter()
            .map(|n| PublicIp {
                name: (*n).into(),
                ..PublicIp::default()
            })
            .collect();
        doc.load_balancer = Some(LoadBalancer {
            name: "lb".into(),
            frontend_ip_configurations: ["in", "out"]
                .iter()
                .map(|n| FrontendIpConfiguration {
                    name: format!("fe-{n}"),
                    public_ip_address: Some((*n).into()),
                    ..FrontendIpConfiguration::default()
                })
                .collect(),
            backend_address_pool: vec!["a".into(), "b".into()],
            outbound_frontend: Some("fe-out".into()),
            ..LoadBalancer::default()
        });
        let layout = layout(&doc);
        for link in &layout.links {
            assert_eq!(layout.anchor(&link.from), Some(link.a), "{link:?}");
            assert_eq!(layout.anchor(&link.to), Some(link.b), "{link:?}");
        }
        let has = |from: &str, to: &str| layout.links.iter().any(|k| k.from == from && k.to == to);
        assert!(has(&id::public_ip("in"), &id::load_balancer("lb")));
        assert!(has(&id::load_balancer("lb"), &id::kube_proxy("a")));
        assert!(has(&id::kube_proxy("b"), &id::pod("b-pod-2")));
        assert!(layout.links.iter().any(|k| k.kind == LinkKind::Node));
        // The way out: the outbound IP's anchor lies on the load balancer -> Internet link.
        let out = layout
            .links
            .iter()
            .find(|k| k.kind == LinkKind::Egress)
            .expect("an egress link");
        let (a, b) = (out.a, out.b);
        let p = layout.anchor(&id::public_ip("out")).unwrap();
        let cross = (b.0 - a.0) * (p.1 - a.1) - (b.1 - a.1) * (p.0 - a.0);
        let len = ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt();
        assert!(
            (cross / len).abs() < 1.0,
            "{p:?} is off the way out {a:?} -> {b:?}"
        );
        // The inbound IP sits clear of the outbound one.
        let rect = |n: &str| layout.public_ips.iter().find(|p| p.name == n).unwrap().rect;
        assert!(rect("in").y + rect("in").h <= rect("out").y);
    }
}
