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

/// Turns transparent huge pages off for this process (Linux). mimalloc asks for them where the
/// kernel allows (`madvise` mode), and each first touch of a fresh 2 MiB page then zeroes all of
/// it: ingesting 2,809 small files spent 55 % of its CPU in that zeroing (perf: clear_page_erms
/// under mimalloc's free-list extension), and the cost varied with how readily the kernel found
/// huge pages. Measured with them off, 3 alternating runs each: the small files 0.65-0.72 s
/// against 0.65-1.19 s (0.92-1.00 against 0.94-1.86 CPU-seconds), the bench tree's ingest
/// 15.4-16.5 s against 15.5-18.1 s with 20-35 MB less memory, detect on the bench case
/// 12.1-13.5 s against 14.4-14.8 s. `MIMALLOC_ALLOW_THP=0` does the same, read before `main`;
/// the `prctl` flag applies to every fault from here on.
fn no_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes integer arguments and touches no memory of ours.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

/// `mi_option_purge_delay` in mimalloc's `mi_option_e` (the same index in v2 and v3).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() {
    // SAFETY: sets a documented mimalloc option; called before any thread is started.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    no_transparent_huge_pages();
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
