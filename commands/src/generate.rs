//! Shell completions and man pages, generated from the one definition of every command and
//! flag in [`crate::cli`]. The copies checked in under `completions/` and `man/` are kept true
//! by a test that regenerates them and compares. The bash, zsh and fish scripts also carry a
//! small hook that completes job and node names from the running cluster ([`crate::complete`]).
//! `generate` also rewrites the settings table in docs/operating.md from
//! [`belfry::config::settings`] (a test compares that too).

use std::io::Write;
use std::path::Path;

use clap_complete::Shell;

use crate::failure::Failure;

pub const SHELLS: [Shell; 5] = [
    Shell::Bash,
    Shell::Zsh,
    Shell::Fish,
    Shell::Elvish,
    Shell::PowerShell,
];

/// clap_complete's script for `shell`; for bash, zsh and fish with a hook that offers job and
/// node names from the running cluster where an argument is one (see [`crate::complete`]).
pub fn completions(shell: Shell, out: &mut dyn Write) -> std::io::Result<()> {
    let mut generated = Vec::new();
    clap_complete::generate(shell, &mut crate::cli::command(), "belfry", &mut generated);
    let generated = String::from_utf8(generated).expect("clap_complete writes UTF-8");
    let script = match shell {
        // The generated function keeps every static completion; the hook, named as the shell
        // expects, asks `belfry __complete` first and hands over to it.
        Shell::Bash => {
            replace_once(&generated, "_belfry() {\n", "_belfry_static() {\n").map(|s| s + BASH_HOOK)
        }
        Shell::Zsh => replace_once(&generated, "\n_belfry() {\n", "\n_belfry_static() {\n")
            .and_then(|s| {
                let call = "\nif [ \"$funcstack[1]\" = \"_belfry\" ]; then";
                replace_once(&s, call, &format!("{ZSH_HOOK}{call}"))
            }),
        // Fish adds up every `complete` line: the hook is one more.
        Shell::Fish => Some(generated + FISH_HOOK),
        _ => Some(generated),
    };
    // A clap_complete whose output no longer has the shape the hooks expect must not ship
    // scripts without them: `generate` fails, and so does the test that regenerates.
    let script = script.ok_or_else(|| {
        std::io::Error::other(format!(
            "the {shell} script from clap_complete has changed shape: update the hook in generate.rs"
        ))
    })?;
    out.write_all(script.as_bytes())
}

/// `text` with the one occurrence of `from` replaced, or `None` unless there is exactly one.
fn replace_once(text: &str, from: &str, to: &str) -> Option<String> {
    (text.matches(from).count() == 1).then(|| text.replacen(from, to, 1))
}

const BASH_HOOK: &str = r#"
# Job and node names from the running cluster where an argument is one: `belfry __complete line`
# parses the line up to the cursor with the same options (--http-addr, --token, --ca, …) and
# answers within a second (nothing when no node answers); it exits 1 where the word is not a
# job or node name, and the completions above apply.
_belfry() {
    local cur="${COMP_WORDS[COMP_CWORD]}" line names prog="${1/#\~/$HOME}"
    if [[ "${cur}" != -* ]]; then
        line="${COMP_LINE:0:COMP_POINT}"
        if [[ -z "${line}" ]]; then
            line="${COMP_WORDS[*]:0:COMP_CWORD+1}"
        fi
        if names="$("${prog}" __complete line -- "${line}" 2>/dev/null)"; then
            # A name is wanted: no file names instead when there are none.
            compopt +o default +o bashdefault 2>/dev/null
            COMPREPLY=( $(compgen -W "${names}" -- "${cur}") )
            return 0
        fi
    fi
    _belfry_static "$@"
}
"#;

const ZSH_HOOK: &str = r#"
# Job and node names from the running cluster where an argument is one: `belfry __complete after`
# parses the words before the cursor with the same options (--http-addr, --token, --ca, …) and
# answers within a second (nothing when no node answers); it exits 1 where the word is not a
# job or node name, and the completions above apply.
_belfry() {
    local out prog="${(Q)words[1]}"
    prog="${prog/#\~/$HOME}"
    if [[ "$PREFIX" != -* ]] && out="$("$prog" __complete after -- "${(@Q)words[2,CURRENT-1]}" 2>/dev/null)"; then
        [[ -n "$out" ]] || return 1
        local -a names
        names=("${(@f)out}")
        compadd -- "${names[@]}"
        return
    fi
    _belfry_static "$@"
}
"#;

const FISH_HOOK: &str = r#"
# Job and node names from the running cluster where an argument is one: `belfry __complete after`
# parses the words before the cursor with the same options (--http-addr, --token, --ca, …) and
# answers within a second (nothing when no node answers); it fails where the word is not a job
# or node name, and the completions above apply.
function __fish_belfry_cluster_names
    set -l words (commandline -opc)
    set -l prog $words[1]
    set -e words[1]
    set -l names ($prog __complete after -- $words 2>/dev/null)
    or return 1
    set -g __fish_belfry_names $names
end
complete -c belfry -f -n "__fish_belfry_cluster_names" -a '$__fish_belfry_names'
"#;

pub fn man(dir: Option<&Path>) -> Result<(), Failure> {
    let mut cmd = crate::cli::command().disable_help_subcommand(true);
    cmd.build();
    match dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .map_err(|e| Failure::failed(format!("{}: {e}", dir.display())))?;
            write_pages(&cmd, None, dir)
                .map_err(|e| Failure::failed(format!("{}: {e}", dir.display())))
        }
        None => render_page(&cmd, None, &mut std::io::stdout())
            .map_err(|e| Failure::failed(e.to_string())),
    }
}

/// One page per command, as clap_mangen names them (`belfry-jobs-apply.1`), each with the
/// examples attached to it and a SEE ALSO of its parent and subcommands.
fn write_pages(cmd: &clap::Command, parent: Option<&str>, dir: &Path) -> std::io::Result<()> {
    let page = page_name(cmd);
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub, Some(&page), dir)?;
    }
    let mut file = std::fs::File::create(dir.join(format!("{page}.1")))?;
    render_page(cmd, parent, &mut file)?;
    file.flush()
}

fn page_name(cmd: &clap::Command) -> String {
    cmd.get_display_name()
        .unwrap_or_else(|| cmd.get_name())
        .to_string()
}

/// clap_mangen's sections, then EXAMPLES (the long after-help when it starts with
/// `Examples:`, else NOTES) and SEE ALSO.
fn render_page(
    cmd: &clap::Command,
    parent: Option<&str>,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    // The after-help is rendered here, not as clap_mangen's "EXTRA".
    let man = clap_mangen::Man::new(cmd.clone().after_help("").after_long_help(""));
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(out)?;
    }
    let subs: Vec<&clap::Command> = cmd.get_subcommands().filter(|s| !s.is_hide_set()).collect();
    if !subs.is_empty() {
        man.render_subcommands_section(out)?;
    }
    let after = cmd
        .get_after_long_help()
        .or(cmd.get_after_help())
        .map(|t| t.to_string())
        .filter(|t| !t.trim().is_empty());
    if let Some(text) = after {
        let (title, body) = match text.strip_prefix("Examples:\n") {
            Some(body) => ("EXAMPLES", body.to_string()),
            None => ("NOTES", text),
        };
        writeln!(out, ".SH {title}")?;
        writeln!(out, ".nf")?;
        for line in body.lines() {
            // A line starting with a dot or quote would be a roff request.
            let line = line.replace('\\', "\\\\");
            if line.starts_with('.') || line.starts_with('\'') {
                writeln!(out, "\\&{line}")?;
            } else {
                writeln!(out, "{line}")?;
            }
        }
        writeln!(out, ".fi")?;
    }
    let mut see_also: Vec<String> = parent.map(|p| format!("{p}(1)")).into_iter().collect();
    see_also.extend(subs.iter().map(|s| format!("{}(1)", page_name(s))));
    if !see_also.is_empty() {
        writeln!(out, ".SH \"SEE ALSO\"")?;
        writeln!(out, "{}", see_also.join(", "))?;
    }
    if cmd.get_version().is_some() {
        man.render_version_section(out)?;
    }
    Ok(())
}

/// Writes `completions/belfry.<ext>` for every shell and `man/*.1` under `root`, and the
/// settings table into `docs/operating.md` when `root` has one (a checkout).
pub fn all(root: &Path) -> Result<(), Failure> {
    let docs = root.join(SETTINGS_DOC);
    if docs.exists() {
        let failed = |e: String| Failure::failed(format!("{}: {e}", docs.display()));
        let text = std::fs::read_to_string(&docs).map_err(|e| failed(e.to_string()))?;
        let fresh = belfry::config::settings::with_docs_table(&text)
            .ok_or_else(|| failed("the settings table's markers are missing".into()))?;
        std::fs::write(&docs, fresh).map_err(|e| failed(e.to_string()))?;
    }
    let dir = root.join("completions");
    std::fs::create_dir_all(&dir)
        .map_err(|e| Failure::failed(format!("{}: {e}", dir.display())))?;
    for shell in SHELLS {
        let path = dir.join(file_name(shell));
        let mut buf = Vec::new();
        completions(shell, &mut buf)
            .map_err(|e| Failure::failed(format!("{}: {e}", path.display())))?;
        std::fs::write(&path, buf)
            .map_err(|e| Failure::failed(format!("{}: {e}", path.display())))?;
    }
    man(Some(&root.join("man")))
}

/// The document holding the generated settings table, relative to the checkout.
pub const SETTINGS_DOC: &str = "docs/operating.md";

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
