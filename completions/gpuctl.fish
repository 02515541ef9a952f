# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_gpuctl_global_optspecs
    string join \n i/gpu= json format= q/quiet h/help V/version
end

function __fish_gpuctl_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_gpuctl_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_gpuctl_using_subcommand
    set -l cmd (__fish_gpuctl_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c gpuctl -n "__fish_gpuctl_needs_command" -s i -l gpu -d 'GPUs to use: indices (as nvidia-smi numbers them), UUIDs or unique prefixes, PCI bus ids, a comma list, or `all`' -r
complete -c gpuctl -n "__fish_gpuctl_needs_command" -l format -d 'Output format' -r -f -a "table\t'A table for people'
json\t'One JSON document for scripts (schema in src/report/schema.json)'"
complete -c gpuctl -n "__fish_gpuctl_needs_command" -l json -d 'Print one JSON document on stdout (same as `--format json`)'
complete -c gpuctl -n "__fish_gpuctl_needs_command" -s q -l quiet -d 'No progress output on stderr'
complete -c gpuctl -n "__fish_gpuctl_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gpuctl -n "__fish_gpuctl_needs_command" -s V -l version -d 'Print version'
complete -c gpuctl -n "__fish_gpuctl_needs_command" -f -a "list" -d 'List GPUs with identity, memory, versions, modes, limits and PCIe links'
complete -c gpuctl -n "__fish_gpuctl_needs_command" -f -a "probe" -d 'Fast health probe for Docker HEALTHCHECK and Kubernetes exec probes: exits 0 (healthy) or 1 (unhealthy), never anything else'
complete -c gpuctl -n "__fish_gpuctl_needs_command" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, elvish, powershell)'
complete -c gpuctl -n "__fish_gpuctl_needs_command" -f -a "generate-docs" -d 'Write man pages and completions under DIR (for packagers and CI)'
complete -c gpuctl -n "__fish_gpuctl_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand list" -s i -l gpu -d 'GPUs to use: indices (as nvidia-smi numbers them), UUIDs or unique prefixes, PCI bus ids, a comma list, or `all`' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand list" -l format -d 'Output format' -r -f -a "table\t'A table for people'
json\t'One JSON document for scripts (schema in src/report/schema.json)'"
complete -c gpuctl -n "__fish_gpuctl_using_subcommand list" -l json -d 'Print one JSON document on stdout (same as `--format json`)'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand list" -s q -l quiet -d 'No progress output on stderr'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand list" -s V -l version -d 'Print version'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand probe" -l expect -d 'Unhealthy unless exactly this many GPUs are present' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand probe" -l timeout -d 'Upper bound on the whole probe; a hung driver call fails it' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand probe" -s i -l gpu -d 'GPUs to use: indices (as nvidia-smi numbers them), UUIDs or unique prefixes, PCI bus ids, a comma list, or `all`' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand probe" -l format -d 'Output format' -r -f -a "table\t'A table for people'
json\t'One JSON document for scripts (schema in src/report/schema.json)'"
complete -c gpuctl -n "__fish_gpuctl_using_subcommand probe" -l compute -d 'Also create a context and run a self-test kernel on each GPU'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand probe" -l json -d 'Print one JSON document on stdout (same as `--format json`)'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand probe" -s q -l quiet -d 'No progress output on stderr'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand probe" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand probe" -s V -l version -d 'Print version'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand completions" -s i -l gpu -d 'GPUs to use: indices (as nvidia-smi numbers them), UUIDs or unique prefixes, PCI bus ids, a comma list, or `all`' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand completions" -l format -d 'Output format' -r -f -a "table\t'A table for people'
json\t'One JSON document for scripts (schema in src/report/schema.json)'"
complete -c gpuctl -n "__fish_gpuctl_using_subcommand completions" -l json -d 'Print one JSON document on stdout (same as `--format json`)'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand completions" -s q -l quiet -d 'No progress output on stderr'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand completions" -s V -l version -d 'Print version'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand generate-docs" -s i -l gpu -d 'GPUs to use: indices (as nvidia-smi numbers them), UUIDs or unique prefixes, PCI bus ids, a comma list, or `all`' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand generate-docs" -l format -d 'Output format' -r -f -a "table\t'A table for people'
json\t'One JSON document for scripts (schema in src/report/schema.json)'"
complete -c gpuctl -n "__fish_gpuctl_using_subcommand generate-docs" -l json -d 'Print one JSON document on stdout (same as `--format json`)'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand generate-docs" -s q -l quiet -d 'No progress output on stderr'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand generate-docs" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand generate-docs" -s V -l version -d 'Print version'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand help; and not __fish_seen_subcommand_from list probe completions generate-docs help" -f -a "list" -d 'List GPUs with identity, memory, versions, modes, limits and PCIe links'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand help; and not __fish_seen_subcommand_from list probe completions generate-docs help" -f -a "probe" -d 'Fast health probe for Docker HEALTHCHECK and Kubernetes exec probes: exits 0 (healthy) or 1 (unhealthy), never anything else'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand help; and not __fish_seen_subcommand_from list probe completions generate-docs help" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, elvish, powershell)'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand help; and not __fish_seen_subcommand_from list probe completions generate-docs help" -f -a "generate-docs" -d 'Write man pages and completions under DIR (for packagers and CI)'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand help; and not __fish_seen_subcommand_from list probe completions generate-docs help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
