//! The cluster as an SVG diagram. Each drawn part is a group with an accessible name and
//! a `data-component` id, so the packet and the hop panel can find it.

use std::rc::Rc;

use yew::prelude::*;

use packetwalk::component;
use packetwalk::delta::{Delta, DeltaKind};

use packetwalk::trace::{Action as HopAction, FiveTuple, Leg, Trace, Verdict};

use crate::layout::{
    shorten, Labelled, Layout, LinkKind, NodeBox, PodBox, Rect, SubnetBox, LANE_Y,
};

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
    /// What the guided tour's words talk about: component id prefixes to light up.
    #[prop_or_default]
    pub focus: &'static [&'static str],
    /// What changed in Azure (the tour's `kubectl apply`, the rule deleted by hand),
    /// drawn at the parts it changed.
    #[prop_or_default]
    pub delta: Rc<[Delta]>,
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
    /// The packet's header after this hop, with what this hop rewrote.
    pub header: Option<Header>,
    /// The links the trace's consecutive hops go along.
    pub route: Rc<[RouteSegment]>,
    /// What decided at this hop, beside the part that decided.
    pub callout: Option<Callout>,
    /// Component id prefixes the tour's words are about.
    pub focus: &'static [&'static str],
    /// Components that did not exist before the tour's change.
    pub appeared: Rc<[String]>,
    /// Backend nodes the load balancer's health probe marks down, with why.
    pub unhealthy: Rc<[(String, String)]>,
    /// The parts the AKS pitfalls name (`analysis::pitfalls`), drawn with a halo so each
    /// finding stands beside what it is about.
    pub flagged: Rc<[String]>,
}

/// The packet's header label: `TCP 198.51.100.23:50123 → 203.0.113.10:8080`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Header {
    pub protocol: String,
    pub source: String,
    pub destination: String,
    /// Rewritten by this hop (SNAT, DNAT, or the reply's reverse NAT).
    pub source_changed: bool,
    pub destination_changed: bool,
}

impl Header {
    fn of(packet: &FiveTuple) -> Header {
        let endpoint = |ip: std::net::IpAddr, port: u16| match ip {
            std::net::IpAddr::V4(_) => format!("{ip}:{port}"),
            std::net::IpAddr::V6(_) => format!("[{ip}]:{port}"),
        };
        Header {
            protocol: packet.protocol.to_string().to_ascii_uppercase(),
            source: endpoint(packet.source_ip, packet.source_port),
            destination: endpoint(packet.destination_ip, packet.destination_port),
            source_changed: false,
            destination_changed: false,
        }
    }
    fn chars(&self) -> usize {
        self.protocol.len() + self.source.len() + self.destination.len() + 4
    }
}

/// One link of the traced route: from one hop's component to the next one's.
#[derive(Clone, Debug, PartialEq)]
pub struct RouteSegment {
    pub from: String,
    pub to: String,
    pub a: (f64, f64),
    pub b: (f64, f64),
    pub returning: bool,
    /// The link the packet just came along.
    pub current: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Callout {
    pub component: String,
    pub at: (f64, f64),
    pub lines: Vec<String>,
    pub denied: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Outcome {
    #[default]
    Passing,
    Allowed,
    Denied,
    Delivered,
}

/// Where the packet is and what the hop on show did, for the diagram: all of it read
/// from the trace (its hops' components, packets and NSG evaluations).
pub fn highlight(layout: &Layout, trace: Option<&Trace>, step: usize, speed_ms: u32) -> Highlight {
    let Some((trace, hop)) = trace.and_then(|t| Some((t, t.hops.get(step)?))) else {
        return Highlight::default();
    };
    let last = trace.hops.len().saturating_sub(1) == step;
    let stopped = last && trace.verdict == Verdict::Dropped;
    let outcome = match hop.action {
        HopAction::NsgDeny | HopAction::PolicyDeny | HopAction::Drop => Outcome::Denied,
        _ if stopped => Outcome::Denied,
        HopAction::NsgAllow | HopAction::PolicyAllow | HopAction::FlowState => Outcome::Allowed,
        HopAction::Deliver if last || trace.verdict == Verdict::Delivered => Outcome::Delivered,
        _ => Outcome::Passing,
    };
    let mut header = Header::of(&hop.packet);
    if let Some(before) = step.checked_sub(1).and_then(|i| trace.hops.get(i)) {
        if before.leg == hop.leg {
            let was = Header::of(&before.packet);
            header.source_changed = was.source != header.source;
            header.destination_changed = was.destination != header.destination;
        }
    }
    let mut route: Vec<RouteSegment> = Vec::new();
    for (i, pair) in trace.hops.windows(2).enumerate() {
        let (from, to) = (&pair[0].component, &pair[1].component);
        if from == to {
            continue;
        }
        let returning = pair[1].leg == Leg::Return;
        let current = i + 1 == step;
        if let Some(seen) = route
            .iter_mut()
            .find(|r| &r.from == from && &r.to == to && r.returning == returning)
        {
            seen.current |= current;
            continue;
        }
        if let Some((a, b)) = layout.segment(from, to) {
            route.push(RouteSegment {
                from: from.clone(),
                to: to.clone(),
                a,
                b,
                returning,
                current,
            });
        }
    }
    Highlight {
        current: Some(hop.component.clone()),
        outcome,
        packet: layout.anchor(&hop.component),
        move_ms: speed_ms.saturating_mul(3) / 5,
        returning: hop.leg == Leg::Return,
        header: Some(header),
        route: route.into(),
        callout: callout(layout, trace, step, stopped),
        unhealthy: trace
            .hops
            .iter()
            .filter_map(|h| h.lb.as_ref())
            .flat_map(|lb| &lb.backends)
            .filter(|b| !b.healthy)
            .map(|b| (b.component.clone(), b.why.clone()))
            .collect(),
        ..Highlight::default()
    }
}

/// The decision at this hop, in words for the picture: an NSG's deciding rule, the load
/// balancer's rule, or where and why the packet stopped.
fn callout(layout: &Layout, trace: &Trace, step: usize, stopped: bool) -> Option<Callout> {
    let hop = trace.hops.get(step)?;
    let lines = if let Some(e) = &hop.nsg {
        let allow = e.access == packetwalk::Access::Allow;
        let priority = e
            .deciding_rule
            .and_then(|i| e.rules.get(i))
            .map(|r| format!(" · priority {}", r.priority))
            .unwrap_or_default();
        let rule = e.rule_name.rsplit('/').next().unwrap_or_default();
        vec![
            format!("{}{priority}", if allow { "✔ Allow" } else { "✖ Deny" }),
            if rule.is_empty() {
                "no rule matched".to_owned()
            } else {
                format!("rule {rule}")
            },
        ]
    } else if stopped {
        let mut lines = vec!["✖ Stopped here".to_owned()];
        lines.extend(wrap(trace.reason.as_deref().unwrap_or(&hop.summary), 46));
        lines
    } else {
        match hop.action {
            HopAction::FlowState => vec!["✔ Reply allowed: a known flow".to_owned()],
            HopAction::MatchLbRule | HopAction::PickBackend => match &hop.lb {
                Some(lb) => {
                    let mut lines = vec![format!("Load-balancing rule {}", lb.rule_ports)];
                    if let Some(target) = &lb.probe_target {
                        lines.push(format!("health probe {target}"));
                    }
                    if !lb.backends.is_empty() {
                        let up = lb.backends.iter().filter(|b| b.healthy).count();
                        lines.push(format!("{up} of {} backends healthy", lb.backends.len()));
                    }
                    lines
                }
                None => wrap(&hop.summary, 46),
            },
            _ => return None,
        }
    };
    Some(Callout {
        component: hop.component.clone(),
        at: layout.callout_at(&hop.component)?,
        denied: matches!(
            hop.action,
            HopAction::NsgDeny | HopAction::PolicyDeny | HopAction::Drop
        ) || stopped,
        lines,
    })
}

/// Words in lines of at most `width` characters (a longer word gets its own line).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 1 + word.chars().count() <= width => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_owned()),
        }
    }
    lines.truncate(4);
    lines
}

impl Highlight {
    fn class(&self, id: &str) -> Classes {
        let mut classes = Classes::new();
        if self.current.as_deref() == Some(id) {
            classes.push(match self.outcome {
                Outcome::Passing => "current",
                Outcome::Allowed => "current allowed",
                Outcome::Denied => "current denied",
                Outcome::Delivered => "current delivered",
            });
        }
        if self.focus.iter().any(|prefix| id.starts_with(prefix)) {
            classes.push("tour-focus");
        }
        if self.appeared.iter().any(|a| a == id) {
            classes.push("appeared");
        }
        if self.unhealthy.iter().any(|(u, _)| u == id) {
            classes.push("unhealthy");
        }
        if self.flagged.iter().any(|f| f == id) {
            classes.push("flagged");
        }
        classes
    }
}

/// The tour's changes at one part of the picture, in a box like a callout's.
struct ChangeNote {
    component: String,
    at: (f64, f64),
    /// Each change: what kind, its short label, and its full description.
    lines: Vec<(DeltaKind, String, String)>,
}

/// One box per changed part (a public IP shows itself appearing instead), placed where a
/// callout about that part goes, below the hop's own callout when both are there.
fn change_notes(l: &Layout, delta: &[Delta], callout: Option<&Callout>) -> Vec<ChangeNote> {
    let mut notes: Vec<ChangeNote> = Vec::new();
    for d in delta
        .iter()
        .filter(|d| !d.component.starts_with("public-ip:"))
    {
        let line = (d.kind, d.label.clone(), d.what.clone());
        match notes.iter_mut().find(|n| n.component == d.component) {
            Some(note) => note.lines.push(line),
            None => {
                let Some((x, mut y)) = l.callout_at(&d.component) else {
                    continue;
                };
                // Clear of the NSG's name, which sits just above a callout's corner.
                y += 4.0;
                if let Some(c) = callout.filter(|c| c.component == d.component) {
                    y += c.lines.len() as f64 * 15.0 + 14.0;
                }
                notes.push(ChangeNote {
                    component: d.component.clone(),
                    at: (x, y),
                    lines: vec![line],
                });
            }
        }
    }
    notes
}

fn change_box(l: &Layout, n: &ChangeNote) -> Html {
    let sign = |kind: DeltaKind| match kind {
        DeltaKind::Added => "+ ",
        DeltaKind::Removed => "− ",
        DeltaKind::Changed => "~ ",
    };
    let longest = n
        .lines
        .iter()
        .map(|(_, label, _)| label.chars().count() + 2)
        .max()
        .unwrap_or(0)
        .max(30);
    // The labels are monospace, a little wider than the callouts' text.
    let w = (longest as f64 * 6.8 + 16.0).min(l.width - 8.0);
    let h = n.lines.len() as f64 * 15.0 + 24.0;
    let x = n.at.0.min(l.width - w - 4.0).max(4.0);
    let y = n.at.1.min(l.height - h - 4.0);
    let removed = n.lines.iter().all(|(k, _, _)| *k == DeltaKind::Removed);
    let heading = if removed {
        "Deleted by hand"
    } else {
        "Created by the cloud provider"
    };
    html! {
        <g class={classes!("change-note", if removed { "removed" } else { "added" })} data-testid="change-note" data-change-for={n.component.clone()}>
            <rect x={fmt(x)} y={fmt(y)} width={fmt(w)} height={fmt(h)} rx="5" />
            <text x={fmt(x + 8.0)} y={fmt(y + 15.0)} class="small lead">{ heading }</text>
            { for n.lines.iter().enumerate().map(|(i, (kind, label, what))| html! {
                <text x={fmt(x + 8.0)} y={fmt(y + 31.0 + i as f64 * 15.0)}
                    class={classes!("small", "mono", match kind { DeltaKind::Added => "added", DeltaKind::Removed => "removed", DeltaKind::Changed => "changed" })}>
                    <title>{ what }</title>
                    { format!("{}{label}", sign(*kind)) }
                </text>
            }) }
        </g>
    }
}

#[function_component(Diagram)]
pub fn diagram(props: &DiagramProps) -> Html {
    let l = &props.layout;
    let mut marked = props.highlight.clone();
    marked.focus = props.focus;
    marked.appeared = props
        .delta
        .iter()
        .filter(|d| d.kind == DeltaKind::Added && d.component.starts_with("public-ip:"))
        .map(|d| d.component.clone())
        .collect();
    let hl = &marked;
    let notes = change_notes(l, &props.delta, hl.callout.as_ref());
    let ex = &props.exposed[..];
    let view_box = format!("0 0 {} {}", fmt(l.width), fmt(l.height));
    let figure = use_node_ref();
    // On a narrow screen the diagram scrolls sideways: keep the packet in view.
    {
        let figure = figure.clone();
        let (x, width) = (hl.packet.map(|p| p.0), l.width);
        use_effect_with(x.map(|x| x as i64), move |_| {
            if let (Some(x), Some(el)) = (x, figure.cast::<web_sys::HtmlElement>()) {
                let (shown, total) = (el.client_width(), el.scroll_width());
                if total > shown + 1 {
                    let at = (x / width * f64::from(total)) as i32;
                    el.set_scroll_left((at - shown / 2).max(0));
                }
            }
        });
    }
    let on_route = !hl.route.is_empty();
    html! {
        <figure class="diagram" ref={figure}>
            <svg
                viewBox={view_box}
                role="group"
                aria-label={format!("Network diagram: {}", props.title)}
                xmlns="http://www.w3.org/2000/svg"
                preserveAspectRatio="xMidYMin meet"
            >
                { backdrop(l) }
                <g class={classes!("links", on_route.then_some("dimmed"))} aria-hidden="true">
                    { for l.links.iter().map(|k| html! {
                        <line class={classes!("link", link_class(k.kind))} data-from={k.from.clone()} data-to={k.to.clone()}
                            x1={fmt(k.a.0)} y1={fmt(k.a.1)} x2={fmt(k.b.0)} y2={fmt(k.b.1)} />
                    }) }
                    { for link_labels(l) }
                </g>
                <g class="route" aria-hidden="true">
                    { for hl.route.iter().map(|r| {
                        // The reply runs beside the way in, a little lower, so both show.
                        let dy = if r.returning { 5.0 } else { 0.0 };
                        html! {
                            <line class={classes!("route-link", if r.returning { "reply" } else { "forward" }, r.current.then_some("just"))}
                                data-from={r.from.clone()} data-to={r.to.clone()} data-leg={if r.returning { "return" } else { "forward" }}
                                x1={fmt(r.a.0)} y1={fmt(r.a.1 + dy)} x2={fmt(r.b.0)} y2={fmt(r.b.1 + dy)} />
                        }
                    }) }
                </g>
                { internet(l, hl) }
                { for l.public_ips.iter().map(|p| public_ip(p, hl, ex)) }
                { for l.load_balancer.iter().chain(&l.internal_load_balancer).map(|lb| load_balancer(lb, hl)) }
                { vnet(l, hl, ex) }
                { for hl.callout.iter().map(|c| callout_box(l, c)) }
                { for notes.iter().map(|n| change_box(l, n)) }
                { packet(l, hl) }
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
            <text x={fmt(r.cx())} y={fmt(r.y + 48.0)} text-anchor="middle" class="small">{ shorten(&p.name, 19) }</text>
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
            { for hl.unhealthy.iter().filter(|(id, _)| *id == component::node(&n.name)).map(|(_, why)| html! {
                <text class="probe-down small" data-testid="probe-down" x={fmt(r.x + r.w - 10.0)} y={fmt(r.y + 15.0)} text-anchor="end">
                    <title>{ why }</title>
                    { "✖ health probe fails: no new flows" }
                </text>
            }) }
            <g class={classes!("nic", hl.class(&component::nic(&n.nic.name)), exposed(ex, &component::nic(&n.nic.name)))} role="img" aria-label={format!("NIC {} {}", n.nic.name, n.nic.detail)}
               data-component={component::nic(&n.nic.name)}>
                <rect x={fmt(n.nic.rect.x)} y={fmt(n.nic.rect.y)} width={fmt(n.nic.rect.w)} height={fmt(n.nic.rect.h)} rx="4" />
                <text x={fmt(n.nic.rect.x + 22.0)} y={fmt(n.nic.rect.y + 18.0)} class="kind">{ "NIC" }</text>
                <text x={fmt(n.nic.rect.x + 22.0)} y={fmt(n.nic.rect.y + 32.0)} class="small">{ shorten(&n.nic.name, 30) }</text>
                <text x={fmt(n.nic.rect.x + 22.0)} y={fmt(n.nic.rect.y + 45.0)} class="small mono">{ &n.nic.detail }</text>
            </g>
            { for n.nic_nsg.iter().map(|s| shield(s, Attachment::Nic(&n.nic.name), hl)) }
            <g class={classes!("kube-proxy", hl.class(&component::kube_proxy(&n.name)))} role="img" aria-label={format!("{} on {}", n.service_proxy.label, n.name)}
               data-component={component::kube_proxy(&n.name)}>
                <rect x={fmt(kp.x)} y={fmt(kp.y)} width={fmt(kp.w)} height={fmt(kp.h)} rx="6" />
                <text x={fmt(kp.cx())} y={fmt(kp.y + 19.0)} text-anchor="middle">{ n.service_proxy.name }</text>
                <text x={fmt(kp.cx())} y={fmt(kp.y + 34.0)} text-anchor="middle" class="small dim">{ n.service_proxy.detail }</text>
            </g>
            { for n.pods.iter().map(|p| pod(p, hl, ex)) }
            // Over the pods (a badge sits on its pod's top edge), and beside them in the
            // accessibility tree: an image is not read inside another.
            { for n.pods.iter().map(|p| policy_badge(p, hl)) }
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
            <text x={fmt(r.x + 34.0)} y={fmt(r.y + 17.0)} class="small">{ shorten(&p.name, 30) }</text>
            <text x={fmt(r.x + 34.0)} y={fmt(r.y + 31.0)} class="small mono">{ &p.ip }</text>
            <text x={fmt(r.x + 34.0)} y={fmt(r.y + 45.0)} class="small dim">{ shorten(&p.labels, 32) }</text>
        </g>
    }
}

/// The NetworkPolicy badge on a pod that policies select: a small shield and the
/// policies' names, its full list a hover away. It is where the trace's `netpol:<pod>`
/// hops are drawn, so it lights up (and turns red where the policy drops the packet)
/// like the NSGs' shields.
fn policy_badge(p: &PodBox, hl: &Highlight) -> Html {
    let Some(badge) = &p.badge else {
        return html! {};
    };
    let b = badge.rect;
    let id = component::network_policy(&p.name);
    let class = classes!(
        "policy-badge",
        hl.class(&id),
        (p.policy_engine == "none").then_some("not-enforced")
    );
    let enforced = if p.policy_engine == "none" {
        "; not enforced: the cluster's networkPolicy is none"
    } else {
        ""
    };
    let label = format!("NetworkPolicy: {}{enforced}", p.policies.join(", "));
    // A shield like the NSGs', 9 wide, at the badge's left.
    let (sx, sy) = (b.x + 5.0, b.y + 2.0);
    let shield = format!(
        "M{} {} l4.5 2 v4 q0 3.5 -4.5 5 q-4.5 -1.5 -4.5 -5 v-4 Z",
        fmt(sx + 4.5),
        fmt(sy)
    );
    html! {
        <g class={class}
           role="img" aria-label={label.clone()} data-component={id}>
            <title>{ label }</title>
            <rect x={fmt(b.x)} y={fmt(b.y)} width={fmt(b.w)} height={fmt(b.h)} rx="7" />
            <path class="badge-shield" d={shield} />
            <text x={fmt(b.x + 17.0)} y={fmt(b.y + 11.0)} class="badge-text">{ &badge.text }</text>
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

/// The fills of the VNet, subnets and nodes, under the links (their outlines and names
/// are drawn with the parts, over the links).
fn backdrop(l: &Layout) -> Html {
    let fill = |class: &'static str, r: Rect, rx: &'static str| {
        html! { <rect class={classes!("fill", class)} x={fmt(r.x)} y={fmt(r.y)} width={fmt(r.w)} height={fmt(r.h)} rx={rx} /> }
    };
    html! {
        <g class="backdrop" aria-hidden="true">
            { fill("vnet-fill", l.vnet.rect, "12") }
            { for l.subnets.iter().map(|s| html! {
                <>
                    { fill("subnet-fill", s.rect, "10") }
                    { for s.nodes.iter().map(|n| fill("node-fill", n.rect, "8")) }
                </>
            }) }
        </g>
    }
}

fn link_class(kind: LinkKind) -> &'static str {
    match kind {
        LinkKind::Path => "path",
        LinkKind::Node => "node-link",
        LinkKind::Probe => "probe",
        LinkKind::Egress => "egress",
    }
}

/// The health probe's source (in the cloud, under
/// its clients).
fn link_labels(l: &Layout) -> Vec<Html> {
    let mut out = Vec::new();
    if l.links.iter().any(|k| k.kind == LinkKind::Probe) {
        let r = l.internet;
        out.push(html! {
            <text class="link-label small" x={fmt(r.cx() - 10.0)} y={fmt(r.y + r.h - 18.0)} text-anchor="middle">{ "probes: 168.63.129.16" }</text>
        });
    }
    out
}

fn callout_box(l: &Layout, c: &Callout) -> Html {
    let longest = c.lines.iter().map(|t| t.chars().count()).max().unwrap_or(0);
    let w = (longest as f64 * 6.3 + 16.0).min(l.width - 8.0);
    let h = c.lines.len() as f64 * 15.0 + 8.0;
    let x = c.at.0.min(l.width - w - 4.0).max(4.0);
    let y = c.at.1.min(l.height - h - 4.0);
    html! {
        <g class={classes!("callout", if c.denied { "denied" } else { "allowed" })} data-testid="callout" data-callout-for={c.component.clone()}>
            <rect x={fmt(x)} y={fmt(y)} width={fmt(w)} height={fmt(h)} rx="5" />
            { for c.lines.iter().enumerate().map(|(i, t)| html! {
                <text x={fmt(x + 8.0)} y={fmt(y + 16.0 + i as f64 * 15.0)} class={classes!("small", (i == 0).then_some("lead"))}>{ t }</text>
            }) }
        </g>
    }
}

/// The packet: one element, moved between hops by a CSS transition on `transform`, so
/// the browser animates it without the diagram re-rendering per frame. The envelope
/// rests beside the hop's part; the header label rides in the band at the top (moved
/// by the same transition, so it stays in the band), joined to the envelope by a line.
fn packet(l: &Layout, hl: &Highlight) -> Html {
    let Some((x, y)) = hl.packet else {
        return html! {};
    };
    let ms = hl.move_ms;
    let style = format!(
        "transform: translate({}px, {}px); transition-duration: {ms}ms",
        fmt(x),
        fmt(y)
    );
    let state = match hl.outcome {
        Outcome::Denied => "denied",
        Outcome::Delivered => "delivered",
        _ if hl.returning => "returning",
        _ => "moving",
    };
    let header = hl.header.clone().unwrap_or_default();
    let w = (header.chars() as f64 * 7.5 + 18.0).round();
    let left = (x - w / 2.0).min(l.width - w - 4.0).max(4.0);
    let header_style = format!(
        "transform: translate({}px, {}px); transition-duration: {ms}ms",
        fmt(left - x),
        fmt(LANE_Y - y)
    );
    // The line from the label down to the envelope: a unit line scaled to the gap.
    let gap = (y - LANE_Y - 13.0).max(0.0);
    let leader_style = format!(
        "transform: scaleY({}); transition-duration: {ms}ms",
        fmt(gap)
    );
    let part = |text: &str, changed: bool| {
        html! { <tspan class={classes!(changed.then_some("changed"))}>{ text.to_owned() }</tspan> }
    };
    html! {
        <g class={classes!("packet", state)} data-testid="packet" style={style} aria-hidden="true">
            <line class="leader" x1="0" y1="0" x2="0" y2="-1" style={leader_style} vector-effect="non-scaling-stroke" />
            <g class="envelope">
                if hl.outcome == Outcome::Denied {
                    <circle r="11" />
                    <path class="cross" d="M-5 -5 L5 5 M5 -5 L-5 5" />
                } else {
                    <rect x="-10" y="-7" width="20" height="14" rx="2" />
                    <path class="flap" d="M-10 -7 L0 1 L10 -7" />
                }
            </g>
            <g class="header" style={header_style}>
                <rect x="0" y="-13" width={fmt(w)} height="26" rx="13" />
                <text x="9" y="5" class="mono">
                    { part(&header.protocol, false) }{ " " }
                    { part(&header.source, header.source_changed) }{ " → " }
                    { part(&header.destination, header.destination_changed) }
                </text>
            </g>
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

/// Coordinates as whole units: sharp enough at any zoom, and formatting integers keeps
/// the float formatter (tens of kilobytes) out of the page.
fn fmt(v: f64) -> String {
    (v.round() as i64).to_string()
}
