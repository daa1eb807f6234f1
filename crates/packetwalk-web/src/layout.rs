//! Where each part of the scenario is drawn. Pure geometry: it places what the scenario
//! holds and knows nothing about whether a packet may pass.
//!
//! The picture reads left to right the way a packet arrives: the Internet, the public
//! IPs, the load balancer, then the VNet with its subnets, each subnet holding its nodes,
//! each node its NIC (with its NSG), kube-proxy and pods.

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
    pub vnet: Labelled,
    pub subnets: Vec<SubnetBox>,
}

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
    pub pods: Vec<PodBox>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PodBox {
    pub rect: Rect,
    pub name: String,
    pub ip: String,
    pub labels: String,
    pub ready: bool,
}

impl Layout {
    /// Where the packet sits when a hop happens at `component` (a trace's component id).
    pub fn anchor(&self, component: &str) -> Option<(f64, f64)> {
        use packetwalk::component as id;
        let centre = |r: &Rect| (r.cx(), r.cy());
        if component == id::INTERNET {
            return Some((self.internet.cx(), self.internet.y + self.internet.h * 0.35));
        }
        let found = self
            .clients
            .iter()
            .find(|c| id::client(&c.name) == component)
            .or_else(|| {
                self.public_ips
                    .iter()
                    .find(|p| id::public_ip(&p.name) == component)
            })
            .or_else(|| {
                self.load_balancer
                    .iter()
                    .find(|lb| id::load_balancer(&lb.name) == component)
            })
            .map(|l| centre(&l.rect));
        if found.is_some() {
            return found;
        }
        if id::vnet(&self.vnet.name) == component {
            return Some((self.vnet.rect.x + 60.0, self.vnet.rect.y + 14.0));
        }
        for subnet in &self.subnets {
            if id::subnet(&subnet.name) == component {
                return Some((subnet.rect.x + 60.0, subnet.rect.y + 10.0));
            }
            if let Some(nsg) = &subnet.nsg {
                if id::nsg_on_subnet(&nsg.name, &subnet.name) == component {
                    return Some(centre(&nsg.rect));
                }
            }
            for node in &subnet.nodes {
                if id::node(&node.name) == component {
                    return Some((node.kube_proxy.cx(), node.rect.y + 12.0));
                }
                if id::nic(&node.nic.name) == component {
                    return Some(centre(&node.nic.rect));
                }
                if id::kube_proxy(&node.name) == component {
                    return Some(centre(&node.kube_proxy));
                }
                if let Some(nsg) = &node.nic_nsg {
                    if id::nsg_on_nic(&nsg.name, &node.nic.name) == component {
                        return Some(centre(&nsg.rect));
                    }
                }
                if let Some(pod) = node.pods.iter().find(|p| id::pod(&p.name) == component) {
                    return Some((pod.rect.x + 17.0, pod.rect.cy()));
                }
            }
        }
        None
    }
}

const WIDTH: f64 = 1200.0;
const VNET_X: f64 = 520.0;
const NODE_H: f64 = 150.0;
const NODE_GAP: f64 = 24.0;
const POD_H: f64 = 52.0;
const POD_W: f64 = 232.0;
/// Pods start right of the NIC and kube-proxy.
const POD_X: f64 = 318.0;

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
    let height = (vnet_h + 50.0).max(400.0);
    let mid = height / 2.0;

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

    let ip_count = doc.public_ips.len().max(1) as f64;
    let ip_top = mid - ip_count * 40.0;
    let public_ips = doc
        .public_ips
        .iter()
        .enumerate()
        .map(|(i, p)| Labelled {
            rect: Rect::new(232.0, ip_top + i as f64 * 80.0, 130.0, 56.0),
            name: p.name.clone(),
            detail: p.ip_address.map(|ip| ip.to_string()).unwrap_or_default(),
        })
        .collect();

    let load_balancer = doc.load_balancer.as_ref().map(|lb| Labelled {
        rect: Rect::new(388.0, mid - 60.0, 108.0, 120.0),
        name: lb.name.clone(),
        detail: lb.sku.clone().unwrap_or_default(),
    });

    let vnet = Labelled {
        rect: Rect::new(VNET_X, 30.0, WIDTH - VNET_X - 16.0, vnet_h),
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

    Layout {
        width: WIDTH,
        height,
        internet,
        clients,
        public_ips,
        load_balancer,
        vnet,
        subnets,
    }
}

fn node_box(
    doc: &Scenario,
    node: &packetwalk::scenario::Node,
    rect: Rect,
    columns: usize,
) -> NodeBox {
    let nic_rect = Rect::new(rect.x - 12.0, rect.cy() - 26.0, 178.0, 52.0);
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
    let kube_proxy = Rect::new(rect.x + 188.0, rect.cy() - 22.0, 104.0, 44.0);
    let pods: Vec<_> = doc.pods.iter().filter(|p| p.node == node.name).collect();
    let pods = pods
        .iter()
        .enumerate()
        .map(|(i, pod)| {
            let column = (i % columns) as f64;
            let row = (i / columns) as f64;
            PodBox {
                rect: Rect::new(
                    rect.x + POD_X + column * (POD_W + 10.0),
                    rect.y + 28.0 + row * (POD_H + 8.0),
                    POD_W,
                    POD_H,
                ),
                name: pod.name.clone(),
                ip: pod.ip.map(|ip| ip.to_string()).unwrap_or_default(),
                labels: join(pod.labels.iter().map(|(k, v)| format!("{k}={v}"))),
                ready: pod.ready,
            }
        })
        .collect();
    NodeBox {
        rect,
        name: node.name.clone(),
        nic,
        nic_nsg,
        kube_proxy,
        pods,
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
}
