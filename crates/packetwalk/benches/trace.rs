//! A full trace of the blog scenario (budget: under 50 µs natively), and parsing it.

use criterion::{criterion_group, criterion_main, Criterion};
use packetwalk::scenario::Scenario;
use packetwalk::trace::trace_named;
use std::hint::black_box;

fn blog() -> Scenario {
    let text = include_str!("../../../www/scenarios/blog-part4.json");
    serde_json::from_str(text).unwrap_or_default()
}

fn bench(c: &mut Criterion) {
    let scenario = blog();
    c.bench_function("trace blog-part4 internet-to-kuard", |b| {
        b.iter(|| trace_named(black_box(&scenario), Some("internet-to-kuard")))
    });
    c.bench_function("trace blog-part4 ssh-from-internet (dropped at LB)", |b| {
        b.iter(|| trace_named(black_box(&scenario), Some("ssh-from-internet")))
    });
    let text = include_str!("../../../www/scenarios/blog-part4.json");
    c.bench_function("parse blog-part4 scenario JSON", |b| {
        b.iter(|| serde_json::from_str::<Scenario>(black_box(text)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
