//! Reading Azure documents in any of their shapes: a member under `properties` (ARM,
//! `az rest`, Resource Graph, templates) or at the top (AAZ commands flatten it), in any
//! spelling of its case (`privateIPAddress`, `privateIpAddress`); references by id, whose
//! case varies between documents (`MC_rg…`, `mc_rg…`, `MC_RG…/PROVIDERS/…`).

use crate::json::Value;
use ipnet::IpNet;
use std::net::IpAddr;

/// Deeper than any real document; bounds every walk over arbitrary input.
pub(super) const MAX_DEPTH: usize = 16;

/// The member `key`, under `properties` or at the top, skipping nulls.
pub(super) fn prop<'v>(v: &'v Value, key: &str) -> Option<&'v Value> {
    v.get("properties")
        .and_then(|p| p.get(key))
        .filter(|x| !x.is_null())
        .or_else(|| v.get(key).filter(|x| !x.is_null()))
}

/// The first of several spellings that is present (`vnetSubnetID` or `vnetSubnetId` is
/// one key to [`prop`]; this is for names that differ beyond case).
pub(super) fn prop_any<'v>(v: &'v Value, keys: &[&str]) -> Option<&'v Value> {
    keys.iter().find_map(|k| prop(v, k))
}

pub(super) fn text<'v>(v: &'v Value, key: &str) -> Option<&'v str> {
    prop(v, key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

pub(super) fn owned(v: &Value, key: &str) -> Option<String> {
    text(v, key).map(str::to_owned)
}

pub(super) fn list<'v>(v: &'v Value, key: &str) -> &'v [Value] {
    prop(v, key).and_then(Value::as_array).unwrap_or_default()
}

pub(super) fn boolean(v: &Value, key: &str) -> Option<bool> {
    match prop(v, key)? {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// A port as documents write it: a number, or a string of digits.
pub(super) fn port_value(v: &Value) -> Option<u16> {
    match v {
        Value::Number(n) if n.fract() == 0.0 && (0.0..=65535.0).contains(n) => Some(*n as u16),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The id of a reference (`{"id": …}`), or of a reference written as a bare string.
pub(super) fn ref_id(v: &Value) -> Option<&str> {
    match v {
        Value::String(s) => Some(s.as_str()),
        other => other.get("id").and_then(Value::as_str),
    }
    .map(str::trim)
    .filter(|s| !s.is_empty())
}

/// The id the reference member `key` holds.
pub(super) fn ref_at<'v>(v: &'v Value, key: &str) -> Option<&'v str> {
    prop(v, key).and_then(ref_id)
}

/// The last segment of an id: the resource's name.
pub(super) fn last_segment(id: &str) -> Option<&str> {
    id.trim_end_matches('/')
        .rsplit('/')
        .next()
        .filter(|s| !s.is_empty())
}

/// The segment after `marker` (any case): `segment_after(id, "resourceGroups")`.
pub(super) fn segment_after<'i>(id: &'i str, marker: &str) -> Option<&'i str> {
    let mut parts = id.split('/');
    while let Some(part) = parts.next() {
        if part.eq_ignore_ascii_case(marker) {
            return parts.next().filter(|s| !s.is_empty());
        }
    }
    None
}

/// Ids compare without regard to case: ARM treats them so, and documents differ.
pub(super) fn id_key(id: &str) -> String {
    id.trim().trim_end_matches('/').to_ascii_lowercase()
}

pub(super) fn same_id(a: &str, b: &str) -> bool {
    a.trim()
        .trim_end_matches('/')
        .eq_ignore_ascii_case(b.trim().trim_end_matches('/'))
}

/// The id up to (not including) the first `/<marker>/` segment, compared without case:
/// a NIC's id from one of its IP configurations' ids.
pub(super) fn id_before<'i>(id: &'i str, marker: &str) -> Option<&'i str> {
    let lower = id.to_ascii_lowercase();
    let needle = format!("/{}/", marker.to_ascii_lowercase());
    lower.find(&needle).and_then(|at| id.get(..at))
}

/// The resource type an id names (`Microsoft.Network/virtualNetworks/subnets`), from
/// the provider namespace on: every other segment after the last `providers`.
pub(super) fn id_type(id: &str) -> Option<String> {
    let parts: Vec<&str> = id.trim_end_matches('/').split('/').collect();
    let at = parts
        .iter()
        .rposition(|p| p.eq_ignore_ascii_case("providers"))?;
    let rest = parts.get(at + 1..)?;
    let (namespace, types) = rest.split_first()?;
    let mut out = (*namespace).to_owned();
    for t in types.iter().step_by(2) {
        out.push('/');
        out.push_str(t);
    }
    Some(out)
}

/// An IP address as written (`None` for a missing, empty or malformed one; the caller
/// warns about a malformed one with [`bad_text`]).
pub(super) fn ip_text(text: &str) -> Option<IpAddr> {
    text.trim().parse().ok()
}

pub(super) fn net_text(text: &str) -> Option<IpNet> {
    let t = text.trim();
    t.parse::<IpNet>()
        .ok()
        .or_else(|| t.parse::<IpAddr>().ok().map(IpNet::from))
}

/// A value as a warning shows it: a string as written, a number as a number, else its
/// kind.
pub(super) fn shown(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => crate::import::decimal(*n),
        Value::Bool(b) => b.to_string(),
        other => other.kind().to_owned(),
    }
}
