//! Play, pause, step and speed for the packet's walk.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ControlsProps {
    pub step: usize,
    pub last: usize,
    pub playing: bool,
    pub speed_ms: u32,
    pub on_play: Callback<()>,
    pub on_pause: Callback<()>,
    pub on_back: Callback<()>,
    pub on_forward: Callback<()>,
    pub on_restart: Callback<()>,
    pub on_speed: Callback<u32>,
}

#[function_component(Controls)]
pub fn controls(props: &ControlsProps) -> Html {
    let play_pause = if props.playing {
        let cb = props.on_pause.clone();
        html! { <button type="button" class="primary" onclick={move |_| cb.emit(())}>{ "❚❚ Pause" }</button> }
    } else {
        let cb = props.on_play.clone();
        html! { <button type="button" class="primary" onclick={move |_| cb.emit(())}>{ "▶ Play" }</button> }
    };
    let back = props.on_back.clone();
    let forward = props.on_forward.clone();
    let restart = props.on_restart.clone();
    let on_speed = props.on_speed.clone();
    let speed_change = Callback::from(move |e: Event| {
        if let Some(select) = e.target_dyn_into::<web_sys::HtmlSelectElement>() {
            if let Ok(ms) = select.value().parse() {
                on_speed.emit(ms);
            }
        }
    });
    let speeds = [(2200u32, "0.5×"), (1100, "1×"), (550, "2×")];
    html! {
        <div class="controls" role="toolbar" aria-label="Packet controls">
            <button type="button" aria-label="Restart" title="Restart" onclick={move |_| restart.emit(())}>{ "↺" }</button>
            <button type="button" aria-label="Step back" title="Step back" onclick={move |_| back.emit(())} disabled={props.step == 0}>{ "◀ Back" }</button>
            { play_pause }
            <button type="button" aria-label="Step forward" title="Step forward" onclick={move |_| forward.emit(())} disabled={props.step >= props.last}>{ "Next ▶" }</button>
            <label class="speed">
                <span class="dim">{ "Speed " }</span>
                <select aria-label="Speed" onchange={speed_change}>
                    { for speeds.iter().map(|(ms, label)| html! {
                        <option value={ms.to_string()} selected={*ms == props.speed_ms}>{ *label }</option>
                    }) }
                </select>
            </label>
            <span class="step-count">{ format!("hop {} of {}", props.step + 1, props.last + 1) }</span>
        </div>
    }
}
