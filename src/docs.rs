//! Man pages, shell completions and the JSON Schema, rendered from the CLI
//! definition and the report types so they cannot drift from them.
//! `gpuctl completions SHELL` prints one script and `gpuctl schema` the
//! schema; the hidden `gpuctl generate-docs DIR` writes the committed copies
//! under `man/`, `completions/` and `src/report/schema.json` (a test checks
//! they are current).

use clap_complete::Shell;
use std::path::Path;

/// Shells we ship completion files for, with their file names.
const SHELLS: [(Shell, &str); 3] = [
    (Shell::Bash, "gpuctl.bash"),
    (Shell::Zsh, "_gpuctl"),
    (Shell::Fish, "gpuctl.fish"),
];

/// Where the schema is committed, relative to the source root.
pub const SCHEMA_PATH: &str = "src/report/schema.json";

/// The CLI as users see it: hidden commands removed (clap_complete would
/// otherwise offer them) and no `help` subcommand (it has no page).
fn public_command() -> clap::Command {
    let full = crate::cli::command();
    let visible: Vec<clap::Command> = full
        .get_subcommands()
        .filter(|s| !s.is_hide_set())
        .cloned()
        .collect();
    let mut cmd = clap::Command::new(full.get_name().to_string())
        .version(env!("CARGO_PKG_VERSION"))
        .propagate_version(true)
        .disable_help_subcommand(true)
        .args(full.get_arguments().cloned())
        .subcommands(visible);
    if let Some(about) = full.get_about() {
        cmd = cmd.about(about.clone());
    }
    if let Some(about) = full.get_long_about() {
        cmd = cmd.long_about(about.clone());
    }
    if let Some(after) = full.get_after_long_help() {
        cmd = cmd.after_long_help(after.clone());
    }
    cmd
}

/// Shell code that offers `all`, GPU indices and UUIDs for `-i/--gpu`,
/// asked of `gpuctl list --json` when the user presses TAB: at most 1 s
/// (`timeout -s KILL 1`, each driver call bounded at 300 ms), so a hung GPU
/// never hangs the shell; then only `all` is offered.
const BASH_GPUS: &str = r#"COMPREPLY=($(compgen -W "all $(timeout -s KILL 1 gpuctl list --json --call-timeout 300ms 2>/dev/null | sed -n 's/^ *"\(index\|uuid\|pci_bus_id\)": "\{0,1\}\([^",]*\)"\{0,1\},\{0,1\}$/\2/p')" -- "${cur}"))"#;
/// zsh: a helper defined at the top of the script (the option specs are
/// single-quoted, so the command cannot sit inside them).
const ZSH_GPUS_FN: &str = r#"_gpuctl_gpus() {
    local -a gpus
    gpus=(all ${(f)"$(timeout -s KILL 1 gpuctl list --json --call-timeout 300ms 2>/dev/null | sed -n 's/^ *"\(index\|uuid\|pci_bus_id\)": "\{0,1\}\([^",]*\)"\{0,1\},\{0,1\}$/\2/p')"})
    compadd -a gpus
}
"#;
const FISH_GPUS: &str = r#"-f -a "all (timeout -s KILL 1 gpuctl list --json --call-timeout 300ms 2>/dev/null | string match -r -g '^\s*\"(?:index|uuid|pci_bus_id)\": \"?([^\",]+)\"?,?\$')""#;

/// The completion script for `shell`, with GPU-aware completion for `-i`
/// where we know the shell's syntax.
pub fn completions(shell: Shell) -> Vec<u8> {
    let mut cmd = public_command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "gpuctl", &mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let text = match shell {
        Shell::Bash => gpu_bash(&text),
        Shell::Zsh => text
            .replace(":GPUS:_default", ":GPUS:_gpuctl_gpus")
            .replacen(
                "#compdef gpuctl\n",
                &format!("#compdef gpuctl\n\n{ZSH_GPUS_FN}"),
                1,
            ),
        Shell::Fish => gpu_fish(&text),
        _ => text,
    };
    text.into_bytes()
}

/// bash: the `--gpu)` / `-i)` cases complete file names; offer GPUs instead.
fn gpu_bash(text: &str) -> String {
    let mut out = String::new();
    let mut in_gpu_case = false;
    for line in text.lines() {
        let t = line.trim();
        if t == "--gpu)" || t == "-i)" {
            in_gpu_case = true;
        } else if in_gpu_case && t.starts_with("COMPREPLY=") {
            let indent = &line[..line.len() - line.trim_start().len()];
            out.push_str(indent);
            out.push_str(BASH_GPUS);
            out.push('\n');
            in_gpu_case = false;
            continue;
        } else if t == ";;" {
            in_gpu_case = false;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// fish: `-s i -l gpu ... -r` completes files; make it list GPUs.
fn gpu_fish(text: &str) -> String {
    text.lines()
        .map(|line| {
            if line.contains("-s i -l gpu") && line.ends_with(" -r") {
                format!("{} {FISH_GPUS}", &line[..line.len() - 3])
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// Escapes text for roff: backslashes, and a leading `.` or `'`.
fn roff_text(line: &str) -> String {
    let escaped = line.replace('\\', "\\e").replace('-', "\\-");
    if escaped.starts_with('.') || escaped.starts_with('\'') {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}

/// Whether a help line is a section heading: unindented, and capitals up
/// to any parenthesis (`CONFIG FILE (--config PATH, TOML; flags win)`).
fn is_heading(line: &str) -> bool {
    let head = line.split('(').next().unwrap_or_default().trim();
    !line.starts_with(' ')
        && head.chars().any(|c| c.is_ascii_uppercase())
        && !head.chars().any(|c| c.is_ascii_lowercase())
}

/// The long help after the options, as roff: a heading line becomes a
/// section, an indented line an indented paragraph (a deeper-indented line
/// continues it), anything else filled text, so pages wrap at any width.
fn extra_sections(help: &str) -> String {
    let mut out = String::new();
    let mut item_indent: Option<usize> = None;
    let mut blank = false;
    for line in help.lines() {
        let indent = line.len() - line.trim_start().len();
        if line.trim().is_empty() {
            // A paragraph break, unless a heading follows (which spaces
            // itself; `.PP` before it would suppress that space).
            blank = true;
            continue;
        }
        if blank && !is_heading(line) {
            out.push_str(".PP\n.sp\n");
            item_indent = None;
        }
        blank = false;
        if is_heading(line) {
            // The heading is the capitals alone, so it never wraps; what
            // follows it in parentheses opens the section's text.
            let (head, rest) = match line.find(" (") {
                Some(i) => (&line[..i], Some(line[i..].trim())),
                None => (line, None),
            };
            // Lists read better without a blank line between items.
            out.push_str(&format!(
                ".PD\n.SH \"{}\"\n.PD 0\n",
                head.trim().replace('"', "")
            ));
            if let Some(rest) = rest {
                out.push_str(&roff_text(rest));
                out.push('\n');
            }
            item_indent = None;
        } else if indent > 0 {
            if !matches!(item_indent, Some(i) if indent > i) {
                out.push_str(".IP \"\" 4\n");
                item_indent = Some(indent);
            }
            out.push_str(&roff_text(line.trim()));
            out.push('\n');
        } else {
            if item_indent.take().is_some() {
                out.push_str(".PP\n");
            }
            out.push_str(&roff_text(line));
            out.push('\n');
        }
    }
    out
}

fn render_page(cmd: &clap::Command) -> std::io::Result<Vec<u8>> {
    let man = clap_mangen::Man::new(cmd.clone());
    let mut page = Vec::new();
    man.render_title(&mut page)?;
    // No hyphenation and no justification: words and numbers stay whole.
    page.extend_from_slice(b".nh\n.ad l\n");
    man.render_name_section(&mut page)?;
    man.render_synopsis_section(&mut page)?;
    man.render_description_section(&mut page)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut page)?;
    }
    if cmd.get_subcommands().any(|s| !s.is_hide_set()) {
        man.render_subcommands_section(&mut page)?;
    }
    if let Some(help) = cmd.get_after_long_help() {
        page.extend_from_slice(extra_sections(&help.to_string()).as_bytes());
        page.extend_from_slice(b".PD\n");
    }
    man.render_version_section(&mut page)?;
    Ok(page)
}

/// Man pages: `gpuctl.1` and one `gpuctl-<command>.1` per visible
/// subcommand.
pub fn man_pages() -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let mut cmd = public_command();
    // Building propagates the global options into each subcommand's page.
    cmd.build();
    let mut pages = vec![("gpuctl.1".to_string(), render_page(&cmd)?)];
    for sub in cmd.get_subcommands() {
        let name = format!("gpuctl-{}", sub.get_name());
        let page = render_page(&sub.clone().name(name.clone()))?;
        pages.push((format!("{name}.1"), page));
    }
    Ok(pages)
}

/// Writes `man/`, `completions/` and the schema under `root`.
pub fn generate(root: &Path) -> std::io::Result<()> {
    let man = root.join("man");
    let completions_dir = root.join("completions");
    std::fs::create_dir_all(&man)?;
    std::fs::create_dir_all(&completions_dir)?;
    for (name, page) in man_pages()? {
        std::fs::write(man.join(name), page)?;
    }
    for (shell, file) in SHELLS {
        std::fs::write(completions_dir.join(file), completions(shell))?;
    }
    let schema = root.join(SCHEMA_PATH);
    if let Some(dir) = schema.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(schema, crate::commands::schema())?;
    Ok(())
}
