//! The packetwalk evaluator.
//!
//! Everything packetwalk decides about networking is decided here: which NSG rule
//! matches a flow, what the load balancer and kube-proxy do with a packet, and the
//! hop-by-hop trace the page and the CLI show. The crate is pure: it takes plain data
//! and returns plain data, does no I/O, and never panics. Problems with the input are
//! values ([`Warning`]s and errors) that name the object and the field they concern.

pub mod analysis;
pub mod cluster;
pub mod compiled;
pub mod component;
pub mod defaults;
pub mod delta;
pub mod edit;
pub mod endpoint;
pub mod eval;
pub mod export;
pub mod import;
pub mod json;
pub mod kubernetes;
pub mod model;
pub mod netpol;
mod path;
pub mod reconcile;
pub mod scenario;
pub mod trace;
pub mod validate;

pub use compiled::{CompiledNsg, CompiledPath, Decision};
pub use defaults::default_security_rules;
pub use endpoint::{parse_endpoint, unbracketed_ipv6_hint};
pub use eval::{
    evaluate_nsg, evaluate_path, EvalContext, FlowVerdict, MatchResult, NsgEvaluation,
    RuleEvaluation, RuleKind, RuleRef,
};
pub use export::{rule_rows, rule_table, to_az_json, RuleRow};
pub use import::{import_nsg, import_nsgs, import_nsgs_named, ImportError, Imported};
pub use model::*;
pub use validate::{validate_nsg, validate_rule};
