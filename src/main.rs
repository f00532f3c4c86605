//! The `leakhound` binary: parse argv, call [`leakhound::run`], print the error chain, exit.
//!
//! Nothing else lives here (STYLE.md, habit 1). A broken pipe (`leakhound ... | head`) exits
//! quietly with the status the scan would have had.

use std::process::ExitCode;

fn main() -> ExitCode {
    match leakhound::run(std::env::args_os()) {
        Ok(status) => status.into(),
        Err(err) => {
            if leakhound::is_broken_pipe(&err) {
                return ExitCode::from(leakhound::ExitStatus::Error.code());
            }
            #[allow(clippy::print_stderr)]
            {
                eprintln!("leakhound: error: {err}");
                for cause in err.chain().skip(1) {
                    eprintln!("  caused by: {cause}");
                }
            }
            ExitCode::from(leakhound::ExitStatus::Error.code())
        }
    }
}
