//! The evaluator never panics (lib.rs), and the cluster import takes whatever it is
//! given: every fixture document of `fixtures/cluster/` cut short, with members dropped,
//! values of the wrong kind, `properties` nested or flattened, lists wrapped or
//! unwrapped, alone or among the rest of the cluster. Whatever comes out is a scenario
//! that reads back from its JSON and that packets can be traced through.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use packetwalk::cluster::{import_cluster, Document};
use packetwalk::json::Value;
use packetwalk::scenario::{from_value, Scenario};
use packetwalk::trace::{self, PacketSpec};
use proptest::prelude::*;
use std::path::PathBuf;
use std::sync::OnceLock;

/// Every fixture document: (directory, file name, tree).
fn fixtures() -> &'static [(String, String, Value)] {
    static DOCS: OnceLock<Vec<(String, String, Value)>> = OnceLock::new();
    DOCS.get_or_init(|| {
        let base = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/cluster");
        let mut docs = Vec::new();
        for dir in ["two-pools", "shapes"] {
            let mut names: Vec<String> = std::fs::read_dir(base.join(dir))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".json"))
                .collect();
            names.sort();
            for name in names {
                let text = std::fs::read_to_string(base.join(dir).join(&name)).unwrap();
                docs.push((dir.to_owned(), name, serde_json::from_str(&text).unwrap()));
            }
        }
        docs
    })
}

fn two_pools() -> Vec<(String, Value)> {
    fixtures()
        .iter()
        .filter(|(dir, _, _)| dir == "two-pools")
        .map(|(_, name, v)| (name.clone(), v.clone()))
        .collect()
}

fn count(v: &Value) -> usize {
    1 + match v {
        Value::Array(items) => items.iter().map(count).sum(),
        Value::Object(members) => members.iter().map(|(_, v)| count(v)).sum(),
        _ => 0,
    }
}

/// The `n`th value of the tree in pre-order (the root is 0).
fn nth(v: &mut Value, mut n: usize) -> &mut Value {
    let mut cur = v;
    loop {
        if n == 0 {
            return cur;
        }
        n -= 1;
        let children: Vec<&mut Value> = match cur {
            Value::Array(items) => items.iter_mut().collect(),
            Value::Object(members) => members.iter_mut().map(|(_, v)| v).collect(),
            _ => unreachable!("n is within the tree"),
        };
        let mut next = None;
        for child in children {
            let c = count(child);
            if n < c {
                next = Some(child);
                break;
            }
            n -= c;
        }
        cur = next.expect("n is within the tree");
    }
}

const ODD_STRINGS: [&str; 10] = [
    "",
    "*",
    "10.0.0.0/33",
    "::",
    "99999",
    "-1",
    "Ｔｃｐ",
    "/subscriptions//resourceGroups/",
    "azure:///",
    "1e400",
];

/// One change to the tree at the value `at` picks: `op` says which, `k` how.
fn mutate(doc: &mut Value, op: u8, at: u32, k: u32) {
    let n = at as usize % count(doc);
    let target = nth(doc, n);
    let k = k as usize;
    match op % 8 {
        // Cut short: fewer items or members, a shorter string.
        0 => match target {
            Value::Array(items) => items.truncate(k % (items.len() + 1)),
            Value::Object(members) if !members.is_empty() => {
                let i = k % members.len();
                members.remove(i);
            }
            Value::String(s) => {
                let cut = s
                    .char_indices()
                    .nth(k % (s.len() + 1))
                    .map_or(s.len(), |(i, _)| i);
                s.truncate(cut);
            }
            other => *other = Value::Null,
        },
        1 => *target = Value::Null,
        // A value of another kind.
        2 => {
            *target = match k % 6 {
                0 => Value::Number(k as f64 - 3.5),
                1 => Value::String(ODD_STRINGS[k % ODD_STRINGS.len()].to_owned()),
                2 => Value::Bool(k % 2 == 0),
                3 => Value::Array(Vec::new()),
                4 => Value::Object(Vec::new()),
                _ => Value::Number(f64::MAX),
            }
        }
        // ARM nesting: wrap the members in `properties`, or lift them out of it.
        3 => {
            if let Value::Object(members) = target {
                let inner = members
                    .iter()
                    .position(|(k, v)| k == "properties" && v.as_object().is_some());
                match inner {
                    Some(i) => {
                        let (_, props) = members.remove(i);
                        if let Value::Object(props) = props {
                            members.extend(props);
                        }
                    }
                    None => {
                        let keep: Vec<(String, Value)> = members
                            .iter()
                            .filter(|(k, _)| k == "name" || k == "id" || k == "type")
                            .cloned()
                            .collect();
                        let rest: Vec<(String, Value)> = members
                            .iter()
                            .filter(|(k, _)| !(k == "name" || k == "id" || k == "type"))
                            .cloned()
                            .collect();
                        *members = keep;
                        members.push(("properties".to_owned(), Value::Object(rest)));
                    }
                }
            }
        }
        // Lists: wrapped in `{"value": …}`, in another list, or a single item for the list.
        4 => {
            let taken = std::mem::take(target);
            *target = match (k % 3, taken) {
                (0, v) => Value::Object(vec![("value".to_owned(), v)]),
                (1, v) => Value::Array(vec![v]),
                (_, Value::Array(mut items)) if !items.is_empty() => items.swap_remove(0),
                (_, v) => Value::Object(vec![("wrapper".to_owned(), v)]),
            }
        }
        5 => {
            if let Value::String(s) = target {
                *s = ODD_STRINGS[k % ODD_STRINGS.len()].to_owned();
            }
        }
        // Twice the same member or item.
        6 => match target {
            Value::Array(items) if !items.is_empty() => {
                let item = items[k % items.len()].clone();
                items.push(item);
            }
            Value::Object(members) if !members.is_empty() => {
                let member = members[k % members.len()].clone();
                members.push(member);
            }
            _ => {}
        },
        // Keys in another case (SDK spellings and worse).
        _ => {
            if let Value::Object(members) = target {
                for (key, _) in members.iter_mut() {
                    *key = if k % 2 == 0 {
                        key.to_ascii_uppercase()
                    } else {
                        key.to_ascii_lowercase()
                    };
                }
            }
        }
    }
}

fn import(docs: &[(String, Value)]) -> Scenario {
    let documents: Vec<Document<'_>> = docs
        .iter()
        .map(|(name, value)| Document { name, value })
        .collect();
    import_cluster(&documents).value
}

/// What the CLI and the page do with an imported scenario: write it, read it back, trace.
fn use_it(s: &Scenario) {
    let text = serde_json::to_string(s).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let back = from_value(&doc).unwrap_or_else(|e| panic!("{e}: {text}"));
    // An NSG value the lenient import had to read its own way is written back changed
    // (a priority taken as 4096; see `packetwalk apply`): the NSGs compare by name.
    let names = |s: &Scenario| -> Vec<String> {
        s.network_security_groups
            .nsgs
            .iter()
            .map(|n| n.name.clone())
            .collect()
    };
    assert_eq!(names(&back), names(s));
    let mut without = s.clone();
    without.network_security_groups = back.network_security_groups.clone();
    assert_eq!(back, without);
    let _ = trace::trace_named(s, None);
    for (from, to) in [
        ("203.0.113.50:50123", "198.51.100.24:80"),
        ("10.10.0.27:41000", "10.0.203.16:8080"),
        ("168.63.129.16:50000", "10.10.0.4:30943"),
        ("10.100.1.10:52000", "10.10.0.66:8080"),
    ] {
        let _ = trace::trace(
            s,
            &PacketSpec {
                from: from.to_owned(),
                to: to.to_owned(),
                protocol: "TCP".to_owned(),
            },
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn any_changed_document_imports(
        file in 0usize..30,
        ops in prop::collection::vec((any::<u8>(), any::<u32>(), any::<u32>()), 1..10),
    ) {
        let all = fixtures();
        let (dir, name, original) = &all[file % all.len()];
        let mut doc = original.clone();
        for (op, at, k) in ops {
            mutate(&mut doc, op, at, k);
        }
        // Alone.
        let alone = import(&[(name.clone(), doc.clone())]);
        use_it(&alone);
        // Among the cluster's other documents, in place of its own.
        let mut set = two_pools();
        if dir == "two-pools" {
            set.retain(|(n, _)| n != name);
        }
        set.push((name.clone(), doc));
        use_it(&import(&set));
    }
}

/// Every value of every document set to null, one at a time (every 97th value of the
/// large ones): each import completes.
#[test]
fn every_value_nulled_in_turn() {
    for (_, name, original) in fixtures() {
        let total = count(original);
        let stride = (total / 60).max(1);
        for n in (0..total).step_by(stride) {
            let mut doc = original.clone();
            *nth(&mut doc, n) = Value::Null;
            let s = import(&[(name.clone(), doc)]);
            use_it(&s);
        }
    }
}

/// The whole cluster with each document replaced by each other one's shape.
#[test]
fn documents_swapped_for_others() {
    let all = fixtures();
    let set = two_pools();
    for (i, _) in set.iter().enumerate() {
        for (_, name, other) in all {
            let mut swapped = set.clone();
            swapped[i] = (name.clone(), other.clone());
            use_it(&import(&swapped));
        }
    }
}
