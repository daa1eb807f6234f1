//! The packetwalk evaluator.
//!
//! Everything packetwalk decides about networking is decided here: which NSG rule
//! matches a flow, what the load balancer and kube-proxy do with a packet, and the
//! hop-by-hop trace the page and the CLI show. The crate is pure: it takes plain data
//! and returns plain data, does no I/O, and never panics. Problems with the input are
//! values ([`Warning`]s and errors) that name the object and the field they concern.

pub mod json;
pub mod model;

pub use model::*;
pub mod compiled;
pub mod defaults;
pub mod eval;

pub use compiled::{CompiledNsg, Decision};
pub use defaults::default_security_rules;
pub use eval::{
    evaluate_nsg, evaluate_path, EvalContext, FlowVerdict, MatchResult, NsgEvaluation,
    RuleEvaluation, RuleKind, RuleRef,
};
pub mod import;
pub use import::{import_nsg, import_nsgs, import_nsgs_named, ImportError, Imported};
pub mod export;
pub use export::{rule_rows, rule_table, to_az_json, RuleRow};
pub mod validate;
pub use validate::{validate_nsg, validate_rule};
pub mod endpoint;
pub use endpoint::parse_endpoint;
