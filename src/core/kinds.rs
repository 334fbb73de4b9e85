//! Waypoint classification: what a waypoint is for the driver ([`WaypointKind`]), derived
//! from its `sym`, `type`, Garmin categories and name.
//!
//! One documented rule table ([`DEFAULT_RULES`]) drives it; users extend it with a small
//! text format ([`Classifier::with_extra_rules`], for the CLI's `--kinds-file`).
//! Not for icons or display names, and no I/O: the caller reads any rules file.
//!
//! # How a waypoint is classified
//!
//! Fields are tried in precedence order `sym` > `type` > `category` > `name`: the first field
//! that has a matching rule decides, so a `Gas Station` symbol wins over a name like
//! `Camp 4 turnoff`. Within one field, user rules are tried before the default table, in file
//! order, and the first match wins. Matching is case-insensitive. A waypoint nothing matches
//! is [`WaypointKind::Other`].
//!
//! # Rules text format
//!
//! One rule per line, `field:pattern = kind`; blank lines and lines starting with `#` are
//! ignored. `field` is `sym`, `type`, `category` or `name`; `kind` is a
//! [`WaypointKind::as_str`] name. Patterns:
//!
//! - `Truck Stop`: the whole value, exactly (ignoring case and surrounding spaces);
//! - `*gas*`, `cp#*`: a glob where `*` is any run of characters, `?` one character and `#`
//!   one ASCII digit;
//! - `~gas`: a whole word (or words) anywhere in the value, so `~gas` matches `76 Gas` but
//!   not `Las Vegas`.
//!
//! ```text
//! # my kinds
//! sym:Truck Stop = fuel
//! name:*gas* = fuel
//! name:~agua = water
//! ```

use std::borrow::Cow;

use crate::core::model::{Waypoint, WaypointKind};

/// Which waypoint field a rule looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// `<sym>`, e.g. a Garmin symbol name.
    Sym,
    /// `<type>`.
    Type,
    /// Any of the Garmin `gpxx:Category` values.
    Category,
    /// `<name>`.
    Name,
}

impl Field {
    /// Precedence order: the first field with a matching rule decides.
    pub const PRECEDENCE: [Field; 4] = [Field::Sym, Field::Type, Field::Category, Field::Name];

    /// The name used in the rules text format.
    pub const fn as_str(self) -> &'static str {
        match self {
            Field::Sym => "sym",
            Field::Type => "type",
            Field::Category => "category",
            Field::Name => "name",
        }
    }
}

/// How a rule's pattern is compared with a field value (always case-insensitively).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Match {
    /// The whole trimmed value equals the pattern.
    Exact,
    /// Glob: `*` any run, `?` any one character, `#` one ASCII digit.
    Glob,
    /// The pattern's words appear as whole words in the value.
    Word,
}

/// One classification rule. Patterns are stored lower-case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// The field looked at.
    pub field: Field,
    /// How `pattern` is compared.
    pub matching: Match,
    /// The pattern, lower-case.
    pub pattern: Cow<'static, str>,
    /// The kind given on a match.
    pub kind: WaypointKind,
}

const fn rule(field: Field, matching: Match, pattern: &'static str, kind: WaypointKind) -> Rule {
    Rule {
        field,
        matching,
        pattern: Cow::Borrowed(pattern),
        kind,
    }
}

const fn sym(pattern: &'static str, kind: WaypointKind) -> Rule {
    rule(Field::Sym, Match::Exact, pattern, kind)
}

const fn name_word(pattern: &'static str, kind: WaypointKind) -> Rule {
    rule(Field::Name, Match::Word, pattern, kind)
}

const fn name_glob(pattern: &'static str, kind: WaypointKind) -> Rule {
    rule(Field::Name, Match::Glob, pattern, kind)
}

use WaypointKind as K;

/// The default rules. Symbol names are Garmin's (MapSource/BaseCamp/device vocabulary, see
/// the `gpsbabel-garmin_symbols.gpx` fixture); names are matched only when the word is
/// unambiguous (`gas`, `fuel`, `camp`, `checkpoint`, `CP 12`). `Flag` symbols say nothing on
/// their own: a flagged waypoint is a checkpoint only when its name or type says so.
pub static DEFAULT_RULES: &[Rule] = &[
    // Garmin symbols.
    sym("gas station", K::Fuel),
    sym("truck stop", K::Fuel),
    sym("fuel", K::Fuel),
    sym("campground", K::Campground),
    sym("rv park", K::Campground),
    sym("camping", K::Campground),
    sym("drinking water", K::Water),
    sym("water source", K::Water),
    sym("lodging", K::Lodging),
    sym("lodge", K::Lodging),
    sym("hotel", K::Lodging),
    sym("restaurant", K::Food),
    sym("fast food", K::Food),
    sym("pizza", K::Food),
    sym("bar", K::Food),
    sym("winery", K::Food),
    sym("convenience store", K::Food),
    sym("food source", K::Food),
    sym("restroom", K::Services),
    sym("shower", K::Services),
    sym("car repair", K::Services),
    sym("wrecker", K::Services),
    sym("medical facility", K::Services),
    sym("pharmacy", K::Services),
    sym("post office", K::Services),
    sym("bank", K::Services),
    sym("telephone", K::Services),
    sym("shopping center", K::Services),
    sym("department store", K::Services),
    sym("trail head", K::Trailhead),
    sym("trailhead", K::Trailhead),
    sym("scenic area", K::Viewpoint),
    sym("summit", K::Viewpoint),
    sym("overlook", K::Viewpoint),
    sym("danger area", K::Hazard),
    sym("skull and crossbones", K::Hazard),
    sym("restricted area", K::Hazard),
    sym("dropoff", K::Hazard),
    sym("gate", K::Gate),
    sym("checkpoint", K::Checkpoint),
    // Types: a few apps put the purpose in <type>.
    rule(Field::Type, Match::Word, "checkpoint", K::Checkpoint),
    rule(Field::Type, Match::Word, "fuel", K::Fuel),
    rule(Field::Type, Match::Word, "gas station", K::Fuel),
    rule(Field::Type, Match::Word, "campground", K::Campground),
    rule(Field::Type, Match::Word, "campsite", K::Campground),
    rule(Field::Type, Match::Word, "water", K::Water),
    // Garmin categories are free text; only the obvious ones.
    rule(Field::Category, Match::Word, "fuel", K::Fuel),
    rule(Field::Category, Match::Word, "gas", K::Fuel),
    rule(Field::Category, Match::Word, "camping", K::Campground),
    rule(Field::Category, Match::Word, "checkpoints", K::Checkpoint),
    rule(Field::Category, Match::Word, "checkpoint", K::Checkpoint),
    // Names.
    name_word("checkpoint", K::Checkpoint),
    name_word("check point", K::Checkpoint),
    name_glob("cp#*", K::Checkpoint),
    name_glob("cp #*", K::Checkpoint),
    name_glob("cp-#*", K::Checkpoint),
    name_word("gas", K::Fuel),
    name_word("fuel", K::Fuel),
    name_word("petrol", K::Fuel),
    name_word("diesel", K::Fuel),
    name_word("camp", K::Campground),
    name_word("campground", K::Campground),
    name_word("campsite", K::Campground),
    name_word("motel", K::Lodging),
    name_word("motels", K::Lodging),
    name_word("hotel", K::Lodging),
];

/// A rules text that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("kinds rules line {line}: {message}")]
pub struct RulesError {
    /// 1-based line number in the rules text.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Classifies waypoints with the default table plus any user rules.
#[derive(Debug, Clone, Default)]
pub struct Classifier {
    extra: Vec<Rule>,
}

impl Classifier {
    /// The default table only.
    pub fn new() -> Self {
        Self::default()
    }

    /// The default table plus rules parsed from `text` (see the module docs for the format);
    /// the extra rules take precedence over defaults of the same field.
    pub fn with_extra_rules(text: &str) -> Result<Self, RulesError> {
        Ok(Self {
            extra: parse_rules(text)?,
        })
    }

    /// The user rules, in file order.
    pub fn extra_rules(&self) -> &[Rule] {
        &self.extra
    }

    /// The kind of `wpt` from its sym, type, categories and name (see the module docs).
    pub fn classify(&self, wpt: &Waypoint) -> WaypointKind {
        for field in Field::PRECEDENCE {
            let values: Vec<String> = match field {
                Field::Sym => wpt.sym.iter().map(|s| lower(s)).collect(),
                Field::Type => wpt.type_.iter().map(|s| lower(s)).collect(),
                Field::Category => wpt.categories.iter().map(|s| lower(s)).collect(),
                Field::Name => wpt.name.iter().map(|s| lower(s)).collect(),
            };
            if values.is_empty() {
                continue;
            }
            let rules = self.extra.iter().chain(DEFAULT_RULES.iter());
            for r in rules.filter(|r| r.field == field) {
                if values.iter().any(|v| matches(r, v)) {
                    return r.kind;
                }
            }
        }
        WaypointKind::Other
    }
}

/// Classifies with the default table only.
pub fn classify(wpt: &Waypoint) -> WaypointKind {
    Classifier::new().classify(wpt)
}

fn lower(s: &str) -> String {
    s.trim().to_lowercase()
}

fn matches(rule: &Rule, value: &str) -> bool {
    match rule.matching {
        Match::Exact => value == rule.pattern,
        Match::Glob => glob(rule.pattern.as_bytes(), value.as_bytes()),
        Match::Word => word_match(&rule.pattern, value),
    }
}

/// Glob match over bytes; `?` matches one byte, which is one character for ASCII values.
fn glob(pat: &[u8], val: &[u8]) -> bool {
    // Iterative matcher with one backtrack point for the last `*`.
    let (mut p, mut v) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while v < val.len() {
        let pc = pat.get(p).copied();
        let vc = val.get(v).copied().unwrap_or(0);
        match pc {
            Some(b'*') => {
                star = Some((p, v));
                p += 1;
            }
            Some(b'?') => {
                p += 1;
                v += 1;
            }
            Some(b'#') if vc.is_ascii_digit() => {
                p += 1;
                v += 1;
            }
            Some(c) if c != b'#' && c == vc => {
                p += 1;
                v += 1;
            }
            _ => match star {
                Some((sp, sv)) => {
                    p = sp + 1;
                    v = sv + 1;
                    star = Some((sp, sv + 1));
                }
                None => return false,
            },
        }
    }
    pat.get(p..)
        .is_some_and(|rest| rest.iter().all(|&c| c == b'*'))
}

/// True when the words of `pattern` appear consecutively as whole words in `value`.
fn word_match(pattern: &str, value: &str) -> bool {
    let words = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect()
    };
    let pw = words(pattern);
    let vw = words(value);
    !pw.is_empty() && vw.windows(pw.len()).any(|w| w == pw.as_slice())
}

fn parse_rules(text: &str) -> Result<Vec<Rule>, RulesError> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let err = |message: String| RulesError {
            line: line_no,
            message,
        };
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((lhs, kind_str)) = line.rsplit_once('=') else {
            return Err(err("expected `field:pattern = kind`".into()));
        };
        let kind: WaypointKind = kind_str.trim().parse().map_err(|e| err(format!("{e}")))?;
        let Some((field_str, pattern)) = lhs.split_once(':') else {
            return Err(err("expected `field:pattern` before `=`".into()));
        };
        let field = match field_str.trim().to_ascii_lowercase().as_str() {
            "sym" => Field::Sym,
            "type" => Field::Type,
            "category" => Field::Category,
            "name" => Field::Name,
            other => {
                return Err(err(format!(
                    "unknown field {other:?} (expected sym, type, category or name)"
                )));
            }
        };
        let pattern = pattern.trim().to_lowercase();
        let (matching, pattern) = if let Some(word) = pattern.strip_prefix('~') {
            (Match::Word, word.trim().to_string())
        } else if pattern.contains(['*', '?', '#']) {
            (Match::Glob, pattern)
        } else {
            (Match::Exact, pattern)
        };
        if pattern.is_empty() {
            return Err(err("empty pattern".into()));
        }
        out.push(Rule {
            field,
            matching,
            pattern: Cow::Owned(pattern),
            kind,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wpt(sym: Option<&str>, type_: Option<&str>, cats: &[&str], name: Option<&str>) -> Waypoint {
        Waypoint {
            sym: sym.map(str::to_string),
            type_: type_.map(str::to_string),
            categories: cats.iter().map(|c| c.to_string()).collect(),
            name: name.map(str::to_string),
            ..Waypoint::default()
        }
    }

    fn check_sym(s: &str, want: WaypointKind) {
        assert_eq!(classify(&wpt(Some(s), None, &[], None)), want, "sym {s:?}");
    }

    fn check_name(n: &str, want: WaypointKind) {
        assert_eq!(classify(&wpt(None, None, &[], Some(n))), want, "name {n:?}");
    }

    #[test]
    fn garmin_symbols() {
        check_sym("Gas Station", K::Fuel);
        check_sym("Truck Stop", K::Fuel);
        check_sym("Campground", K::Campground);
        check_sym("RV Park", K::Campground);
        check_sym("Lodging", K::Lodging);
        check_sym("Restaurant", K::Food);
        check_sym("Fast Food", K::Food);
        check_sym("Bar", K::Food);
        check_sym("Drinking Water", K::Water);
        check_sym("Water Source", K::Water);
        check_sym("Restroom", K::Services);
        check_sym("Shower", K::Services);
        check_sym("Car Repair", K::Services);
        check_sym("Trail Head", K::Trailhead);
        check_sym("Scenic Area", K::Viewpoint);
        check_sym("Summit", K::Viewpoint);
        check_sym("Danger Area", K::Hazard);
        check_sym("Skull and Crossbones", K::Hazard);
        check_sym("Gate", K::Gate);
    }

    #[test]
    fn symbols_match_case_insensitively_and_trimmed() {
        check_sym("  gas STATION ", K::Fuel);
    }

    #[test]
    fn unknown_symbol_is_other() {
        check_sym("Waypoint", K::Other);
        check_sym("Flag, Blue", K::Other);
        check_sym("Gas Stationery", K::Other);
    }

    #[test]
    fn obvious_names() {
        check_name("76 Gas", K::Fuel);
        check_name("Fuel stop", K::Fuel);
        check_name("Camp 4", K::Campground);
        check_name("CP12", K::Checkpoint);
        check_name("CP 12", K::Checkpoint);
        check_name("cp-3 river", K::Checkpoint);
        check_name("Checkpoint 3", K::Checkpoint);
    }

    #[test]
    fn names_that_only_look_like_it_are_other() {
        check_name("Las Vegas", K::Other);
        check_name("Campbell", K::Other);
        check_name("CPU works", K::Other);
        check_name("Scamper", K::Other);
    }

    #[test]
    fn flag_symbol_is_a_checkpoint_only_when_the_name_says_so() {
        assert_eq!(
            classify(&wpt(Some("Flag, Blue"), None, &[], Some("CP 7"))),
            K::Checkpoint
        );
        assert_eq!(
            classify(&wpt(Some("Flag, Blue"), None, &[], Some("Hwy 119"))),
            K::Other
        );
        assert_eq!(
            classify(&wpt(
                Some("Flag, Red"),
                Some("Checkpoint"),
                &[],
                Some("Hwy 72")
            )),
            K::Checkpoint
        );
    }

    #[test]
    fn precedence_is_sym_then_type_then_category_then_name() {
        let all = wpt(
            Some("Gas Station"),
            Some("campground"),
            &["Checkpoints"],
            Some("Camp"),
        );
        assert_eq!(classify(&all), K::Fuel);
        let no_sym = wpt(
            Some("Waypoint"),
            Some("campground"),
            &["Checkpoints"],
            Some("Gas"),
        );
        assert_eq!(classify(&no_sym), K::Campground);
        let cat = wpt(
            None,
            Some("user"),
            &["Unlisted Data", "Checkpoints"],
            Some("Gas"),
        );
        assert_eq!(classify(&cat), K::Checkpoint);
        let name = wpt(None, Some("user"), &["Unlisted Data"], Some("Gas"));
        assert_eq!(classify(&name), K::Fuel);
    }

    #[test]
    fn misleading_name_loses_to_symbol() {
        // ich-north-4 has restaurants tagged Gas Station; the symbol is what the user chose.
        assert_eq!(
            classify(&wpt(Some("Restaurant"), None, &[], Some("Gas"))),
            K::Food
        );
    }

    #[test]
    fn extra_rules_parse_and_take_precedence() {
        let text = "# comment\n\nsym:Truck Stop = lodging\nname:*gas* = fuel\nname:~agua = water\n";
        let c = Classifier::with_extra_rules(text).unwrap_or_default();
        assert_eq!(c.extra_rules().len(), 3);
        assert_eq!(
            c.classify(&wpt(Some("Truck Stop"), None, &[], None)),
            K::Lodging
        );
        assert_eq!(
            c.classify(&wpt(None, None, &[], Some("Las Vegas"))),
            K::Fuel
        );
        assert_eq!(
            c.classify(&wpt(None, None, &[], Some("Ojo de Agua"))),
            K::Water
        );
        // Defaults still apply where the user said nothing.
        assert_eq!(
            c.classify(&wpt(Some("Campground"), None, &[], None)),
            K::Campground
        );
    }

    #[test]
    fn extra_rule_errors_name_the_line() {
        let e = Classifier::with_extra_rules("sym:Gas = fuel\nnope").err();
        assert_eq!(e.map(|e| e.line), Some(2));
        let e = Classifier::with_extra_rules("colour:red = fuel").err();
        assert!(e.is_some_and(|e| e.message.contains("unknown field")));
        let e = Classifier::with_extra_rules("sym:Gas = petrol").err();
        assert!(e.is_some_and(|e| e.message.contains("unknown waypoint kind")));
        let e = Classifier::with_extra_rules("sym: = fuel").err();
        assert!(e.is_some_and(|e| e.message.contains("empty pattern")));
    }

    #[test]
    fn glob_semantics() {
        assert!(glob(b"cp#*", b"cp12"));
        assert!(!glob(b"cp#*", b"cpu"));
        assert!(glob(b"*gas*", b"las vegas"));
        assert!(glob(b"a?c", b"abc"));
        assert!(!glob(b"a?c", b"abbc"));
        assert!(glob(b"*", b""));
        assert!(!glob(b"x", b""));
        assert!(glob(b"*a*b", b"xxaxxb"));
    }

    #[test]
    fn every_default_pattern_is_lower_case() {
        for r in DEFAULT_RULES {
            assert_eq!(r.pattern, r.pattern.to_lowercase(), "{r:?}");
        }
    }
}
