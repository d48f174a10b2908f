//! `xmpptls`: the command-line edge of libxmpptls (the only place with IO).

mod demo;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// TLS in XMPP, safe and visible.
#[derive(Parser)]
#[command(name = "xmpptls", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run an XTLS tunnel between romeo@montague.lit/orchard and
    /// juliet@capulet.lit/balcony through an in-memory router and show the
    /// wire, the negotiated TLS and the decrypted messages.
    Demo {
        /// One JSON object per line instead of text; the last is a summary.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo { json } => demo::run(json),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xmpptls: {e}");
            ExitCode::FAILURE
        }
    }
}
