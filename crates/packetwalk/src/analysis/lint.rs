//! Rule lint (spec §1, §3): rules that can never decide (shadowed), rules whose removal
//! changes no verdict (redundant), rules that match nothing at all, and allow rules wider
//! than the source ranges a Service asks for (`loadBalancerSourceRanges`).
//!
//! Exact, by carving each rule's box through the others ([`super::nsg`]). A rule naming
//! an application security group depends on which NICs are members, which an NSG alone
//! does not say: such a rule is never reported, never counts as covering another, and
//! counts as a possible blocker when deciding whether another rule is redundant.

use super::exposure::scenario_context;
use super::nsg::{carve, internet, rule_boxes, AsgReading, RuleBox};
use super::space::{AddrSet, PortSet, Region};
use crate::eval::{EvalContext, RuleKind, RuleRef};
use crate::model::{Access, Direction, NetworkSecurityGroup, Protocol};
use crate::scenario::{Scenario, ServiceType};
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum FindingKind {
    /// Rules of lower priority number match every flow this rule matches: it never decides.
    Shadowed,
    /// Removing the rule changes no verdict: later rules decide the same way.
    Redundant,
    /// The rule matches no flow at all (invalid values, tags without prefixes).
    NeverMatches,
    /// An allow rule admits Internet sources outside a Service's loadBalancerSourceRanges.
    WiderThanIntended,
}

impl FindingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::Shadowed => "shadowed",
            FindingKind::Redundant => "redundant",
            FindingKind::NeverMatches => "neverMatches",
            FindingKind::WiderThanIntended => "widerThanIntended",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    pub kind: FindingKind,
    pub nsg: String,
    pub direction: Direction,
    /// The rule the finding is about first, then the rules that explain it.
    pub rules: Vec<String>,
    /// The same rules as references into the NSG, for linking to the rule table.
    pub rule_refs: Vec<RuleRef>,
    pub message: String,
    /// The section of the semantics spec the finding follows.
    pub spec: &'static str,
}

fn describe(rule: &RuleBox) -> String {
    format!(
        "{} (priority {}, {})",
        rule.name,
        rule.priority,
        rule.access.as_str()
    )
}

fn list(rules: &[&RuleBox]) -> String {
    rules
        .iter()
        .map(|r| describe(r))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Findings of one NSG on its own: shadowed, redundant and never-matching user rules.
/// `ctx` supplies the VNet prefixes and service tags; ASG membership is taken as unknown.
pub fn lint_nsg(nsg: &NetworkSecurityGroup, ctx: &EvalContext) -> Vec<Finding> {
    let mut findings = Vec::new();
    for direction in [Direction::Inbound, Direction::Outbound] {
        let per_protocol: Vec<Vec<RuleBox>> = Protocol::ALL
            .iter()
            .map(|p| rule_boxes(nsg, direction, *p, ctx, AsgReading::Unknown))
            .collect();
        let count = per_protocol.first().map_or(0, Vec::len);
        for i in 0..count {
            if let Some(finding) = lint_rule(nsg, direction, &per_protocol, i) {
                findings.push(finding);
            }
        }
    }
    findings
}

fn lint_rule(
    nsg: &NetworkSecurityGroup,
    direction: Direction,
    per_protocol: &[Vec<RuleBox>],
    i: usize,
) -> Option<Finding> {
    let first = per_protocol.first()?.get(i)?;
    if first.rule.kind != RuleKind::User || first.uncertain {
        return None;
    }
    let finding = |kind, related: Vec<&RuleBox>, message: String| {
        let mut rules = vec![first.name.clone()];
        let mut rule_refs = vec![first.rule];
        for r in related {
            if !rule_refs.contains(&r.rule) {
                rules.push(r.name.clone());
                rule_refs.push(r.rule);
            }
        }
        Some(Finding {
            kind,
            nsg: nsg.name.clone(),
            direction,
            rules,
            rule_refs,
            message,
            spec: "§1",
        })
    };
    let matching: Vec<(&Vec<RuleBox>, &RuleBox, &Region)> = per_protocol
        .iter()
        .filter_map(|rules| {
            let rule = rules.get(i)?;
            rule.region.as_ref().map(|region| (rules, rule, region))
        })
        .collect();
    if matching.is_empty() {
        let mut problems = first.problems.clone();
        problems.dedup();
        let why = if problems.is_empty() {
            "its conditions leave no flow (a port condition other than * can only match TCP and UDP)".to_owned()
        } else {
            problems.join("; ")
        };
        return finding(
            FindingKind::NeverMatches,
            Vec::new(),
            format!("Rule {} matches no flow at all: {why}.", describe(first)),
        );
    }

    // Shadowed: the rules before it, certain ones only, claim its whole box.
    let mut effective: Vec<(&Vec<RuleBox>, Vec<Region>)> = Vec::new();
    let mut covering: Vec<&RuleBox> = Vec::new();
    for (rules, _, region) in &matching {
        let before = rules
            .get(..i)
            .unwrap_or_default()
            .iter()
            .filter(|r| !r.uncertain);
        let (decided, left) = carve(before, vec![(*region).clone()]);
        for d in decided {
            if let Some(r) = rules.iter().find(|r| r.rule == d.rule) {
                if !covering.iter().any(|c| c.rule == r.rule) {
                    covering.push(r);
                }
            }
        }
        if !left.is_empty() {
            effective.push((rules, left));
        }
    }
    if effective.is_empty() {
        covering.sort_by_key(|r| r.priority);
        return finding(
            FindingKind::Shadowed,
            covering.clone(),
            format!(
                "Rule {} can never decide: every flow it matches is matched first by {}, which come earlier in priority order.",
                describe(first),
                list(&covering)
            ),
        );
    }

    // Redundant: what it decides, later rules would decide the same way.
    let everything = Region::everything();
    let everything_bounds = everything.bounds();
    let mut deciders: Vec<&RuleBox> = Vec::new();
    for (rules, regions) in effective {
        let mut left = regions;
        for later in rules.get(i + 1..).unwrap_or_default() {
            if left.is_empty() {
                break;
            }
            let (area, area_bounds) = if later.uncertain {
                if later.access == first.access {
                    continue;
                }
                (&everything, everything_bounds)
            } else {
                match &later.region {
                    Some(region) => (region, later.bounds),
                    None => continue,
                }
            };
            if !left
                .iter()
                .any(|piece| piece.bounds().may_intersect(&area_bounds) && piece.intersects(area))
            {
                continue;
            }
            if later.access != first.access {
                return None;
            }
            if !deciders.iter().any(|d| d.rule == later.rule) {
                deciders.push(later);
            }
            left = left
                .into_iter()
                .flat_map(|piece| piece.subtract(area))
                .collect();
        }
        if !left.is_empty() && first.access == Access::Allow {
            return None;
        }
    }
    let anyway = if deciders.is_empty() {
        "no rule would match them, which denies".to_owned()
    } else {
        format!(
            "{} would {} them anyway",
            list(&deciders),
            first.access.as_str().to_ascii_lowercase()
        )
    };
    finding(
        FindingKind::Redundant,
        deciders,
        format!(
            "Removing rule {} changes no verdict: of the flows it decides, {anyway}, with no rule of the opposite access in between.",
            describe(first)
        ),
    )
}

/// [`lint_nsg`] in a scenario: the scenario's VNet and service tags, plus allow rules
/// wider than the `loadBalancerSourceRanges` of a LoadBalancer Service (spec §3).
pub fn lint_nsg_in_scenario(nsg: &NetworkSecurityGroup, scenario: &Scenario) -> Vec<Finding> {
    let ctx = scenario_context(scenario);
    let mut findings = lint_nsg(nsg, &ctx);
    findings.extend(wider_than_intended(nsg, scenario, &ctx));
    findings
}

fn wider_than_intended(
    nsg: &NetworkSecurityGroup,
    scenario: &Scenario,
    ctx: &EvalContext,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let internet = internet(ctx);
    for service in &scenario.services {
        if service.service_type != ServiceType::LoadBalancer
            || service.load_balancer_source_ranges.is_empty()
        {
            continue;
        }
        let ranges = service.source_ranges();
        let intended = AddrSet::from_nets(&ranges);
        let outside = internet.subtract(&intended);
        let destinations = match service.ingress_ip {
            Some(ip) => AddrSet::from_ip(ip),
            None => AddrSet::full(),
        };
        let name = format!(
            "{}/{}",
            service.namespace.as_deref().unwrap_or("default"),
            service.name
        );
        for port in &service.ports {
            let protocol = port.protocol();
            let rules = rule_boxes(nsg, Direction::Inbound, protocol, ctx, AsgReading::Unknown);
            let query = Region {
                sources: outside.clone(),
                source_ports: PortSet::full(),
                destinations: destinations.clone(),
                destination_ports: PortSet::single(port.port),
            };
            let (decided, _) = carve(&rules, vec![query]);
            for d in decided {
                if d.access != Access::Allow || d.rule.kind != RuleKind::User {
                    continue;
                }
                let sources = d
                    .regions
                    .iter()
                    .fold(AddrSet::empty(), |acc, r| acc.union(&r.sources));
                let wide = sources.to_cidr_strings();
                let shown = if wide.len() > 4 {
                    format!(
                        "{} and {} more blocks",
                        wide[..4].join(", "),
                        wide.len() - 4
                    )
                } else {
                    wide.join(", ")
                };
                findings.push(Finding {
                    kind: FindingKind::WiderThanIntended,
                    nsg: nsg.name.clone(),
                    direction: Direction::Inbound,
                    rules: vec![d.name.clone()],
                    rule_refs: vec![d.rule],
                    message: format!(
                        "Rule {} (priority {}) allows {} {} from Internet sources outside Service {name}'s loadBalancerSourceRanges ({}): {shown}.",
                        d.name,
                        d.priority,
                        protocol.as_str().to_ascii_uppercase(),
                        port.port,
                        service.load_balancer_source_ranges.join(", "),
                    ),
                    spec: "§3",
                });
            }
        }
    }
    findings
}

/// Findings as text, one per line (the CLI's output).
pub fn findings_to_text(findings: &[Finding]) -> String {
    if findings.is_empty() {
        return "No findings.\n".to_owned();
    }
    findings
        .iter()
        .map(|f| {
            format!(
                "{} {} {} [{}]: {}\n",
                f.kind.as_str(),
                f.nsg,
                f.direction.as_str(),
                f.rules.join(", "),
                f.message
            )
        })
        .collect()
}
