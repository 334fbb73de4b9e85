//! The `trailatlas` command line (clap). Glue only: parses arguments, opens the store, calls
//! library functions, prints text or JSON. Subcommands live one per file.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};

use crate::store::Store;

pub mod coord;

/// Options every subcommand shares.
#[derive(Debug, Clone, clap::Args)]
pub struct Global {
    /// The database file (default: env TRAILATLAS_DB, else the platform data directory).
    #[arg(long, global = true, env = "TRAILATLAS_DB")]
    pub db: Option<PathBuf>,
}

impl Global {
    /// The database path to use.
    pub fn db_path(&self) -> anyhow::Result<PathBuf> {
        if let Some(p) = &self.db {
            return Ok(p.clone());
        }
        let dirs = directories::ProjectDirs::from("org", "trailatlas", "trailatlas")
            .context("cannot find a data directory for the database; pass --db PATH")?;
        Ok(dirs.data_dir().join("trailatlas.sqlite"))
    }

    /// Opens (creating if needed) the database.
    pub fn open_store(&self) -> anyhow::Result<Store> {
        let path = self.db_path()?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        Store::open(&path).with_context(|| format!("cannot open database {}", path.display()))
    }
}

#[derive(Debug, Parser)]
#[command(name = "trailatlas", version, about = "Offline GPX route and waypoint navigator for overlanders")]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Convert a coordinate between DD, DMS, DDM, UTM and MGRS, and between datums.
    Coord(coord::CoordArgs),
}

/// Runs the command line; returns the process exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { ExitCode::from(2) } else { ExitCode::SUCCESS };
        }
    };
    let result: anyhow::Result<ExitCode> = match cli.command {
        None => Ok(ExitCode::SUCCESS),
        Some(Command::Coord(args)) => coord::run(&args, &cli.global),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
