use std::rc::Rc;

use yew::prelude::*;

use crate::components::diagram::Diagram;
use crate::layout::layout;
use crate::scenarios;

#[function_component(App)]
pub fn app() -> Html {
    let loaded = use_memo((), |_| scenarios::built_in("blog-part4"));
    match &*loaded {
        Ok(doc) => {
            let placed = Rc::new(layout(doc));
            html! {
                <main class="app">
                    <header class="masthead">
                        <h1>{ "packetwalk" }</h1>
                        <p class="tagline">{ "How a packet reaches a pod in Azure Kubernetes Service" }</p>
                    </header>
                    <section class="scenario" aria-labelledby="scenario-title">
                        <h2 id="scenario-title">{ &doc.title }</h2>
                        <p>{ &doc.description }</p>
                        <Diagram layout={placed} title={doc.title.clone()} />
                        if !doc.illustrative.is_empty() {
                            <aside class="illustrative" aria-label="Illustrative values">
                                <h3>{ "Illustrative values" }</h3>
                                <ul>
                                    { for doc.illustrative.iter().map(|item| html! { <li>{ item }</li> }) }
                                </ul>
                            </aside>
                        }
                    </section>
                </main>
            }
        }
        Err(message) => html! {
            <main class="app">
                <h1>{ "packetwalk" }</h1>
                <p role="alert" class="error">{ message }</p>
            </main>
        },
    }
}
