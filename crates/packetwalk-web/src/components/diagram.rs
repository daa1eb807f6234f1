//! The cluster as an SVG diagram. Each drawn part is a group with an accessible name and
//! a `data-component` id, so the packet and the hop panel can find it.

use std::rc::Rc;

use yew::prelude::*;

use packetwalk::component;

use crate::layout::{Labelled, Layout, NodeBox, PodBox, Rect, SubnetBox};

#[derive(Properties, PartialEq)]
pub struct DiagramProps {
    pub layout: Rc<Layout>,
    pub title: String,
    /// What the trace says about the hop on show.
    #[prop_or_default]
    pub highlight: Highlight,
    /// Component ids the "open to the Internet" overlay marks.
    #[prop_or_default]
    pub exposed: Rc<[String]>,
}

/// The overlay's class for a component, if it is exposed.
fn exposed(ex: &[String], id: &str) -> Option<&'static str> {
    ex.iter().any(|e| e == id).then_some("exposed")
}

/// The hop on show: which component, and whether it let the packet through.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Highlight {
    pub current: Option<String>,
    pub outcome: Outcome,
    /// Where the packet is drawn (the current component's anchor).
    pub packet: Option<(f64, f64)>,
    /// Milliseconds the packet takes to move to the next hop.
    pub move_ms: u32,
    /// On the reply leg.
    pub returning: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Outcome {
    #[default]
    Passing,
    Allowed,
    Denied,
    Delivered,
}

impl Highlight {
    fn class(&self, id: &str) -> Option<&'static str> {
        if self.current.as_deref() != Some(id) {
            return None;
        }
        Some(match self.outcome {
            Outcome::Passing => "current",
            Outcome::Allowed => "current allowed",
            Outcome::Denied => "current denied",
            Outcome::Delivered => "current delivered",
        })
    }
}

#[function_component(Diagram)]
pub fn diagram(props: &DiagramProps) -> Html {
    let l = &props.layout;
    let hl = &props.highlight;
    let ex = &props.exposed[..];
    let view_box = format!("0 0 {} {}", l.width, l.height);
    html! {
        <figure class="diagram">
            <svg
                viewBox={view_box}
                role="group"
                aria-label={format!("Network diagram: {}", props.title)}
                xmlns="http://www.w3.org/2000/svg"
                preserveAspectRatio="xMidYMin meet"
            >
                { internet(l, hl) }
                { for l.public_ips.iter().map(|p| public_ip(p, hl, ex)) }
                { for l.load_balancer.iter().map(|lb| load_balancer(lb, hl)) }
                { vnet(l, hl, ex) }
                { packet(hl) }
            </svg>
        </figure>
    }
}

fn internet(l: &Layout, hl: &Highlight) -> Html {
    let r = l.internet;
    html! {
        <g class={classes!("internet", hl.class(component::INTERNET))} role="group" aria-label="The Internet" data-component={component::INTERNET}>
            <path class="cloud" d={cloud_path(r)} />
            <text class="title" x={fmt(r.cx())} y={fmt(r.y + 44.0)} text-anchor="middle">{ "Internet" }</text>
            { for l.clients.iter().map(|c| html! {
                <g class={classes!("client", hl.class(&component::client(&c.name)))} role="img" aria-label={format!("Internet client {} {}", c.name, c.detail)}
                   data-component={component::client(&c.name)}>
                    <rect x={fmt(c.rect.x)} y={fmt(c.rect.y)} width={fmt(c.rect.w)} height={fmt(c.rect.h)} rx="6" />
                    <text x={fmt(c.rect.cx())} y={fmt(c.rect.y + 12.0)} text-anchor="middle" class="small">{ &c.name }</text>
                    <text x={fmt(c.rect.cx())} y={fmt(c.rect.y + 24.0)} text-anchor="middle" class="small mono">{ &c.detail }</text>
                </g>
            }) }
        </g>
    }
}

fn public_ip(p: &Labelled, hl: &Highlight, ex: &[String]) -> Html {
    let r = p.rect;
    html! {
        <g class={classes!("public-ip", hl.class(&component::public_ip(&p.name)), exposed(ex, &component::public_ip(&p.name)))} role="img" aria-label={format!("Public IP {} {}", p.name, p.detail)}
           data-component={component::public_ip(&p.name)}>
            <title>{ format!("Public IP address {}", p.name) }</title>
            <rect x={fmt(r.x)} y={fmt(r.y)} width={fmt(r.w)} height={fmt(r.h)} rx="28" />
            <text x={fmt(r.cx())} y={fmt(r.y + 18.0)} text-anchor="middle" class="kind">{ "Public IP" }</text>
            <text x={fmt(r.cx())} y={fmt(r.y + 34.0)} text-anchor="middle" class="mono">{ &p.detail }</text>
            <text x={fmt(r.cx())} y={fmt(r.y + 48.0)} text-anchor="middle" class="small">{ shorten(&p.name, 22) }</text>
        </g>
    }
}

fn load_balancer(lb: &Labelled, hl: &Highlight) -> Html {
    let r = lb.rect;
    let (cx, cy) = (r.cx(), r.y + 58.0);
    let fan = format!(
        "M{} {cy} H{} M{} {cy} L{} {} M{} {cy} H{} M{} {cy} L{} {}",
        fmt(cx - 30.0),
        fmt(cx - 6.0),
        fmt(cx - 6.0),
        fmt(cx + 26.0),
        fmt(cy - 18.0),
        fmt(cx - 6.0),
        fmt(cx + 26.0),
        fmt(cx - 6.0),
        fmt(cx + 26.0),
        fmt(cy + 18.0),
    );
    html! {
        <g class={classes!("load-balancer", hl.class(&component::load_balancer(&lb.name)))} role="img" aria-label={format!("Load balancer {} {}", lb.name, lb.detail)}
           data-component={component::load_balancer(&lb.name)}>
            <title>{ format!("Azure load balancer {}", lb.name) }</title>
            <rect x={fmt(r.x)} y={fmt(r.y)} width={fmt(r.w)} height={fmt(r.h)} rx="10" />
            <text x={fmt(r.cx())} y={fmt(r.y + 20.0)} text-anchor="middle" class="kind">{ "Load balancer" }</text>
            <path class="icon-stroke" d={fan} />
            <text x={fmt(r.cx())} y={fmt(r.y + 96.0)} text-anchor="middle">{ &lb.name }</text>
            <text x={fmt(r.cx())} y={fmt(r.y + 110.0)} text-anchor="middle" class="small">{ &lb.detail }</text>
        </g>
    }
}

fn vnet(l: &Layout, hl: &Highlight, ex: &[String]) -> Html {
    let r = l.vnet.rect;
    html! {
        <g class={classes!("vnet", hl.class(&component::vnet(&l.vnet.name)))} role="group" aria-label={format!("Virtual network {} {}", l.vnet.name, l.vnet.detail)}
           data-component={component::vnet(&l.vnet.name)}>
            <rect class="box" x={fmt(r.x)} y={fmt(r.y)} width={fmt(r.w)} height={fmt(r.h)} rx="12" />
            <text x={fmt(r.x + 16.0)} y={fmt(r.y + 26.0)} class="title">
                { format!("VNet {}", l.vnet.name) }
                <tspan class="mono dim" dx="10">{ &l.vnet.detail }</tspan>
            </text>
            { for l.subnets.iter().map(|s| subnet(s, hl, ex)) }
        </g>
    }
}

fn subnet(s: &SubnetBox, hl: &Highlight, ex: &[String]) -> Html {
    let r = s.rect;
    let nsg_text = if s.nsg.is_some() {
        ""
    } else {
        "no NSG on this subnet"
    };
    html! {
        <g class={classes!("subnet", hl.class(&component::subnet(&s.name)))} role="group" aria-label={format!("Subnet {} {}", s.name, s.prefix)}
           data-component={component::subnet(&s.name)}>
            <rect class="box" x={fmt(r.x)} y={fmt(r.y)} width={fmt(r.w)} height={fmt(r.h)} rx="10" />
            <text x={fmt(r.x + 24.0)} y={fmt(r.y + 26.0)} class="title">
                { format!("Subnet {}", s.name) }
                <tspan class="mono dim" dx="10">{ &s.prefix }</tspan>
            </text>
            <text x={fmt(r.x + r.w - 16.0)} y={fmt(r.y + 26.0)} text-anchor="end" class="small dim">{ nsg_text }</text>
            { for s.nsg.iter().map(|n| shield(n, Attachment::Subnet(&s.name), hl)) }
            { for s.nodes.iter().map(|n| node(n, hl, ex)) }
        </g>
    }
}

fn node(n: &NodeBox, hl: &Highlight, ex: &[String]) -> Html {
    let r = n.rect;
    let kp = n.kube_proxy;
    html! {
        <g class={classes!("node", hl.class(&component::node(&n.name)))} role="group" aria-label={format!("Node {}", n.name)} data-component={component::node(&n.name)}>
            <rect class="box" x={fmt(r.x)} y={fmt(r.y)} width={fmt(r.w)} height={fmt(r.h)} rx="8" />
            <text x={fmt(r.x + 16.0)} y={fmt(r.y + 20.0)} class="kind">{ format!("Node {}", n.name) }</text>
            <g class={classes!("nic", hl.class(&component::nic(&n.nic.name)), exposed(ex, &component::nic(&n.nic.name)))} role="img" aria-label={format!("NIC {} {}", n.nic.name, n.nic.detail)}
               data-component={component::nic(&n.nic.name)}>
                <rect x={fmt(n.nic.rect.x)} y={fmt(n.nic.rect.y)} width={fmt(n.nic.rect.w)} height={fmt(n.nic.rect.h)} rx="4" />
                <text x={fmt(n.nic.rect.x + 22.0)} y={fmt(n.nic.rect.y + 18.0)} class="kind">{ "NIC" }</text>
                <text x={fmt(n.nic.rect.x + 22.0)} y={fmt(n.nic.rect.y + 32.0)} class="small">{ shorten(&n.nic.name, 30) }</text>
                <text x={fmt(n.nic.rect.x + 22.0)} y={fmt(n.nic.rect.y + 45.0)} class="small mono">{ &n.nic.detail }</text>
            </g>
            { for n.nic_nsg.iter().map(|s| shield(s, Attachment::Nic(&n.nic.name), hl)) }
            <g class={classes!("kube-proxy", hl.class(&component::kube_proxy(&n.name)))} role="img" aria-label={format!("kube-proxy on {}", n.name)}
               data-component={component::kube_proxy(&n.name)}>
                <rect x={fmt(kp.x)} y={fmt(kp.y)} width={fmt(kp.w)} height={fmt(kp.h)} rx="6" />
                <text x={fmt(kp.cx())} y={fmt(kp.y + 19.0)} text-anchor="middle">{ "kube-proxy" }</text>
                <text x={fmt(kp.cx())} y={fmt(kp.y + 34.0)} text-anchor="middle" class="small dim">{ "iptables" }</text>
            </g>
            { for n.pods.iter().map(|p| pod(p, hl, ex)) }
        </g>
    }
}

fn pod(p: &PodBox, hl: &Highlight, ex: &[String]) -> Html {
    let r = p.rect;
    let state = if p.ready { "ready" } else { "not ready" };
    html! {
        <g class={classes!("pod", (!p.ready).then_some("not-ready"), hl.class(&component::pod(&p.name)), exposed(ex, &component::pod(&p.name)))} role="img"
           aria-label={format!("Pod {} {} {} {}", p.name, p.ip, p.labels, state)}
           data-component={component::pod(&p.name)}>
            <title>{ format!("Pod {} ({state}); labels {}", p.name, p.labels) }</title>
            <rect x={fmt(r.x)} y={fmt(r.y)} width={fmt(r.w)} height={fmt(r.h)} rx="6" />
            <path class="icon-stroke" d={cube_path(r.x + 8.0, r.y + 10.0)} />
            <text x={fmt(r.x + 34.0)} y={fmt(r.y + 17.0)} class="small">{ shorten(&p.name, 34) }</text>
            <text x={fmt(r.x + 34.0)} y={fmt(r.y + 31.0)} class="small mono">{ &p.ip }</text>
            <text x={fmt(r.x + 34.0)} y={fmt(r.y + 45.0)} class="small dim">{ &p.labels }</text>
        </g>
    }
}

enum Attachment<'a> {
    Subnet(&'a str),
    Nic(&'a str),
}

fn shield(nsg: &Labelled, attachment: Attachment, hl: &Highlight) -> Html {
    let r = nsg.rect;
    let d = format!(
        "M{cx} {top} L{right} {y1} V{y2} Q{right} {y3} {cx} {bottom} Q{left} {y3} {left} {y2} V{y1} Z",
        cx = fmt(r.cx()),
        top = fmt(r.y),
        right = fmt(r.x + r.w),
        left = fmt(r.x),
        y1 = fmt(r.y + r.h * 0.18),
        y2 = fmt(r.y + r.h * 0.55),
        y3 = fmt(r.y + r.h * 0.85),
        bottom = fmt(r.y + r.h),
    );
    let (id, place, label_x, label_y) = match attachment {
        Attachment::Nic(nic) => (
            component::nsg_on_nic(&nsg.name, nic),
            "NIC",
            r.x + 4.0,
            // Below the NIC, which is centred on the shield and 52 high.
            r.y + r.h / 2.0 + 26.0 + 14.0,
        ),
        Attachment::Subnet(subnet) => (
            component::nsg_on_subnet(&nsg.name, subnet),
            "subnet",
            r.x + r.w + 6.0,
            r.y + r.h + 14.0,
        ),
    };
    html! {
        <g class={classes!("nsg", hl.class(&id))} role="img"
           aria-label={format!("Network security group {} attached to the {place}", nsg.name)}
           data-component={id.clone()}>
            <title>{ format!("NSG {}", nsg.name) }</title>
            <path d={d} />
            <text x={fmt(label_x)} y={fmt(label_y)} class="small nsg-name">{ format!("NSG {}", nsg.name) }</text>
        </g>
    }
}

/// The packet: one element, moved between hops by a CSS transition on `transform`, so
/// the browser animates it without the diagram re-rendering per frame.
fn packet(hl: &Highlight) -> Html {
    let Some((x, y)) = hl.packet else {
        return html! {};
    };
    let style = format!(
        "transform: translate({}px, {}px); transition-duration: {}ms",
        fmt(x),
        fmt(y),
        hl.move_ms
    );
    let state = match hl.outcome {
        Outcome::Denied => "denied",
        Outcome::Delivered => "delivered",
        _ if hl.returning => "returning",
        _ => "moving",
    };
    html! {
        <g class={classes!("packet", state)} data-testid="packet" style={style} aria-hidden="true">
            <circle r="9" />
            if hl.outcome == Outcome::Denied {
                <path class="cross" d="M-5 -5 L5 5 M5 -5 L-5 5" />
            }
        </g>
    }
}

fn cloud_path(r: Rect) -> String {
    let (x, y, w, h) = (r.x, r.y, r.w, r.h);
    format!(
        "M{} {} C{} {} {} {} {} {} C{} {} {} {} {} {} C{} {} {} {} {} {} C{} {} {} {} {} {} Z",
        fmt(x + w * 0.18),
        fmt(y + h * 0.9),
        fmt(x - w * 0.05),
        fmt(y + h * 0.9),
        fmt(x - w * 0.02),
        fmt(y + h * 0.45),
        fmt(x + w * 0.2),
        fmt(y + h * 0.42),
        fmt(x + w * 0.22),
        fmt(y + h * 0.02),
        fmt(x + w * 0.72),
        fmt(y - h * 0.02),
        fmt(x + w * 0.78),
        fmt(y + h * 0.3),
        fmt(x + w * 1.05),
        fmt(y + h * 0.3),
        fmt(x + w * 1.05),
        fmt(y + h * 0.9),
        fmt(x + w * 0.82),
        fmt(y + h * 0.9),
        fmt(x + w * 0.6),
        fmt(y + h * 0.98),
        fmt(x + w * 0.4),
        fmt(y + h * 0.98),
        fmt(x + w * 0.18),
        fmt(y + h * 0.9),
    )
}

fn cube_path(x: f64, y: f64) -> String {
    format!(
        "M{a} {b} l9 -5 l9 5 v11 l-9 5 l-9 -5 Z M{a} {b} l9 5 l9 -5 M{c} {d} v11",
        a = fmt(x),
        b = fmt(y + 5.0),
        c = fmt(x + 9.0),
        d = fmt(y + 10.0),
    )
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let head: String = text.chars().take(max.saturating_sub(1)).collect();
        format!("{head}…")
    }
}

/// Coordinates as whole units: sharp enough at any zoom, and formatting integers keeps
/// the float formatter (tens of kilobytes) out of the page.
fn fmt(v: f64) -> String {
    (v.round() as i64).to_string()
}
