//! Shell completions and man pages, generated from the one definition of every command and
//! flag in [`crate::cli`]. The copies checked in under `completions/` and `man/` are kept true
//! by a test that regenerates them and compares.

use std::io::Write;
use std::path::Path;

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;
use crate::failure::Failure;

pub const SHELLS: [Shell; 5] = [
    Shell::Bash,
    Shell::Zsh,
    Shell::Fish,
    Shell::Elvish,
    Shell::PowerShell,
];

pub fn completions(shell: Shell, out: &mut dyn Write) {
    clap_complete::generate(shell, &mut Cli::command(), "belfry", out);
}

pub fn man(dir: Option<&Path>) -> Result<(), Failure> {
    match dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .map_err(|e| Failure::failed(format!("{}: {e}", dir.display())))?;
            clap_mangen::generate_to(Cli::command(), dir)
                .map_err(|e| Failure::failed(format!("{}: {e}", dir.display())))
        }
        None => clap_mangen::Man::new(Cli::command())
            .render(&mut std::io::stdout())
            .map_err(|e| Failure::failed(e.to_string())),
    }
}

/// Writes `completions/belfry.<ext>` for every shell and `man/*.1` under `root`.
pub fn all(root: &Path) -> Result<(), Failure> {
    let dir = root.join("completions");
    std::fs::create_dir_all(&dir)
        .map_err(|e| Failure::failed(format!("{}: {e}", dir.display())))?;
    for shell in SHELLS {
        let path = dir.join(file_name(shell));
        let mut buf = Vec::new();
        completions(shell, &mut buf);
        std::fs::write(&path, buf)
            .map_err(|e| Failure::failed(format!("{}: {e}", path.display())))?;
    }
    man(Some(&root.join("man")))
}

pub fn file_name(shell: Shell) -> &'static str {
    match shell {
        Shell::Bash => "belfry.bash",
        Shell::Zsh => "_belfry",
        Shell::Fish => "belfry.fish",
        Shell::Elvish => "belfry.elv",
        Shell::PowerShell => "_belfry.ps1",
        _ => "belfry.other",
    }
}
