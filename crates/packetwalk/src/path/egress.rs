//! Destinations outside the VNet: Azure's platform addresses, reached from the host
//! without SNAT or the load balancer, and the Internet, reached through the outbound SNAT
//! (see `load_balancer::outbound`) by the default rule AllowInternetOutBound.

use crate::component;
use crate::eval::{AZURE_HOST_IP, INSTANCE_METADATA_IP};
use crate::trace::{endpoint, Action, End, Leg, Walk};
use std::net::IpAddr;

pub(super) fn is_platform(ip: IpAddr) -> bool {
    [IpAddr::V4(AZURE_HOST_IP), IpAddr::V4(INSTANCE_METADATA_IP)].contains(&ip)
}

pub(super) fn platform(w: &mut Walk<'_>) -> End {
    let dst = w.packet.destination_ip;
    w.hop(
        component::INTERNET.to_owned(),
        Action::Deliver,
        Leg::Forward,
        format!("The Azure platform answers at {dst}"),
        format!(
            "{dst} is a platform address ({}), reached from the host without SNAT or the load balancer.",
            if dst == IpAddr::V4(AZURE_HOST_IP) { "the host's virtual IP: DNS, DHCP, health probes" } else { "the instance metadata service" }
        ),
        "§1",
    );
    End::Delivered(format!("Azure platform {dst}"))
}

pub(super) fn internet(w: &mut Walk<'_>) -> End {
    let (ip, port) = (w.packet.destination_ip, w.packet.destination_port);
    w.hop(
        component::INTERNET.to_owned(),
        Action::Deliver,
        Leg::Forward,
        format!("The Internet host {} receives the packet", endpoint(ip, port)),
        "The default rule AllowInternetOutBound lets the cluster reach the Internet: images, Azure APIs, the control plane.".to_owned(),
        "§4",
    );
    End::Delivered(format!("Internet host {ip}"))
}
