//! The `logsleuth` binary: parse arguments, run, map errors to exit codes.

use clap::Parser;
use logsleuth::cli::{self, exit};

// polars and the Parquet writer allocate and free large buffers constantly. An allocator that
// hands freed memory back to the kernel pays for zeroing it again on the next fault: measured on
// the 10 M-event bench case, page zeroing was a third of detect's CPU time with glibc malloc,
// and still most of a small query's with mimalloc's default 10 ms purge delay. mimalloc with
// purging off keeps freed memory for reuse; peak RSS is unchanged (it is the high-water mark).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc's `mi_option_e` (the same index in v2 and v3).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() {
    // SAFETY: sets a documented mimalloc option; called before any thread is started.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
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
                // Line breaks of a multi-line message (a TOML error's excerpt) stay line breaks;
                // every other control character is escaped.
                let lines: Vec<String> = msg.lines().map(|l| logsleuth::sanitize::terminal(l).into_owned()).collect();
                eprintln!("logsleuth: {}", lines.join("\n"));
                e.code
            }
        }
    };
    std::process::exit(code);
}
