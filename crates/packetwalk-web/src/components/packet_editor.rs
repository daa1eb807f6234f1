//! Choose the packet: one of the scenario's named flows, or any source, destination,
//! port and protocol. Endpoints are checked by the evaluator; its message shows here.

use std::rc::Rc;

use packetwalk::scenario::Scenario;
use packetwalk::trace::PacketSpec;
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct PacketEditorProps {
    pub scenario: Rc<Scenario>,
    pub flow: Option<String>,
    pub packet: PacketSpec,
    /// The evaluator's complaint about the packet, shown beside the fields.
    pub error: Option<String>,
    pub on_flow: Callback<String>,
    pub on_packet: Callback<PacketSpec>,
}

#[function_component(PacketEditor)]
pub fn packet_editor(props: &PacketEditorProps) -> Html {
    let from = use_node_ref();
    let to = use_node_ref();
    let protocol = use_state(|| props.packet.protocol.to_ascii_uppercase());
    {
        // A preset or a new scenario replaces what the fields show.
        let (from, to, protocol) = (from.clone(), to.clone(), protocol.clone());
        use_effect_with(props.packet.clone(), move |packet| {
            if let Some(input) = from.cast::<HtmlInputElement>() {
                input.set_value(&packet.from);
            }
            if let Some(input) = to.cast::<HtmlInputElement>() {
                input.set_value(&packet.to);
            }
            protocol.set(packet.protocol.to_ascii_uppercase());
        });
    }
    let on_flow = props.on_flow.clone();
    let flow_change = Callback::from(move |e: Event| {
        if let Some(select) = e.target_dyn_into::<web_sys::HtmlSelectElement>() {
            if !select.value().is_empty() {
                on_flow.emit(select.value());
            }
        }
    });
    let protocol_change = {
        let protocol = protocol.clone();
        Callback::from(move |e: Event| {
            if let Some(select) = e.target_dyn_into::<web_sys::HtmlSelectElement>() {
                protocol.set(select.value());
            }
        })
    };
    let submit = {
        let (from, to, protocol, on_packet) = (
            from.clone(),
            to.clone(),
            protocol.clone(),
            props.on_packet.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let value = |r: &NodeRef| {
                r.cast::<HtmlInputElement>()
                    .map(|i| i.value().trim().to_owned())
                    .unwrap_or_default()
            };
            on_packet.emit(PacketSpec {
                from: value(&from),
                to: value(&to),
                protocol: (*protocol).clone(),
            });
        })
    };
    let described = props
        .flow
        .as_ref()
        .and_then(|name| props.scenario.flows.iter().find(|f| &f.name == name));
    let (from_error, to_error, other_error) = match &props.error {
        Some(e) if e.starts_with("from ") => (Some(e.clone()), None, None),
        Some(e) if e.starts_with("to ") => (None, Some(e.clone()), None),
        Some(e) => (None, None, Some(e.clone())),
        None => (None, None, None),
    };
    html! {
        <form class="packet-editor" aria-label="Packet" onsubmit={submit}>
            <label class="preset">
                { "Packet " }
                <select aria-label="Packet preset" onchange={flow_change}>
                    <option value="" selected={props.flow.is_none()} disabled=true>{ "custom packet" }</option>
                    { for props.scenario.flows.iter().map(|f| html! {
                        <option value={f.name.clone()} selected={props.flow.as_ref() == Some(&f.name)}>{ &f.name }</option>
                    }) }
                </select>
            </label>
            <div class="fields">
                <label>
                    { "From" }
                    <input ref={from} type="text" aria-label="From" spellcheck="false"
                        aria-invalid={from_error.is_some().then_some("true")} aria-describedby="from-error"
                        placeholder="IP:PORT or name:PORT" />
                    <span id="from-error" class="field-error" role="alert">{ from_error.unwrap_or_default() }</span>
                </label>
                <label>
                    { "To" }
                    <input ref={to} type="text" aria-label="To" spellcheck="false"
                        aria-invalid={to_error.is_some().then_some("true")} aria-describedby="to-error"
                        placeholder="IP:PORT or name:PORT" />
                    <span id="to-error" class="field-error" role="alert">{ to_error.unwrap_or_default() }</span>
                </label>
                <label>
                    { "Protocol" }
                    <select aria-label="Protocol" onchange={protocol_change}>
                        { for ["TCP", "UDP", "ICMP", "ESP", "AH"].iter().map(|p| html! {
                            <option value={*p} selected={*protocol == *p}>{ *p }</option>
                        }) }
                    </select>
                </label>
                <button type="submit">{ "Send packet" }</button>
            </div>
            if let Some(error) = other_error {
                <p class="field-error" role="alert">{ error }</p>
            }
            if let Some(flow) = described {
                <p class="flow-description">{ &flow.description }</p>
            }
        </form>
    }
}
