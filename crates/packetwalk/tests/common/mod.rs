#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Helpers shared by the integration tests.
#![allow(dead_code)]

use packetwalk::json::Value;
use packetwalk::{parse_endpoint, Direction, EvalContext, Flow, Protocol};
use std::path::PathBuf;

pub fn real_fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/real")
}

pub fn read_json(path: &std::path::Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("missing {key}"))
}

pub fn flow_from(v: &Value) -> Flow {
    let direction = match text(v, "direction") {
        "Inbound" => Direction::Inbound,
        "Outbound" => Direction::Outbound,
        other => panic!("direction {other}"),
    };
    let protocol = Protocol::parse(text(v, "protocol")).expect("protocol");
    let (local_ip, local_port) = parse_endpoint(text(v, "local")).expect("local");
    let (remote_ip, remote_port) = parse_endpoint(text(v, "remote")).expect("remote");
    Flow {
        direction,
        protocol,
        local_ip,
        local_port,
        remote_ip,
        remote_port,
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .unwrap_or_default()
        .iter()
        .map(|s| s.as_str().expect("string").to_owned())
        .collect()
}

pub fn context_from(v: Option<&Value>) -> EvalContext {
    let Some(v) = v else {
        return EvalContext::default();
    };
    let nets = |v: Option<&Value>| -> Vec<ipnet::IpNet> {
        strings(v)
            .iter()
            .map(|s| s.parse().expect("CIDR"))
            .collect()
    };
    EvalContext {
        vnet_prefixes: nets(v.get("vnetPrefixes")),
        service_tags: v
            .get("serviceTags")
            .and_then(Value::as_object)
            .unwrap_or_default()
            .iter()
            .map(|(name, list)| (name.clone(), nets(Some(list))))
            .collect(),
        local_asgs: strings(v.get("localAsgs")),
        remote_asgs: strings(v.get("remoteAsgs")),
    }
}
