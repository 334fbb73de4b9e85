//! `trailatlas coord "TEXT"`: reads a coordinate in any accepted form and datum and prints it
//! in every format (or one), in a chosen datum. Needs no database.

use std::process::ExitCode;

use anyhow::Context as _;

use crate::core::coords::{self, CoordFormat, Datum};

use super::Global;

/// A datum on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DatumArg {
    /// WGS84 (GPS, GPX).
    Wgs84,
    /// NAD83 (CONUS).
    Nad83,
    /// NAD27 (CONUS, older USGS quads).
    Nad27,
}

impl From<DatumArg> for Datum {
    fn from(d: DatumArg) -> Self {
        match d {
            DatumArg::Wgs84 => Datum::Wgs84,
            DatumArg::Nad83 => Datum::Nad83,
            DatumArg::Nad27 => Datum::Nad27,
        }
    }
}

/// A coordinate format on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FormatArg {
    /// Decimal degrees: 44.05820° N, 121.31530° W.
    Dd,
    /// Degrees, minutes, seconds: N44°03'29.5" W121°18'55.1".
    Dms,
    /// Degrees and decimal minutes: N44°03.492' W121°18.918'.
    Ddm,
    /// UTM: 10T 634938E 4879717N.
    Utm,
    /// MGRS: 10TFP 34937 79716.
    Mgrs,
}

impl From<FormatArg> for CoordFormat {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::Dd => CoordFormat::Dd,
            FormatArg::Dms => CoordFormat::Dms,
            FormatArg::Ddm => CoordFormat::Ddm,
            FormatArg::Utm => CoordFormat::Utm,
            FormatArg::Mgrs => CoordFormat::Mgrs,
        }
    }
}

/// Convert a coordinate between formats and datums.
#[derive(Debug, Clone, clap::Args)]
#[command(
    after_help = "Accepted input, e.g.: '44.0582 -121.3153', '44.0582N 121.3153W', \
    'N44 03.492 W121 18.918', '44°3'29.5\"N 121°18'55.1\"W', '10T 634938 4879717', \
    '10TFP3493779716'. A datum label in the text (WGS84, NAD83, NAD27) overrides --from-datum."
)]
pub struct CoordArgs {
    /// The coordinate text (quote it; may start with a minus sign).
    #[arg(allow_hyphen_values = true)]
    pub text: String,
    /// Datum the input text is written in.
    #[arg(long, value_enum, default_value = "wgs84")]
    pub from_datum: DatumArg,
    /// Print only this format (default: all).
    #[arg(long, value_enum)]
    pub to: Option<FormatArg>,
    /// Datum to write the output in.
    #[arg(long, value_enum, default_value = "wgs84")]
    pub datum: DatumArg,
    /// Print JSON: {"input","wgs84":{"lat","lon"},"datum","formatted":{...}}.
    #[arg(long)]
    pub json: bool,
}

/// Runs `trailatlas coord`.
pub fn run(args: &CoordArgs, _global: &Global) -> anyhow::Result<ExitCode> {
    let parsed = coords::parse_labeled(&args.text, args.from_datum.into())?;
    let datum: Datum = args.datum.into();
    let formats: Vec<CoordFormat> = match args.to {
        Some(f) => vec![f.into()],
        None => CoordFormat::ALL.to_vec(),
    };
    // With one format asked for, failing to write it is an error; when listing all, UTM/MGRS
    // outside their range are shown as unavailable.
    let mut rows: Vec<(CoordFormat, Result<String, coords::CoordError>)> = Vec::new();
    for fmt in formats {
        let text = coords::try_format(parsed.wgs84, fmt, datum);
        if args.to.is_some() {
            let text = text
                .with_context(|| format!("cannot write {} as {}", args.text.trim(), fmt.name()))?;
            rows.push((fmt, Ok(text)));
        } else {
            rows.push((fmt, text));
        }
    }
    if args.json {
        let formatted: serde_json::Map<String, serde_json::Value> = rows
            .iter()
            .map(|(fmt, text)| {
                let value = text.as_ref().map_or(serde_json::Value::Null, |t| {
                    serde_json::Value::from(t.as_str())
                });
                (fmt.name().to_string(), value)
            })
            .collect();
        let out = serde_json::json!({
            "input": args.text,
            "wgs84": { "lat": parsed.wgs84.lat, "lon": parsed.wgs84.lon },
            "datum": datum.label(),
            "formatted": formatted,
        });
        outln!("{out}")?;
    } else if args.to.is_some() {
        for (_, text) in &rows {
            if let Ok(t) = text {
                outln!("{t}")?;
            }
        }
    } else {
        for (fmt, text) in &rows {
            match text {
                Ok(t) => outln!("{:<5} {t}", fmt.name())?,
                Err(e) => outln!("{:<5} ({e})", fmt.name())?,
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
