//! Man pages and shell completions, rendered from the CLI definition so
//! they cannot drift from it. `gpuctl completions SHELL` prints one script;
//! the hidden `gpuctl generate-docs DIR` writes the committed copies under
//! `man/` and `completions/` (a test checks they are current).

use clap_complete::Shell;
use std::path::Path;

/// Shells we ship completion files for, with their file names.
const SHELLS: [(Shell, &str); 3] = [
    (Shell::Bash, "gpuctl.bash"),
    (Shell::Zsh, "_gpuctl"),
    (Shell::Fish, "gpuctl.fish"),
];

/// The completion script for `shell`.
pub fn completions(shell: Shell) -> Vec<u8> {
    let mut cmd = crate::cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "gpuctl", &mut out);
    out
}

/// Man pages: `gpuctl.1` and one `gpuctl-<command>.1` per subcommand.
pub fn man_pages() -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let mut cmd = crate::cli::command();
    // Building propagates the global options into each subcommand's page.
    cmd.build();
    let mut pages = Vec::new();
    let mut top = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut top)?;
    pages.push(("gpuctl.1".to_string(), top));
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("gpuctl-{}", sub.get_name());
        let mut page = Vec::new();
        clap_mangen::Man::new(sub.clone().name(name.clone())).render(&mut page)?;
        pages.push((format!("{name}.1"), page));
    }
    Ok(pages)
}

/// Writes `man/` and `completions/` under `root`.
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
    Ok(())
}
