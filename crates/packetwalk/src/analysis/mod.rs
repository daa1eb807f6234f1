//! Analyses over whole sets of flows, exact (spec §1, §3, §4): what the Internet can
//! reach in a scenario ([`exposure`]), what one NSG allows from a set of sources
//! ([`nsg_exposure`], [`nsg_reach`]), and rules that never decide or change nothing
//! ([`lint_nsg`], [`lint_nsg_in_scenario`]).
//!
//! Everything is interval arithmetic over the address and port spaces ([`space`]):
//! nothing enumerates addresses or ports.

pub mod exposure;
pub mod lint;
pub mod nsg;
pub mod pitfalls;
mod policy_pitfalls;
pub mod space;

pub use exposure::{
    exposure, exposure_to_text, scenario_context, ExposedKind, Exposure, ExposureEntry,
    ExposureExplanation,
};
pub use lint::{findings_to_text, lint_nsg, lint_nsg_in_scenario, Finding, FindingKind};
pub use nsg::{
    internet, nsg_exposure, nsg_reach, nsg_reach_from, virtual_network, NsgReach, RuleRegions,
};
pub use pitfalls::{pitfalls, pitfalls_to_text, Pitfall, PitfallKind};
pub use space::{port_texts, AddrSet, IntervalSet, PortSet, Region};
