//! Importing a whole AKS cluster (issue 14 §1): the documents a user collects with the
//! commands in the README (`az aks show`, `az network vnet show`, `az network nsg list`,
//! `az network lb list`, `az network public-ip list`, `az vmss nic list` or `az network
//! nic list`, `kubectl get nodes,pods,services,endpointslices -A -o json`), read into one
//! [`Scenario`].
//!
//! Each document is recognised by its content, never its file name, in every shape the
//! commands (and `az rest`, ARM templates, Resource Graph, the Kubernetes API) print it:
//! see `recognise` and `arm`. What is missing is named with what was assumed instead, as
//! [`Warning`]s: the import never fails and never panics, whatever it is given.
//!
//! The input is the evaluator's document tree, so the page runs the same code on files
//! dropped into it.

mod arm;
mod azure;
mod build;
mod kube;
mod recognise;

use crate::import::{import_nsgs, Imported};
use crate::json::Value;
use crate::model::Warning;
use crate::scenario::Scenario;
use recognise::{recognise, Kind};

/// One document and the name messages call it by (its file name).
#[derive(Clone, Copy, Debug)]
pub struct Document<'a> {
    pub name: &'a str,
    pub value: &'a Value,
}

/// The cluster the documents describe, with what was missing or odd in them.
pub fn import_cluster(documents: &[Document<'_>]) -> Imported<Scenario> {
    let mut notes = Notes::default();
    let mut read = build::Read::default();
    for document in documents {
        read_document(document, &mut read, &mut notes);
    }
    notes.document = String::new();
    let scenario = build::scenario(read, &mut notes);
    let mut warnings = notes.missing;
    warnings.extend(notes.warnings);
    Imported {
        value: scenario,
        warnings,
    }
}

/// Where warnings go while documents are read: each names its document.
#[derive(Default)]
pub(crate) struct Notes {
    document: String,
    /// Documents the command set has and the input lacks, each with what was assumed.
    missing: Vec<Warning>,
    warnings: Vec<Warning>,
}

impl Notes {
    fn object(&self, object: &str) -> String {
        match (self.document.is_empty(), object.is_empty()) {
            (true, _) => object.to_owned(),
            (false, true) => self.document.clone(),
            (false, false) => format!("{}, {object}", self.document),
        }
    }

    pub(crate) fn warn(&mut self, object: &str, field: &str, value: &str, message: &str) {
        self.warnings.push(Warning {
            object: self.object(object),
            field: Some(field.to_owned()),
            value: Some(value.to_owned()),
            message: message.to_owned(),
        });
    }

    pub(crate) fn warn_missing(&mut self, object: &str, field: &str, message: &str) {
        self.warnings.push(Warning {
            object: self.object(object),
            field: Some(field.to_owned()),
            value: None,
            message: message.to_owned(),
        });
    }

    pub(crate) fn note(&mut self, object: &str, message: String) {
        self.warnings.push(Warning {
            object: self.object(object),
            field: None,
            value: None,
            message,
        });
    }

    /// A warning of another reader, about this document.
    pub(crate) fn push(&mut self, mut warning: Warning) {
        warning.object = self.object(&warning.object);
        self.warnings.push(warning);
    }

    /// A document of the command set that is not among the input.
    pub(crate) fn missing(&mut self, message: String) {
        self.missing.push(Warning {
            object: IMPORT.to_owned(),
            field: None,
            value: None,
            message,
        });
    }
}

/// The object of warnings about the document set as a whole.
pub const IMPORT: &str = "import";

fn read_document(document: &Document<'_>, read: &mut build::Read, notes: &mut Notes) {
    notes.document = document.name.to_owned();
    let doc = document.name.to_owned();
    let (found, empty_lists) = recognise(document.value);
    if found.is_empty() {
        if empty_lists > 0 {
            read.kubectl_documents.push(doc);
            notes.note("", "an empty kubectl List: nothing to import".to_owned());
        } else if matches!(document.value, Value::Array(items) if items.is_empty()) {
            notes.note("", "an empty list: nothing to import".to_owned());
        } else {
            notes.note(
                "",
                format!(
                    "not a document of the command set (az aks show, az network vnet show, \
                     az network nsg list, az network lb list, az network public-ip list, \
                     az vmss nic list, kubectl get … -o json): it is {}; skipped",
                    describe(document.value)
                ),
            );
        }
        return;
    }
    read.documents.push(doc.clone());
    // NSGs and loose rules go to the NSG importer together: it groups rules by the NSG
    // their ids name.
    let mut nsg_objects: Vec<Value> = Vec::new();
    let mut others: Vec<String> = Vec::new();
    let mut kubectl = empty_lists > 0;
    for f in &found {
        match &f.kind {
            Kind::Aks => read.aks.push((doc.clone(), azure::aks(f.value, notes))),
            Kind::Vnet => read.vnets.push((doc.clone(), azure::vnet(f.value, notes))),
            Kind::Subnet => read
                .subnets
                .push((doc.clone(), azure::subnet(f.value, "", notes))),
            Kind::Nsg => {
                read.nsg_references.push(build::NsgReferences::of(f.value));
                nsg_objects.push(f.value.clone());
            }
            Kind::SecurityRule => nsg_objects.push(f.value.clone()),
            Kind::LoadBalancer => read
                .load_balancers
                .push((doc.clone(), azure::load_balancer(f.value, notes))),
            Kind::PublicIp => read.public_ips.push(azure::public_ip(f.value, notes)),
            Kind::Nic => read.nics.push((doc.clone(), azure::nic(f.value, notes))),
            Kind::Node => {
                kubectl = true;
                read.nodes.push(kube::node(f.value, notes));
            }
            Kind::Pod => {
                kubectl = true;
                read.pods.extend(kube::pod(f.value, notes));
            }
            Kind::Service => {
                kubectl = true;
                read.services.extend(kube::service(f.value, notes));
            }
            Kind::EndpointSlice => {
                kubectl = true;
                read.slices.push(kube::endpoint_slice(f.value, notes));
            }
            Kind::OtherKube(_) => {
                kubectl = true;
                others.push(f.kind.word());
            }
            Kind::OtherAzure(_) => others.push(f.kind.word()),
        }
    }
    if kubectl {
        read.kubectl_documents.push(doc.clone());
    }
    if !nsg_objects.is_empty() {
        let imported = import_nsgs(&Value::Array(nsg_objects));
        // Kept with the NSGs too, as a scenario file's are: a trace lists them.
        read.nsg_warnings.extend(imported.warnings.iter().cloned());
        for warning in imported.warnings {
            notes.push(warning);
        }
        for nsg in imported.value {
            read.add_nsg(&doc, nsg, notes);
        }
    }
    others.sort();
    let mut counted: Vec<(String, usize)> = Vec::new();
    for kind in others {
        match counted.last_mut() {
            Some((k, n)) if *k == kind => *n += 1,
            _ => counted.push((kind, 1)),
        }
    }
    for (kind, n) in counted {
        notes.note(
            "",
            format!(
                "{n} {kind} object{}: not used by the import; skipped",
                if n == 1 { "" } else { "s" }
            ),
        );
    }
}

/// What a document that holds nothing of use is, for the message.
fn describe(doc: &Value) -> String {
    match doc {
        Value::Object(members) if members.is_empty() => "an empty object".to_owned(),
        Value::Object(members) => {
            let keys: Vec<&str> = members.iter().take(5).map(|(k, _)| k.as_str()).collect();
            let more = if members.len() > 5 { ", …" } else { "" };
            format!("an object with keys {}{more}", keys.join(", "))
        }
        Value::Array(items) if items.is_empty() => "an empty array".to_owned(),
        Value::Array(_) => "an array of nothing the import knows".to_owned(),
        other => other.kind().to_owned(),
    }
}
