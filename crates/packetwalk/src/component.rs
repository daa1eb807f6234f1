//! Component ids: how a trace hop names the part of the scenario it happened at, and how
//! the page finds that part in the diagram (`data-component`). One place builds them so
//! the two always agree.

pub const INTERNET: &str = "internet";

pub fn client(name: &str) -> String {
    format!("client:{name}")
}
pub fn public_ip(name: &str) -> String {
    format!("public-ip:{name}")
}
pub fn load_balancer(name: &str) -> String {
    format!("lb:{name}")
}
pub fn vnet(name: &str) -> String {
    format!("vnet:{name}")
}
pub fn subnet(name: &str) -> String {
    format!("subnet:{name}")
}
pub fn node(name: &str) -> String {
    format!("node:{name}")
}
pub fn nic(name: &str) -> String {
    format!("nic:{name}")
}
pub fn kube_proxy(node: &str) -> String {
    format!("kube-proxy:{node}")
}
pub fn pod(name: &str) -> String {
    format!("pod:{name}")
}
/// The NetworkPolicy gate at a pod (the policies that select it).
pub fn network_policy(pod: &str) -> String {
    format!("netpol:{pod}")
}
/// An NSG where it is applied: the same NSG on two NICs is two places on the path.
pub fn nsg_on_subnet(nsg: &str, subnet: &str) -> String {
    format!("nsg:{nsg}@subnet:{subnet}")
}
pub fn nsg_on_nic(nsg: &str, nic: &str) -> String {
    format!("nsg:{nsg}@nic:{nic}")
}

/// A component id in words, for lists: `nic:aks-...-nic-0` is `NIC aks-...-nic-0`.
pub fn describe(id: &str) -> String {
    let Some((kind, name)) = id.split_once(':') else {
        return if id == INTERNET {
            "the Internet".to_owned()
        } else {
            id.to_owned()
        };
    };
    let word = match kind {
        "client" => "client",
        "public-ip" => "public IP",
        "lb" => "load balancer",
        "vnet" => "VNet",
        "subnet" => "subnet",
        "node" => "node",
        "nic" => "NIC",
        "kube-proxy" => "kube-proxy on",
        "pod" => "pod",
        "netpol" => "NetworkPolicy at pod",
        "nsg" => {
            return match name.split_once('@') {
                Some((nsg, place)) => format!("NSG {nsg} on {}", describe(place)),
                None => format!("NSG {name}"),
            }
        }
        _ => return id.to_owned(),
    };
    format!("{word} {name}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_read_as_words() {
        assert_eq!(super::describe("nic:n-0"), "NIC n-0");
        assert_eq!(super::describe("nsg:x@subnet:aks"), "NSG x on subnet aks");
        assert_eq!(super::describe("internet"), "the Internet");
        assert_eq!(
            super::describe("netpol:web-0"),
            "NetworkPolicy at pod web-0"
        );
        assert_eq!(super::describe("odd"), "odd");
    }
}
