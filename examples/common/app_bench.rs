//! What the app benchmark (`benches/app.rs`) and the cartography benchmark
//! (`examples/map_screen_bench.rs`) share: medians of repeated timings, and the app in a
//! headless 1280 × 800 window.

use std::time::Instant;

use trailatlas::app::NavApp;

/// The app in a headless window (egui_kittest), one frame a step as eframe would run it.
pub fn harness(app: NavApp) -> egui_kittest::Harness<'static, NavApp> {
    egui_kittest::Harness::builder()
        .with_size([1280.0, 800.0])
        .build_ui_state(
            |ui, app: &mut NavApp| {
                app.poll(ui.ctx());
                app.frame_ui(ui);
            },
            app,
        )
}

/// The median of `v` (the upper one of an even count).
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Median milliseconds of `f` over `n` runs (after one warm-up).
pub fn time_ms(n: usize, mut f: impl FnMut()) -> f64 {
    f();
    median(
        (0..n)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64() * 1e3
            })
            .collect(),
    )
}
