//! The `logsleuth` binary: parse arguments, run, map errors to exit codes.

use clap::Parser;
use logsleuth::cli::{self, exit};

fn main() {
    let cli = cli::Cli::parse();
    let code = match cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            let broken_pipe = e.error.chain().any(|c| {
                c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            });
            if broken_pipe {
                exit::OK
            } else {
                // Each cause once: thiserror messages already quote their source.
                let mut msg = String::new();
                for cause in e.error.chain() {
                    let text = cause.to_string();
                    if !msg.contains(&text) {
                        if !msg.is_empty() {
                            msg.push_str(": ");
                        }
                        msg.push_str(&text);
                    }
                }
                eprintln!("logsleuth: {}", logsleuth::sanitize::terminal(&msg));
                e.code
            }
        }
    };
    std::process::exit(code);
}
