//! Keyboard shortcuts for everything common, and the help window that lists them.

use eframe::egui::{self, Key, KeyboardShortcut, Modifiers};

use crate::app::{Command, Layout, Mode, Model};

use super::map_view::{KEY_PAN_MM, ZOOM_STEP};

/// (keys, what they do), as listed in the help window.
pub const SHORTCUTS: [(&str, &str); 18] = [
    ("Arrow keys", "pan the map"),
    ("+ / −", "zoom in / out"),
    ("F", "fit the selected route"),
    ("G", "follow the GPS position"),
    ("N", "north up / course up"),
    ("M", "map view"),
    ("A", "atlas view (the book)"),
    ("Page Up / Page Down", "previous / next atlas page"),
    ("Home", "atlas index page"),
    ("P", "atlas page frames on the map"),
    ("L", "lat/long graticule"),
    ("Ctrl+P", "print the atlas to PDF"),
    ("Ctrl+F", "search waypoints"),
    ("D", "night (dark) theme"),
    (
        "T",
        "truck mode: large text and controls, the driving layout",
    ),
    ("H", "driving layout (map only) / panels"),
    ("Esc", "clear the picked point, close dialogs"),
    ("F1 or ?", "this help"),
];

/// Turns key presses into commands (not while a text field has the keyboard).
pub fn shortcuts_ui(ui: &mut egui::Ui, model: &Model, cmds: &mut Vec<Command>) {
    let typing = ui.ctx().text_edit_focused();
    let p = &model.prefs;
    let print = KeyboardShortcut::new(Modifiers::COMMAND, Key::P);
    let find = KeyboardShortcut::new(Modifiers::COMMAND, Key::F);
    if ui.input_mut(|i| i.consume_shortcut(&print)) {
        cmds.push(Command::OpenPrint);
    }
    let find = ui.input_mut(|i| i.consume_shortcut(&find));
    if find {
        ui.memory_mut(|m| m.request_focus(egui::Id::unique(super::side::SEARCH_ID)));
    }
    if ui.input(|i| i.key_pressed(Key::Escape)) {
        if model.print.is_some() {
            cmds.push(Command::ClosePrint);
        } else if model.help {
            cmds.push(Command::ShowHelp(false));
        } else if model.picked.is_some() {
            cmds.push(Command::Pick(None));
        }
    }
    if typing {
        return;
    }
    let (pressed, plain) = ui.input(|i| {
        let plain = !i.modifiers.ctrl && !i.modifiers.command && !i.modifiers.alt;
        let keys: Vec<Key> = i
            .events
            .iter()
            .filter_map(|e| match e {
                egui::Event::Key {
                    key, pressed: true, ..
                } => Some(*key),
                _ => None,
            })
            .collect();
        (keys, plain)
    });
    if !plain {
        return;
    }
    for key in pressed {
        let cmd = match (key, model.mode) {
            (Key::ArrowLeft, Mode::Map) => Some(Command::Pan([KEY_PAN_MM, 0.0])),
            (Key::ArrowRight, Mode::Map) => Some(Command::Pan([-KEY_PAN_MM, 0.0])),
            (Key::ArrowUp, Mode::Map) => Some(Command::Pan([0.0, KEY_PAN_MM])),
            (Key::ArrowDown, Mode::Map) => Some(Command::Pan([0.0, -KEY_PAN_MM])),
            (Key::ArrowLeft | Key::PageUp, Mode::Atlas) | (Key::PageUp, Mode::Map) => {
                Some(Command::TurnPage(model.book.page.saturating_sub(1).max(1)))
            }
            (Key::ArrowRight | Key::PageDown, Mode::Atlas) | (Key::PageDown, Mode::Map) => Some(
                Command::TurnPage((model.book.page + 1).min(model.book.len.max(1))),
            ),
            (Key::Home, _) => Some(Command::TurnPage(1)),
            (Key::F, _) => Some(Command::FitRoute),
            (Key::G, _) => Some(Command::SetFollow(!p.follow)),
            (Key::N, _) => Some(Command::SetNorthUp(!p.north_up)),
            (Key::M, _) => Some(Command::SetMode(Mode::Map)),
            (Key::A, _) => Some(Command::SetMode(Mode::Atlas)),
            (Key::P, _) => Some(Command::SetShowFrames(!p.show_frames)),
            (Key::L, _) => Some(Command::SetGraticule(!p.graticule)),
            (Key::D, _) => Some(Command::SetNight(!model.night)),
            (Key::H, _) => Some(Command::SetLayout(if model.driving() {
                Layout::Panels
            } else {
                Layout::Driving
            })),
            (Key::T, _) => Some(Command::SetTruck(!p.truck)),
            (Key::F1 | Key::Questionmark, _) => Some(Command::ShowHelp(!model.help)),
            (Key::Plus | Key::Equals, _) => Some(Command::Zoom {
                factor: ZOOM_STEP,
                at_mm: None,
            }),
            (Key::Minus, _) => Some(Command::Zoom {
                factor: 1.0 / ZOOM_STEP,
                at_mm: None,
            }),
            _ => None,
        };
        cmds.extend(cmd);
    }
}

/// The keyboard help window.
pub fn help_ui(ctx: &egui::Context, model: &Model, cmds: &mut Vec<Command>) {
    if !model.help {
        return;
    }
    let mut open = true;
    egui::Window::new("Keyboard shortcuts")
        .open(&mut open)
        .collapsible(false)
        .resizable(false)
        .show(ctx, |ui| {
            egui::Grid::new("shortcuts")
                .num_columns(2)
                .striped(true)
                .show(ui, |ui| {
                    for (keys, what) in SHORTCUTS {
                        ui.strong(keys);
                        ui.label(what);
                        ui.end_row();
                    }
                });
        });
    if !open {
        cmds.push(Command::ShowHelp(false));
    }
}
